/*
 * test-window.c: unit tests for window.c (grid, plan iterator, checkpoint
 * checks, skipping, shards, partition lists).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "err.h"
#include "keymap.h"
#include "tap.h"
#include "timeutil.h"
#include "warehouse.h"
#include "window.h"

static bf_time
T(const char *s)
{
	bf_time t = 0;

	if (bf_time_parse(s, strlen(s), &t, NULL) == -1) {
		fprintf(stderr, "bad test time %s\n", s);
		exit(2);
	}
	return t;
}

static const char *
F(bf_time t)
{
	static char buf[8][BF_TIME_LEN];
	static int k;

	k = (k + 1) % 8;
	bf_time_format(t, buf[k]);
	return buf[k];
}

/* The windows of a plan as "start/end start/end ...". */
static const char *
windows(const struct bf_plan *p)
{
	static char out[4096];
	struct bf_plan_iter it;
	bf_time s, e;
	size_t n = 0;

	out[0] = '\0';
	bf_plan_iter_init(&it, p);
	while (bf_plan_iter_next(&it, &s, &e) && n < sizeof(out) - 64)
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s/%s",
		    n ? " " : "", F(s), F(e));
	return out;
}

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Every window of random plans: non-empty, contiguous from from to to,
 * inside one cell and one billing cycle, and equal to its piece cut by
 * [from, to). */
static void
test_properties(void)
{
	static const int64_t sizes[] = { 1, 60, 900, 3600, 7200, 86400,
		172800, 259200, 604800, 2592000, 31536000 };
	int bad = 0, k;
	long total = 0;

	for (k = 0; k < 2000 && !bad; k++) {
		struct bf_plan p;
		struct bf_err e;
		struct bf_plan_iter it;
		int64_t size = sizes[rnd() % (sizeof(sizes) / sizeof(*sizes))];
		bf_time from = T("2023-06-01T00:00:00Z") +
		    (bf_time)(rnd() % (3 * 366 * 86400));
		bf_time to = from + 1 + (bf_time)(rnd() % (120 * 86400));
		bf_time align = (bf_time)(rnd() % 4000000000ULL);
		int bd = 1 + (int)(rnd() % 28), useal = (int)(rnd() % 2);
		bf_time s, en, prev;

		if (size < 3600)
			to = from + 1 + (bf_time)(rnd() % (2 * 86400));
		if (bf_plan_init(&p, from, to, size, useal ? &align : NULL, bd,
		    &e) == -1) {
			bad = 1;
			break;
		}
		prev = from;
		bf_plan_iter_init(&it, &p);
		while (bf_plan_iter_next(&it, &s, &en)) {
			bf_time ps, pe, cell;

			total++;
			cell = s - ((s - p.grid.phase) % size + size) % size;
			bf_grid_piece(&p.grid, s, &ps, &pe);
			if (s != prev || en <= s || en > to ||
			    en > cell + size ||
			    bf_billing_start(s, bd) !=
			    bf_billing_start(en - 1, bd) ||
			    (s != from && s != ps) ||
			    (en != to && en != pe)) {
				bad = 1;
				fprintf(stderr, "# bad window %s %s in plan "
				    "%s..%s %s\n", F(s), F(en), F(from), F(to),
				    p.name);
				break;
			}
			prev = en;
		}
		if (!bad && prev != to) {
			bad = 1;
			fprintf(stderr, "# plan %s..%s ends at %s\n", F(from),
			    F(to), F(prev));
		}
	}
	ok(!bad, "2000 random plans: %ld windows contiguous, covering, "
	    "inside one cell and one billing cycle", total);
}

