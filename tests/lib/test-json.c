/* Unit tests for src/lib/json.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"

static struct bf_json J = BF_JSON_INIT;

/* s[0..n) with non-printable bytes as \xNN, for test names. */
static const char *
show(const char *s, size_t n)
{
	static char buf[512];
	size_t i, k = 0;

	for (i = 0; i < n && k + 5 < sizeof(buf); i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f)
			k += (size_t)snprintf(buf + k, sizeof(buf) - k,
			    "\\x%02x", c);
		else
			buf[k++] = (char)c;
	}
	buf[k] = '\0';
	return buf;
}

static int
parse(const char *s, int flags)
{
	return bf_json_parse(&J, s, strlen(s), flags, NULL);
}

/* Expects s (NUL-terminated) to give err. */
static void
expect(const char *s, int flags, int err)
{
	int r = parse(s, flags);

	if (!ok(r == err, "%s -> %s", show(s, strlen(s)), bf_json_code(err)))
		fprintf(stderr, "#   got %s\n", bf_json_code(r));
}

/* Same with explicit length, for NULs and raw bytes. */
static void
expectn(const char *s, size_t n, int err, const char *name)
{
	int r = bf_json_parse(&J, s, n, 0, NULL);

	if (!ok(r == err, "%s -> %s", name, bf_json_code(err)))
		fprintf(stderr, "#   got %s\n", bf_json_code(r));
}

