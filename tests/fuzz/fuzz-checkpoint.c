/*
 * fuzz-checkpoint: the state directory's checkpoint files (checkpoint.h) on
 * any bytes. Two parts:
 * - the bytes as the checkpoint file of partition "db-1" (a hand-edited
 *   or damaged state file): a loaded checkpoint names its partition, holds
 *   sorted, disjoint, merged, non-empty ranges, well-formed digests and
 *   earlier heads (each once, none the chain head), and
 *   formats to a file that loads back to the same checkpoint; a refused one
 *   names the file and carries BF_EXIT_USAGE and leaves an empty
 *   checkpoint;
 * - the bytes as a sequence of commits over a small clock, checked against
 *   a bitmap: bf_ckpt_add, covers, overlaps and gaps agree with it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "checkpoint.h"
#include "json.h"
#include "err.h"
#include "timeutil.h"

#include "fuzz.h"

#define TEXT_MIN (-62167219200LL)
#define TEXT_END 253402300800LL

static char dir[256];

static void
rmdir_at_exit(void)
{
	struct bf_buf p = BF_BUF_INIT;

	if (bf_ckpt_path(dir, "db-1", NULL, &p) == 0)
		unlink(p.s);
	bf_buf_free(&p);
	rmdir(dir);
}

/* Writes data as the checkpoint of db-1 in dir. */
static void
put_ckpt(const void *data, size_t n)
{
	struct bf_buf p = BF_BUF_INIT;
	FILE *fp;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "%s/bf-fuzz-ckpt.XXXXXX",
		    fuzz_tmpdir());
		if (mkdtemp(dir) == NULL)
			abort();
		atexit(rmdir_at_exit);
	}
	FUZZ_CHECK(bf_ckpt_path(dir, "db-1", NULL, &p) == 0);
	if ((fp = fopen(p.s, "w")) == NULL)
		abort();
	if (n != 0 && fwrite(data, 1, n, fp) != n)
		abort();
	if (fclose(fp) != 0)
		abort();
	bf_buf_free(&p);
}

static int
in_text(bf_time t)
{
	return t >= TEXT_MIN && t < TEXT_END;
}

