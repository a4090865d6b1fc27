/*
 * fuzz-json: bf_json_parse and everything that reads its tokens, on any
 * bytes, with the contract of json.h as invariants:
 * - an accepted line is valid UTF-8, its tokens are well nested, in
 *   document order, inside the line, with the sizes and parents json.h
 *   describes, and bf_json_skip steps over exactly a subtree;
 * - every key of an object is found by bf_json_get (keys are unique);
 * - string values unescape to valid UTF-8 that bf_json_put_str writes back
 *   as a string that parses to the same bytes; bf_json_streq agrees;
 * - numbers: bf_json_int agrees with strtoll, and the decimal parser accepts
 *   the same number grammar (never BF_DEC_ESYNTAX);
 * - bf_json_rewrite of an object gives an object that parses again, with
 *   the expected members, and rewriting is idempotent;
 * - every proper prefix of an accepted object or array is ETRUNCATED;
 * - BF_JSON_WANT_OBJECT changes only ENOTOBJECT, and a failed parse leaves
 *   no tokens and an error position inside the line.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "decimal.h"
#include "json.h"

#include "fuzz.h"

static int
is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
check_tokens(const struct bf_json *j, const uint8_t *data, size_t size)
{
	const struct bf_jtok *t;
	int i, k, nchild, next;
	size_t b;

	FUZZ_CHECK(j->ntok >= 1);
	FUZZ_CHECK(j->tok[0].parent == -1);
	for (b = 0; b < (size_t)j->tok[0].start; b++)
		FUZZ_CHECK(is_ws(data[b]));
	for (b = (size_t)j->tok[0].end; b < size; b++)
		FUZZ_CHECK(is_ws(data[b]));
	for (i = 0; i < j->ntok; i++) {
		t = &j->tok[i];
		FUZZ_CHECK(t->type >= BF_JSON_OBJECT && t->type <= BF_JSON_NULL);
		FUZZ_CHECK(t->start >= 0 && t->start < t->end);
		FUZZ_CHECK((size_t)t->end <= size);
		FUZZ_CHECK(t->parent < i);
		if (i > 0) {
			const struct bf_jtok *pt;

			FUZZ_CHECK(t->parent >= 0);
			pt = &j->tok[t->parent];
			FUZZ_CHECK(pt->type == BF_JSON_OBJECT ||
			    pt->type == BF_JSON_ARRAY);
			FUZZ_CHECK(t->start > pt->start && t->end < pt->end);
			FUZZ_CHECK(t->start >= j->tok[i - 1].start);
		}
		switch (t->type) {
		case BF_JSON_OBJECT:
			FUZZ_CHECK(data[t->start] == '{' &&
			    data[t->end - 1] == '}');
			break;
		case BF_JSON_ARRAY:
			FUZZ_CHECK(data[t->start] == '[' &&
			    data[t->end - 1] == ']');
			break;
		case BF_JSON_STRING:
			FUZZ_CHECK(t->end - t->start >= 2);
			FUZZ_CHECK(data[t->start] == '"' &&
			    data[t->end - 1] == '"');
			FUZZ_CHECK(t->esc == (memchr(data + t->start, '\\',
			    (size_t)(t->end - t->start)) != NULL));
			break;
		case BF_JSON_NUMBER:
			FUZZ_CHECK(data[t->start] == '-' ||
			    (data[t->start] >= '0' && data[t->start] <= '9'));
			break;
		case BF_JSON_TRUE:
			FUZZ_CHECK(t->end - t->start == 4);
			break;
		case BF_JSON_FALSE:
			FUZZ_CHECK(t->end - t->start == 5);
			break;
		case BF_JSON_NULL:
			FUZZ_CHECK(t->end - t->start == 4);
			break;
		}
		if (t->type != BF_JSON_OBJECT && t->type != BF_JSON_ARRAY)
			FUZZ_CHECK(t->size == 0);
		/* Children: an object's keys and values, an array's
		 * elements. */
		nchild = 0;
		next = bf_json_skip(j, i);
		FUZZ_CHECK(next > i && next <= j->ntok);
		for (k = i + 1; k < next; k++) {
			FUZZ_CHECK(j->tok[k].parent >= i);
			FUZZ_CHECK(j->tok[k].end <= t->end);
			if (j->tok[k].parent == i)
				nchild++;
		}
		if (next < j->ntok)
			FUZZ_CHECK(j->tok[next].parent < i &&
			    j->tok[next].start >= t->end);
		if (t->type == BF_JSON_OBJECT)
			FUZZ_CHECK(nchild == 2 * t->size);
		else if (t->type == BF_JSON_ARRAY)
			FUZZ_CHECK(nchild == t->size);
		else
			FUZZ_CHECK(next == i + 1);
	}
}

