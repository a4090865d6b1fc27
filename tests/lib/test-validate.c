/* Unit tests for validate.c: pass-through, rejects, window accounting, DLQ
 * durability before the window line, stable ids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"
#include "dlq.h"
#include "tap.h"
#include "validate.h"

static const char contract_text[] =
    "{\"type\":\"object\",\"required\":[\"instance_id\"],"
    "\"properties\":{\"instance_id\":{\"type\":\"string\"}},"
    "\"x-bf-metrics\":{\"storage_bytes\":{\"unit\":\"Bytes\"},"
    "\"cpu\":{\"unit\":\"Percent\",\"minimum\":0,\"maximum\":100}}}";

#define WIN(p, d1, d2)                                                      \
	"\"partition\":\"" p "\",\"window_start\":\"2026-01-0" d1          \
	"T00:00:00Z\",\"window_end\":\"2026-01-0" d2 "T00:00:00Z\""
#define SAMPLE(p, d1, d2, rest)                                             \
	"{\"type\":\"sample\"," WIN(p, d1, d2) ",\"instance_id\":\"" p    \
	"\",\"metric\":" rest "}"
#define WINDOW(p, d1, d2) "{\"type\":\"window\"," WIN(p, d1, d2) "}"

static char dir[] = "/tmp/bf-test-validate.XXXXXX";
static char dlqpath[256];
static struct bf_contract *c;

struct run {
	struct bf_validator *v;
	struct bf_dlq *q;
	FILE *out;
	char *buf;
	size_t len;
	struct bf_err e;
};

static void
start(struct run *r, const char *rate, int plain)
{
	struct bf_validate_opts o;

	memset(r, 0, sizeof(*r));
	memset(&o, 0, sizeof(o));
	o.plain = plain;
	bf_dec_parse(rate, strlen(rate), &o.max_reject_rate);
	bf_time_parse("2026-02-01T00:00:00Z", 20, &o.now, NULL);
	unlink(dlqpath);
	r->q = bf_dlq_open(dlqpath, &r->e);
	r->out = open_memstream(&r->buf, &r->len);
	r->v = bf_validator_new(c, &o, r->out, r->q);
}

static int
feed(struct run *r, const char *line)
{
	static long n;

	return bf_validator_line(r->v, "in", ++n, line, strlen(line), NULL,
	    &r->e);
}

static void
finish(struct run *r)
{
	bf_validator_finish(r->v, &r->e);
	bf_dlq_close(r->q, &r->e);
	fclose(r->out);
	bf_validator_free(r->v);
}

/* The DLQ file as it is on disk now. */
static char *
slurp(const char *path)
{
	static char buf[65536];
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (fp) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

static int
count(const char *hay, const char *needle)
{
	int k = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		k++;
		hay += strlen(needle);
	}
	return k;
}

/* The "id" values of the DLQ, concatenated. */
static char *
ids(const char *text)
{
	static char out[4096];
	const char *p = text;

	out[0] = '\0';
	while ((p = strstr(p, "\"id\":\"")) != NULL) {
		p += 6;
		strncat(out, p, 32);
		strcat(out, " ");
	}
	return out;
}

