/* Unit tests for report.h (cents, splits, owner shares) and keymap.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "keymap.h"
#include "report.h"
#include "tap.h"

static bf_dec
D(const char *s)
{
	bf_dec d = { 0 };

	if (bf_dec_parse(s, strlen(s), &d) != BF_DEC_OK)
		abort();
	return d;
}

static const char *
F(bf_dec a, int places)
{
	static char buf[8][BF_DEC_LEN];
	static int k;

	k = (k + 1) % 8;
	bf_dec_format_places(a, places, buf[k]);
	return buf[k];
}

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717u;
}

static void
test_cents(void)
{
	bf_dec a[4], out[4], total;
	int i, trial, bad = 0;

	/* Three equal parts: the tied cent goes to the first. */
	a[0] = a[1] = a[2] = D("0.335");
	ok(bf_report_cents(a, 3, 2, out, &total) == 0, "cents of 3 x 0.335");
	is_str(F(total, 2), "1.00", "total 1.005 rounds half to even");
	is_str(F(out[0], 2), "0.34", "first line gets the cent");
	is_str(F(out[1], 2), "0.33", "second does not");
	is_str(F(out[2], 2), "0.33", "third does not");
	/* The largest remainder wins over the order. */
	a[0] = D("0.331");
	a[1] = D("0.338");
	a[2] = D("0.336");
	bf_report_cents(a, 3, 2, out, &total);
	is_str(F(total, 2), "1.00", "1.005 -> 1.00");
	is_str(F(out[1], 2), "0.34", "largest remainder (0.008) gets the cent");
	is_str(F(out[0], 2), "0.33", "smallest remainder does not");
	/* Negative parts (corrections) round down toward minus infinity. */
	a[0] = D("-0.125");
	a[1] = D("0.500");
	bf_report_cents(a, 2, 2, out, &total);
	is_str(F(total, 2), "0.38", "0.375 -> 0.38 (half to even)");
	is_str(F(out[0], 2), "-0.12", "-0.125: floor -0.13 plus the cent");
	is_str(F(out[1], 2), "0.50", "0.5 unchanged");
	/* Whole units (a currency without cents). */
	a[0] = D("1.5");
	a[1] = D("1.5");
	bf_report_cents(a, 2, 0, out, &total);
	is_str(F(total, 0), "3", "places 0: 3");
	is_str(F(out[0], 0), "2", "places 0: first 2");
	is_str(F(out[1], 0), "1", "places 0: second 1");
	ok(bf_report_cents(a, 0, 2, out, &total) == 0 &&
	    bf_dec_sign(total) == 0, "no parts: total 0");
	/* Random parts always add up to their rounded total. */
	for (trial = 0; trial < 2000; trial++) {
		bf_dec sum = bf_dec_from_int(0), r;
		int n = 1 + (int)(rnd() % 4);

		for (i = 0; i < n; i++) {
			a[i].v = (__int128)(rnd() % 20000000000u) - 5000000000;
		}
		bf_report_cents(a, (size_t)n, 2, out, &total);
		for (i = 0; i < n; i++) {
			bf_dec d;

			bf_dec_add(sum, out[i], &sum);
			bf_dec_sub(a[i], out[i], &d);
			if (d.v >= 10000000 || d.v <= -10000000)
				bad++;
		}
		bf_dec_round_to(total, 2, &r);
		if (bf_dec_cmp(sum, total) != 0 || bf_dec_cmp(r, total) != 0)
			bad++;
	}
	is_int(bad, 0, "2000 random cases: parts add up, each within a cent");
}

static void
test_split(void)
{
	bf_dec w[3], out[3];

	w[0] = D("1");
	w[1] = D("1");
	w[2] = D("1");
	ok(bf_report_split(D("1"), w, 3, out) == 0, "split 1 in 3");
	is_str(F(out[0], 9), "0.333333333", "first third");
	is_str(F(out[2], 9), "0.333333334", "the last takes the rest");
	w[0] = D("0");
	w[1] = D("0");
	bf_report_split(D("0.5"), w, 2, out);
	is_str(F(out[0], 9), "0.250000000", "zero weights: even split");
	w[0] = D("21600");
	w[1] = D("64800");
	bf_report_split(D("12"), w, 2, out);
	is_str(F(out[0], 9), "3.000000000", "6 of 24 hours");
	is_str(F(out[1], 9), "9.000000000", "18 of 24 hours");
}

