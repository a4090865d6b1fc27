/*
 * json.h: strict reading of one NDJSON line, and JSON writing.
 *
 * bf_json_parse accepts a line only if it is exactly one JSON value as
 * RFC 8259 defines it (and the line is an object when the caller asks), in
 * valid UTF-8 (RFC 3629: no overlong forms, no encoded surrogates, nothing
 * above U+10FFFF), with no duplicate keys in any object (compared after
 * unescaping, so {"a":1,"\u0061":2} is refused), no \u escape that leaves a
 * surrogate unpaired, and nothing before or after the value but JSON
 * whitespace (space, tab, CR, LF). Tokens point into the caller's bytes:
 * nothing is copied and strings are unescaped only when asked. Tokens are in
 * document order (an object's key token is followed by its value's tokens),
 * like jsmn's; token 0 is the root.
 *
 * Lifetime: a struct bf_json owns its token array and scratch memory
 * (bf_json_free); reuse one struct for every line of a stream, so that
 * parsing allocates nothing once it has grown. Tokens refer to the line
 * passed to the last bf_json_parse, which must stay alive and unchanged while
 * tokens are used. A failed parse leaves no tokens (ntok is 0).
 */
#ifndef BF_JSON_H
#define BF_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"

enum bf_json_type {
	BF_JSON_OBJECT = 1,
	BF_JSON_ARRAY,
	BF_JSON_STRING,
	BF_JSON_NUMBER,
	BF_JSON_TRUE,
	BF_JSON_FALSE,
	BF_JSON_NULL,
};

struct bf_jtok {
	int type;   /* enum bf_json_type */
	int start;  /* offset of the first byte (the quote, for strings) */
	int end;    /* offset one past the last byte (past the closing quote) */
	int size;   /* members of an object, elements of an array, else 0
	               (a key is a string token of size 0) */
	int parent; /* index of the enclosing token (for a value: its key's
	               parent object), -1 for the root */
	int esc;    /* strings: 1 when the text holds a backslash escape */
};

/* A key of an object, as the parser records it: its token, and its length
 * and first 8 bytes after unescaping (the first byte lowest, zero-padded:
 * bf_json_word), which decide equality for keys of up to 8 bytes and rule
 * most other pairs out. h is the parser's. */
struct bf_jkey {
	uint64_t w;
	int tok;
	int len;
	uint32_t h;
};

struct bf_json {
	const char *s;       /* the line last parsed; borrowed */
	size_t len;
	struct bf_jtok *tok; /* owned; ntok used of cap */
	int ntok, cap;
	void *aux;           /* owned scratch (key table); private */
	int auxcap;
};
#define BF_JSON_INIT { NULL, 0, NULL, 0, 0, NULL, 0 }

/* Parse results. Each has a stable name (bf_json_code) used as the DLQ
 * error code, and a message (bf_json_strerror). */
enum bf_json_err {
	BF_JSON_OK = 0,
	BF_JSON_EEMPTY,     /* "empty_line": nothing but whitespace */
	BF_JSON_ESYNTAX,    /* "invalid_json": not JSON */
	BF_JSON_ETRUNCATED, /* "truncated": valid so far, ends too early */
	BF_JSON_ETRAILING,  /* "trailing_data": a value followed by more */
	BF_JSON_EUTF8,      /* "invalid_utf8" */
	BF_JSON_EDUPKEY,    /* "duplicate_key" */
	BF_JSON_ENOTOBJECT, /* "not_object": valid JSON, not an object */
	BF_JSON_EDEPTH,     /* "too_deep": nesting over BF_JSON_MAXDEPTH */
	BF_JSON_ETOOBIG,    /* "too_many_tokens": over BF_JSON_MAXTOK */
};
#define BF_JSON_MAXDEPTH 64
#define BF_JSON_MAXTOK (1 << 20)

/* Flags for bf_json_parse. */
#define BF_JSON_WANT_OBJECT 1 /* the root must be an object */

/* Parses s[0..len) (no newline; a trailing CR is whitespace). Returns
 * BF_JSON_OK or an error; *errpos, if not NULL, receives the byte offset where
 * the error was found (len for EEMPTY and for ETRUNCATED, the start of the
 * second key for EDUPKEY). The first error found wins, scanning left to
 * right; ENOTOBJECT is reported only for otherwise valid JSON. Which code:
 * - ETRUNCATED: the bytes are a proper prefix of some valid JSON text
 *   ({"a":1 or {"a":"x or 1. or -), including a line cut inside a UTF-8
 *   sequence or an escape;
 * - ETRAILING: a complete value followed by more than whitespace
 *   ({"a":1}{"b":2}, {"a":1}}); a number run into more number characters
 *   (01, 1.2.3) is ESYNTAX instead;
 * - EUTF8: an invalid UTF-8 sequence in a string, a byte that cannot start
 *   UTF-8 where a value should be, or a \u escape of an unpaired surrogate;
 * - ESYNTAX: everything else that RFC 8259 rejects (missing or extra
 *   separators, bad literals, leading +, NaN, control characters in
 *   strings, bad escapes).
 * - EDEPTH: more than BF_JSON_MAXDEPTH nested objects and arrays;
 *   ETOOBIG: more than BF_JSON_MAXTOK tokens or len > INT_MAX - 1. */
int bf_json_parse(struct bf_json *j, const char *s, size_t len, int flags,
    size_t *errpos);
