/*
 * test-recspan.c: unit tests for the span hook of the file source's
 * parser (bf_recopts.span, records.h): for each record, its key as it
 * routes and the exact bytes of its NDJSON line or CSV row (line end
 * included), CSV's header row once with key NULL, no call for lines that
 * give no record, rows not ended by a line feed reported without bytes,
 * and CloudWatch records not reported. The expected spans are written out
 * by hand below, as offsets into the data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fetch.h"
#include "records.h"
#include "tap.h"

static struct bf_fetch_opts opts;
static struct bf_source src;

/* The calls of one parse, as text: "KEY|BYTES" per record ("-" for a NULL
 * key, "(null)" for NULL bytes), each call on a line of its own. */
static struct bf_buf got;

static void
record(void *arg, const char *key, size_t keyn, const char *p, size_t n)
{
	(void)arg;
	if (key == NULL)
		bf_buf_puts(&got, "-");
	else
		bf_buf_add(&got, key, keyn);
	bf_buf_putc(&got, '|');
	if (p == NULL)
		bf_buf_puts(&got, "(null)");
	else
		bf_buf_add(&got, p, n);
	bf_buf_puts(&got, "\n");
}

/* Parses data in format fmt with the hook: 0 or -1; *nrec the records. */
static int
parse(const char *data, int fmt, size_t *nrec)
{
	struct bf_recopts ro;
	struct bf_recs rs;
	struct bf_err e;
	char *next = NULL;
	int rc;

	memset(&ro, 0, sizeof(ro));
	memset(&rs, 0, sizeof(rs));
	ro.instance = opts.instance;
	ro.use_label = 1;
	ro.borrow = 1;
	ro.span = record;
	bf_buf_reset(&got);
	rc = bf_records_parse(&src, &ro, "t", data, strlen(data), fmt, &rs,
	    &next, &e);
	*nrec = rs.n;
	free(next);
	bf_recs_free(&rs);
	return rc;
}

static void
test_ndjson(void)
{
	/* A leading blank and a CR LF line, a blank line, a window line, a
	 * partition that routes by its C string, a last line without a
	 * line feed. */
	static const char data[] =
	    "  {\"ts\":1,\"instance_id\":\"a\"}\r\n"
	    "\n"
	    "{\"type\":\"window\",\"ts\":\"x\"}\n"
	    "{\"ts\":2,\"instance_id\":\"i\",\"partition\":\"p\\u0000q\"}\n"
	    "{\"ts\":3,\"instance_id\":\"b/c\"}";
	size_t n;

	ok(parse(data, BF_FMT_AUTO, &n) == 0 && n == 3, "ndjson: parsed");
	is_str(bf_buf_str(&got),
	    "a|  {\"ts\":1,\"instance_id\":\"a\"}\r\n\n"
	    "p|{\"ts\":2,\"instance_id\":\"i\",\"partition\":\"p\\u0000q\"}\n\n"
	    "b/c|{\"ts\":3,\"instance_id\":\"b/c\"}\n",
	    "ndjson: one call per record, its whole line, in input order");
}

static void
test_csv(void)
{
	/* A CR LF header, a quoted field over two lines, a blank line, a
	 * last row without a line feed. */
	static const char data[] =
	    "ts,instance_id,metric,value,unit\r\n"
	    "1,a,cpu,1,Percent\n"
	    "2,\"b\nc\",cpu,2,Percent\n"
	    "\n"
	    "3,a,cpu,3,Percent";
	static const char bare[] =
	    "ts,instance_id,metric,value,unit\n"
	    "1,a,cpu,1,Percent\r2,b,cpu,2,Percent\n";
	size_t n;

	ok(parse(data, BF_FMT_AUTO, &n) == 0 && n == 3, "csv: parsed");
	is_str(bf_buf_str(&got),
	    "-|ts,instance_id,metric,value,unit\r\n\n"
	    "a|1,a,cpu,1,Percent\n\n"
	    "b\nc|2,\"b\nc\",cpu,2,Percent\n\n"
	    "a|\n3,a,cpu,3,Percent\n",
	    "csv: the header with no key, then each row whole (a blank line "
	    "before one goes with it)");
	ok(parse(bare, BF_FMT_CSV, &n) == 0 && n == 2, "csv, bare CR: parsed");
	is_str(strstr(bf_buf_str(&got), "b|"), "b|(null)\n",
	    "csv: a row that a line feed does not end has no bytes");
}

static void
test_cloudwatch(void)
{
	static const char data[] =
	    "{\"Label\":\"CPUUtilization\",\"Datapoints\":[{\"Timestamp\":"
	    "\"2026-01-01T00:00:00Z\",\"Average\":1.5,\"Unit\":\"Percent\"}]}";
	size_t n;

	opts.instance = "db-1";
	opts.statistic = "Average";
	ok(parse(data, BF_FMT_AUTO, &n) == 0 && n == 1, "cw-stats: parsed");
	is_str(bf_buf_str(&got), "", "cw-stats: no call");
	opts.instance = NULL;
}

int
main(void)
{
	bf_fetch_opts_init(&opts);
	opts.kind = BF_SRC_FILE;
	memset(&src, 0, sizeof(src));
	src.ops = &bf_source_file;
	src.o = &opts;
	test_ndjson();
	test_csv();
	test_cloudwatch();
	bf_buf_free(&got);
	return done_testing();
}
