/*
 * test-metrics.c: unit tests for metrics.c (the metrics map, templates,
 * PromQL string quoting) and for the sample-writing helpers of fetch.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "records.h"
#include "tap.h"

static char tmpdir[] = "/tmp/bf-test-metrics.XXXXXX";

static const char *
write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void
test_load(void)
{
	struct bf_metrics m;
	struct bf_err e;
	const struct bf_metric *r;
	const char *p;

	p = write_file("ok.csv", "metric,unit,query\n"
	    "storage_bytes,Bytes,\"max(pg_database_size_bytes{instance_id="
	    "${partition}}[${step}])\"\ncpu,Percent,cpu_q\n");
	ok(bf_metrics_load(p, 1, &m, &e) == 0, "load a map");
	is_int(m.n, 2, "two rows");
	is_str(m.m[0].metric, "storage_bytes", "first metric");
	is_str(m.m[1].unit, "Percent", "second unit");
	r = bf_metrics_by_query(&m, "cpu_q", 5);
	ok(r != NULL && strcmp(r->metric, "cpu") == 0, "lookup by query");
	ok(bf_metrics_by_query(&m, "cpu", 3) == NULL, "no partial match");
	bf_metrics_free(&m);

	p = write_file("hdr.csv", "name,unit,query\ncpu,Percent,x\n");
	ok(bf_metrics_load(p, 1, &m, &e) < 0 && e.code == BF_EXIT_USAGE,
	    "wrong header refused");
	p = write_file("dup.csv", "metric,unit,query\ncpu,P,a\ncpu,P,b\n");
	ok(bf_metrics_load(p, 1, &m, &e) < 0 && strstr(e.msg, ":3:") &&
	    strstr(e.msg, "duplicate metric 'cpu'"), "duplicate metric: %s",
	    e.msg);
	p = write_file("var.csv", "metric,unit,query\ncpu,P,\"x{a=${part}}\"\n");
	ok(bf_metrics_load(p, 1, &m, &e) < 0 &&
	    strstr(e.msg, "unknown variable '${part}'"), "unknown variable");
	ok(bf_metrics_load(p, 0, &m, &e) == 0, "not checked for non-PromQL");
	bf_metrics_free(&m);
	p = write_file("empty.csv", "metric,unit,query\ncpu,,x\n");
	ok(bf_metrics_load(p, 1, &m, &e) < 0 && strstr(e.msg, "empty unit"),
	    "empty unit refused");
	p = write_file("none.csv", "metric,unit,query\n");
	ok(bf_metrics_load(p, 1, &m, &e) < 0 && strstr(e.msg, "no metrics"),
	    "a map without rows refused");
}

static void
test_templates(void)
{
	struct bf_buf b = BF_BUF_INIT;
	struct bf_err e;
	static const char *const names[] = { "a", "b", NULL };
	struct bf_var v[2] = { { "a", "x y", 0 }, { "b", "q\"\\", 1 } };

	ok(bf_template_expand("${a}-${b}-$x-${a}", v, 2, &b, &e) == 0,
	    "expand");
	is_str(b.s, "x y-\"q\\\"\\\\\"-$x-x y", "values in place, $ kept");
	bf_buf_reset(&b);
	ok(bf_template_expand("${c}", v, 2, &b, &e) < 0 &&
	    strstr(e.msg, "'${c}'"), "unknown variable refused");
	ok(bf_template_expand("a${b", v, 2, &b, &e) < 0 &&
	    strstr(e.msg, "unterminated"), "unterminated refused");
	ok(bf_template_check("${a}${b}", names, &e) == 0, "check ok");
	ok(bf_template_check("${a}${z}", names, &e) < 0, "check unknown");
	bf_buf_reset(&b);
	bf_promql_quote(&b, "db-1\"} or vector(1) #\n\x01", 23);
	is_str(b.s, "\"db-1\\\"} or vector(1) #\\n\\x01\"",
	    "PromQL literal: quote, newline, control escaped");
	bf_buf_reset(&b);
	ok(bf_metrics_expand("m{i=${partition}}[${step}] @ ${window_end}",
	    "db-1", "5m", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", &b,
	    &e) == 0, "metrics expand");
	is_str(b.s, "m{i=\"db-1\"}[5m] @ 2026-01-02T00:00:00Z",
	    "partition quoted, others as they are");
	bf_buf_free(&b);
}

/* expand(tmpl, partition): the metrics-map expansion, or "ERR: msg". */
static const char *
expand(const char *tmpl, const char *partition)
{
	static struct bf_buf b = BF_BUF_INIT;
	static char msg[1100];
	struct bf_err e;

	bf_buf_reset(&b);
	if (tmpl == NULL) {
		bf_buf_free(&b);
		return NULL;
	}
	if (bf_metrics_expand(tmpl, partition, "1m", "2026-01-01T00:00:00Z",
	    "2026-01-02T00:00:00Z", &b, &e) < 0) {
		snprintf(msg, sizeof(msg), "ERR: %s", e.msg);
		return msg;
	}
	return bf_buf_str(&b);
}