static int
hexok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0)
		return 1;
	if (n != 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static void
check_ranges(const struct bf_ckpt *c)
{
	size_t i;

	FUZZ_CHECK(c->n <= c->cap);
	for (i = 0; i < c->n; i++) {
		FUZZ_CHECK(c->r[i].from < c->r[i].to);
		if (i > 0)
			FUZZ_CHECK(c->r[i - 1].to < c->r[i].from);
	}
}

static void
check_file(const uint8_t *data, size_t size)
{
	struct bf_ckpt c, c2;
	struct bf_buf text = BF_BUF_INIT;
	struct bf_err e;
	int all_in = 1;
	size_t i;

	put_ckpt(data, size);
	bf_err_clear(&e);
	if (bf_ckpt_load(dir, "db-1", &c, &e) != 0) {
		FUZZ_CHECK(e.code == BF_EXIT_USAGE && strstr(e.msg, dir));
		FUZZ_CHECK(c.n == 0 && c.grid == NULL && c.windows == 0 &&
		    strcmp(c.partition, "db-1") == 0);
		bf_ckpt_free(&c);
		return;
	}
	FUZZ_CHECK(strcmp(c.partition, "db-1") == 0);
	check_ranges(&c);
	FUZZ_CHECK(c.windows >= 0);
	FUZZ_CHECK(hexok(c.last_digest) && hexok(c.chain_head));
	for (i = 0; i < c.nheads; i++)
		FUZZ_CHECK(hexok(c.heads[i]) && c.heads[i][0] != '\0' &&
		    strcmp(c.heads[i], c.chain_head) != 0 &&
		    bf_ckpt_head_index(&c, c.heads[i]) == (long)i);
	if (c.last_from != 0 || c.last_to != 0)
		FUZZ_CHECK(c.last_from < c.last_to);
	for (i = 0; i < c.n; i++)
		all_in &= in_text(c.r[i].from) && in_text(c.r[i].to);
	if (c.last_from != 0 || c.last_to != 0)
		all_in &= in_text(c.last_from) && in_text(c.last_to);

	/* Format it (as bf_ckpt_save would) and load that back. */
	if (bf_ckpt_format(&c, 1767225600, &text, &e) != 0) {
		FUZZ_CHECK(!all_in || (c.grid != NULL &&
		    !bf_utf8_valid(c.grid, strlen(c.grid))));
		bf_ckpt_free(&c);
		bf_buf_free(&text);
		return;
	}
	FUZZ_CHECK(text.len > 0 && text.s[text.len - 1] == '\n' &&
	    memchr(text.s, '\n', text.len - 1) == NULL);
	put_ckpt(text.s, text.len);
	FUZZ_CHECK(bf_ckpt_load(dir, "db-1", &c2, &e) == 0);
	FUZZ_CHECK(c2.n == c.n && c2.windows == c.windows &&
	    c2.last_from == c.last_from && c2.last_to == c.last_to);
	FUZZ_CHECK(c.n == 0 || memcmp(c2.r, c.r, c.n * sizeof(*c.r)) == 0);
	FUZZ_CHECK((c.grid == NULL) == (c2.grid == NULL));
	if (c.grid != NULL)
		FUZZ_CHECK(strcmp(c.grid, c2.grid) == 0);
	FUZZ_CHECK(strcmp(c.last_digest, c2.last_digest) == 0 &&
	    strcmp(c.chain_head, c2.chain_head) == 0);
	FUZZ_CHECK(c2.nheads == c.nheads && (c.nheads == 0 ||
	    memcmp(c2.heads, c.heads, c.nheads * sizeof(*c.heads)) == 0));
	bf_ckpt_free(&c);
	bf_ckpt_free(&c2);
	bf_buf_free(&text);
}

#define CLOCK 512

struct gaps {
	unsigned char *seen;
	bf_time scale;
	int err;
};

static void
on_gap(void *ctx, bf_time from, bf_time to)
{
	struct gaps *g = ctx;
	bf_time t;

	if (from >= to)
		g->err = 1;
	for (t = from / g->scale; t < to / g->scale; t++)
		if (t < 0 || t >= CLOCK || g->seen[t])
			g->err = 1;
		else
			g->seen[t] = 2;
}

static void
check_algebra(const uint8_t *data, size_t size)
{
	unsigned char bit[CLOCK], seen[CLOCK];
	struct bf_ckpt c;
	struct gaps g;
	bf_time scale, f, t;
	size_t i, k;
	int want, run;

	memset(bit, 0, sizeof(bit));
	bf_ckpt_init(&c, "db-1");
	/* A unit of one second, one day, or near the end of the range. */
	scale = size > 0 && data[0] % 3 == 1 ? 86400 :
	    size > 0 && data[0] % 3 == 2 ? ((int64_t)1 << 52) : 1;
	for (i = 1; i + 2 <= size; i += 2) {
		f = data[i] % CLOCK;
		t = f + data[i + 1] % 64;
		bf_ckpt_add(&c, f * scale, t * scale);
		for (k = (size_t)f; k < (size_t)t && k < CLOCK; k++)
			bit[k] = 1;
		check_ranges(&c);
	}
	/* The ranges are the runs of the bitmap. */
	for (k = 0, i = 0; k < CLOCK; k++) {
		if (!bit[k] || (k > 0 && bit[k - 1]))
			continue;
		for (run = 0; k + (size_t)run < CLOCK && bit[k + run]; run++)
			;
		FUZZ_CHECK(i < c.n);
		FUZZ_CHECK(c.r[i].from == (bf_time)k * scale &&
		    c.r[i].to == (bf_time)(k + run) * scale);
		i++;
	}
	FUZZ_CHECK(i == c.n);
	/* Queries: every [f, t) of a few sizes. */
	for (f = 0; f < CLOCK; f += 11)
		for (t = f + 1; t <= CLOCK && t < f + 70; t += 5) {
			int any = 0, all = 1;

			for (k = (size_t)f; k < (size_t)t; k++) {
				any |= bit[k];
				all &= bit[k];
			}
			/* covers: inside one range (all set is the same:
			 * the ranges are merged). */
			FUZZ_CHECK(bf_ckpt_covers(&c, f * scale, t * scale) ==
			    all);
			FUZZ_CHECK(bf_ckpt_overlaps(&c, f * scale,
			    t * scale) == any);
		}
	FUZZ_CHECK(!bf_ckpt_covers(&c, 5, 5) && !bf_ckpt_overlaps(&c, 5, 5));
	/* Gaps over the whole clock and the committed ranges partition it. */
	memcpy(seen, bit, sizeof(seen));
	g.seen = seen;
	g.scale = scale;
	g.err = 0;
	bf_ckpt_gaps(&c, 0, CLOCK * scale, on_gap, &g);
	FUZZ_CHECK(!g.err);
	for (k = 0; k < CLOCK; k++)
		FUZZ_CHECK(seen[k] != 0);
	want = (int)c.n;
	bf_ckpt_commit(&c, 0, scale, NULL);
	FUZZ_CHECK(c.windows == 1 && c.last_digest[0] == '\0');
	FUZZ_CHECK((int)c.n <= want + 1);
	bf_ckpt_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_file(data, size);
	check_algebra(data, size);
	return 0;
}
