/*
 * ledger.h: the chargeback ledger's entries and its hash chain (bf-load(1),
 * "LEDGER" and "HASH CHAIN").
 *
 * An entry is a row of the ledger table (warehouse.h, columns BF_L_*). The
 * ledger is append-only; the balance of a ledger key (tenant, instance_id,
 * metric, window_start, window_end, currency) is the sum of its entries'
 * amounts, and always equals the cost of the usage row it follows (zero
 * once the row is gone). Kinds:
 *   charge      a usage key first loaded: amount = cost;
 *   correction  a later load found another cost: amount = new - old, and
 *               the reason says "cost changed from OLD to NEW";
 *   reversal    a usage row no longer produced (or that changed tenant or
 *               currency): amount = -cost, so the key's balance is zero.
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
#include "err.h"
#include "hash.h"
#include "warehouse.h"

#define BF_LEDGER_CHARGE "charge"
#define BF_LEDGER_CORRECTION "correction"
#define BF_LEDGER_REVERSAL "reversal"

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

/* Appends to out the entries that take the ledger of one usage key from
 * the stored row old to the new row (NULL when absent; at least one is
 * set, both of the same key): nothing when tenant, currency and cost are
 * unchanged; a charge for a new key; a reversal for a key no longer
 * produced; a correction when only the cost changed; a reversal and a
 * charge when the tenant or currency changed. Entries borrow the strings
 * of old, new and c; their computed values (seq, amount, reason, hashes)
 * live in out. Returns the number of entries appended, or -1 with e set
 * (a cost that is no decimal, or overflow). */
int bf_ledger_diff(struct bf_ledger_chain *c, const struct bf_row *old,
    const struct bf_row *new, struct bf_rowset *out, struct bf_err *e);

#endif
