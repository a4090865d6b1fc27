/*
 * test-rates.c: unit tests of the rate card and the tenant map (rates.h,
 * tenants.h): loading, validation errors with file:line, effective-dated
 * lookup, owner splits.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rates.h"
#include "tap.h"
#include "tenants.h"

#define HDR "metric,unit,aggregate,usage_unit,multiplier,divisor," \
	    "unit_price,currency,effective_from,effective_to\n"
#define THDR "instance_id,tenant,cost_center,effective_from,effective_to\n"

static char path[64];

static const char *
put(const char *text)
{
	int fd;

	strcpy(path, "/tmp/test-rates-XXXXXX");
	fd = mkstemp(path);
	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		exit(99);
	close(fd);
	return path;
}

/* Loads a rate card; returns "" when it loads, else the message with the
 * temporary path replaced by "R". */
static const char *
rates_err(const char *text)
{
	static char msg[1100];
	struct bf_rates rc;
	struct bf_err e;
	char *p;
	int rv;

	bf_err_clear(&e);
	rv = bf_rates_load(&rc, put(text), &e);
	bf_rates_free(&rc);
	unlink(path);
	if (rv == 0)
		return "";
	if ((p = strstr(e.msg, path))) {
		snprintf(msg, sizeof(msg), "%.*sR%s", (int)(p - e.msg), e.msg,
		    p + strlen(path));
		return msg;
	}
	snprintf(msg, sizeof(msg), "%s", e.msg);
	return msg;
}

static const char *
tenants_err(const char *text)
{
	static char msg[1100];
	struct bf_tenants t;
	struct bf_err e;
	char *p;
	int rv;

	bf_err_clear(&e);
	rv = bf_tenants_load(&t, put(text), &e);
	bf_tenants_free(&t);
	unlink(path);
	if (rv == 0)
		return "";
	if ((p = strstr(e.msg, path))) {
		snprintf(msg, sizeof(msg), "%.*sT%s", (int)(p - e.msg), e.msg,
		    p + strlen(path));
		return msg;
	}
	snprintf(msg, sizeof(msg), "%s", e.msg);
	return msg;
}

static void
test_rates_errors(void)
{
	is_str(rates_err(HDR "m,B,sum,u,,,1,USD,2026-01-01,\n"), "",
	    "a valid card loads");
	is_str(rates_err(HDR "m,B,sum,u,,,-1,USD,2026-01-01,\n"),
	    "R:2: negative unit_price '-1'", "negative price");
	is_str(rates_err(HDR "m,B,sum,u,,,1,USD,2026-13-01,\n"),
	    "R:2: bad effective_from '2026-13-01'", "bad date");
	is_str(rates_err(HDR "m,B,sum,u,,,1,USD,2026-02-01,2026-01-01\n"),
	    "R:2: effective_to '2026-01-01' is not after effective_from "
	    "'2026-02-01'", "empty interval");
	is_str(rates_err(HDR "m,B,median,u,,,1,USD,,\n"),
	    "R:2: unknown aggregate 'median'", "unknown aggregate");
	is_str(rates_err(HDR "m,B,sum,u,,0,1,USD,,\n"),
	    "R:2: divisor '0' is not positive", "zero divisor");
	is_str(rates_err(HDR "m,B,sum,u,,,0.0000000001,USD,,\n"),
	    "R:2: unit_price '0.0000000001' has more than 9 decimal places",
	    "no silent rounding of a price");
	is_str(rates_err(HDR "m,B,sum,u,,,1,USD,,\nn,B,sum,u,,,1,EUR,,\n"),
	    "R:3: mixed currencies 'USD' and 'EUR'", "mixed currencies");
	is_str(rates_err(HDR "m,B,sum,u,,,1,USD,2026-01-01,2026-03-01\n"
			     "n,B,sum,u,,,1,USD,,\n"
			     "m,B,sum,u,,,2,USD,2026-02-01,\n"),
	    "R:4: rate of metric 'm' from 2026-02-01T00:00:00Z overlaps "
	    "line 2", "overlapping rates");
	is_str(rates_err(HDR "m,B,sum,u,,,2,USD,2026-02-01,\n"
			     "m,B,sum,u,,,1,USD,,2026-02-01\n"),
	    "", "adjacent half-open rates do not overlap");
	ok(strstr(rates_err("metric,unit\nm,B\n"), "R") == rates_err(
	    "metric,unit\nm,B\n"), "a wrong header names the file");
	ok(*rates_err(HDR "m,B,sum\n") != '\0', "a short row is refused");
}