static void
test_pass_and_count(void)
{
	struct run r;
	const char *good = SAMPLE("db-1", "1", "2", "\"storage_bytes\","
	    "\"ts\":\"2026-01-01T00:05:00Z\",\"value\":10,\"unit\":\"Bytes\"");
	const char *kb = SAMPLE("db-1", "1", "2", "\"storage_bytes\","
	    "\"ts\":\"2026-01-01T00:05:00Z\",\"value\":2,\"unit\":\"Kilobytes\"");
	const char *hot = SAMPLE("db-1", "1", "2", "\"cpu\","
	    "\"ts\":\"2026-01-01T00:05:00Z\",\"value\":101,\"unit\":\"Percent\"");
	const char *want;
	const struct bf_validate_stats *st;
	char *disk;

	start(&r, "0.5", 0);
	ok(feed(&r, good) == 0, "a good sample");
	ok(feed(&r, kb) == 0, "a sample in Kilobytes");
	ok(feed(&r, hot) == 0, "a sample out of bounds");
	ok(feed(&r, "   ") == 0, "an empty line");
	ok(feed(&r, "{\"type\":\"usage\",\"x\":1}") == 0, "a usage line");
	ok(feed(&r, "{\"type\":\"sample\",") == 0, "a truncated line");
	ok(feed(&r, WINDOW("db-1", "1", "2")) == 0, "the window line");
	disk = slurp(dlqpath);
	is_int(count(disk, "\"type\":\"reject\""), 2,
	    "both rejects are on disk once the window line is written");
	fflush(r.out);
	want = "{\"type\":\"window\"," WIN("db-1", "1", "2")
	    ",\"accepted\":2,\"rejected\":2,\"lookback_accepted\":0,"
	    "\"lookback_rejected\":0,\"status\":\"ok\"}\n";
	ok(r.len >= strlen(want) &&
	    strcmp(r.buf + r.len - strlen(want), want) == 0,
	    "the window line carries accepted 2, rejected 2 (one "
	    "unattributed), status ok at rate 0.5");
	ok(strncmp(r.buf, good, strlen(good)) == 0 &&
	    r.buf[strlen(good)] == '\n', "a valid sample: its own bytes");
	ok(strstr(r.buf, "\"value\":2048,\"unit\":\"Bytes\","
	    "\"source_value\":2,\"source_unit\":\"Kilobytes\"}\n") != NULL,
	    "a converted sample carries value, unit and the source ones");
	ok(strstr(r.buf, "{\"type\":\"usage\",\"x\":1}\n") != NULL,
	    "other types pass through");
	st = bf_validator_stats(r.v);
	is_int(st->lines, 7, "lines");
	is_int(st->empty, 1, "empty lines counted");
	is_int(st->accepted, 2, "accepted");
	is_int(st->converted, 1, "converted");
	is_int(st->rejected, 2, "rejected");
	is_int(st->unattributed, 1, "unattributed");
	is_int(st->windows, 1, "windows");
	is_int(st->failed, 0, "failed");
	ok(strstr(disk, "\"code\":\"out_of_range\"") != NULL &&
	    strstr(disk, "\"code\":\"truncated\"") != NULL,
	    "the DLQ holds both codes");
	finish(&r);
	free(r.buf);
}

/* Lookback samples: ts in [window_start - lookback, window_start), counted
 * apart and not in the reject rate, "lookback":true kept last. */