static void
test_plans(void)
{
	struct bf_plan p;
	struct bf_err e;
	struct bf_grid g;
	char name[BF_GRID_LEN];
	bf_time al;

	ok(bf_plan_init(&p, T("2026-01-01"), T("2026-01-04"), 86400, NULL, 1,
	    &e) == 0, "24h plan");
	is_str(p.name, "size=86400 phase=0 billing_day=1", "24h grid name");
	is_str(windows(&p), "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z "
	    "2026-01-02T00:00:00Z/2026-01-03T00:00:00Z "
	    "2026-01-03T00:00:00Z/2026-01-04T00:00:00Z", "24h windows");
	is_int(bf_plan_count(&p), 3, "three windows");

	ok(bf_plan_init(&p, T("2024-01-28"), T("2024-02-04"), 259200, NULL,
	    1, &e) == 0, "72h plan over Feb 1, 2024");
	is_str(windows(&p), "2024-01-28T00:00:00Z/2024-01-31T00:00:00Z "
	    "2024-01-31T00:00:00Z/2024-02-01T00:00:00Z "
	    "2024-02-01T00:00:00Z/2024-02-03T00:00:00Z "
	    "2024-02-03T00:00:00Z/2024-02-04T00:00:00Z",
	    "72h windows split at 2024-02-01, back on the grid after");

	ok(bf_plan_init(&p, T("2024-02-27"), T("2024-03-03"), 259200, NULL,
	    1, &e) == 0, "72h plan over Feb 29, 2024");
	is_str(windows(&p), "2024-02-27T00:00:00Z/2024-03-01T00:00:00Z "
	    "2024-03-01T00:00:00Z/2024-03-03T00:00:00Z",
	    "leap year: Feb 29 stays in February's cycle");

	ok(bf_plan_init(&p, T("2026-02-14T06:00:00Z"), T("2026-02-16T12:00:00Z"),
	    86400, NULL, 15, &e) == 0, "billing day 15");
	is_str(windows(&p), "2026-02-14T06:00:00Z/2026-02-15T00:00:00Z "
	    "2026-02-15T00:00:00Z/2026-02-16T00:00:00Z "
	    "2026-02-16T00:00:00Z/2026-02-16T12:00:00Z",
	    "--from and --to cut the first and last windows");

	al = T("2026-01-01T06:00:00Z");
	ok(bf_plan_init(&p, T("2026-01-01"), T("2026-01-02"), 43200, &al, 1,
	    &e) == 0, "--align");
	is_str(p.name, "size=43200 phase=21600 billing_day=1",
	    "phase is align mod size");
	is_str(windows(&p), "2026-01-01T00:00:00Z/2026-01-01T06:00:00Z "
	    "2026-01-01T06:00:00Z/2026-01-01T18:00:00Z "
	    "2026-01-01T18:00:00Z/2026-01-02T00:00:00Z", "aligned windows");

	al = -1;
	ok(bf_grid_init(&g, 7, al, 28, &e) == 0 && g.phase == 6,
	    "phase of a negative instant is the mathematical modulo");

	ok(bf_plan_init(&p, T("2026-01-02"), T("2026-01-02"), 86400, NULL, 1,
	    &e) == -1 && e.code == BF_EXIT_USAGE, "from == to refused");
	ok(bf_plan_init(&p, T("2026-01-02"), T("2026-01-01"), 86400, NULL, 1,
	    &e) == -1, "from > to refused");
	ok(bf_plan_init(&p, T("2026-01-01"), T("2026-01-02"), 0, NULL, 1,
	    &e) == -1, "size 0 refused");
	ok(bf_plan_init(&p, T("2026-01-01"), T("2026-01-02"),
	    BF_GRID_SIZE_MAX + 1, NULL, 1, &e) == -1, "huge size refused");
	ok(bf_plan_init(&p, T("2026-01-01"), T("2026-01-02"), 60, NULL, 0,
	    &e) == -1, "billing day 0 refused");
	ok(bf_plan_init(&p, T("2026-01-01"), T("2026-01-02"), 60, NULL, 29,
	    &e) == -1, "billing day 29 refused");

	ok(bf_grid_parse("size=86400 phase=0 billing_day=1", &g) == 0 &&
	    g.size == 86400 && g.phase == 0 && g.billing_day == 1,
	    "grid name parses");
	bf_grid_format(&g, name);
	is_str(name, "size=86400 phase=0 billing_day=1", "and formats back");
	ok(bf_grid_parse("size=86400 phase=86400 billing_day=1", &g) == -1,
	    "phase >= size refused");
	ok(bf_grid_parse("size=86400 phase=0 billing_day=29", &g) == -1,
	    "billing day 29 in a grid refused");
	ok(bf_grid_parse("size=086400 phase=0 billing_day=1", &g) == -1,
	    "leading zero refused");
	ok(bf_grid_parse("size=86400 phase=0 billing_day=1 ", &g) == -1,
	    "trailing bytes refused");
	ok(bf_grid_parse("size=0 phase=0 billing_day=1", &g) == -1,
	    "size 0 refused");
}

