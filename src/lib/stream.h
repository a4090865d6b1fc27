/*
 * stream.h: the bf stream (bf(7)): line types and the window line rules.
 *
 * Every line is one JSON object with a "type". A window line closes its
 * window: the lines of a window come before its window line. Each stage
 * re-emits the window line after the window's data with its own counts and a
 * status; "failed" is sticky and carries an error object
 * {"stage":...,"code":...,"message":...}.
 */
#ifndef BF_STREAM_H
#define BF_STREAM_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "timeutil.h"

enum bf_line_type {
	BF_LINE_OTHER = 0, /* an object of a type this library does not know */
	BF_LINE_WINDOW,
	BF_LINE_SAMPLE,
	BF_LINE_USAGE,
	BF_LINE_NOTYPE,    /* an object without a string "type" */
};

/* The type of the root object of a parsed line (BF_LINE_NOTYPE also when
 * the root is not an object or nothing was parsed). "type" is compared after
 * unescaping. */
int bf_line_type(const struct bf_json *j);
/* The same, given the root's "type" value token t (-1 when absent), for a
 * caller that has found it already. */
int bf_line_type_of(const struct bf_json *j, int t);

/*
 * Reading a line's root members in one pass: the one field scanner every
 * stage uses. A stage names the members it reads in a table whose first
 * BF_F_NCOMMON names are BF_F_COMMON_NAMES (the window fields and "type",
 * read by every stage), then its own, and compiles it once:
 *
 *	enum { F_METRIC = BF_F_NCOMMON, F_VALUE, F_N };
 *	static const char *const names[F_N] = { BF_F_COMMON_NAMES,
 *	    "metric", "value" };
 *	bf_fields_init(&fs, names, F_N);
 *
 * then per line bf_line_scan(&fs, &j, tok) with int tok[F_N].
 */
enum {
	BF_F_TYPE,
	BF_F_PARTITION,
	BF_F_WINDOW_START,
	BF_F_WINDOW_END,
	BF_F_NCOMMON
};
#define BF_F_COMMON_NAMES "type", "partition", "window_start", "window_end"
/* The most names one table may hold. */
#define BF_FIELDS_MAX 32

/* A compiled field table: a hash table without collisions on each name's
 * length and first 8 bytes (struct bf_jkey), so that a key is looked up
 * with one probe. Plain data: copy it, no free. */
#define BF_FIELDS_SLOTS 128
struct bf_fields {
	const char *const *names; /* borrowed; the caller's table */
	int n;
	uint64_t mul;             /* the hash's multiplier */
	struct bf_fslot {
		uint64_t w;  /* bytes 0 to 7 of the name (bf_json_word) */
		uint64_t w2; /* bytes 8 to 15 */
		int len;     /* -1: an empty slot */
		int id;
	} slot[BF_FIELDS_SLOTS];
	/* further names of the same length and first 8 bytes as name i: a
	 * list from next[slot's id], -1 ending it */
	signed char next[BF_FIELDS_MAX];
};

/* Compiles names[0..n) (n at most BF_FIELDS_MAX, the names distinct, the
 * table outliving fs) into fs. Returns 0, or -1 when n is out of range or
 * (not seen for tables of up to BF_FIELDS_MAX real names) no multiplier
 * kept them apart. */
int bf_fields_init(struct bf_fields *fs, const char *const *names, int n);
/* Sets tok[i] (i < fs->n) to the value token of the root member named
 * fs->names[i] in j, or -1 when there is none: what bf_json_get(j, 0, name)
 * gives for each name (keys compared after unescaping), in one pass over
 * the parser's key table of the root (bf_json_root_keys), one probe and
 * one word compare a key. Returns the line type, bf_line_type_of(j,
 * tok[BF_F_TYPE]); BF_LINE_NOTYPE with every tok -1 when the root is not
 * an object or nothing was parsed. */
int bf_line_scan(const struct bf_fields *fs, const struct bf_json *j,
    int *tok);

/*
 * The same-window cache. Lines come in runs of one window: a stage keeps
 * the raw bytes of the last line's (partition, window_start, window_end)
 * values with what they stand for (the caller's window entry, which it
 * owns) and, while a line's bytes are the same, skips bf_window_from_json
 * and its table lookup. A caller that frees the entry forgets it first
 * (bf_wcache_clear).
 */