static void
test_lookback(void)
{
	struct run r;
	struct bf_validate_opts o;
	const char *lb = SAMPLE("db-1", "2", "3", "\"storage_bytes\","
	    "\"ts\":\"2026-01-01T23:00:00Z\",\"value\":1,\"unit\":\"Bytes\","
	    "\"lookback\":true");
	const char *lb_kb = SAMPLE("db-1", "2", "3", "\"storage_bytes\","
	    "\"ts\":\"2026-01-01T22:00:00Z\",\"value\":1,\"unit\":"
	    "\"Kilobytes\",\"lookback\":true");
	const char *lb_old = SAMPLE("db-1", "2", "3", "\"storage_bytes\","
	    "\"ts\":\"2026-01-01T21:59:59Z\",\"value\":1,\"unit\":\"Bytes\","
	    "\"lookback\":true");
	const char *lb_in = SAMPLE("db-1", "2", "3", "\"storage_bytes\","
	    "\"ts\":\"2026-01-02T00:00:00Z\",\"value\":1,\"unit\":\"Bytes\","
	    "\"lookback\":true");
	const char *lb_null = SAMPLE("db-1", "2", "3", "\"storage_bytes\","
	    "\"ts\":\"2026-01-02T00:00:00Z\",\"value\":1,\"unit\":\"Bytes\","
	    "\"lookback\":null");
	const char *in = SAMPLE("db-1", "2", "3", "\"storage_bytes\","
	    "\"ts\":\"2026-01-02T00:00:00Z\",\"value\":1,\"unit\":\"Bytes\"");
	const char *want;

	memset(&r, 0, sizeof(r));
	memset(&o, 0, sizeof(o));
	bf_dec_parse("0", 1, &o.max_reject_rate);
	bf_time_parse("2026-02-01T00:00:00Z", 20, &o.now, NULL);
	o.lookback = 7200;
	unlink(dlqpath);
	r.q = bf_dlq_open(dlqpath, &r.e);
	r.out = open_memstream(&r.buf, &r.len);
	r.v = bf_validator_new(c, &o, r.out, r.q);
	feed(&r, lb);
	feed(&r, lb_kb);
	feed(&r, lb_old);
	feed(&r, lb_in);
	feed(&r, in);
	feed(&r, WINDOW("db-1", "2", "3"));
	fflush(r.out);
	ok(strncmp(r.buf, lb, strlen(lb)) == 0 && r.buf[strlen(lb)] == '\n',
	    "a lookback sample 1 h before the window: its own bytes");
	ok(strstr(r.buf, "\"value\":1024,\"unit\":\"Bytes\",\"source_value\":1,"
	    "\"source_unit\":\"Kilobytes\",\"lookback\":true}\n") != NULL,
	    "a converted lookback sample at window_start - lookback keeps "
	    "lookback last");
	want = ",\"accepted\":1,\"rejected\":0,\"lookback_accepted\":2,"
	    "\"lookback_rejected\":2,\"status\":\"ok\"}\n";
	ok(r.len >= strlen(want) &&
	    strcmp(r.buf + r.len - strlen(want), want) == 0,
	    "window line: 1 accepted, 2 lookback accepted, 2 lookback "
	    "rejected, ok at rate 0");
	is_int(bf_validator_stats(r.v)->accepted, 1, "stats: accepted");
	is_int(bf_validator_stats(r.v)->lookback, 2, "stats: lookback");
	is_int(count(slurp(dlqpath), "bf:ts-in-lookback"), 2,
	    "too old and in the window: rule bf:ts-in-lookback");
	feed(&r, lb_null);
	feed(&r, WINDOW("db-1", "2", "3"));
	fflush(r.out);
	want = ",\"accepted\":0,\"rejected\":1,\"lookback_accepted\":0,"
	    "\"lookback_rejected\":0,\"status\":\"failed\"";
	ok(strstr(r.buf, want) != NULL,
	    "lookback null: an ordinary reject, in the reject rate");
	ok(strstr(slurp(dlqpath), "\"code\":\"not_allowed\",\"pointer\":"
	    "\"/lookback\"") != NULL, "lookback null: not_allowed at /lookback");
	finish(&r);
	free(r.buf);
}

static void
test_rate_and_interleave(void)
{
	struct run r;
	const char *a_ok = SAMPLE("a", "1", "2", "\"cpu\","
	    "\"ts\":\"2026-01-01T01:00:00Z\",\"value\":1,\"unit\":\"Percent\"");
	const char *a_bad = SAMPLE("a", "1", "2", "\"cpu\","
	    "\"ts\":\"2026-01-01T01:00:00Z\",\"value\":\"NaN\",\"unit\":"
	    "\"Percent\"");
	const char *b_bad = SAMPLE("b", "1", "2", "\"cpu\","
	    "\"ts\":\"2026-01-05T01:00:00Z\",\"value\":1,\"unit\":\"Percent\"");
	const char *b_ok = SAMPLE("b", "1", "2", "\"cpu\","
	    "\"ts\":\"2026-01-01T02:00:00Z\",\"value\":2,\"unit\":\"Percent\"");

	start(&r, "0.5", 0);
	feed(&r, a_ok);
	feed(&r, b_bad);
	feed(&r, a_bad);
	feed(&r, b_bad);
	feed(&r, a_bad);
	feed(&r, b_ok);
	feed(&r, WINDOW("b", "1", "2"));
	feed(&r, WINDOW("a", "1", "2"));
	feed(&r, "{\"type\":\"window\"," WIN("c", "1", "2")
	    ",\"status\":\"failed\",\"error\":{\"stage\":\"bf-fetch\","
	    "\"code\":\"x\",\"message\":\"m\"}}");
	fflush(r.out);
	ok(strstr(r.buf, WIN("b", "1", "2") ",\"accepted\":1,\"rejected\":2,"
	    "\"lookback_accepted\":0,\"lookback_rejected\":0,"
	    "\"status\":\"failed\",\"error\":{\"stage\":\"bf-validate\","
	    "\"code\":\"reject_rate\"") != NULL,
	    "window b: 2 of 3 rejected fails at 0.5");
	ok(strstr(r.buf, WIN("a", "1", "2") ",\"accepted\":1,\"rejected\":2,"
	    "\"lookback_accepted\":0,\"lookback_rejected\":0,"
	    "\"status\":\"failed\"") != NULL,
	    "window a: counted apart from b although interleaved");
	ok(strstr(r.buf, "\"stage\":\"bf-fetch\"") != NULL,
	    "an upstream failure stays (sticky)");
	is_int(bf_validator_stats(r.v)->failed, 3, "three failed windows");
	finish(&r);
	free(r.buf);

	{
		bf_dec half, zero = bf_dec_from_int(0), one = bf_dec_from_int(1);

		bf_dec_parse("0.5", 3, &half);
		ok(!bf_reject_rate_exceeded(1, 1, half), "1 of 2 is not above "
		    "0.5");
		ok(bf_reject_rate_exceeded(1, 2, half), "2 of 3 is above 0.5");
		ok(bf_reject_rate_exceeded(999999, 1, zero),
		    "any reject is above 0");
		ok(!bf_reject_rate_exceeded(0, 0, zero), "no samples: ok");
		ok(!bf_reject_rate_exceeded(0, 5, one), "rate 1 never fails");
	}
}