const char *bf_json_code(int err);
const char *bf_json_strerror(int err);
void bf_json_free(struct bf_json *j);

/* The value token of key[0..n) in object token obj, or -1 when absent (or
 * obj is not an object). Keys are compared after unescaping. Only obj's own
 * members are searched: for the root (obj 0), linear in its number of keys
 * (a table the parse made); for other objects, linear in obj's subtree. */
int bf_json_getn(const struct bf_json *j, int obj, const char *key,
    size_t n);
/* bf_json_getn of a NUL-terminated key. Inline (C99 inline definition; the
 * external one is in json.c), so that strlen of a literal costs nothing. */
inline int
bf_json_get(const struct bf_json *j, int obj, const char *key)
{
	return bf_json_getn(j, obj, key, strlen(key));
}
/* The index just past the subtree of token t (its next sibling, if any;
 * ntok after the last). Linear in the subtree's size. Inline (C99 inline
 * definition; the external one is in json.c): most calls step over a
 * scalar. */
inline int
bf_json_skip(const struct bf_json *j, int t)
{
	int i;

	if (t < 0 || t >= j->ntok)
		return j->ntok;
	if (j->tok[t].type != BF_JSON_OBJECT &&
	    j->tok[t].type != BF_JSON_ARRAY)
		return t + 1;
	/* Every token of t's subtree has a parent >= t; the first token
	 * after it has an ancestor of t (index < t) as parent. */
	for (i = t + 1; i < j->ntok && j->tok[i].parent >= t; i++)
		;
	return i;
}
/* The keys of the root object after a successful parse: sets *keys to
 * them (borrowed from j, valid until the next parse or bf_json_free) and
 * returns how many (tok[0].size; their order is document order up to 16
 * keys, else unspecified), or -1 when the root is not an object. This is
 * the table bf_json_get looks root keys up in; a reader that wants many
 * members walks it once (stream.h: bf_line_scan). Inline (C99 inline
 * definition; the external one is in json.c). */
inline int
bf_json_root_keys(const struct bf_json *j, const struct bf_jkey **keys)
{
	*keys = (const struct bf_jkey *)j->aux;
	if (j->ntok == 0 || j->tok[0].type != BF_JSON_OBJECT)
		return -1;
	return j->tok[0].size;
}
/* The w of struct bf_jkey for the key s[0..n): its first 8 bytes, the
 * first lowest, zero-padded. */
static inline uint64_t
bf_json_word(const char *s, size_t n)
{
	uint64_t w = 0;
	size_t i;

	for (i = 0; i < n && i < 8; i++)
		w |= (uint64_t)(unsigned char)s[i] << (8 * i);
	return w;
}
/* 1 if string token t equals s[0..n) after unescaping, else 0 (also for
 * non-strings and t out of range). */
int bf_json_streqn(const struct bf_json *j, int t, const char *s, size_t n);
/* Raw bytes of token t: for strings including the quotes, for numbers the
 * exact number text. */
const char *bf_json_raw(const struct bf_json *j, int t, size_t *n);
/* 1 if string token t equals s after unescaping, else 0 (also for
 * non-strings). */
int bf_json_streq(const struct bf_json *j, int t, const char *s);
/* Appends the unescaped value of string token t to out (which may then hold
 * NUL bytes from \u0000; len says how long). Returns -1 if t is no string. */
int bf_json_str(const struct bf_json *j, int t, struct bf_buf *out);
/* Convenience: the unescaped string value of key in the root object, copied
 * into out (reset first); returns 0, or -1 when absent or not a string. */
int bf_json_get_str(const struct bf_json *j, const char *key,
    struct bf_buf *out);
/* The value of number token t when it is an integer (no fraction, no
 * exponent) that fits a long long: returns 0 and sets *v, else -1. */
int bf_json_int(const struct bf_json *j, int t, long long *v);

/* 1 if s[0..n) is valid UTF-8 (RFC 3629, the same check bf_json_parse
 * applies to strings), else 0. */
int bf_utf8_valid(const char *s, size_t n);

/* Writing. bf_json_put_str appends s[0..n) as a quoted JSON string with the
 * escapes RFC 8259 requires (", \, control characters); bytes >= 0x80 are
 * copied as they are (the caller passes valid UTF-8). */
void bf_json_put_str(struct bf_buf *out, const char *s, size_t n);
/* Appends ,"key": and the quoted value (for building lines field by field);
 * the comma is always written. key and val are NUL-terminated. */
void bf_json_put_kv_str(struct bf_buf *out, const char *key, const char *val);

/* Rewrites the root object of j into out: its members in their original
 * bytes and order, without the members whose key is in drop (a NULL-
 * terminated list, may be NULL; keys compared after unescaping), followed by
 * extra (text of the form "\"k\":v,\"k2\":v2" without leading comma, may be
 * NULL or ""). Each kept member is copied from its key's opening quote to
 * its value's last byte; whitespace between members and around the braces
 * is dropped. Appends no newline. A root that is not an object is copied as
 * it is. This is how stages add or replace fields while passing lines
 * through. */
void bf_json_rewrite(const struct bf_json *j, struct bf_buf *out,
    const char *const *drop, const char *extra);

/* The value of the hexadecimal digit c (0-9, a-f, A-F), or -1. */
static inline int
bf_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
