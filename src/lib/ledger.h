/*
 * ledger.h: the chargeback ledger's entries and its hash chain (bf-load(1),
 * "LEDGER" and "HASH CHAIN").
 *
 * An entry is a row of the ledger table (warehouse.h, columns BF_L_*). The
 * ledger is append-only. A usage row's cost belongs to tenants in shares:
 * its "allocations" summed per tenant (cost centres together), or, without
 * allocations, the whole cost to its "tenant" ("" when it has none). The
 * balance of a ledger key (tenant, instance_id, metric, window_start,
 * window_end, currency) is the sum of its entries' amounts, and always
 * equals that tenant's share of the usage row it follows (zero once the
 * row or the share is gone). Kinds:
 *   charge      a share first loaded: amount = share;
 *   correction  a later load found another share: amount = new - old, and
 *               the reason says "cost changed from OLD to NEW";
 *   reversal    a share no longer there (the row no longer produced, the
 *               tenant no longer allocated, the currency changed):
 *               amount = -share, so the key's balance is zero.
 *
 * Hash chain: entries are numbered per partition (seq 1, 2, ...). An
 * entry's hash is the SHA-256 (lowercase hex) of its canonical form: the
 * JSON object of all its columns but "hash", in table order, written by
 * bf_wh_row_json (seq as a number, amount as a 9-place string, NULL as
 * null, no spaces). The canonical form holds "prev_hash", the hash of the
 * partition's previous entry (BF_LEDGER_GENESIS for the first), so each
 * hash covers the whole chain before it. The hash of the last entry is the
 * chain head, kept in the windows table and in the partition's checkpoint.
 */
#ifndef BF_LEDGER_H
#define BF_LEDGER_H

#include <stdint.h>

#include "buf.h"
#include "decimal.h"
#include "err.h"
#include "hash.h"
#include "warehouse.h"

#define BF_LEDGER_CHARGE "charge"
#define BF_LEDGER_CORRECTION "correction"
#define BF_LEDGER_REVERSAL "reversal"
/* Events of the chain itself (anchor.h), amount 0, tenant, instance_id,
 * metric and currency "": a warehouse found behind its checkpoint
 * (restored, failed over, or its tail deleted), and an operator's
 * re-anchoring of a partition refused for a chain mismatch. */
#define BF_LEDGER_RESTORE "restore"
#define BF_LEDGER_REANCHOR "reanchor"

/* The prev_hash of a partition's first entry: 64 zeros. */
#define BF_LEDGER_GENESIS \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* Appends the canonical form of entry (every column but BF_L_HASH must be
 * set as the table requires) to out. Returns -1 with e set when a column
 * does not have its type (an amount that is no decimal). */
int bf_ledger_canon(const struct bf_row *entry, struct bf_buf *out,
    struct bf_err *e);
/* The hash of entry: SHA-256 hex of its canonical form. */
int bf_ledger_hash(const struct bf_row *entry, char out[BF_SHA256_HEX],
    struct bf_err *e);

/* Checks one stored entry against the chain read so far (prev_seq and
 * prev_hash of the partition's previous entry, 0 and NULL for none):
 * seq must be prev_seq + 1, prev_hash must match, and the stored hash must
 * be the hash of the entry. Returns 0, or -1 with why (at least 128 bytes)
 * saying which check failed. For bf-ledger verify. */
int bf_ledger_check(const struct bf_row *entry, int64_t prev_seq,
    const char *prev_hash, char *why, size_t whylen);

/* Writes new entries of one partition's chain. The caller sets partition,
 * run_id, program_version and recorded_at (borrowed, must outlive the
 * entries made) and seq/head from the warehouse's chain head (0 and "" for
 * an empty chain); bf_ledger_diff advances seq and head. */
struct bf_ledger_chain {
	const char *partition;
	const char *run_id;
	const char *program_version;
	const char *recorded_at;
	int64_t seq;
	char head[BF_SHA256_HEX];
};

/* 1 when kind is an event kind (BF_LEDGER_RESTORE, BF_LEDGER_REANCHOR):
 * an entry that bills nothing and follows no window. */
int bf_ledger_is_event(const char *kind);

/* Appends to out one event entry of kind for c's partition: amount
 * 0.000000000, tenant, instance_id, metric, currency and usage_digest "",
 * source NULL, the window [ws, we] it concerns and reason (copied into
 * out). Advances c's seq and head. Returns 0, or -1 with e set. */
int bf_ledger_event(struct bf_ledger_chain *c, const char *kind,
    const char *ws, const char *we, const char *reason,
    struct bf_rowset *out, struct bf_err *e);

/* One tenant's share of a usage row's cost. */
struct bf_share {
	const char *tenant;
	bf_dec amount;
};

/* The shares of usage row r, sorted by tenant (bytewise), one per tenant:
 * the "allocations" JSON array (objects with "tenant" and "cost"; other
 * members ignored) summed per tenant, or the whole cost to the row's
 * tenant when there are no allocations (or an empty array). Tenant names
 * are copied into mem. *v is reallocated (the caller frees it); *n
 * receives the count. Returns -1 with e set (BF_EXIT_FAILED) when the
 * allocations are malformed or do not add up to the cost exactly. */
int bf_ledger_shares(const struct bf_row *r, struct bf_rowset *mem,
    struct bf_share **v, size_t *n, struct bf_err *e);

/* Appends to out the entries that take the ledger of one usage key from
 * the stored row old to the new row (NULL when absent; at least one is
 * set, both of the same key), tenant by tenant in tenant order: nothing
 * for a share unchanged; a charge for a new share ("first load" when there
 * was no row, else "newly allocated to this tenant"); a correction when a
 * share changed ("cost changed from OLD to NEW"); a reversal for a share
 * gone ("no longer produced" when the row is gone, else "no longer
 * allocated to this tenant"); when the currency changed, a reversal of
 * every old share and a charge of every new one ("currency changed from
 * 'OLD' to 'NEW'"). Entries borrow the strings of old, new and c; their
 * computed values (seq, tenant, amount, reason, hashes) live in out.
 * Returns the number of entries appended, or -1 with e set. */
int bf_ledger_diff(struct bf_ledger_chain *c, const struct bf_row *old,
    const struct bf_row *new, struct bf_rowset *out, struct bf_err *e);

#endif
