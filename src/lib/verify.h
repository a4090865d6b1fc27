/*
 * verify.h: the tamper check of bf-ledger verify (bf-ledger(1),
 * "VERIFY").
 *
 * In one read snapshot of the warehouse (bf_wh_begin_read), and against
 * the checkpoints of a state directory when one is given:
 *
 * - the hash chain of each partition's ledger (ledger.h): entries numbered
 *   1, 2, ... without a gap (a gap: entries deleted), each entry's
 *   prev_hash the hash stored in the entry before it (else: inserted,
 *   moved or renumbered, "out of order"), each stored hash the hash of the
 *   entry's canonical form (else: edited). After a broken link the walk
 *   goes on from the stored values, so that each damaged entry is named
 *   once;
 * - the chain heads: every windows row's chain_head must be the hash of an
 *   entry of its partition, and the newest of them the last entry (else
 *   the tail was deleted, or entries were appended outside bf-load; the
 *   events of ledger.h, a restore or a re-anchoring, may follow it); the
 *   checkpoint's chain_head must be the hash of the last entry (a head no
 *   entry has: the tail was deleted; an older entry's: entries appended
 *   after the checkpoint, or a bf-load that crashed before writing it,
 *   unless the checkpoint changed while verify ran);
 * - the committed ranges of each checkpoint must be covered by windows
 *   rows (else windows were deleted), and with a state directory a
 *   partition whose ledger has entries must have a checkpoint;
 * - each usage row's digest must be the SHA-256 of its canonical form
 *   (else: edited), and each row must belong to a committed window;
 * - each window's digest and usage_rows must match its usage rows (rows
 *   edited, deleted or inserted);
 * - the balance of every ledger key (the sum of its entries) must equal
 *   the cost of the usage row it follows, or zero when there is none;
 * - every decimal of an entry (its amount) and of a usage row must be
 *   written as bf_dec_format writes it (bf_wh_dec_canonical): any other
 *   text, even of the same number ("+0.1", " 0.1", ten decimals), is an
 *   edit;
 * - from schema version 3, each windows row's hash must be the hash of its
 *   other columns (bf_wh_window_hash), so that its grid and counts are
 *   covered; a row without one was edited. Reported after the problems
 *   above, which are usually the cause.
 *
 * Damage is always a problem of its partition, never an error: whatever a
 * row holds, every partition gets its report line, and the caller exits
 * 3.
 *
 * Memory: a few hundred bytes per committed window and about 60 bytes per
 * ledger key; entries and usage rows are streamed.
 */
#ifndef BF_VERIFY_H
#define BF_VERIFY_H

#include <stdio.h>

#include "err.h"
#include "warehouse.h"

struct bf_verify_opts {
	const char *state; /* state directory, or NULL */
	/* One line per partition, in bytewise order of the names:
	 * {"partition":"db-1","status":"ok","entries":4,"windows":2,
	 *  "usage_rows":4,"chain_head":"...","checkpoint":"match",
	 *  "problems":0}
	 * and, when status is "failed", "first":{"check":...,"problem":...,
	 * "seq":N or null,"message":...}. checkpoint is "match", "mismatch",
	 * or "none" (no state directory, or no checkpoint file). */
	FILE *out;
	/* Called for every problem, with a message naming the partition
	 * (main() prints it); NULL to count the problems only. */
	void (*problem)(void *ctx, const char *msg);
	void *ctx;
};

/* Runs the check. Returns the number of problems found (0: the ledger
 * verifies), or -1 with e set when it could not run (warehouse
 * unavailable, unreadable checkpoint, write error). */
long bf_verify(struct bf_wh *w, const struct bf_verify_opts *o,
    struct bf_err *e);

#endif