static void
test_rates_window(void)
{
	struct bf_rates rc;
	struct bf_err e;
	const char *code;
	size_t first = 99, n;
	bf_time t0 = 1767225600, day = 86400; /* 2026-01-01 */

	bf_rates_load(&rc, put(HDR
	    "m,B,sum,u,,,3,USD,2026-01-01T12:00:00Z,2026-01-05\n"
	    "m,B,sum,u,,,1,USD,2025-01-01,2026-01-01T12:00:00Z\n"
	    "k,B,sum,u,,,1,USD,2026-01-01,2026-01-02\n"
	    "k,B,max,u,,,1,USD,2026-01-02,\n"
	    "z,B,sum,u,,,1,USD,2026-01-03,\n"), &e);
	unlink(path);
	n = bf_rates_window(&rc, "m", 1, t0, t0 + day, &first, &code, &e);
	ok(n == 2 && rc.r[first].unit_price.v == 1 * BF_DEC_ONE &&
	    rc.r[first + 1].unit_price.v == 3 * BF_DEC_ONE,
	    "two rates over a window, in time order");
	n = bf_rates_window(&rc, "m", 1, t0 + day, t0 + 2 * day, &first,
	    &code, &e);
	ok(n == 1 && rc.r[first].unit_price.v == 3 * BF_DEC_ONE,
	    "one rate over a later window");
	n = bf_rates_window(&rc, "m", 1, t0 + 4 * day, t0 + 5 * day, &first,
	    &code, &e);
	ok(n == 0 && strcmp(code, "missing_rate") == 0 &&
	    strstr(e.msg, "from 2026-01-05T00:00:00Z to 2026-01-06T00:00:00Z"),
	    "a window after the last rate: missing_rate naming the gap");
	n = bf_rates_window(&rc, "q", 1, t0, t0 + day, &first, &code, &e);
	ok(n == 0 && strcmp(code, "missing_rate") == 0 &&
	    strstr(e.msg, "no rate for metric 'q'"), "an unknown metric");
	n = bf_rates_window(&rc, "k", 1, t0, t0 + 2 * day, &first, &code, &e);
	is_str(n == 0 ? code : "", "rate_changes_in_window",
	    "rates that disagree on more than the price in one window");
	n = bf_rates_window(&rc, "z", 1, t0 + day, t0 + 3 * day, &first,
	    &code, &e);
	ok(n == 0 && strstr(e.msg, "from 2026-01-02T00:00:00Z to "
	    "2026-01-03T00:00:00Z") != NULL,
	    "a gap before the first rate is named exactly");
	bf_rates_free(&rc);
}