static void
mkckpt(struct bf_ckpt *c, const char *grid)
{
	bf_ckpt_init(c, "db-1");
	c->grid = grid ? strdup(grid) : NULL;
}

static void
test_check(void)
{
	struct bf_plan p, p72;
	struct bf_ckpt c;
	struct bf_err e;
	struct bf_plan_skip sk;
	struct bf_plan_iter it;
	bf_time s, en;
	int emitted;

	bf_plan_init(&p, T("2026-01-01"), T("2026-01-10"), 86400, NULL, 1,
	    &e);
	bf_plan_init(&p72, T("2026-01-01"), T("2026-01-10"), 259200, NULL, 1,
	    &e);

	mkckpt(&c, NULL);
	ok(bf_plan_check(&p, &c, 0, &e) == 0, "empty checkpoint: ok");
	bf_ckpt_add(&c, T("2026-01-02"), T("2026-01-03"));
	ok(bf_plan_check(&p, &c, 0, &e) == -1 &&
	    strstr(e.msg, "has no grid") != NULL,
	    "committed ranges without a grid: refused: %s", e.msg);
	bf_ckpt_free(&c);

	mkckpt(&c, p.name);
	bf_ckpt_add(&c, T("2026-01-01"), T("2026-01-04"));
	bf_ckpt_add(&c, T("2026-01-06"), T("2026-01-07"));
	ok(bf_plan_check(&p, &c, 0, &e) == 0, "same grid: ok");
	ok(bf_plan_check(&p, &c, 1, &e) == 0, "same grid, force: ok");
	bf_plan_skip_init(&sk, &p, &c, 0);
	emitted = 0;
	bf_plan_iter_init(&it, &p);
	while (bf_plan_iter_next(&it, &s, &en))
		emitted += !bf_plan_skip(&sk, s, en);
	is_int(emitted, 5, "committed windows skipped: 9 - 4 = 5 emitted");
	bf_plan_skip_init(&sk, &p, &c, 1);
	emitted = 0;
	bf_plan_iter_init(&it, &p);
	while (bf_plan_iter_next(&it, &s, &en))
		emitted += !bf_plan_skip(&sk, s, en);
	is_int(emitted, 9, "force: nothing skipped");

	ok(bf_plan_check(&p72, &c, 0, &e) == -1 && e.code == BF_EXIT_USAGE,
	    "other grid overlapping: refused");
	ok(strstr(e.msg, "partition 'db-1'") != NULL &&
	    strstr(e.msg, "[2026-01-01T00:00:00Z, 2026-01-04T00:00:00Z)") !=
	    NULL, "message names the partition and the range: %s", e.msg);
	bf_plan_init(&p72, T("2026-01-07"), T("2026-01-20"), 259200, NULL, 1,
	    &e);
	ok(bf_plan_check(&p72, &c, 0, &e) == 0,
	    "other grid, no overlap: ok");
	bf_plan_skip_init(&sk, &p72, &c, 0);
	ok(!bf_plan_skip(&sk, T("2026-01-07"), T("2026-01-10")),
	    "other grid: nothing skipped");
	bf_ckpt_free(&c);

	/* --to cut a window in an earlier run: [Jan 3, Jan 3 12:00). */
	mkckpt(&c, p.name);
	bf_ckpt_add(&c, T("2026-01-01"), T("2026-01-03T12:00:00Z"));
	ok(bf_plan_check(&p, &c, 0, &e) == -1, "partial overlap refused");
	ok(strstr(e.msg, "window [2026-01-03T00:00:00Z, "
	    "2026-01-04T00:00:00Z)") != NULL && strstr(e.msg,
	    "--from 2026-01-03T12:00:00Z") != NULL,
	    "message names the window and the way out: %s", e.msg);
	bf_plan_init(&p, T("2026-01-03T12:00:00Z"), T("2026-01-10"), 86400,
	    NULL, 1, &e);
	ok(bf_plan_check(&p, &c, 0, &e) == 0, "planning from its end: ok");
	is_str(p.name, "size=86400 phase=0 billing_day=1", "same grid");
	bf_ckpt_free(&c);

	/* A committed range starting inside a planned window. */
	bf_plan_init(&p, T("2026-01-01"), T("2026-01-10"), 86400, NULL, 1,
	    &e);
	mkckpt(&c, p.name);
	bf_ckpt_add(&c, T("2026-01-05T06:00:00Z"), T("2026-01-08"));
	ok(bf_plan_check(&p, &c, 0, &e) == -1 &&
	    strstr(e.msg, "--to 2026-01-05T06:00:00Z") != NULL,
	    "range starting inside a window refused: %s", e.msg);
	bf_ckpt_free(&c);

	/* --force with --from inside a committed window. */
	mkckpt(&c, p.name);
	bf_ckpt_add(&c, T("2026-01-01"), T("2026-01-05"));
	bf_plan_init(&p, T("2026-01-02T12:00:00Z"), T("2026-01-08"), 86400,
	    NULL, 1, &e);
	ok(bf_plan_check(&p, &c, 0, &e) == 0,
	    "from inside a committed window: skipped, ok");
	ok(bf_plan_check(&p, &c, 1, &e) == -1 &&
	    strstr(e.msg, "cut through the committed window "
	    "[2026-01-02T00:00:00Z, 2026-01-03T00:00:00Z)") != NULL,
	    "with --force refused: %s", e.msg);
	bf_plan_init(&p, T("2026-01-02"), T("2026-01-03T06:00:00Z"), 86400,
	    NULL, 1, &e);
	ok(bf_plan_check(&p, &c, 1, &e) == -1 &&
	    strstr(e.msg, "--force needs --to 2026-01-04T00:00:00Z") != NULL,
	    "--to inside a committed window with --force refused: %s",
	    e.msg);
	bf_ckpt_free(&c);
}