static void
test_stable_ids(void)
{
	struct run r;
	const char *bad1 = SAMPLE("a", "1", "2", "\"cpu\","
	    "\"ts\":\"2026-01-01T01:00:00Z\",\"value\":-1,\"unit\":\"Percent\"");
	const char *good = SAMPLE("a", "1", "2", "\"cpu\","
	    "\"ts\":\"2026-01-01T01:00:00Z\",\"value\":1,\"unit\":\"Percent\"");
	char first[4096];

	start(&r, "1", 0);
	feed(&r, good);
	feed(&r, bad1);
	feed(&r, bad1);
	feed(&r, WINDOW("a", "1", "2"));
	finish(&r);
	free(r.buf);
	snprintf(first, sizeof(first), "%s", ids(slurp(dlqpath)));
	ok(strlen(first) == 2 * 33, "two ids");
	ok(strncmp(first, first + 33, 32) != 0,
	    "the same bytes at another position: another id");

	/* The same window again after a crash, behind other lines (other
	 * line numbers): the same ids. */
	start(&r, "1", 0);
	feed(&r, WINDOW("z", "1", "2"));
	feed(&r, "{\"type\":\"usage\"}");
	feed(&r, good);
	feed(&r, bad1);
	feed(&r, bad1);
	feed(&r, WINDOW("a", "1", "2"));
	finish(&r);
	free(r.buf);
	is_str(ids(slurp(dlqpath)), first, "revalidated: the same ids");
}

static void
test_plain(void)
{
	struct bf_contract *pc;
	struct bf_err e;
	struct run r;
	static const char schema[] = "{\"type\":\"integer\"}";

	pc = bf_contract_parse(schema, strlen(schema), "p.json",
	    BF_CONTRACT_PLAIN, &e);
	ok(pc != NULL, "plain schema loads");
	if (pc == NULL)
		return;
	{
		struct bf_contract *save = c;

		c = pc;
		start(&r, "0.5", 1);
		c = save;
	}
	feed(&r, "1");
	feed(&r, "\"x\"");
	feed(&r, "[1]");
	feed(&r, "{\"type\":\"sample\"}");
	fflush(r.out);
	is_str(r.buf, "1\n", "plain: only the integer passes");
	bf_validator_finish(r.v, &r.e);
	is_int(bf_validator_stats(r.v)->failed, 1,
	    "plain: 3 of 4 rejected is above 0.5: the input fails");
	bf_dlq_close(r.q, &r.e);
	fclose(r.out);
	bf_validator_free(r.v);
	free(r.buf);
	bf_contract_free(pc);
}

/* The root fields are found by name whatever their order, escapes and
 * the values between them; names of the same length as a field's are
 * other names. */