static void
test_tenants(void)
{
	struct bf_tenants t;
	struct bf_err e;
	struct bf_share *sh = NULL;
	size_t cap = 0, n;
	bf_time t0 = 1767225600, day = 86400;

	is_str(tenants_err(THDR "db-1,acme,cc,2026-01-01,\n"), "",
	    "a valid map loads");
	is_str(tenants_err(THDR "db-1,unallocated,,,\n"),
	    "T:2: tenant 'unallocated' is reserved for time without an owner",
	    "the unallocated tenant is reserved");
	is_str(tenants_err(THDR "db-1,a,,2026-01-01,\ndb-1,b,,2026-02-01,\n"),
	    "T:3: owner of instance 'db-1' from 2026-02-01T00:00:00Z overlaps "
	    "line 2", "overlapping owners");
	is_str(tenants_err(THDR "db-1,a,,2026-01-01,x\n"),
	    "T:2: bad effective_to 'x'", "bad date");

	bf_tenants_load(&t, put(THDR
	    "db-1,b,cb,2026-01-01T18:00:00Z,\n"
	    "db-1,a,ca,2026-01-01T06:00:00Z,2026-01-01T12:00:00Z\n"
	    "db-1,a,ca,2026-01-01T12:00:00Z,2026-01-01T15:00:00Z\n"
	    "db-2,c,,,\n"), &e);
	unlink(path);
	n = bf_tenants_split(&t, "db-1", 4, t0, t0 + day, &sh, &cap);
	is_int(n, 4, "owner split: 4 shares");
	ok(n == 4 && strcmp(sh[0].tenant, "unallocated") == 0 &&
	    sh[0].to == t0 + 6 * 3600, "time before the first owner is unallocated");
	ok(n == 4 && strcmp(sh[1].tenant, "a") == 0 &&
	    sh[1].from == t0 + 6 * 3600 && sh[1].to == t0 + 15 * 3600,
	    "adjacent rows of one owner merge");
	ok(n == 4 && strcmp(sh[2].tenant, "unallocated") == 0 &&
	    strcmp(sh[3].tenant, "b") == 0 && sh[3].to == t0 + day,
	    "a gap between owners is unallocated");
	n = bf_tenants_split(&t, "db-2", 4, t0, t0 + day, &sh, &cap);
	ok(n == 1 && strcmp(sh[0].tenant, "c") == 0, "an open-ended owner");
	n = bf_tenants_split(&t, "db-3", 4, t0, t0 + day, &sh, &cap);
	ok(n == 1 && strcmp(sh[0].tenant, "unallocated") == 0 &&
	    strcmp(sh[0].cost_center, "") == 0, "an unknown instance");
	n = bf_tenants_split(NULL, "db-1", 4, t0, t0 + day, &sh, &cap);
	ok(n == 1 && strcmp(sh[0].tenant, "unallocated") == 0, "no map");
	free(sh);
	bf_tenants_free(&t);
}

static void
test_eff_set(void)
{
	/* 2026-01-01: 56 years of 365 days, 14 leap days (1972 to 2024). */
	bf_time t0 = ((bf_time)(2026 - 1970) * 365 + 14) * 86400;
	char key[] = "db-1";
	struct bf_eff eff = { 0 };
	struct bf_err e;

	bf_err_clear(&e);
	ok(bf_eff_set(&eff, key, "2026-01-01", "", 7, &e) == 0 &&
	    eff.from == t0 && eff.to == BF_TIME_MAX && eff.line == 7 &&
	    eff.key != key && strcmp(eff.key, "db-1") == 0,
	    "bf_eff_set: a date, an open end, a copy of the key, the line");
	free(eff.key);
	eff.key = NULL;
	ok(bf_eff_set(&eff, key, "", "2026-01-02T00:00:00Z", 8, &e) == 0 &&
	    eff.from == BF_TIME_MIN && eff.to == t0 + 86400,
	    "bf_eff_set: an open start, an RFC 3339 end");
	free(eff.key);
	eff.key = NULL;
	ok(bf_eff_set(&eff, key, "2026-01-02", "2026-01-01", 9, &e) == -1 &&
	    eff.key == NULL && strstr(e.msg, "is not after") != NULL,
	    "bf_eff_set: an empty interval is refused, the key not copied");
}

int
main(void)
{
	is_str(bf_aggfn_name(bf_aggfn_parse("p95")), "p95", "aggregate names");
	is_int(bf_aggfn_parse("P95"), -1, "aggregate names are exact");
	test_rates_errors();
	test_rates_window();
	test_tenants();
	test_eff_set();
	return done_testing();
}
