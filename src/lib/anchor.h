/*
 * anchor.h: the partition's chain anchor (bf-load(1), "ANCHOR"): before
 * bf-load appends to a partition's ledger chain, the warehouse's head is
 * compared with the checkpoint's (checkpoint.h: chain_head and the earlier
 * heads), and bf-ledger reanchor moves a refused partition's anchor.
 *
 * Verdicts, for the warehouse's current head H and the checkpoint:
 *   MATCH      H is the checkpoint's head;
 *   AHEAD      H is a later entry and the chain verifies (a bf-load that
 *              committed and died before its checkpoint);
 *   FIRST_USE  the checkpoint has no head (no checkpoint: a lost state
 *              directory) and the chain verifies: trusted on first use;
 *   RESTORE    H is a head the checkpoint had earlier (or the empty
 *              chain) and the chain verifies: the warehouse went back
 *              (a restore, a failover, a deleted tail);
 *   MISMATCH   anything else (a head the checkpoint never had, a chain
 *              that does not verify): tampering, refused with
 *              "chain_mismatch" until an operator re-anchors.
 * "The chain verifies": the partition's entries are numbered 1, 2, ...
 * without a gap, each prev_hash the hash before it, each hash its entry's
 * (bf_ledger_check). MATCH reads one row; the others read the partition's
 * ledger once.
 */
#ifndef BF_ANCHOR_H
#define BF_ANCHOR_H

#include <stdint.h>

#include "buf.h"
#include "checkpoint.h"
#include "err.h"
#include "hash.h"
#include "warehouse.h"

enum {
	BF_ANCHOR_MATCH,
	BF_ANCHOR_AHEAD,
	BF_ANCHOR_FIRST_USE,
	BF_ANCHOR_RESTORE,
	BF_ANCHOR_MISMATCH,
};

struct bf_anchor {
	int verdict;              /* BF_ANCHOR_* */
	int64_t seq;              /* the warehouse's last entry, 0: none */
	char head[BF_SHA256_HEX]; /* its hash, "" for none */
	long index;               /* RESTORE: H's place in ck->heads (-1:
	                             the empty chain) */
	char why[320];            /* MISMATCH: why, one sentence */
};

/* Compares the warehouse's chain of partition with ck (borrowed), inside
 * the caller's transaction. Returns 0 with a set, or -1 with e set on a
 * warehouse error. */
int bf_anchor_check(struct bf_wh *w, const char *partition,
    const struct bf_ckpt *ck, struct bf_anchor *a, struct bf_err *e);

/* The warehouse's windows of partition into present (initialised by the
 * caller): their ranges, count, and the last one (by start) with its
 * digest. */
int bf_anchor_windows(struct bf_wh *w, const char *partition,
    struct bf_ckpt *present, struct bf_err *e);

/* Makes ck's committed ranges, window count and last window present's
 * (bf_anchor_windows), which gives up its ranges (left empty). */
void bf_anchor_take_windows(struct bf_ckpt *ck, struct bf_ckpt *present);

/* Appends to out the committed ranges of ck that present lacks, as
 * "[from, to)" joined by ", ", and their span into *from, *to (0, 0 when
 * none). Returns the number of ranges. */
size_t bf_anchor_missing(const struct bf_ckpt *ck,
    const struct bf_ckpt *present, struct bf_buf *out, bf_time *from,
    bf_time *to);

/* bf-ledger reanchor: under the partition's lock in state, in one
 * transaction: the partition's chain must verify (else -1 with e set,
 * BF_EXIT_VERIFY); a "reanchor" entry (ledger.h) is appended whose reason
 * names who and why and the heads before; after the commit the checkpoint's
 * head becomes that entry's (the earlier heads still in the chain are
 * kept), and its committed ranges the warehouse's windows
 * (bf_anchor_take_windows). who and why are non-empty text. On success
 * out receives one JSON
 * line: {"partition":..,"seq":N,"chain_head":..,"previous_head":..,
 * "checkpoint_head":..}. */
struct bf_reanchor {
	const char *state, *partition, *who, *why;
	const char *run_id, *version;
};
int bf_anchor_reanchor(struct bf_wh *w, const struct bf_reanchor *r,
    struct bf_buf *out, struct bf_err *e);

#endif