static void
test_shards(void)
{
	struct bf_shard sh;
	struct bf_err e;
	static const char *bad[] = { "3/3", "-1/2", "1/0", "0/0", "1", "/2",
		"1/", "a/b", "1/2x", " 1/2", "+1/2", "1/2147483649",
		"99999999999999999999/2", "" };
	size_t k;
	char name[16];
	int counts[3] = { 0, 0, 0 };

	ok(bf_shard_parse("0/1", &sh, &e) == 0 && sh.i == 0 && sh.n == 1,
	    "0/1");
	ok(bf_shard_parse("2/3", &sh, &e) == 0 && sh.i == 2 && sh.n == 3,
	    "2/3");
	for (k = 0; k < sizeof(bad) / sizeof(*bad); k++)
		ok(bf_shard_parse(bad[k], &sh, &e) == -1 &&
		    e.code == BF_EXIT_USAGE, "shard '%s' refused", bad[k]);
	/* FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c. */
	is_int(bf_shard_of("a", 1, 1000), 0xaf63dc4c8601ec8cULL % 1000,
	    "shard of 'a' mod 1000");
	for (k = 0; k < 3000; k++) {
		snprintf(name, sizeof(name), "db-%zu", k);
		counts[bf_shard_of(name, strlen(name), 3)]++;
	}
	ok(counts[0] > 900 && counts[1] > 900 && counts[2] > 900,
	    "3000 names spread over 3 shards: %d %d %d", counts[0],
	    counts[1], counts[2]);
	sh.n = 0;
	ok(bf_shard_has(&sh, "x", 1), "no selection holds everything");
}

