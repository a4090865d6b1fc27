/*
 * budget.h: one request budget per source, shared by every process of a
 * backfill: the token bucket, the circuit breaker and a pending Retry-After
 * of retry.h, kept per source id in a durable store.
 *
 * A TARGET names the store: a PostgreSQL URI or conninfo string
 * (bf_target_is_pg: a table bf_budget there, one row per source, created if
 * missing, each update one short transaction under SELECT ... FOR UPDATE;
 * the password from PGPASSWORD or PGPASSFILE, never from the target), or
 * else a directory (created 0700 if missing; one file per source in it,
 * 0600, named by the source id percent-encoded, or when that is longer
 * than 200 bytes by its first 183 bytes, '~' and the 16 hex digits of the
 * id's FNV-1a hash; each update a read-modify-write under flock(2)). Times in the state are wall-clock
 * milliseconds (bf_wall_ms), so other processes, machines and later runs
 * read them alike.
 *
 * Errors: -1 (or NULL) with e set, e->code BF_EXIT_UNAVAILABLE when the
 * store cannot be reached, read or written (never a silent fallback to a
 * private budget), BF_EXIT_USAGE for a target holding a password.
 *
 * Ownership: a struct bf_budget owns its file descriptor or connection and
 * a copy of the source id; bf_budget_close frees all. Not thread-safe: the
 * caller holds a lock around each call (fetch.c does).
 */
#ifndef BF_BUDGET_H
#define BF_BUDGET_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "retry.h"

/* The shared state of one source. All zero is a fresh source (its bucket
 * starts full, its breaker closed). */
struct bf_budget_state {
	int64_t tokens, last_ms, started;       /* struct bf_bucket */
	int64_t bstate, fails, probing, opened_ms, opened; /* bf_breaker */
	int64_t probe_ms;   /* when the half-open probe went out */
	int64_t hold_ms;    /* a Retry-After: nothing is sent before it */
	char reason[640];   /* the failure that opened the breaker */
};

struct bf_budget;

/* Milliseconds of CLOCK_REALTIME. */
int64_t bf_wall_ms(void);

/* Opens the store named by target for source id (any non-empty text). */
struct bf_budget *bf_budget_open(const char *target, const char *id,
    struct bf_err *e);
/* Locks the source's state, reads it, calls fn on it, writes it back and
 * unlocks. fn must not block. Returns 0, or -1 with e set (the state is
 * then unchanged). */
int bf_budget_update(struct bf_budget *b,
    void (*fn)(struct bf_budget_state *st, void *ctx), void *ctx,
    struct bf_err *e);
void bf_budget_close(struct bf_budget *b);

/* Loads st into a bucket and a breaker set up by bf_bucket_init and
 * bf_breaker_init (the rate and thresholds stay theirs), and stores them
 * back. */
void bf_budget_get(const struct bf_budget_state *st, struct bf_bucket *bk,
    struct bf_breaker *br);
void bf_budget_put(struct bf_budget_state *st, const struct bf_bucket *bk,
    const struct bf_breaker *br);

/* The state as one line of text (no newline) and back: the file format,
 * "bf-budget 1" then the numbers then a tab and the reason. Parsing
 * returns 0, or -1 for anything else. */
void bf_budget_format(const struct bf_budget_state *st, struct bf_buf *out);
int bf_budget_parse(const char *s, struct bf_budget_state *st);

/* Appends to out a default source id: kind ":" locator, where a URL loses
 * its userinfo, query and fragment, and for kind "postgres" the conninfo or
 * URI keeps only host, hostaddr, port and dbname. */
void bf_budget_default_id(const char *kind, const char *locator,
    struct bf_buf *out);

#endif