struct bf_wcache {
	struct bf_buf key; /* each raw value followed by a NUL; owned */
	void *hit;         /* what they stand for, or NULL: nothing cached */
};
#define BF_WCACHE_INIT { BF_BUF_INIT, NULL }

/* What was remembered, when the three tokens t[0..3) (partition,
 * window_start, window_end value tokens of j, as bf_line_scan leaves them
 * from BF_F_PARTITION on) are all present and their raw bytes are those
 * remembered; else NULL. The
 * bytes are compared as they are: "\u0061" and "a" differ, so a miss
 * is not a different window, only a cache miss. */
void *bf_wcache_get(const struct bf_wcache *c, const struct bf_json *j,
    const int t[3]);
/* Remembers the raw bytes of t[0..3) (all present) of j, standing for hit
 * (not NULL). */
void bf_wcache_set(struct bf_wcache *c, const struct bf_json *j,
    const int t[3], void *hit);
/* Forgets the remembered window (bf_wcache_get then returns NULL). */
void bf_wcache_clear(struct bf_wcache *c);
void bf_wcache_free(struct bf_wcache *c);

/* A window's identity, (partition, window_start, window_end). */
struct bf_window {
	char *partition;  /* owned (bf_window_free); may hold any bytes but NUL */
	bf_time start, end;
	char ws[BF_TIME_LEN], we[BF_TIME_LEN]; /* start, end as RFC 3339 UTC */
};

/* Reads partition, window_start and window_end from the root object of j
 * (a window, sample or usage line). The partition is a non-empty string
 * without NUL (after unescaping); the bounds are strings bf_time_parse
 * accepts, without fractional seconds, with window_end after window_start;
 * ws and we get their canonical form. Returns 0 (w->partition then owned by
 * w), or -1 with e set (BF_EXIT_FAILED) naming the missing or malformed field
 * ("missing field 'window_end'", "bad timestamp 'x' in field
 * 'window_start'") and w->partition NULL. */
int bf_window_from_json(const struct bf_json *j, struct bf_window *w,
    struct bf_err *e);
void bf_window_free(struct bf_window *w);
/* 1 when a and b are the same window (same partition bytes, same bounds as
 * instants: "2026-01-01T01:00:00+01:00" is the same start as
 * "2026-01-01T00:00:00Z"). */
int bf_window_same(const struct bf_window *a, const struct bf_window *b);

/* 1 when the window line j has "status":"failed". */
int bf_window_failed(const struct bf_json *j);

/* Appends to out the window line s[0..n) (without its newline; when it is
 * no JSON object, nothing is appended), followed by '\n', with the stage's
 * counts added (counts: "\"fetched\":12,\"pages\":3" or NULL; keys in
 * counts replace existing ones of the same name; counts must not hold
 * "status" or "error"). The line is parsed here: a stage passes the raw
 * line it read or kept, parsed or not. The other members keep their bytes
 * and order; the counts, then status and error, go last. status is "ok" or
 * "failed" (NULL means "ok"):
 * - if the line is already failed, it stays failed with its original
 *   status and error members, whatever status says (failed is sticky);
 * - else status replaces any status (and a stale "error" is dropped), and
 *   when it is "failed", "error":{"stage":stage,"code":code,
 *   "message":message} is set (NULL strings written as "").
 */
void bf_window_emit(const char *s, size_t n, struct bf_buf *out,
    const char *stage, const char *status, const char *code,
    const char *message, const char *counts);

/* The longest name (instance_id, metric, tenant) in bytes. A partition
 * name is held to the state directory's limit instead (checkpoint.h). */
#define BF_NAME_MAX 1024

/* Why s[0..n) cannot be a name of field (instance_id, metric, tenant or
 * partition), written into why (appended), or 0 when it can: a name is
 * 1 to BF_NAME_MAX bytes of UTF-8 (the JSON reader checked that) without
 * a control character (U+0000 to U+001F, U+007F); a partition name also
 * fits the state directory. Returns -1 when refused, 0 when fine.
 * bf-validate refuses such names into the DLQ (bad_name) and bf-load
 * refuses them too, so that none reaches the warehouse. */
int bf_name_check(const char *field, const char *s, size_t n,
    struct bf_buf *why);

#endif