static void
test_partlist(void)
{
	struct bf_partlist l = BF_PARTLIST_INIT;
	struct bf_err e;
	char path[] = "/tmp/bf-test-window-XXXXXX", name[16];
	FILE *fp;
	int fd, k, okall = 1;

	ok(bf_partlist_add(&l, "db-1", 4, NULL, 0, &e) == 0, "add db-1");
	ok(bf_partlist_add(&l, "db-1", 4, NULL, 0, &e) == -1 &&
	    strcmp(e.msg, "duplicate partition 'db-1'") == 0,
	    "duplicate refused: %s", e.msg);
	ok(bf_partlist_add(&l, "", 0, "f", 3, &e) == -1 &&
	    strcmp(e.msg, "f:3: empty partition name ''") == 0,
	    "empty name refused: %s", e.msg);
	ok(bf_partlist_add(&l, "a\0b", 3, NULL, 0, &e) == -1,
	    "NUL byte refused");
	ok(bf_partlist_add(&l, "\xc3\x28", 2, NULL, 0, &e) == -1 &&
	    strstr(e.msg, "\\xC3(") != NULL,
	    "invalid UTF-8 refused, escaped in the message: %s", e.msg);
	ok(bf_partlist_add(&l, "\xed\xa0\x80", 3, NULL, 0, &e) == -1,
	    "UTF-8 surrogate refused");
	ok(bf_partlist_add(&l, "\xe0\x80\xaf", 3, NULL, 0, &e) == -1,
	    "overlong UTF-8 refused");
	ok(bf_partlist_add(&l, "caf\xc3\xa9 \"q\" \\ \n", 13, NULL, 0, &e) ==
	    0, "UTF-8, quotes, backslash and newline accepted");
	for (k = 0; k < 5000; k++) {
		snprintf(name, sizeof(name), "p%d", k);
		okall &= bf_partlist_add(&l, name, strlen(name), NULL, 0,
		    &e) == 0;
	}
	ok(okall && l.n == 5002, "5000 more names");
	ok(bf_partlist_has(&l, "p4999", 5) && !bf_partlist_has(&l, "p5000", 5),
	    "lookups after growing");
	bf_partlist_free(&l);

	fd = mkstemp(path);
	fp = fdopen(fd, "w");
	fputs("# instances\n\n  db-1  \r\n\tdb-2\n   # indented comment\n"
	    "db#3\n   \n", fp);
	fclose(fp);
	ok(bf_partlist_read(&l, path, &e) == 0 && l.n == 3,
	    "list file read: %zu names", l.n);
	ok(l.n == 3 && strcmp(l.v[0].name, "db-1") == 0 &&
	    strcmp(l.v[1].name, "db-2") == 0 &&
	    strcmp(l.v[2].name, "db#3") == 0,
	    "trimmed, comments and blank lines ignored, order kept");
	bf_partlist_free(&l);

	fp = fopen(path, "w");
	fputs("db-1\ndb-2\n\n db-1\n", fp);
	fclose(fp);
	ok(bf_partlist_read(&l, path, &e) == -1 && e.code == BF_EXIT_USAGE &&
	    strstr(e.msg, ":4: duplicate partition 'db-1'") != NULL,
	    "duplicate in a file refused with its line: %s", e.msg);
	bf_partlist_free(&l);
	unlink(path);
	ok(bf_partlist_read(&l, path, &e) == -1 && e.code == BF_EXIT_USAGE,
	    "missing file refused: %s", e.msg);
	bf_partlist_free(&l);
}

static void
test_settle(void)
{
	bf_time lim = bf_settle_limit(1000000, 3600);

	is_int(lim, 1000000 - 3600, "settle limit: now - settle");
	ok(bf_settled(1000000 - 3600, lim), "a window ending settle ago is "
	    "settled");
	ok(!bf_settled(1000000 - 3599, lim), "one second later it waits");
	is_int(bf_settle_limit(7, 0), 7, "settle 0: the limit is now");
	ok(bf_settle_limit(INT64_MIN + 5, 3600) == INT64_MIN,
	    "a limit below the earliest time is the earliest time");
	ok(!bf_settled(INT64_MIN + 1, bf_settle_limit(INT64_MIN + 5, 3600)),
	    "and nothing after it is settled");
}