static void
test_field_names(void)
{
	struct run r;
	const char *odd = "{\"metric\":\"cpu\",\"x\":{\"a\":[1,{\"b\":2}]},"
	    "\"value\":5,\"y\":[1,[2]],\"unit\":\"Percent\",\"ts\":"
	    "\"2026-01-01T01:00:00Z\",\"instance_id\":\"p\",\"window_end\":"
	    "\"2026-01-02T00:00:00Z\",\"window_start\":"
	    "\"2026-01-01T00:00:00Z\",\"partition\":\"p\",\"type\":\"sample\"}";
	const char *esc = "{\"\\u0074ype\":\"s\\u0061mple\","
	    "\"p\\u0061rtition\":\"p\",\"window_st\\u0061rt\":"
	    "\"2026-01-01T00:00:00Z\",\"window_\\u0065nd\":"
	    "\"2026-01-02T00:00:00Z\",\"\\u0074s\":"
	    "\"2026-01-01T02:00:00Z\",\"unit\":\"P\\u0065rcent\","
	    "\"val\\u0075e\":7,\"m\\u0065tric\":\"cpu\",\"instance_id\":\"p\"}";
	const char *unix_ = "{\"type\":\"sample\",\"partition\":\"p\","
	    "\"window_start\":\"2026-01-01T00:00:00Z\",\"window_end\":"
	    "\"2026-01-02T00:00:00Z\",\"instance_id\":\"p\",\"metric\":\"cpu\","
	    "\"value\":1,\"unix\":\"Percent\",\"tz\":\"2026-01-01T00:00:00Z\"}";
	const char *other = "{\"type\":\"samplf\",\"partition\":\"p\"}";
	const char *win = "{\"type\":\"\\u0077indow\",\"partition\":\"p\","
	    "\"window_start\":\"2026-01-01T00:00:00Z\",\"window_end\":"
	    "\"2026-01-02T00:00:00Z\"}";
	const struct bf_validate_stats *st;
	char *disk;

	start(&r, "1", 0);
	ok(feed(&r, odd) == 0, "fields in another order, nested values");
	ok(feed(&r, esc) == 0, "escaped names and values");
	ok(feed(&r, unix_) == 0, "'unix' is not 'unit'");
	ok(feed(&r, other) == 0, "type 'samplf'");
	ok(feed(&r, win) == 0, "type '\\u0077indow'");
	fflush(r.out);
	disk = slurp(dlqpath);
	st = bf_validator_stats(r.v);
	is_int(st->accepted, 2, "both samples accepted");
	is_int(st->rejected, 1, "one reject");
	is_int(st->passed, 1, "one line of another type");
	is_int(st->windows, 1, "the window line");
	ok(strstr(r.buf, odd) != NULL && strstr(r.buf, esc) != NULL,
	    "accepted samples pass as their own bytes");
	ok(strstr(r.buf, other) != NULL, "the other type passes");
	ok(strstr(r.buf, "\"accepted\":2,\"rejected\":1") != NULL,
	    "the window line counts them");
	ok(strstr(disk, "\"code\":\"missing_field\",\"pointer\":\"/unit\"") !=
	    NULL, "the reject names the missing 'unit'");
	finish(&r);
	free(r.buf);
}

static void
test_toolong(void)
{
	static const char whole[] = "{\"type\":\"sample\",\"pad\":\"xyz\"}";
	struct bf_spill sp;
	struct run r;
	FILE *sf = tmpfile();

	ok(sf != NULL && fwrite(whole, 1, strlen(whole), sf) == strlen(whole) &&
	    fflush(sf) == 0, "the spill written");
	sp.fd = fileno(sf);
	sp.len = (long long)strlen(whole);
	sp.err = 0;
	start(&r, "1", 0);
	ok(bf_validator_line(r.v, "in", 1, whole, 8, &sp, &r.e) == 0,
	    "a line longer than the maximum");
	finish(&r);
	free(r.buf);
	fclose(sf);
	ok(strstr(slurp(dlqpath), "\"code\":\"line_too_long\"") != NULL,
	    "line_too_long in the DLQ");
	ok(strstr(slurp(dlqpath), "\"raw\":\"{\\\"type\\\":\\\"sample\\\","
	    "\\\"pad\\\":\\\"xyz\\\"}\"") != NULL, "raw holds the whole line");
}

int
main(void)
{
	struct bf_err e;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dlqpath, sizeof(dlqpath), "%s/dlq.ndjson", dir);
	c = bf_contract_parse(contract_text, strlen(contract_text), "c.json",
	    0, &e);
	ok(c != NULL, "the contract loads");
	if (c == NULL)
		return done_testing();
	test_pass_and_count();
	test_rate_and_interleave();
	test_lookback();
	test_stable_ids();
	test_plain();
	test_toolong();
	test_field_names();
	bf_contract_free(c);
	unlink(dlqpath);
	rmdir(dir);
	return done_testing();
}
