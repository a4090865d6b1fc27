/*
 * dlq.h: the dead-letter queue, the project's one format for refused records
 * (bf-validate(1) and bf(7), "DEAD-LETTER QUEUE"). Every stage that refuses a
 * record writes it here. One NDJSON line per reject:
 *
 *   {"type":"reject","id":"<32 hex>","stage":"bf-validate",
 *    "error":{"code":"out_of_range","pointer":"/value","rule":"maximum",
 *             "message":"value 120 is above the maximum 100"},
 *    "file":"<stdin>","line":42,
 *    "partition":"db-1","window_start":"…","window_end":"…",
 *    "raw":"<the original line, byte for byte, as a JSON string>"}
 *
 * Keys come in the order shown. A raw line that is not valid UTF-8 is kept
 * as "raw_base64" (RFC 4648 base64 of the bytes) instead of "raw"; a valid
 * one is the JSON string of exactly its bytes (control characters, NUL
 * included, escaped), so jq -r .raw gives the line back. "rule" is left out
 * when NULL, "file" when NULL, "line" when not positive, and each window
 * field when NULL. Text fields other than raw (messages may quote bad data)
 * have any invalid UTF-8 replaced by U+FFFD, so every DLQ line is valid JSON.
 *
 * The id is the first 32 hex digits of SHA-256 over, in this order:
 * - when partition, window_start and window_end are all known:
 *   "w" NUL partition NUL window_start NUL window_end NUL;
 * - when the window is known and ordinal >= 0: "o" NUL ordinal NUL;
 *   otherwise "f" NUL file NUL line NUL (numbers in decimal);
 * - the raw bytes.
 * So a window validated again yields the same ids (dedupe with sort -u or
 * jq), and the same bad line at another place gets another id.
 */
#ifndef BF_DLQ_H
#define BF_DLQ_H

#include <stddef.h>

#include "err.h"

/* The whole of a raw line too long to hold in memory, kept in a file by
 * whoever read it (bf_input, for a line longer than --max-line): its fd,
 * read from offset 0 with pread, len bytes; err is the errno of a failure to
 * keep it (0 when it is whole). */
struct bf_spill {
	int fd;
	long long len;
	int err;
};

struct bf_reject {
	const char *stage;    /* program name, e.g. "bf-validate" */
	const char *code;     /* taxonomy code, e.g. "invalid_json" */
	const char *pointer;  /* JSON pointer to the field, "" for the line */
	const char *rule;     /* the rule or keyword that failed, or NULL */
	const char *message;  /* human-readable, lowercase */
	const char *file;     /* input name, e.g. "<stdin>" */
	long line;            /* 1-based line number in file */
	const char *partition;    /* NULL when not known */
	const char *window_start; /* NULL when not known */
	const char *window_end;   /* NULL when not known */
	long ordinal;         /* 0-based position in its window, -1 if none */
	const char *raw;      /* the original bytes, without newline */
	size_t rawlen;
	int raw_base64;       /* keep raw as raw_base64 even when it is UTF-8 */
	const struct bf_spill *spill; /* NULL, or the whole raw line, of
	                         which raw[0..rawlen) is the start: the record
	                         is built from it in a temporary file, in
	                         bounded memory, and appended whole */
};

struct bf_dlq;

/* Opens the DLQ: path is a file (created 0600, appended to) or NULL for
 * stderr. Each record is appended whole, at once: to a regular file under an
 * exclusive flock(2) that every writer takes, so several processes (parallel
 * pipelines) may share one DLQ file without mixing their records, and a
 * write that fails part way (a full disk) is cut back, leaving no torn
 * record. A regular file that does not end with a newline (a writer killed
 * mid-record) is repaired first, under the same lock: the torn bytes become
 * a record of their own, code torn_record, kept in raw_base64 (a warning
 * says so). A pipe, terminal or /dev/null is written to as it is. Returns
 * NULL with e set (BF_EXIT_IO) on failure. */
struct bf_dlq *bf_dlq_open(const char *path, struct bf_err *e);
/* Writes one reject line. Returns 0 or -1 with e set (BF_EXIT_IO, also when
 * r->spill says the line could not be kept whole). */
int bf_dlq_write(struct bf_dlq *q, const struct bf_reject *r,
    struct bf_err *e);
/* Makes what was written durable: fsync for a regular file. Call before
 * passing on the window line of a window that had rejects. */
int bf_dlq_sync(struct bf_dlq *q, struct bf_err *e);
/* Syncs and closes; q is freed even on error. */
int bf_dlq_close(struct bf_dlq *q, struct bf_err *e);
/* The id of r (32 hex digits and NUL). */
void bf_dlq_id(const struct bf_reject *r, char out[33]);
/* Number of rejects written through q. */
long bf_dlq_count(const struct bf_dlq *q);

#endif