static void
test_valid(void)
{
	static const char *const v[] = {
		"{}", "[]", "0", "-0", "1", "-1", "1.5", "-0.0e+0", "1E5",
		"1e-5", "123456789012345678901234567890", "\"\"", "\"a\"",
		"true", "false", "null", " \t\r\n{} \t\r\n", "{\"a\":1}",
		"{\"a\":[1,2,{\"b\":null}],\"c\":{}}", "[[[]]]",
		"{ \"a\" : 1 , \"b\" : [ ] }",
		"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\ud83d\\ude00\"",
		"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"",
		"{\"a\":1,\"A\":2}", "{\"a\":{\"a\":1},\"b\":{\"a\":2}}",
		"\"\\u0000\"", "\"\x7f\"", "1.0E+10", "[1,\"x\",true,null]",
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		expect(v[i], 0, BF_JSON_OK);
}

static void
test_invalid(void)
{
	expect("{\"a\":1 \"b\":2}", 0, BF_JSON_ESYNTAX);
	expect("{\"a\":1,}", 0, BF_JSON_ESYNTAX);
	expect("{,}", 0, BF_JSON_ESYNTAX);
	expect("[1,]", 0, BF_JSON_ESYNTAX);
	expect("[,1]", 0, BF_JSON_ESYNTAX);
	expect("[1 2]", 0, BF_JSON_ESYNTAX);
	expect("{\"a\":tru}", 0, BF_JSON_ESYNTAX);
	expect("{\"a\":truex}", 0, BF_JSON_ESYNTAX);
	expect("{\"a\":nul}", 0, BF_JSON_ESYNTAX);
	expect("{\"a\":01}", 0, BF_JSON_ESYNTAX);
	expect("01", 0, BF_JSON_ESYNTAX);
	expect("-01", 0, BF_JSON_ESYNTAX);
	expect("{\"a\":1}{\"b\":2}", 0, BF_JSON_ETRAILING);
	expect("{\"a\":1}}", 0, BF_JSON_ETRAILING);
	expect("1 2", 0, BF_JSON_ETRAILING);
	expect("{\"a\":1", 0, BF_JSON_ETRUNCATED);
	expect("{\"a\":\"x", 0, BF_JSON_ETRUNCATED);
	expect("{\"a\"", 0, BF_JSON_ETRUNCATED);
	expect("{\"a\":", 0, BF_JSON_ETRUNCATED);
	expect("{", 0, BF_JSON_ETRUNCATED);
	expect("[", 0, BF_JSON_ETRUNCATED);
	expect("\"\\u12", 0, BF_JSON_ETRUNCATED);
	expect("\"\\", 0, BF_JSON_ETRUNCATED);
	expect("tr", 0, BF_JSON_ETRUNCATED);
	expect("1.", 0, BF_JSON_ETRUNCATED);
	expect("-", 0, BF_JSON_ETRUNCATED);
	expect("1e", 0, BF_JSON_ETRUNCATED);
	expect("1e+", 0, BF_JSON_ETRUNCATED);
	expect("[1.]", 0, BF_JSON_ESYNTAX);
	expect("[-]", 0, BF_JSON_ESYNTAX);
	expect("[1e]", 0, BF_JSON_ESYNTAX);
	expect(".5", 0, BF_JSON_ESYNTAX);
	expect("+1", 0, BF_JSON_ESYNTAX);
	expect("1.2.3", 0, BF_JSON_ESYNTAX);
	expect("0x10", 0, BF_JSON_ESYNTAX);
	expect("NaN", 0, BF_JSON_ESYNTAX);
	expect("Infinity", 0, BF_JSON_ESYNTAX);
	expect("-Infinity", 0, BF_JSON_ESYNTAX);
	expect("{\"a\":NaN}", 0, BF_JSON_ESYNTAX);
	expect("'a'", 0, BF_JSON_ESYNTAX);
	expect("{a:1}", 0, BF_JSON_ESYNTAX);
	expect("\"\\x41\"", 0, BF_JSON_ESYNTAX);
	expect("\"\\u00g1\"", 0, BF_JSON_ESYNTAX);
	expect("\"a\tb\"", 0, BF_JSON_ESYNTAX);
	expect("\"a\nb\"", 0, BF_JSON_ESYNTAX);
	expect("\"\\ud800\"", 0, BF_JSON_EUTF8);
	expect("\"\\ud800x\"", 0, BF_JSON_EUTF8);
	expect("\"\\ud800\\u0041\"", 0, BF_JSON_EUTF8);
	expect("\"\\udc00\"", 0, BF_JSON_EUTF8);
	expect("\"\\ud800\\ud800\"", 0, BF_JSON_EUTF8);
	expect("\"\xc0\xaf\"", 0, BF_JSON_EUTF8);         /* overlong / */
	expect("\"\xe0\x80\xaf\"", 0, BF_JSON_EUTF8);     /* overlong */
	expect("\"\xf0\x80\x80\xaf\"", 0, BF_JSON_EUTF8); /* overlong */
	expect("\"\xed\xa0\x80\"", 0, BF_JSON_EUTF8);     /* U+D800 */
	expect("\"\xf4\x90\x80\x80\"", 0, BF_JSON_EUTF8); /* > U+10FFFF */
	expect("\"\xf5\x80\x80\x80\"", 0, BF_JSON_EUTF8);
	expect("\"\xff\"", 0, BF_JSON_EUTF8);
	expect("\"\x80\"", 0, BF_JSON_EUTF8);
	expect("\"\xc3\"", 0, BF_JSON_EUTF8);             /* cut short */
	expect("\"\xe2\x82\"", 0, BF_JSON_EUTF8);
	expect("\"\xc3", 0, BF_JSON_ETRUNCATED);
	expect("\xef\xbb\xbf{}", 0, BF_JSON_ESYNTAX);     /* BOM */
	expect("\xff{}", 0, BF_JSON_EUTF8);
	expect("{\"a\":1,\"a\":2}", 0, BF_JSON_EDUPKEY);
	expect("{\"a\":1,\"\\u0061\":2}", 0, BF_JSON_EDUPKEY);
	expect("{\"\\u00e9\":1,\"\xc3\xa9\":2}", 0, BF_JSON_EDUPKEY);
	expect("{\"x\":{\"a\":1,\"b\":2,\"a\":3}}", 0, BF_JSON_EDUPKEY);
	expect("[{\"a\":1},{\"a\":2,\"a\":3}]", 0, BF_JSON_EDUPKEY);
	expect("", 0, BF_JSON_EEMPTY);
	expect(" \t\r", 0, BF_JSON_EEMPTY);
	expect("\f{}", 0, BF_JSON_ESYNTAX);
	expect("{}\f", 0, BF_JSON_ETRAILING);
	expect("[1]", BF_JSON_WANT_OBJECT, BF_JSON_ENOTOBJECT);
	expect("\"x\"", BF_JSON_WANT_OBJECT, BF_JSON_ENOTOBJECT);
	expect("[1,]", BF_JSON_WANT_OBJECT, BF_JSON_ESYNTAX);
	expect("{}", BF_JSON_WANT_OBJECT, BF_JSON_OK);
	expectn("{\"a\":\"\0\"}", 8, BF_JSON_ESYNTAX, "NUL in a string");
	expectn("{\"a\":1}\0", 8, BF_JSON_ETRAILING, "NUL after the value");
	expectn("{\"a\":1\0}", 8, BF_JSON_ESYNTAX, "NUL between tokens");
}

static void
test_errpos(void)
{
	size_t pos = 99;
	const char *s;

	s = "{\"a\":1,\"b\":2,\"a\":3}";
	bf_json_parse(&J, s, strlen(s), 0, &pos);
	is_int(pos, 13, "errpos of a duplicate key is the second key");
	s = "{\"a\":1 \"b\":2}";
	bf_json_parse(&J, s, strlen(s), 0, &pos);
	is_int(pos, 7, "errpos of a missing comma");
	s = "{\"a\":1";
	bf_json_parse(&J, s, strlen(s), 0, &pos);
	is_int(pos, 6, "errpos of truncated input is its length");
	s = "{\"a\":\"\xc3\x28\"}";
	bf_json_parse(&J, s, strlen(s), 0, &pos);
	is_int(pos, 6, "errpos of bad UTF-8 is its first byte");
}

static void
test_depth(void)
{
	char buf[2 * BF_JSON_MAXDEPTH + 8];
	int i;

	for (i = 0; i < BF_JSON_MAXDEPTH; i++) {
		buf[i] = '[';
		buf[BF_JSON_MAXDEPTH + i] = ']';
	}
	buf[2 * BF_JSON_MAXDEPTH] = '\0';
	expect(buf, 0, BF_JSON_OK);
	memmove(buf + 1, buf, 2 * BF_JSON_MAXDEPTH + 1);
	buf[0] = '[';
	strcat(buf, "]");
	expect(buf, 0, BF_JSON_EDEPTH);
}

static void
test_bigobject(void)
{
	struct bf_buf b = BF_BUF_INIT;
	int i, t;

	bf_buf_putc(&b, '{');
	for (i = 0; i < 5000; i++)
		bf_buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
	bf_buf_putc(&b, '}');
	is_int(bf_json_parse(&J, b.s, b.len, 0, NULL), BF_JSON_OK,
	    "object with 5000 keys");
	t = bf_json_get(&J, 0, "k4999");
	ok(t > 0 && bf_json_raw(&J, t, NULL)[0] == '4', "get the last key");
	b.len--;
	bf_buf_puts(&b, ",\"k\\u0031234\":0}");
	is_int(bf_json_parse(&J, b.s, b.len, 0, NULL), BF_JSON_EDUPKEY,
	    "duplicate among 5001 keys (escaped)");
	bf_buf_free(&b);
}

/*
 * bf_json_get of the root uses the key table the parse leaves (keys' length
 * and first 8 bytes), other objects walk their tokens: both must agree
 * with a plain search (each member's key unescaped and compared) on keys of
 * every length around 4 and 8, sharing prefixes, escaped or not, in
 * objects small and over 16 keys (whose table the duplicate check sorts).
 */
struct gkey {
	const char *canon; /* the unescaped key; NUL-terminated */
	size_t n;          /* its length (it may hold a NUL) */
	const char *esc;   /* a spelling with escapes, as JSON text */
};

static const struct gkey gkeys[] = {
	{ "", 0, "" },
	{ "a", 1, "\\u0061" },
	{ "ab", 2, "a\\u0062" },
	{ "abc", 3, "ab\\u0063" },
	{ "abcd", 4, "\\u0061bcd" },
	{ "abce", 4, "abc\\u0065" },
	{ "abcdefg", 7, "abcdef\\u0067" },
	{ "abcdefgh", 8, "abcdefg\\u0068" },
	{ "abcdefghi", 9, "abcdefgh\\u0069" },
	{ "abcdefghj", 9, "\\u0061bcdefghj" },
	{ "abcdefgh12", 10, "abcdefgh1\\u0032" },
	{ "window_start", 12, "window_st\\u0061rt" },
	{ "window_end", 10, "window_en\\u0064" },
	{ "window_s", 8, "window\\u005fs" },
	{ "type", 4, "typ\\u0065" },
	{ "ts", 2, "t\\u0073" },
	{ "\xc3\xa9", 2, "\\u00e9" },
	{ "a\"b", 3, "a\\\"b" },
	{ "a\0b", 3, "a\\u0000b" },
	{ "x\\/y", 4, "x\\\\/y" },
	{ "0123456789abcdef0123456789abcdeX", 32,
	    "0123456789abcdef0123456789abcde\\u0058" },
	{ "0123456789abcdef0123456789abcdeY", 32,
	    "0123456789abcdef0123456789abcde\\u0059" },
	{ "k1", 2, "k\\u0031" }, { "k2", 2, "k\\u0032" },
	{ "k3", 2, "k\\u0033" }, { "k4", 2, "k\\u0034" },
	{ "k5", 2, "k\\u0035" }, { "k6", 2, "k\\u0036" },
};
#define NGKEYS ((int)(sizeof(gkeys) / sizeof(gkeys[0])))

/* The value token of key[0..n) among obj's members, by unescaping each. */
static int
get_plain(int obj, const char *key, size_t n)
{
	struct bf_buf k = BF_BUF_INIT;
	int i, m, r = -1;

	for (i = obj + 1, m = 0; m < J.tok[obj].size; m++) {
		bf_buf_reset(&k);
		bf_json_str(&J, i, &k);
		if (k.len == n && memcmp(bf_buf_str(&k), key, n) == 0) {
			r = i + 1;
			break;
		}
		i = bf_json_skip(&J, i + 1);
	}
	bf_buf_free(&k);
	return r;
}

static void
test_get_table(void)
{
	struct bf_buf b = BF_BUF_INIT;
	unsigned long rnd = 12345;
	int round, i, k, nin, bad = 0, checks = 0, obj;
	char in[NGKEYS];

	for (round = 0; round < 400; round++) {
		/* A random subset of the keys, in a random order, each
		 * spelled plainly or with escapes; every other object
		 * nested, with containers as some values. */
		memset(in, 0, sizeof(in));
		nin = (int)(round % (NGKEYS + 1));
		bf_buf_reset(&b);
		if (round & 1)
			bf_buf_puts(&b, "{\"z\":[1,{\"a\":2}],\"o\":");
		bf_buf_putc(&b, '{');
		for (i = 0; i < nin; i++) {
			do {
				rnd = rnd * 6364136223846793005u +
				    1442695040888963407u;
				k = (int)((rnd >> 33) % NGKEYS);
			} while (in[k]);
			in[k] = 1;
			if (i)
				bf_buf_putc(&b, ',');
			if ((rnd >> 20) & 1) {
				bf_buf_putc(&b, '"');
				bf_buf_puts(&b, gkeys[k].esc);
				bf_buf_putc(&b, '"');
			} else
				bf_json_put_str(&b, gkeys[k].canon, gkeys[k].n);
			bf_buf_puts(&b, (rnd >> 21) & 1 ? ":{\"a\":[1]}" :
			    ":1");
		}
		bf_buf_putc(&b, '}');
		if (round & 1)
			bf_buf_putc(&b, '}');
		if (bf_json_parse(&J, b.s, b.len, 0, NULL) != BF_JSON_OK) {
			ok(0, "parse %s", show(b.s, b.len));
			continue;
		}
		obj = round & 1 ? bf_json_get(&J, 0, "o") : 0;
		for (k = 0; k < NGKEYS; k++) {
			int want = get_plain(obj, gkeys[k].canon, gkeys[k].n);
			int got = bf_json_getn(&J, obj, gkeys[k].canon,
			    gkeys[k].n);

			checks++;
			if ((want >= 0) != in[k] || got != want) {
				if (bad++ < 5)
					fprintf(stderr, "# %s: key %d: got %d,"
					    " want %d\n", show(b.s, b.len), k,
					    got, want);
			}
			if (memchr(gkeys[k].canon, '\0', gkeys[k].n) == NULL &&
			    bf_json_get(&J, obj, gkeys[k].canon) != want)
				bad++;
		}
	}
	ok(bad == 0, "bf_json_get(n): root table and token walk agree with a "
	    "plain search (%d checks)", checks);
	/* The table follows the last parse, and only a successful one. */
	is_int(parse("{\"abcdefghi\":1}", 0), 0, "parse");
	is_int(bf_json_get(&J, 0, "abcdefghi"), 2, "get after reparse");
	is_int(parse("{\"abcdefghi\":1,}", 0), BF_JSON_ESYNTAX, "bad line");
	is_int(bf_json_get(&J, 0, "abcdefghi"), -1, "get after a failed parse");
	is_int(parse("[{\"a\":1}]", 0), 0, "array root");
	is_int(bf_json_get(&J, 0, "a"), -1, "get on an array root");
	is_int(bf_json_get(&J, 1, "a"), 3, "get on a nested object");
	bf_buf_free(&b);
}

static void
test_access(void)
{
	const char *s = "{\"type\":\"sample\",\"n\":{\"x\":[1,{\"y\":2}],"
	    "\"z\":3},\"v\":-1.50e3,\"e\\u0073c\":\"a\\\"b\\u00e9\\ud83d\\ude00"
	    "\\n\",\"t\":true,\"last\":null}";
	struct bf_buf b = BF_BUF_INIT;
	size_t n;
	const char *r;
	long long v;
	int t, t2;

	is_int(parse(s, BF_JSON_WANT_OBJECT), 0, "parse access line");
	is_int(J.tok[0].type, BF_JSON_OBJECT, "root is an object");
	is_int(J.tok[0].size, 6, "root has 6 members");
	is_int(J.tok[0].parent, -1, "root parent is -1");
	t = bf_json_get(&J, 0, "type");
	ok(bf_json_streq(&J, t, "sample"), "streq type");
	ok(!bf_json_streq(&J, t, "sampl"), "streq prefix is not equal");
	ok(!bf_json_streq(&J, t, "samples"), "streq longer is not equal");
	is_int(J.tok[t].parent, 0, "value's parent is the object");
	r = bf_json_raw(&J, t, &n);
	ok(n == 8 && memcmp(r, "\"sample\"", 8) == 0, "raw string keeps quotes");
	t = bf_json_get(&J, 0, "v");
	r = bf_json_raw(&J, t, &n);
	ok(n == 7 && memcmp(r, "-1.50e3", 7) == 0, "raw number text exact");
	ok(bf_json_int(&J, t, &v) < 0, "bf_json_int refuses a fraction");
	t = bf_json_get(&J, 0, "n");
	is_int(J.tok[t].type, BF_JSON_OBJECT, "nested object");
	is_int(J.tok[t].size, 2, "nested object size");
	t2 = bf_json_get(&J, t, "x");
	is_int(J.tok[t2].size, 2, "array size");
	is_int(J.tok[t2].parent, t, "array parent");
	is_int(bf_json_skip(&J, t2), t2 + 5, "skip array");
	t2 = bf_json_get(&J, t, "z");
	r = bf_json_raw(&J, t2, &n);
	ok(n == 1 && *r == '3', "get after a nested sibling");
	ok(bf_json_int(&J, t2, &v) == 0 && v == 3, "bf_json_int");
	is_int(bf_json_skip(&J, t), bf_json_get(&J, 0, "v") - 1,
	    "skip object lands on next key");
	is_int(bf_json_get(&J, 0, "y"), -1, "get does not descend");
	is_int(bf_json_get(&J, 0, "nope"), -1, "absent key");
	is_int(bf_json_get(&J, t2, "x"), -1, "get on a non-object");
	t = bf_json_get(&J, 0, "esc");
	ok(t > 0, "get escaped key");
	ok(J.tok[t].esc, "esc flag set");
	ok(bf_json_streq(&J, t, "a\"b\xc3\xa9\xf0\x9f\x98\x80\n"),
	    "streq unescapes");
	ok(bf_json_str(&J, t, &b) == 0 && b.len == 10 &&
	    memcmp(b.s, "a\"b\xc3\xa9\xf0\x9f\x98\x80\n", 10) == 0,
	    "str unescapes");
	ok(bf_json_get_str(&J, "type", &b) == 0 &&
	    strcmp(b.s, "sample") == 0, "get_str resets and copies");
	ok(bf_json_get_str(&J, "v", &b) < 0 && b.len == 0,
	    "get_str of a number fails");
	ok(bf_json_get_str(&J, "nope", &b) < 0, "get_str of absent key fails");
	ok(bf_json_str(&J, bf_json_get(&J, 0, "t"), &b) < 0,
	    "str of true fails");
	is_int(J.tok[bf_json_get(&J, 0, "last")].type, BF_JSON_NULL, "null");

	parse("{\"a\":\"x\\u0000y\"}", 0);
	bf_buf_reset(&b);
	ok(bf_json_str(&J, 1 + 1, &b) == 0 && b.len == 3 && b.s[1] == '\0',
	    "str keeps NUL from \\u0000");
	ok(bf_json_int(&J, 1, &v) < 0, "bf_json_int of a string fails");
	parse("[-9223372036854775808,9223372036854775807,9223372036854775808]",
	    0);
	ok(bf_json_int(&J, 1, &v) == 0 && v == (-9223372036854775807LL - 1),
	    "int min");
	ok(bf_json_int(&J, 2, &v) == 0 && v == 9223372036854775807LL,
	    "int max");
	ok(bf_json_int(&J, 3, &v) < 0, "int overflow");
	bf_buf_free(&b);
}

static void
test_write(void)
{
	struct bf_buf b = BF_BUF_INIT;

	bf_json_put_str(&b, "a\"b\\c\n\t\x01\x1f\x7f\xc3\xa9/", 13);
	is_str(b.s, "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\x7f\xc3\xa9/\"",
	    "put_str escapes");
	bf_buf_reset(&b);
	bf_json_put_str(&b, "a\0b", 3);
	is_str(b.s, "\"a\\u0000b\"", "put_str escapes NUL");
	ok(bf_json_parse(&J, b.s, b.len, 0, NULL) == 0, "output parses");
	bf_buf_reset(&b);
	bf_buf_putc(&b, '{');
	bf_buf_puts(&b, "\"x\":1");
	bf_json_put_kv_str(&b, "k\"", "v\b");
	bf_buf_putc(&b, '}');
	is_str(b.s, "{\"x\":1,\"k\\\"\":\"v\\b\"}", "put_kv_str");
	bf_buf_free(&b);
}

static void
test_rewrite(void)
{
	struct bf_buf b = BF_BUF_INIT;
	const char *drop[] = { "status", "error", NULL };

	parse("{ \"type\" : \"window\", \"status\":\"ok\",\"n\":[1, 2] ,"
	    "\"err\\u006fr\":{\"a\":1}}", 0);
	bf_json_rewrite(&J, &b, drop, "\"status\":\"failed\"");
	is_str(b.s, "{\"type\" : \"window\",\"n\":[1, 2],"
	    "\"status\":\"failed\"}", "rewrite drops escaped key, keeps bytes");
	bf_buf_reset(&b);
	bf_json_rewrite(&J, &b, NULL, NULL);
	is_str(b.s, "{\"type\" : \"window\",\"status\":\"ok\",\"n\":[1, 2],"
	    "\"err\\u006fr\":{\"a\":1}}", "rewrite without changes");
	bf_buf_reset(&b);
	parse("{\"status\":1}", 0);
	bf_json_rewrite(&J, &b, drop, "");
	is_str(b.s, "{}", "rewrite dropping everything");
	bf_buf_reset(&b);
	bf_json_rewrite(&J, &b, drop, "\"a\":2");
	is_str(b.s, "{\"a\":2}", "rewrite with only extra");
	bf_buf_reset(&b);
	parse("{}", 0);
	bf_json_rewrite(&J, &b, drop, NULL);
	is_str(b.s, "{}", "rewrite of {}");
	bf_buf_free(&b);
}

/* Drop keys are matched on the unescaped key, whatever the raw length. */
static void
test_rewrite_escaped(void)
{
	struct bf_buf b = BF_BUF_INIT;
	const char *drop[] = { "a", "", "st\\at", "error", NULL };
	const char *many[40];
	char names[38][8];
	int i;

	parse("{\"\\u0061\":1,\"\\u0062\":2,\"\":3,\"err\\u006fx\":4,"
	    "\"st\\u005cat\":6,\"stat\":7,\"a \":8,"
	    "\"e\\rror\":9,\"\\u0065rror\":10}", 0);
	bf_json_rewrite(&J, &b, drop, NULL);
	is_str(b.s, "{\"\\u0062\":2,\"err\\u006fx\":4,\"stat\":7,\"a \":8,"
	    "\"e\\rror\":9}", "rewrite drops keys equal only after unescaping");
	bf_buf_reset(&b);
	parse("{\"st\\\\at\":5,\"st\\\\a\":6}", 0);
	bf_json_rewrite(&J, &b, drop, NULL);
	is_str(b.s, "{\"st\\\\a\":6}", "rewrite drops a key holding \\\\");
	for (i = 0; i < 38; i++) {
		snprintf(names[i], sizeof(names[i]), "k%d", i);
		many[i] = names[i];
	}
	many[38] = "a";
	many[39] = NULL;
	bf_buf_reset(&b);
	parse("{\"k0\":0,\"k37\":1,\"\\u0061\":2,\"k38\":4}", 0);
	bf_json_rewrite(&J, &b, many, "\"z\":1");
	is_str(b.s, "{\"k38\":4,\"z\":1}", "rewrite with a long drop list");
	bf_buf_free(&b);
}

static void
test_utf8(void)
{
	ok(bf_utf8_valid("", 0), "utf8: empty");
	ok(bf_utf8_valid("a\0b", 3), "utf8: NUL is valid UTF-8");
	ok(bf_utf8_valid("\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf"
	    "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 18), "utf8: boundaries");
	ok(!bf_utf8_valid("\xc1\xbf", 2), "utf8: overlong 2");
	ok(!bf_utf8_valid("\xe0\x9f\xbf", 3), "utf8: overlong 3");
	ok(!bf_utf8_valid("\xf0\x8f\xbf\xbf", 4), "utf8: overlong 4");
	ok(!bf_utf8_valid("\xed\xbf\xbf", 3), "utf8: surrogate");
	ok(!bf_utf8_valid("\xf4\x90\x80\x80", 4), "utf8: > U+10FFFF");
	ok(!bf_utf8_valid("\xe2\x82", 2), "utf8: truncated");
	ok(!bf_utf8_valid("\xbf", 1), "utf8: lone continuation");
	ok(!bf_utf8_valid("\xe2\x28\xa1", 3), "utf8: bad continuation");
}

static void
test_codes(void)
{
	is_str(bf_json_code(BF_JSON_ETRUNCATED), "truncated", "code");
	is_str(bf_json_code(BF_JSON_EDUPKEY), "duplicate_key", "code");
	is_str(bf_json_code(BF_JSON_ETOOBIG), "too_many_tokens", "code");
	is_str(bf_json_strerror(BF_JSON_EUTF8), "invalid UTF-8", "strerror");
	is_str(bf_json_code(999), "invalid_json", "unknown code");
}

int
main(void)
{
	test_valid();
	test_invalid();
	test_errpos();
	test_depth();
	test_bigobject();
	test_get_table();
	test_access();
	test_write();
	test_rewrite();
	test_rewrite_escaped();
	test_utf8();
	test_codes();
	bf_json_free(&J);
	return done_testing();
}
