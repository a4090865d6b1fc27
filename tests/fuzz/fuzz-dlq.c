/*
 * fuzz-dlq: the dead-letter queue writer (dlq.h) with any bytes as the
 * refused line and as the text of every field. Invariants: one record per
 * write, one line, a valid JSON object (text fields with invalid UTF-8 are
 * repaired, never passed on); its id is bf_dlq_id's, 32 lowercase hex
 * digits; "raw" gives back the line byte for byte (NUL and control bytes
 * included), or "raw_base64" when it is not UTF-8; optional members are
 * there exactly when given; the count counts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dlq.h"
#include "err.h"
#include "json.h"

#include "fuzz.h"

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes RFC 4648 base64 (with padding) into out; -1 if malformed. */
static int
b64dec(const char *s, size_t n, struct bf_buf *out)
{
	size_t i;
	int k, v[4];

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		for (k = 0; k < 4; k++)
			v[k] = s[i + k] == '=' && i + 4 == n && k >= 2 ? 0 :
			    b64val((unsigned char)s[i + k]);
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
			return -1;
		bf_buf_putc(out, v[0] << 2 | v[1] >> 4);
		if (s[i + 2] != '=')
			bf_buf_putc(out, (v[1] & 15) << 4 | v[2] >> 2);
		if (s[i + 3] != '=')
			bf_buf_putc(out, (v[2] & 3) << 6 | v[3]);
	}
	return 0;
}

static char *
slurp(const char *path, size_t *n)
{
	struct bf_buf b = BF_BUF_INIT;
	char buf[4096];
	size_t k;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		abort();
	while ((k = fread(buf, 1, sizeof(buf), fp)) > 0)
		bf_buf_add(&b, buf, k);
	fclose(fp);
	bf_buf_grow(&b, 0);
	*n = b.len;
	return bf_buf_detach(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bf_reject r;
	struct bf_dlq *q;
	struct bf_err e;
	struct bf_json j = BF_JSON_INIT;
	struct bf_buf raw = BF_BUF_INIT;
	char *text = fuzz_strndup(data, size), *line, id[33];
	const char *path = fuzz_file("", 0);
	unsigned flags = size > 0 ? data[0] : 0;
	size_t n, len;
	int t, i;

	memset(&r, 0, sizeof(r));
	r.stage = "bf-fuzz";
	r.code = text;
	r.pointer = flags & 1 ? text : "";
	r.rule = flags & 2 ? text : NULL;
	r.message = text;
	r.file = flags & 4 ? text : NULL;
	r.line = flags & 8 ? (long)size : 0;
	r.partition = flags & 16 ? text : NULL;
	r.window_start = flags & 32 ? "2026-01-01T00:00:00Z" : NULL;
	r.window_end = flags & 64 ? text : NULL;
	r.ordinal = flags & 128 ? (long)size - 3 : -1;
	r.raw = (const char *)data;
	r.rawlen = size;

	bf_err_clear(&e);
	q = bf_dlq_open(path, &e);
	FUZZ_CHECK(q != NULL);
	FUZZ_CHECK(bf_dlq_write(q, &r, &e) == 0);
	FUZZ_CHECK(bf_dlq_count(q) == 1);
	FUZZ_CHECK(bf_dlq_close(q, &e) == 0);

	line = slurp(path, &n);
	FUZZ_CHECK(n > 0 && line[n - 1] == '\n');
	len = n - 1;
	FUZZ_CHECK(memchr(line, '\n', len) == NULL);
	FUZZ_CHECK(bf_json_parse(&j, line, len, BF_JSON_WANT_OBJECT, NULL) ==
	    BF_JSON_OK);
	FUZZ_CHECK(bf_json_streq(&j, bf_json_get(&j, 0, "type"), "reject"));
	bf_dlq_id(&r, id);
	FUZZ_CHECK(strlen(id) == 32);
	for (i = 0; i < 32; i++)
		FUZZ_CHECK((id[i] >= '0' && id[i] <= '9') ||
		    (id[i] >= 'a' && id[i] <= 'f'));
	FUZZ_CHECK(bf_json_streq(&j, bf_json_get(&j, 0, "id"), id));
	FUZZ_CHECK(bf_json_streq(&j, bf_json_get(&j, 0, "stage"), "bf-fuzz"));
	t = bf_json_get(&j, 0, "error");
	FUZZ_CHECK(t >= 0 && j.tok[t].type == BF_JSON_OBJECT);
	FUZZ_CHECK(bf_json_get(&j, t, "code") >= 0 &&
	    bf_json_get(&j, t, "message") >= 0 &&
	    bf_json_get(&j, t, "pointer") >= 0);
	FUZZ_CHECK((bf_json_get(&j, t, "rule") >= 0) == (r.rule != NULL));
	FUZZ_CHECK((bf_json_get(&j, 0, "file") >= 0) == (r.file != NULL));
	FUZZ_CHECK((bf_json_get(&j, 0, "line") >= 0) == (r.line > 0));
	FUZZ_CHECK((bf_json_get(&j, 0, "partition") >= 0) ==
	    (r.partition != NULL));
	FUZZ_CHECK((bf_json_get(&j, 0, "window_start") >= 0) ==
	    (r.window_start != NULL));
	FUZZ_CHECK((bf_json_get(&j, 0, "window_end") >= 0) ==
	    (r.window_end != NULL));
	/* Valid UTF-8 text fields are kept as they are. */
	if (bf_utf8_valid(text, strlen(text)))
		FUZZ_CHECK(bf_json_streq(&j, bf_json_get(&j, t, "message"),
		    text));

	if (bf_utf8_valid((const char *)data, size)) {
		FUZZ_CHECK(bf_json_get(&j, 0, "raw_base64") < 0);
		FUZZ_CHECK(bf_json_str(&j, bf_json_get(&j, 0, "raw"), &raw) ==
		    0);
	} else {
		const char *b;
		size_t bn;

		FUZZ_CHECK(bf_json_get(&j, 0, "raw") < 0);
		t = bf_json_get(&j, 0, "raw_base64");
		FUZZ_CHECK(t >= 0 && j.tok[t].type == BF_JSON_STRING);
		b = bf_json_raw(&j, t, &bn);
		FUZZ_CHECK(b64dec(b + 1, bn - 2, &raw) == 0);
	}
	FUZZ_CHECK(raw.len == size && (size == 0 ||
	    memcmp(raw.s, data, size) == 0));

	bf_json_free(&j);
	bf_buf_free(&raw);
	free(line);
	free(text);
	return 0;
}