static void
test_shares(void)
{
	struct bf_shares s = BF_SHARES_INIT;
	struct bf_row r;
	struct bf_err e;

	memset(&r, 0, sizeof(r));
	r.v[BF_U_TENANT] = "acme";
	r.v[BF_U_COST] = "0.670000000";
	r.v[BF_U_QUANTITY] = "16.750000000";
	ok(bf_report_shares(&r, &s, &e) == 0 && s.n == 1, "no allocations: "
	    "one share");
	is_str(s.v[0].tenant, "acme", "the row's tenant");
	ok(s.v[0].cost_center == NULL, "no cost centre");
	r.v[BF_U_TENANT] = "";
	r.v[BF_U_ALLOCATIONS] = "[{\"tenant\":\"globex\",\"cost_center\":"
	    "\"cc-7\",\"from\":\"2026-01-01T00:00:00Z\",\"to\":"
	    "\"2026-01-01T12:00:00Z\",\"cost\":\"0.335000000\"},{\"tenant\":"
	    "\"initech\",\"from\":\"2026-01-01T12:00:00Z\",\"to\":"
	    "\"2026-01-02T00:00:00Z\",\"cost\":\"0.335000000\"}]";
	ok(bf_report_shares(&r, &s, &e) == 0 && s.n == 2 &&
	    s.warning == NULL, "two owners");
	is_str(s.v[0].tenant, "globex", "first owner");
	is_str(s.v[0].cost_center, "cc-7", "its cost centre");
	is_str(s.v[1].tenant, "initech", "second owner");
	ok(s.v[1].cost_center == NULL, "second has no cost centre");
	is_str(F(s.v[0].quantity, 9), "8.375000000", "quantity by seconds");
	is_str(F(s.v[1].cost, 9), "0.335000000", "cost as allocated");
	r.v[BF_U_TENANT] = "c";
	r.v[BF_U_ALLOCATIONS] = "[{\"tenant\":\"a\",\"cost\":0.5}]";
	ok(bf_report_shares(&r, &s, &e) == 0 && s.n == 2 &&
	    s.warning != NULL, "allocations short of the cost: warned");
	is_str(s.v[1].tenant, "c", "the rest to the row's tenant");
	is_str(F(s.v[1].cost, 9), "0.170000000", "the rest");
	is_str(F(s.v[0].quantity, 9), "12.500000000", "quantity by cost");
	r.v[BF_U_ALLOCATIONS] = "[{\"cost\":\"1\"}]";
	ok(bf_report_shares(&r, &s, &e) == 0 && s.n == 1 &&
	    s.warning != NULL, "an allocation without a tenant: warned");
	is_str(s.v[0].tenant, "c", "the whole row to its tenant");
	r.v[BF_U_ALLOCATIONS] = "{\"x\":1}";
	ok(bf_report_shares(&r, &s, &e) == 0 && s.n == 1 &&
	    s.warning != NULL, "allocations not an array: warned");
	r.v[BF_U_COST] = "abc";
	ok(bf_report_shares(&r, &s, &e) == -1, "a cost that is no decimal");
	bf_shares_free(&s);
}

static void
test_keymap(void)
{
	struct bf_keymap m = BF_KEYMAP_INIT;
	char k[32];
	int i, added, bad = 0;

	for (i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "key%d", i);
		if (bf_keymap_put(&m, k, strlen(k), &added) != (size_t)i ||
		    !added)
			bad++;
	}
	for (i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "key%d", i);
		if (bf_keymap_get(&m, k, strlen(k)) != i ||
		    bf_keymap_put(&m, k, strlen(k), &added) != (size_t)i ||
		    added)
			bad++;
	}
	is_int(bad, 0, "5000 keys: dense indexes, found again");
	ok(bf_keymap_get(&m, "a\0b", 3) == -1, "absent key");
	bf_keymap_put(&m, "a\0b", 3, NULL);
	ok(bf_keymap_get(&m, "a\0b", 3) == 5000 &&
	    bf_keymap_get(&m, "a", 1) == -1, "keys with NUL bytes");
	bf_keymap_free(&m);
	{
		/* put in this order; bytewise order is "", "a", "a\0b",
		 * "ab", "b", "\xff" */
		static const struct {
			const char *k;
			size_t n;
		} keys[] = { { "b", 1 }, { "a\0b", 3 }, { "\xff", 1 },
			{ "", 0 }, { "ab", 2 }, { "a", 1 } };
		static const size_t want[] = { 3, 5, 1, 4, 0, 2 };
		size_t *o, j;

		for (j = 0; j < 6; j++)
			bf_keymap_put(&m, keys[j].k, keys[j].n, NULL);
		o = bf_keymap_sorted(&m);
		for (j = 0, bad = 0; j < 6; j++)
			bad += o[j] != want[j];
		is_int(bad, 0, "bf_keymap_sorted: bytewise, prefixes first");
		ok(bf_keymap_entcmp(&m.v[1], &m.v[4]) < 0 &&
		    bf_keymap_entcmp(&m.v[4], &m.v[1]) > 0 &&
		    bf_keymap_entcmp(&m.v[2], &m.v[2]) == 0,
		    "bf_keymap_entcmp");
		free(o);
		bf_keymap_free(&m);
		o = bf_keymap_sorted(&m);
		ok(o != NULL, "bf_keymap_sorted of an empty map");
		free(o);
	}
}

int
main(void)
{
	test_cents();
	test_split();
	test_shares();
	test_keymap();
	return done_testing();
}
