/*
 * fuzz-tenants: the tenant map loader (tenants.h) on any bytes, written to
 * a temporary file. Invariants of a loaded map: rows sorted by instance,
 * then effective_from; no two rows of an instance overlap; intervals are
 * non-empty; no row names the reserved tenant. bf_tenants_split, for
 * windows around each row and for an unknown instance, returns shares that
 * cover the window exactly, in order, without empty parts, with adjacent
 * parts of different owners, unowned time going to BF_UNALLOCATED. A
 * refused map names the file and carries BF_EXIT_USAGE.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "rates.h"
#include "tenants.h"
#include "timeutil.h"

#include "fuzz.h"

static void
check_split(const struct bf_tenants *t, const char *inst, bf_time from,
    bf_time to)
{
	struct bf_share *sh = NULL;
	size_t cap = 0, n, i;

	if (from >= to)
		return;
	n = bf_tenants_split(t, inst, strlen(inst), from, to, &sh, &cap);
	FUZZ_CHECK(n >= 1 && n <= cap);
	FUZZ_CHECK(sh[0].from == from && sh[n - 1].to == to);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(sh[i].tenant != NULL && sh[i].cost_center != NULL);
		FUZZ_CHECK(sh[i].from < sh[i].to);
		if (i > 0) {
			FUZZ_CHECK(sh[i - 1].to == sh[i].from);
			FUZZ_CHECK(strcmp(sh[i - 1].tenant, sh[i].tenant) != 0 ||
			    strcmp(sh[i - 1].cost_center,
			    sh[i].cost_center) != 0);
		}
	}
	free(sh);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bf_tenants t;
	struct bf_err e;
	const char *path = fuzz_file(data, size);
	size_t i;

	bf_err_clear(&e);
	if (bf_tenants_load(&t, path, &e) != 0) {
		FUZZ_CHECK(e.code == BF_EXIT_USAGE);
		FUZZ_CHECK(strstr(e.msg, path) != NULL);
		bf_tenants_free(&t);
		return 0;
	}
	for (i = 0; i < t.n; i++) {
		const struct bf_owner *o = &t.o[i];

		FUZZ_CHECK(o->eff.key != NULL && o->tenant != NULL &&
		    o->cost_center != NULL);
		FUZZ_CHECK(strcmp(o->tenant, BF_UNALLOCATED) != 0);
		FUZZ_CHECK(o->eff.from < o->eff.to);
		if (i > 0)
			FUZZ_CHECK_EFF_ORDER(&t.o[i - 1].eff, &o->eff);
	}
	for (i = 0; i < t.n && i < 16; i++) {
		const struct bf_owner *o = &t.o[i];
		bf_time f = fuzz_near(o->eff.from, 0);
		bf_time to = fuzz_near(o->eff.to, 0);

		check_split(&t, o->eff.key, f, to);
		check_split(&t, o->eff.key, fuzz_near(f, -3600),
		    fuzz_near(to, 3600));
		check_split(&t, o->eff.key, f, f + 86400);
		check_split(&t, o->eff.key, fuzz_near(to, -86400),
		    fuzz_near(to, 86400));
	}
	check_split(&t, "bf-fuzz-no-such-instance", 0, 86400);
	check_split(NULL, "x", 0, 86400);
	bf_tenants_free(&t);
	return 0;
}