static void
test_lines(void)
{
	struct bf_buf b = BF_BUF_INIT;

	bf_plan_put_window(&b, "\"db-1\"", 6, T("2026-01-01"),
	    T("2026-01-02"), "size=86400 phase=0 billing_day=1");
	is_str(b.s, "{\"type\":\"window\",\"partition\":\"db-1\","
	    "\"window_start\":\"2026-01-01T00:00:00Z\","
	    "\"window_end\":\"2026-01-02T00:00:00Z\","
	    "\"grid\":\"size=86400 phase=0 billing_day=1\"}\n", "window line");
	bf_buf_reset(&b);
	bf_plan_put_gap(&b, "\"db-1\"", 6, T("2026-01-01"), T("2026-01-02"));
	is_str(b.s, "{\"type\":\"gap\",\"partition\":\"db-1\","
	    "\"gap_start\":\"2026-01-01T00:00:00Z\","
	    "\"gap_end\":\"2026-01-02T00:00:00Z\"}\n", "gap line");
	bf_buf_reset(&b);
	bf_plan_put_name(&b, "a\nb\\c\x01\xc3\xa9", 8);
	is_str(b.s, "a\\nb\\\\c\\x01\xc3\xa9", "names escaped for messages");
	bf_buf_free(&b);
}

/* The ranges of c as "from/to from/to ...". */
static const char *
ranges(const struct bf_ckpt *c)
{
	static char buf[1024];
	size_t k, n = 0;

	buf[0] = '\0';
	for (k = 0; k < c->n; k++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s/%s",
		    k ? " " : "", F(c->r[k].from), F(c->r[k].to));
	return buf;
}

/* bf_plan_basis and bf_plan_missing: the checkpoint against the
 * warehouse's windows (bf-window --db). */
static void
test_warehouse_basis(void)
{
	struct bf_ckpt c, wh;
	struct bf_buf msg = BF_BUF_INIT;
	long n;

	/* The checkpoint: days 1-10 and 12-14 on a daily grid; the
	 * warehouse: days 1-5 (restored), 12-15 (one committed later). */
	bf_ckpt_init(&c, "db-1");
	c.grid = bf_xstrdup("size=86400 phase=0 billing_day=1");
	bf_ckpt_add(&c, T("2026-01-01"), T("2026-01-10"));
	bf_ckpt_add(&c, T("2026-01-12"), T("2026-01-14"));
	bf_ckpt_init(&wh, "db-1");
	bf_ckpt_add(&wh, T("2026-01-01"), T("2026-01-05"));
	bf_ckpt_add(&wh, T("2026-01-12"), T("2026-01-15"));
	n = bf_plan_missing(&c, &wh, &msg);
	ok(n == 5, "missing: 5 windows the checkpoint has and the warehouse "
	    "lacks (%ld)", n);
	is_str(bf_buf_str(&msg), "partition 'db-1': 5 windows the checkpoint "
	    "calls committed are not in the warehouse (restored or failed "
	    "over?): planned again: [2026-01-05T00:00:00Z, "
	    "2026-01-06T00:00:00Z), [2026-01-06T00:00:00Z, "
	    "2026-01-07T00:00:00Z), [2026-01-07T00:00:00Z, "
	    "2026-01-08T00:00:00Z) and 2 more", "missing: the message");
	bf_plan_basis(&c, &wh);
	is_str(ranges(&wh), "2026-01-01T00:00:00Z/2026-01-05T00:00:00Z "
	    "2026-01-12T00:00:00Z/2026-01-14T00:00:00Z",
	    "basis: the windows both have");
	bf_buf_reset(&msg);
	ok(bf_plan_missing(&c, &c, &msg) == 0 && msg.len == 0,
	    "missing: none against itself, no message");
	bf_ckpt_free(&wh);

	/* No checkpoint: the warehouse alone. */
	bf_ckpt_free(&c);
	bf_ckpt_init(&c, "db-1");
	bf_ckpt_init(&wh, "db-1");
	bf_ckpt_add(&wh, T("2026-01-01"), T("2026-01-05"));
	bf_plan_basis(&c, &wh);
	is_str(ranges(&wh), "2026-01-01T00:00:00Z/2026-01-05T00:00:00Z",
	    "basis: no checkpoint, the warehouse alone");
	bf_plan_basis(NULL, &wh);
	ok(wh.n == 1, "basis: NULL checkpoint, the warehouse alone");

	/* A checkpoint without a grid counts ranges; one window says "is". */
	bf_ckpt_add(&c, T("2026-01-05"), T("2026-01-08"));
	bf_buf_reset(&msg);
	ok(bf_plan_missing(&c, &wh, &msg) == 1, "missing: no grid, one range");
	is_str(bf_buf_str(&msg), "partition 'db-1': 1 window the checkpoint "
	    "calls committed is not in the warehouse (restored or failed "
	    "over?): planned again: [2026-01-05T00:00:00Z, "
	    "2026-01-08T00:00:00Z)", "missing: singular");
	bf_ckpt_free(&c);
	bf_ckpt_free(&wh);
	bf_buf_free(&msg);
}