static void
test_quoted(void)
{
	const char *r;

	is_str(expand("m{datname=\"${partition}\"}", "app"),
	    "m{datname=\"app\"}", "inside \"...\": the contents only");
	is_str(expand("m{datname=${partition}}", "app"),
	    "m{datname=\"app\"}", "bare: a literal, the same query");
	is_str(expand("m{datname='${partition}'}", "app"),
	    "m{datname='app'}", "inside '...': the contents only");
	is_str(expand("m{d=\"${partition}\"}", "a\"b\\c'd\n\x01"),
	    "m{d=\"a\\\"b\\\\c'd\\n\\x01\"}",
	    "inside \"...\": backslash, \" and control escaped, ' kept");
	is_str(expand("m{d='${partition}'}", "a\"b\\c'd\t"),
	    "m{d='a\"b\\\\c\\'d\\t'}",
	    "inside '...': backslash, ' and control escaped, \" kept");
	is_str(expand("m{d=\"x-${partition}-y\"}", "1"), "m{d=\"x-1-y\"}",
	    "inside a literal with text around it");
	is_str(expand("m{a=\"\\\"${partition}\", b=${partition}}", "p"),
	    "m{a=\"\\\"p\", b=\"p\"}",
	    "an escaped quote does not close the literal; after it, bare");
	is_str(expand("m{a=\"'\", b=${partition}}", "p"),
	    "m{a=\"'\", b=\"p\"}", "' inside \"...\" opens nothing");
	is_str(expand("m{a=`${partition}`}", "x\\y\"z"),
	    "m{a=`x\\y\"z`}", "inside `...`: as it is, no escapes there");
	r = expand("m{a=`${partition}`}", "x`y");
	ok(strncmp(r, "ERR: ${partition}: the value 'x`y' cannot be written "
	    "inside a `...` raw string", 74) == 0,
	    "inside `...`: a backquote refused: %s", r);
	r = expand("m{a=`${partition}`}", "x\ry");
	ok(strncmp(r, "ERR: ", 5) == 0, "inside `...`: a CR refused");
	is_str(expand("m{a=\"\\\\\"} # \"\n+ n{b=${partition}}", "p"),
	    "m{a=\"\\\\\"} # \"\n+ n{b=\"p\"}",
	    "a quote in a # comment opens nothing");
	is_str(expand("m{d=\"${partition}\"}[${step}]", "p"),
	    "m{d=\"p\"}[1m]", "other variables as they are");
	expand(NULL, NULL);
}

static void
diag_fail(const char *s)
{
	fprintf(stderr, "#   wrong for '%s'\n", s);
}

static void
test_values(void)
{
	static const char *const yes[] = { "0", "-0", "12", "1.5", "-1.25e+3",
		"1E9", "21474836480", "0.000001" };
	static const char *const no[] = { "", "-", "01", "1.", ".5", "1e",
		"NaN", "+Inf", "-Inf", "+1", "0x10", " 1", "1 ", "1e+" };
	size_t i;
	int all;

	for (i = 0, all = 1; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!bf_is_json_number(yes[i], strlen(yes[i])))
			all = 0, diag_fail(yes[i]);
	ok(all, "JSON numbers recognised");
	for (i = 0, all = 1; i < sizeof(no) / sizeof(no[0]); i++)
		if (bf_is_json_number(no[i], strlen(no[i])))
			all = 0, diag_fail(no[i]);
	ok(all, "non-numbers refused (they are written as strings)");
}

