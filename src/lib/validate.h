/*
 * validate.h: the per-line work of bf-validate(1): check each line against
 * the contract, pass valid lines on, send rejects to the DLQ, and account
 * for them per window.
 *
 * Contract mode (the bf stream, bf(7)):
 * - sample lines are checked (stream rules, the metric rules and the JSON
 *   Schema of the contract); a valid sample is written as its original
 *   bytes, or, when its unit was converted, with "value" and "unit"
 *   replaced by the canonical ones and "source_value"/"source_unit" added
 *   (bf_json_rewrite); a refused one goes to the DLQ;
 * - a window line is re-emitted (bf_window_emit) with "accepted",
 *   "rejected", "lookback_accepted" and "lookback_rejected" counts; its status becomes "failed" (code "reject_rate")
 *   when rejected / (accepted + rejected) is above the maximum reject rate.
 *   Before it is written, the DLQ is synced (bf_dlq_sync), so a window that
 *   is passed on never lacks its rejects after a crash;
 * - a sample line with "lookback":true (a lookback sample, bf(7)) is
 *   checked like any sample, except that its ts must lie in
 *   [window_start - lookback, window_start); the contract's JSON Schema sees
 *   the line without its "lookback" member (a stream member, like "type"),
 *   and a converted line keeps "lookback":true as its last member. Lookback
 *   samples count as "lookback_accepted" and "lookback_rejected" in the
 *   window line, never in "accepted", "rejected" or the reject rate.
 *   "lookback" with any other value is an ordinary reject ("not_allowed");
 * - lines of other types pass through unchanged; a line without a string
 *   "type" is refused ("missing_type"; bf-validate
 *   wrote "no_type" before, an alias in bf-validate(1)).
 * A refused line whose window cannot be read (invalid JSON, missing window
 * fields) counts as rejected in the next window line written.
 *
 * Plain mode (--plain): every line is checked against the schema, any JSON
 * value is a line; there are no windows, and the reject rate applies to the
 * whole input (bf_validator_finish).
 *
 * Empty lines (nothing but spaces) are skipped and counted, never refused.
 * Each DLQ entry's ordinal (for its stable id) is the line's 0-based
 * position among the lines of its window, so a window validated again gives
 * the same ids.
 */
#ifndef BF_VALIDATE_H
#define BF_VALIDATE_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "contract.h"
#include "decimal.h"
#include "dlq.h"
#include "err.h"
#include "timeutil.h"

struct bf_validate_opts {
	int plain;              /* plain JSON Schema mode */
	bf_dec max_reject_rate; /* 0..1; a window above it fails */
	bf_time now;            /* samples after it are refused */
	int64_t lookback;       /* seconds, >= 0: how far before its window a
	                           lookback sample may lie (0: none may) */
};

struct bf_validate_stats {
	long lines;        /* lines read */
	long empty;        /* empty lines skipped */
	long accepted;     /* samples (plain: lines) passed on, lookback
	                      samples not included */
	long lookback;     /* lookback samples passed on */
	long converted;    /* of which with a unit converted */
	long rejected;     /* lines written to the DLQ */
	long passed;       /* lines of other types passed through */
	long windows;      /* window lines written */
	long failed;       /* of which failed (here or upstream) */
	long unattributed; /* rejects whose window was not known */
};

struct bf_validator;

/* A validator writing valid lines to out and rejects to q; c, out and q
 * are borrowed and must outlive it. Never fails (aborts on out of memory). */
struct bf_validator *bf_validator_new(struct bf_contract *c,
    const struct bf_validate_opts *o, FILE *out, struct bf_dlq *q);
/* Handles one input line s[0..n) (without its newline) read from file at
 * lineno; toolong is NULL, or the whole of a line longer than the maximum
 * (bf_input_spill), of which s[0..n) is the start: its line_too_long
 * record keeps the whole line (borrowed for the call). Returns 0, or
 * -1 with e set when the DLQ cannot be written or synced (BF_EXIT_IO): the
 * caller must stop, since later window lines could not be vouched for. */
int bf_validator_line(struct bf_validator *v, const char *file, long lineno,
    const char *s, size_t n, const struct bf_spill *toolong,
    struct bf_err *e);
/* Ends the input: in plain mode, counts the whole input as failed when its
 * reject rate is above the maximum. Returns 0 (nothing here can fail). */
int bf_validator_finish(struct bf_validator *v, struct bf_err *e);
const struct bf_validate_stats *bf_validator_stats(
    const struct bf_validator *v);
void bf_validator_free(struct bf_validator *v);

/* 1 when rejected of (accepted + rejected) is strictly above rate. */
int bf_reject_rate_exceeded(long accepted, long rejected, bf_dec rate);

#endif