/* A string token: unescape, write back, parse again. */
static void
check_string(const struct bf_json *j, int i)
{
	struct bf_buf s = BF_BUF_INIT, w = BF_BUF_INIT, s2 = BF_BUF_INIT;
	struct bf_json j2 = BF_JSON_INIT;

	FUZZ_CHECK(bf_json_str(j, i, &s) == 0);
	FUZZ_CHECK(bf_utf8_valid(bf_buf_str(&s), s.len));
	FUZZ_CHECK(s.len <= (size_t)(j->tok[i].end - j->tok[i].start - 2));
	if (!j->tok[i].esc)
		FUZZ_CHECK(memcmp(s.s ? s.s : "", j->s + j->tok[i].start + 1,
		    s.len) == 0);
	if (memchr(bf_buf_str(&s), '\0', s.len) == NULL) {
		FUZZ_CHECK(bf_json_streq(j, i, bf_buf_str(&s)));
		bf_buf_putc(&s, 'x');
		FUZZ_CHECK(!bf_json_streq(j, i, bf_buf_str(&s)));
		s.len--;
		s.s[s.len] = '\0';
	}
	bf_json_put_str(&w, bf_buf_str(&s), s.len);
	FUZZ_CHECK(bf_json_parse(&j2, w.s, w.len, 0, NULL) == BF_JSON_OK);
	FUZZ_CHECK(j2.ntok == 1 && j2.tok[0].type == BF_JSON_STRING);
	FUZZ_CHECK(j2.tok[0].start == 0 && (size_t)j2.tok[0].end == w.len);
	FUZZ_CHECK(bf_json_str(&j2, 0, &s2) == 0);
	FUZZ_CHECK(s2.len == s.len &&
	    memcmp(bf_buf_str(&s2), bf_buf_str(&s), s.len) == 0);
	bf_json_free(&j2);
	bf_buf_free(&s);
	bf_buf_free(&w);
	bf_buf_free(&s2);
}

static void
check_number(const struct bf_json *j, int i)
{
	char text[64], *end;
	const char *raw;
	size_t n;
	long long v = 0, w;
	int plain = 1, r;
	bf_dec d;

	raw = bf_json_raw(j, i, &n);
	FUZZ_CHECK(raw == j->s + j->tok[i].start);
	FUZZ_CHECK(bf_dec_parse(raw, n, &d) != BF_DEC_ESYNTAX);
	r = bf_json_int(j, i, &v);
	if (n >= sizeof(text)) {
		FUZZ_CHECK(r != 0 || n < 21);
		return;
	}
	memcpy(text, raw, n);
	text[n] = '\0';
	for (size_t k = 0; k < n; k++)
		if (text[k] == '.' || text[k] == 'e' || text[k] == 'E')
			plain = 0;
	errno = 0;
	w = strtoll(text, &end, 10);
	if (plain && errno == 0) {
		FUZZ_CHECK(*end == '\0');
		FUZZ_CHECK(r == 0 && v == w);
	} else
		FUZZ_CHECK(r != 0);
}

/* Each key of object o is found by bf_json_get and names its value. */
static void
check_object(const struct bf_json *j, int o)
{
	struct bf_buf k = BF_BUF_INIT;
	int i, m;

	if (j->tok[o].size > 256)
		return;
	for (i = o + 1, m = 0; m < j->tok[o].size; m++) {
		FUZZ_CHECK(j->tok[i].type == BF_JSON_STRING);
		FUZZ_CHECK(j->tok[i].parent == o && j->tok[i + 1].parent == o);
		bf_buf_reset(&k);
		FUZZ_CHECK(bf_json_str(j, i, &k) == 0);
		if (memchr(bf_buf_str(&k), '\0', k.len) == NULL)
			FUZZ_CHECK(bf_json_get(j, o, bf_buf_str(&k)) == i + 1);
		i = bf_json_skip(j, i + 1);
	}
	bf_buf_free(&k);
}

/* Rewriting the root object: without drops, dropping its first key, and
 * adding a member. */
