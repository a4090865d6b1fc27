/*
 * fuzz-stream: the stream rules of stream.h on any line: bf_line_type,
 * bf_window_from_json and bf_window_emit. Invariants:
 * - the line type is what the "type" member says;
 * - a window read from a line has a non-empty partition without NUL (the
 *   unescaped "partition" member), window_end after window_start, and
 *   canonical bounds that parse back to the same instants; a refused line
 *   leaves no partition and says why;
 * - bf_window_emit always writes one line that parses as an object, with
 *   the counts it was given (replacing members of the same name), status
 *   "ok" or "failed"; failed is sticky and keeps its error; a fresh failure
 *   carries an error object with the stage, code and message given, even
 *   when they need escaping.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "stream.h"
#include "timeutil.h"

#include "fuzz.h"

static const char *const counts_set[] = {
	NULL,
	"",
	"\"fetched\":12",
	"\"fetched\":12,\"rejected\":0,\"partition\":\"p\"",
};

/* 1 when the input holds a newline: a line from the reader never does;
 * members are copied with the spaces inside them, so one would pass. */
static int input_nl;

/* The parsed emitted line (without its newline) in *out. */
static void
parse_emitted(const struct bf_buf *b, struct bf_json *out)
{
	FUZZ_CHECK(b->len >= 3 && b->s[b->len - 1] == '\n');
	if (!input_nl)
		FUZZ_CHECK(memchr(b->s, '\n', b->len - 1) == NULL);
	FUZZ_CHECK(bf_json_parse(out, b->s, b->len - 1, BF_JSON_WANT_OBJECT,
	    NULL) == BF_JSON_OK);
}

static void
check_emit(const struct bf_json *j)
{
	static const char msg[] = "source said \"503\"\n\ttry \\later\x01";
	struct bf_json o = BF_JSON_INIT, o2 = BF_JSON_INIT;
	struct bf_buf b = BF_BUF_INIT, b2 = BF_BUF_INIT, s = BF_BUF_INIT;
	int was_failed = bf_window_failed(j), c, st, t, err;
	long long v;

	for (c = 0; c < (int)(sizeof(counts_set) / sizeof(counts_set[0]));
	    c++)
		for (st = 0; st < 3; st++) {
			const char *status = st == 0 ? NULL : st == 1 ? "ok" :
			    "failed";

			bf_buf_reset(&b);
			bf_window_emit(j->s, j->len, &b, "bf-fuzz", status,
			    "unavailable", msg, counts_set[c]);
			parse_emitted(&b, &o);
			t = bf_json_get(&o, 0, "status");
			if (was_failed) {
				FUZZ_CHECK(bf_window_failed(&o));
				/* The original status and error members. */
				err = bf_json_get(j, 0, "error");
				FUZZ_CHECK((err >= 0) ==
				    (bf_json_get(&o, 0, "error") >= 0));
			} else if (st == 2) {
				FUZZ_CHECK(bf_window_failed(&o));
				err = bf_json_get(&o, 0, "error");
				FUZZ_CHECK(err >= 0 &&
				    o.tok[err].type == BF_JSON_OBJECT);
				bf_buf_reset(&s);
				FUZZ_CHECK(bf_json_str(&o, bf_json_get(&o, err,
				    "message"), &s) == 0);
				FUZZ_CHECK(s.len == strlen(msg) &&
				    memcmp(s.s, msg, s.len) == 0);
				FUZZ_CHECK(bf_json_streq(&o, bf_json_get(&o,
				    err, "stage"), "bf-fuzz"));
				FUZZ_CHECK(bf_json_streq(&o, bf_json_get(&o,
				    err, "code"), "unavailable"));
			} else {
				FUZZ_CHECK(bf_json_streq(&o, t, "ok"));
				FUZZ_CHECK(bf_json_get(&o, 0, "error") < 0);
			}
			if (c >= 2) {
				t = bf_json_get(&o, 0, "fetched");
				FUZZ_CHECK(bf_json_int(&o, t, &v) == 0 &&
				    v == 12);
			}
			if (c == 3)
				FUZZ_CHECK(bf_json_streq(&o, bf_json_get(&o,
				    0, "partition"), "p"));
			/* Emitting the emitted line again: failed stays. */
			bf_buf_reset(&b2);
			bf_window_emit(o.s, o.len, &b2, "bf-fuzz2", "ok",
			    NULL, NULL, counts_set[c]);
			parse_emitted(&b2, &o2);
			FUZZ_CHECK(bf_window_failed(&o2) ==
			    bf_window_failed(&o));
			if (c == 0 && !bf_window_failed(&o))
				FUZZ_CHECK(b2.len == b.len &&
				    memcmp(b2.s, b.s, b.len) == 0);
		}
	bf_json_free(&o);
	bf_json_free(&o2);
	bf_buf_free(&b);
	bf_buf_free(&b2);
	bf_buf_free(&s);
}