static void
test_tiers(void)
{
	bf_time now = 1800000000;

	is_int(bf_cw_period(now, now - 3600), 60, "an hour old: 60 s");
	is_int(bf_cw_period(now, now - 15 * 86400), 60, "15 days: 60 s");
	is_int(bf_cw_period(now, now - 15 * 86400 - 1), 300, "past 15: 300");
	is_int(bf_cw_period(now, now - 63 * 86400), 300, "63 days: 300 s");
	is_int(bf_cw_period(now, now - 63 * 86400 - 1), 3600, "past 63: 3600");
	is_int(bf_cw_period(now, now - 455 * 86400), 3600, "455 days: 3600");
	is_int(bf_cw_period(now, now - 455 * 86400 - 1), 0, "past 455: gone");
}

/* raw(q): the form bf_promql_raw_parse reads, as text: "grid", "sel
 * TEXT", or "sum by|without l1,l2 TEXT". */
static const char *
raw(const char *q)
{
	static char out[512];
	struct bf_promql_raw r;
	size_t i, n;

	switch (bf_promql_raw_parse(q, &r)) {
	case BF_PQ_SELECTOR:
		snprintf(out, sizeof(out), "sel %.*s", (int)r.seln, q + r.sel);
		break;
	case BF_PQ_SUM:
		n = (size_t)snprintf(out, sizeof(out), "sum %s ",
		    r.grouping == BF_PQ_BY ? "by" : "without");
		for (i = 0; i < r.nlabels; i++)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
			    i > 0 ? "," : "", r.labels[i]);
		snprintf(out + n, sizeof(out) - n, " %.*s", (int)r.seln,
		    q + r.sel);
		break;
	default:
		snprintf(out, sizeof(out), "grid");
	}
	bf_promql_raw_free(&r);
	return out;
}

static void
test_raw_forms(void)
{
	static const char *const cases[][2] = {
		{ "up", "sel up" },
		{ " pg_x{datname=\"a\"} ", "sel pg_x{datname=\"a\"}" },
		{ "{__name__=~'a.*', job!=\"x\",}", "sel {__name__=~'a.*', job!=\"x\",}" },
		{ "m{a=`}{`,b!~\"\\\"}\"}", "sel m{a=`}{`,b!~\"\\\"}\"}" },
		{ "ns:rule:sum{a=\"1\"}", "sel ns:rule:sum{a=\"1\"}" },
		{ "sum(m)", "sum by  m" },
		{ "SUM BY (a, b) (m{x=\"1\"})", "sum by a,b m{x=\"1\"}" },
		{ "sum without (datid) (pg{d=\"x\"})", "sum without datid pg{d=\"x\"}" },
		{ "sum(m{a=\"1\"}) by (a,)", "sum by a m{a=\"1\"}" },
		{ "sum (m) without ()", "sum without  m" },
		{ "sum # total\n(m)", "sum by  m" },
		{ "sum by (a) (m) by (a)", "grid" },
		{ "rate(m[5m])", "grid" },
		{ "m[5m]", "grid" },
		{ "m offset 5m", "grid" },
		{ "m @ 100", "grid" },
		{ "sum(rate(m[1m]))", "grid" },
		{ "sum((m))", "grid" },
		{ "m + 1", "grid" },
		{ "0 + m", "grid" },
		{ "-m", "grid" },
		{ "NaN", "grid" },
		{ "Inf", "grid" },
		{ "abs(m)", "grid" },
		{ "max by (a) (m)", "grid" },
		{ "sum by (\"a\") (m)", "grid" },
		{ "m{a=\"1\"", "grid" },
		{ "m{a=1}", "grid" },
		{ "m{a}", "grid" },
		{ "{}", "sel {}" },
		{ "", "grid" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(raw(cases[i][0]), cases[i][1], cases[i][0]);
}

int
main(void)
{
	char cmd[300];

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	test_load();
	test_templates();
	test_quoted();
	test_values();
	test_tiers();
	test_raw_forms();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", tmpdir);
	return done_testing();
}
