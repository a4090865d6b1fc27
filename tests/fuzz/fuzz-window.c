/*
 * fuzz-window: window planning (window.h) on plans read from the bytes:
 * from, to, size, alignment and billing day, over the whole range of
 * representable times. Invariants: a plan accepted by bf_plan_init has
 * windows that start at from, are contiguous and non-empty, end at to
 * (checked in full when there are few; the first ones and random instants
 * otherwise), each inside one grid piece and one billing cycle, and
 * bf_plan_window_at agrees with the iteration; a grid's name reads back as
 * the same grid, and any text that parses as a grid name is that grid's
 * name. The bytes are also tried as a grid name, a shard and a partition
 * name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "timeutil.h"
#include "window.h"

#include "fuzz.h"

#define TEXT_MIN (-62167219200LL)
#define TEXT_END 253402300800LL
#define MAXWIN 3000

static uint64_t
u64(const uint8_t *d, size_t size, size_t off)
{
	uint64_t v = 0;

	for (size_t i = 0; i < 8 && off + i < size; i++)
		v |= (uint64_t)d[off + i] << (8 * i);
	return v;
}

static void
check_window(const struct bf_plan *p, bf_time s, bf_time e)
{
	bf_time ps, pe, ws, we;

	FUZZ_CHECK(p->from <= s && s < e && e <= p->to);
	bf_grid_piece(&p->grid, s, &ps, &pe);
	FUZZ_CHECK(ps <= s && ps < pe);
	FUZZ_CHECK(e == (pe < p->to ? pe : p->to));
	FUZZ_CHECK(bf_billing_start(s, p->grid.billing_day) ==
	    bf_billing_start(e - 1, p->grid.billing_day));
	bf_plan_window_at(p, s, &ws, &we);
	FUZZ_CHECK(ws == s && we == e);
	bf_plan_window_at(p, e - 1, &ws, &we);
	FUZZ_CHECK(ws == s && we == e);
}

static void
check_plan(const uint8_t *data, size_t size)
{
	struct bf_plan p;
	struct bf_plan_iter it;
	struct bf_grid g;
	struct bf_err e;
	bf_time from, to, align, s, en, prev;
	int64_t sz, span;
	uint64_t k = u64(data, size, 0);
	int bd, n;

	from = TEXT_MIN + (bf_time)(u64(data, size, 8) %
	    (uint64_t)(TEXT_END - TEXT_MIN));
	/* Sizes of all magnitudes, up to past the limit. */
	sz = (int64_t)(u64(data, size, 16) % 10000000000000ULL);
	switch (k % 4) {
	case 0:
		sz = sz % 100000 + 1;
		break;
	case 1:
		sz = (sz % 400 + 1) * 3600;
		break;
	case 2:
		sz = sz % 2000000000 + 1;
		break;
	}
	span = (int64_t)(u64(data, size, 24) % (uint64_t)(k & 16 ?
	    1000000000000LL : 100LL * 86400));
	to = from + 1 + span;
	align = (bf_time)u64(data, size, 32);
	if (k & 32)
		align = from + (align % 1000000);
	bd = (int)(int8_t)(k >> 8) % 32;
	bf_err_clear(&e);
	if (bf_plan_init(&p, from, to, sz, k & 64 ? NULL : &align, bd, &e) !=
	    0) {
		FUZZ_CHECK(e.code == BF_EXIT_USAGE && e.msg[0] != '\0');
		return;
	}
	FUZZ_CHECK(to < TEXT_END);
	if (!(k & 64))
		FUZZ_CHECK(align >= TEXT_MIN && align < TEXT_END);
	FUZZ_CHECK(p.grid.size == sz && bd >= 1 && bd <= 28);
	FUZZ_CHECK(p.grid.phase >= 0 && p.grid.phase < p.grid.size);
	FUZZ_CHECK(bf_grid_parse(p.name, &g) == 0 && g.size == p.grid.size &&
	    g.phase == p.grid.phase && g.billing_day == p.grid.billing_day);

	bf_plan_iter_init(&it, &p);
	prev = from;
	for (n = 0; n < MAXWIN && bf_plan_iter_next(&it, &s, &en); n++) {
		FUZZ_CHECK(s == prev);
		check_window(&p, s, en);
		prev = en;
	}
	if (n < MAXWIN) {
		FUZZ_CHECK(n >= 1 && prev == to);
		FUZZ_CHECK(bf_plan_count(&p) == n);
	}
	/* Random instants of the range. */
	for (int i = 0; i < 16; i++) {
		bf_time t = from + (bf_time)(u64(data, size, 40 + i) %
		    (uint64_t)(to - from));

		bf_plan_window_at(&p, t, &s, &en);
		FUZZ_CHECK(s <= t && t < en);
		check_window(&p, s, en);
	}
}

static void
check_text(const uint8_t *data, size_t size)
{
	char *z = fuzz_strndup(data, size), name[BF_GRID_LEN];
	struct bf_grid g;
	struct bf_shard sh;
	struct bf_partlist l = BF_PARTLIST_INIT;
	struct bf_err e;

	if (bf_grid_parse(z, &g) == 0) {
		bf_grid_format(&g, name);
		FUZZ_CHECK(strcmp(name, z) == 0);
	}
	if (bf_shard_parse(z, &sh, &e) == 0) {
		FUZZ_CHECK(sh.n >= 1 && sh.n <= ((uint64_t)1 << 31) &&
		    sh.i < sh.n);
		FUZZ_CHECK(bf_shard_of(z, size, sh.n) < sh.n);
	}
	if (bf_partlist_add(&l, (const char *)data, size, "f", 1, &e) == 0) {
		FUZZ_CHECK(size > 0 && memchr(data, '\0', size) == NULL);
		FUZZ_CHECK(bf_partlist_has(&l, (const char *)data, size));
		FUZZ_CHECK(bf_partlist_add(&l, (const char *)data, size, NULL,
		    0, &e) != 0);
	}
	bf_partlist_free(&l);
	free(z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_plan(data, size);
	check_text(data, size);
	return 0;
}
