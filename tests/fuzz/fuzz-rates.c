/*
 * fuzz-rates: the rate card loader (rates.h) on any bytes, written to a
 * temporary file. Invariants of a loaded card: rows sorted by metric, then
 * effective_from; no two rows of a metric overlap; every interval is
 * non-empty; multiplier and divisor positive, unit_price not negative,
 * one currency, a known aggregate. bf_rates_window, for windows around
 * each row, finds rows of that metric that cover the window without a gap
 * and agree on everything but the price, or says why not; a refused card
 * names the file and carries BF_EXIT_USAGE.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "err.h"
#include "rates.h"
#include "timeutil.h"

#include "fuzz.h"

static void
check_window(const struct bf_rates *rc, const char *metric, bf_time from,
    bf_time to)
{
	struct bf_err e;
	const char *code = NULL;
	size_t first = (size_t)-1, n, i;
	const struct bf_rate *a, *b;

	if (from >= to)
		return;
	bf_err_clear(&e);
	n = bf_rates_window(rc, metric, strlen(metric), from, to, &first, &code,
	    &e);
	if (n == 0) {
		FUZZ_CHECK(code != NULL && (strcmp(code, "missing_rate") == 0 ||
		    strcmp(code, "rate_changes_in_window") == 0));
		FUZZ_CHECK(e.code == BF_EXIT_FAILED && e.msg[0] != '\0');
		return;
	}
	FUZZ_CHECK(first < rc->n && first + n <= rc->n);
	a = &rc->r[first];
	FUZZ_CHECK(a->eff.from <= from && rc->r[first + n - 1].eff.to >= to);
	for (i = first; i < first + n; i++) {
		b = &rc->r[i];
		FUZZ_CHECK(strcmp(b->eff.key, metric) == 0);
		if (i > first)
			FUZZ_CHECK(rc->r[i - 1].eff.to == b->eff.from);
		FUZZ_CHECK(b->eff.from < to && b->eff.to > from);
		FUZZ_CHECK(strcmp(a->unit, b->unit) == 0 &&
		    strcmp(a->usage_unit, b->usage_unit) == 0 &&
		    a->aggregate == b->aggregate &&
		    bf_dec_cmp(a->multiplier, b->multiplier) == 0 &&
		    bf_dec_cmp(a->divisor, b->divisor) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bf_rates rc;
	struct bf_err e;
	const char *path = fuzz_file(data, size);
	size_t i;

	bf_err_clear(&e);
	if (bf_rates_load(&rc, path, &e) != 0) {
		FUZZ_CHECK(e.code == BF_EXIT_USAGE);
		FUZZ_CHECK(strstr(e.msg, path) != NULL);
		bf_rates_free(&rc);
		return 0;
	}
	for (i = 0; i < rc.n; i++) {
		const struct bf_rate *r = &rc.r[i];

		FUZZ_CHECK(r->eff.key != NULL && r->unit != NULL &&
		    r->usage_unit != NULL && r->currency != NULL);
		FUZZ_CHECK(r->eff.from < r->eff.to);
		FUZZ_CHECK(r->eff.line >= 1); /* a lone CR ends a row too */
		FUZZ_CHECK(bf_dec_sign(r->multiplier) > 0 &&
		    bf_dec_sign(r->divisor) > 0 &&
		    bf_dec_sign(r->unit_price) >= 0);
		FUZZ_CHECK(bf_aggfn_name(r->aggregate) != NULL &&
		    bf_aggfn_parse(bf_aggfn_name(r->aggregate)) ==
		    r->aggregate);
		FUZZ_CHECK(rc.currency != NULL &&
		    strcmp(r->currency, rc.currency) == 0);
		if (i > 0)
			FUZZ_CHECK_EFF_ORDER(&rc.r[i - 1].eff, &r->eff);
	}
	for (i = 0; i < rc.n && i < 16; i++) {
		const struct bf_rate *r = &rc.r[i];
		bf_time f = fuzz_near(r->eff.from, 0);
		bf_time t = fuzz_near(r->eff.to, 0);

		check_window(&rc, r->eff.key, f, t);
		check_window(&rc, r->eff.key, f, fuzz_near(t, 3600));
		check_window(&rc, r->eff.key, fuzz_near(f, -3600), t);
		check_window(&rc, r->eff.key, f, f + 86400);
		check_window(&rc, r->eff.key, fuzz_near(t, -86400),
		    fuzz_near(t, 86400));
	}
	check_window(&rc, "bf-fuzz-no-such-metric", 0, 86400);
	bf_rates_free(&rc);
	return 0;
}