static void
check_rewrite(const struct bf_json *j)
{
	static const char extra[] = "\"bf_fuzz_extra\":[1,{\"a\":null}]";
	struct bf_json j2 = BF_JSON_INIT;
	struct bf_buf out = BF_BUF_INIT, again = BF_BUF_INIT;
	struct bf_buf k0 = BF_BUF_INIT;
	const char *drop[3];
	int size = j->tok[0].size, nd = 0, had, t;

	bf_json_rewrite(j, &out, NULL, NULL);
	FUZZ_CHECK(bf_json_parse(&j2, out.s, out.len, BF_JSON_WANT_OBJECT,
	    NULL) == BF_JSON_OK);
	FUZZ_CHECK(j2.ntok == j->ntok && j2.tok[0].size == size);
	/* The members keep their bytes; only the root's spaces go. */
	for (t = 1; t < j->ntok; t++)
		FUZZ_CHECK(j2.tok[t].type == j->tok[t].type &&
		    j2.tok[t].size == j->tok[t].size &&
		    j2.tok[t].parent == j->tok[t].parent &&
		    j2.tok[t].end - j2.tok[t].start ==
		    j->tok[t].end - j->tok[t].start);
	bf_json_rewrite(&j2, &again, NULL, NULL);
	FUZZ_CHECK(again.len == out.len && memcmp(again.s, out.s,
	    out.len) == 0);

	/* Drop the first key (when it has no NUL) and bf_fuzz_extra, then
	 * add bf_fuzz_extra. */
	if (size > 0) {
		FUZZ_CHECK(bf_json_str(j, 1, &k0) == 0);
		if (memchr(bf_buf_str(&k0), '\0', k0.len) == NULL)
			drop[nd++] = bf_buf_str(&k0);
	}
	had = bf_json_get(j, 0, "bf_fuzz_extra") >= 0 &&
	    !(nd == 1 && strcmp(drop[0], "bf_fuzz_extra") == 0);
	drop[nd++] = "bf_fuzz_extra";
	drop[nd] = NULL;
	bf_buf_reset(&out);
	bf_json_rewrite(j, &out, drop, extra);
	FUZZ_CHECK(bf_json_parse(&j2, out.s, out.len, BF_JSON_WANT_OBJECT,
	    NULL) == BF_JSON_OK);
	FUZZ_CHECK(j2.tok[0].size == size - (nd - 1) - had + 1);
	t = bf_json_get(&j2, 0, "bf_fuzz_extra");
	FUZZ_CHECK(t >= 0 && j2.tok[t].type == BF_JSON_ARRAY);

	bf_json_free(&j2);
	bf_buf_free(&out);
	bf_buf_free(&again);
	bf_buf_free(&k0);
}

static void
check_prefix(const uint8_t *data, size_t len)
{
	struct bf_json j2 = BF_JSON_INIT;
	size_t pos = 12345;

	FUZZ_CHECK(bf_json_parse(&j2, (const char *)data, len, 0, &pos) ==
	    BF_JSON_ETRUNCATED);
	FUZZ_CHECK(pos == len && j2.ntok == 0);
	bf_json_free(&j2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Reused across inputs, as a stream reuses it across lines. */
	static struct bf_json j = BF_JSON_INIT;
	struct bf_json j2 = BF_JSON_INIT;
	const char *s = (const char *)data;
	size_t pos = (size_t)-1, pos2 = (size_t)-1;
	int r, r2, i;

	r = bf_json_parse(&j, s, size, 0, &pos);
	FUZZ_CHECK(j.s == s && j.len == size);
	FUZZ_CHECK(r >= BF_JSON_OK && r <= BF_JSON_ETOOBIG &&
	    r != BF_JSON_ENOTOBJECT);
	FUZZ_CHECK(bf_json_code(r) != NULL && bf_json_strerror(r) != NULL);
	FUZZ_CHECK(pos <= size);

	/* The same answer from a fresh struct, and with WANT_OBJECT. */
	r2 = bf_json_parse(&j2, s, size, BF_JSON_WANT_OBJECT, &pos2);
	if (r == BF_JSON_OK && j.tok[0].type != BF_JSON_OBJECT) {
		FUZZ_CHECK(r2 == BF_JSON_ENOTOBJECT);
		FUZZ_CHECK(pos2 == (size_t)j.tok[0].start);
	} else {
		FUZZ_CHECK(r2 == r && pos2 == pos);
		if (r == BF_JSON_OK)
			FUZZ_CHECK(j2.ntok == j.ntok && memcmp(j2.tok, j.tok,
			    (size_t)j.ntok * sizeof(*j.tok)) == 0);
	}
	bf_json_free(&j2);

	if (r != BF_JSON_OK) {
		FUZZ_CHECK(j.ntok == 0);
		FUZZ_CHECK(bf_json_get(&j, 0, "type") == -1);
		if (r == BF_JSON_EEMPTY || r == BF_JSON_ETRUNCATED)
			FUZZ_CHECK(pos == size);
		if (r == BF_JSON_EEMPTY)
			for (size_t b = 0; b < size; b++)
				FUZZ_CHECK(is_ws(data[b]));
		return 0;
	}

	FUZZ_CHECK(pos == 0);
	FUZZ_CHECK(bf_utf8_valid(s, size));
	check_tokens(&j, data, size);
	for (i = 0; i < j.ntok; i++) {
		switch (j.tok[i].type) {
		case BF_JSON_STRING:
			check_string(&j, i);
			break;
		case BF_JSON_NUMBER:
			check_number(&j, i);
			break;
		case BF_JSON_OBJECT:
			check_object(&j, i);
			break;
		}
	}
	if (j.tok[0].type == BF_JSON_OBJECT)
		check_rewrite(&j);
	if (j.tok[0].type == BF_JSON_OBJECT ||
	    j.tok[0].type == BF_JSON_ARRAY) {
		check_prefix(data, (size_t)j.tok[0].end - 1);
		check_prefix(data, (size_t)j.tok[0].start + 1 +
		    (size_t)(j.tok[0].end - j.tok[0].start - 1) / 2);
	}
	return 0;
}