/* bf_window_row_read: the partition and bounds of a windows row, bounds
 * that are no times refused, the order left to the caller. */
static void
test_window_row(void)
{
	struct bf_row r = { { NULL } };
	struct bf_window_row w;

	r.v[BF_W_PARTITION] = "db-1";
	r.v[BF_W_WINDOW_START] = "2026-01-01T00:00:00Z";
	r.v[BF_W_WINDOW_END] = "2026-01-01T06:00:00Z";
	ok(bf_window_row_read(&r, &w) == 0 && strcmp(w.partition, "db-1") ==
	    0 && w.from == 1767225600 && w.to == 1767225600 + 6 * 3600,
	    "window row: partition and bounds");
	r.v[BF_W_WINDOW_END] = "2025-12-31T00:00:00Z";
	ok(bf_window_row_read(&r, &w) == 0 && w.to == 1767225600 - 86400,
	    "window row: bounds out of order are read as they are");
	r.v[BF_W_WINDOW_END] = "tomorrow";
	ok(bf_window_row_read(&r, &w) == -1, "window row: a bad end refused");
	r.v[BF_W_WINDOW_END] = NULL;
	ok(bf_window_row_read(&r, &w) == -1, "window row: no end refused");
	r.v[BF_W_WINDOW_END] = "2026-01-02T00:00:00Z";
	r.v[BF_W_PARTITION] = NULL;
	ok(bf_window_row_read(&r, &w) == 0 && w.partition == NULL,
	    "window row: no partition read as NULL");
	r.v[BF_W_WINDOW_START] = NULL;
	ok(bf_window_row_read(&r, &w) == -1, "window row: no start refused");
}

/* bf_part_names: the names as keys 0 to n - 1 in order, a name given
 * twice refused. */
static void
test_part_names(void)
{
	static const char *const ok3[] = { "db-2", "db-1", "db-10" };
	static const char *const dup[] = { "db-1", "db-2", "db-1", "db-3" };
	struct bf_keymap m = BF_KEYMAP_INIT;
	struct bf_err e = { 0 };

	ok(bf_part_names(&m, ok3, 3, &e) == 0 && m.n == 3 &&
	    strcmp(m.v[0].key, "db-2") == 0 && strcmp(m.v[1].key, "db-1") ==
	    0 && strcmp(m.v[2].key, "db-10") == 0,
	    "part names: keys 0, 1, 2 in the order given");
	bf_keymap_free(&m);
	ok(bf_part_names(&m, dup, 4, &e) == -1 && e.code == BF_EXIT_USAGE &&
	    strcmp(e.msg, "partition 'db-1' named twice") == 0 && m.n == 2,
	    "part names: a name given twice refused: %s", e.msg);
	bf_keymap_free(&m);
	ok(bf_part_names(&m, dup, 0, &e) == 0 && m.n == 0,
	    "part names: none named");
	bf_keymap_free(&m);
}

int
main(void)
{
	test_plans();
	test_properties();
	test_check();
	test_shards();
	test_partlist();
	test_lines();
	test_settle();
	test_warehouse_basis();
	test_window_row();
	test_part_names();
	return done_testing();
}