static void
check_window(const struct bf_json *j)
{
	struct bf_window w;
	struct bf_err e;
	struct bf_buf p = BF_BUF_INIT;
	bf_time t;
	int32_t ns;

	bf_err_clear(&e);
	if (bf_window_from_json(j, &w, &e) != 0) {
		FUZZ_CHECK(w.partition == NULL);
		FUZZ_CHECK(e.code == BF_EXIT_FAILED && e.msg[0] != '\0');
		return;
	}
	FUZZ_CHECK(w.partition != NULL && w.partition[0] != '\0');
	FUZZ_CHECK(bf_json_get_str(j, "partition", &p) == 0);
	FUZZ_CHECK(p.len == strlen(w.partition) &&
	    memcmp(p.s, w.partition, p.len) == 0);
	FUZZ_CHECK(w.start < w.end);
	FUZZ_CHECK(strlen(w.ws) == 20 && strlen(w.we) == 20);
	FUZZ_CHECK(bf_time_parse(w.ws, 20, &t, &ns) == 0 && t == w.start &&
	    ns == 0);
	FUZZ_CHECK(bf_time_parse(w.we, 20, &t, &ns) == 0 && t == w.end &&
	    ns == 0);
	FUZZ_CHECK(bf_window_same(&w, &w));
	bf_window_free(&w);
	FUZZ_CHECK(w.partition == NULL);
	bf_buf_free(&p);
}

/* bf_line_scan finds what bf_json_get finds, for the common names and
 * some of the stages'. */
static void
check_scan(const struct bf_json *j, int type)
{
	static const char *const names[] = { BF_F_COMMON_NAMES, "metric",
		"ts", "value", "unit", "instance_id", "window_stard",
		"expected_samples", "p", "" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	static struct bf_fields fs;
	int tok[N], i;

	if (fs.n == 0)
		FUZZ_CHECK(bf_fields_init(&fs, names, N) == 0);
	FUZZ_CHECK(bf_line_scan(&fs, j, tok) == type);
	for (i = 0; i < N; i++)
		FUZZ_CHECK(tok[i] == bf_json_get(j, 0, names[i]));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bf_json j = BF_JSON_INIT;
	int type, t;

	input_nl = memchr(data, '\n', size) != NULL;
	if (bf_json_parse(&j, (const char *)data, size, BF_JSON_WANT_OBJECT,
	    NULL) != BF_JSON_OK) {
		FUZZ_CHECK(bf_line_type(&j) == BF_LINE_NOTYPE);
		FUZZ_CHECK(!bf_window_failed(&j));
		return 0;
	}
	type = bf_line_type(&j);
	t = bf_json_get(&j, 0, "type");
	if (t < 0 || j.tok[t].type != BF_JSON_STRING)
		FUZZ_CHECK(type == BF_LINE_NOTYPE);
	else if (bf_json_streq(&j, t, "window"))
		FUZZ_CHECK(type == BF_LINE_WINDOW);
	else if (bf_json_streq(&j, t, "sample"))
		FUZZ_CHECK(type == BF_LINE_SAMPLE);
	else if (bf_json_streq(&j, t, "usage"))
		FUZZ_CHECK(type == BF_LINE_USAGE);
	else
		FUZZ_CHECK(type == BF_LINE_OTHER);
	FUZZ_CHECK(bf_window_failed(&j) == bf_json_streq(&j,
	    bf_json_get(&j, 0, "status"), "failed"));
	check_scan(&j, type);
	check_window(&j);
	check_emit(&j);
	return 0;
}
