/*
 * load.h: bf-load's per-window logic (bf-load(1)): usage lines are buffered
 * per window until the window's line closes it; a window with status ok is
 * loaded in one warehouse transaction (several with --batch), and the
 * partition's checkpoint is written only after the commit.
 *
 * Per window, inside the transaction and before anything is written, the
 * window is refused (nothing written, reported, the window line re-emitted
 * with status failed) when it overlaps a committed window of its partition
 * with other bounds, when two of its usage lines have the same key, when
 * another partition owns one of its usage keys, or when it has no usage
 * rows while rows are billed for it (unless allow_empty). Otherwise: the
 * rows of the window that are no longer produced are deleted, new and
 * changed rows upserted, ledger entries appended for the keys whose amount
 * changed (ledger.h), and the window recorded; a window that changes
 * nothing writes nothing.
 *
 * With a state directory, the first transaction that touches a partition
 * first checks its anchor (anchor.h): a warehouse behind the checkpoint is
 * recorded (a "restore" ledger entry), reported as a warning and the
 * checkpoint cut back; a chain mismatch refuses every window of the
 * partition ("chain_mismatch", nothing written, the checkpoint left
 * alone); a checkpoint without a head trusts a chain that verifies, with
 * a warning.
 *
 * A window whose line says the source returned nothing for it ("fetched"
 * 0, "lookback" 0 or absent, no usage rows) is held, unless allow_no_data,
 * until a window of its partition with data arrives: then the held windows
 * are committed first, in order. At the end of input the windows still
 * held (partitions without data in this input) are not committed: each is
 * re-emitted with "status":"no_data", one report per partition says so,
 * and they count as not committed (bf_load_status).
 *
 * Locks: each partition is locked when it first appears, for the rest of
 * the run: the state directory's file lock (bf_lock_partition), then the
 * warehouse's (bf_wh_lock_partition, PostgreSQL only). A partition that
 * another loader holds is not loaded: its windows are re-emitted failed
 * with "partition_locked", reported, and bf_load_status is 75.
 *
 * Fault injection: the environment variable BF_FAULT=POINT:COUNT makes the
 * process kill itself with SIGKILL the COUNT-th time (1-based) it reaches
 * POINT, one of (per window) "after-delete", "after-insert", "after-ledger";
 * (per transaction) "before-commit", "after-commit" (committed, checkpoint
 * not written), "after-checkpoint"; (SQLite, when bf_wh_open with
 * BF_WH_CREATE opens the warehouse) "journal-hot" (SQLite about to delete a
 * rollback journal: the transaction is on disk, the journal hot). Tests use
 * it to crash at each point and check that a rerun gives the result of a
 * clean run.
 */
#ifndef BF_LOAD_H
#define BF_LOAD_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "warehouse.h"

/* The most windows bf-load commits at once without --batch (SQLite). */
#define BF_LOAD_GROUP 64

struct bf_load_opts {
	const char *state;   /* state directory, or NULL: no checkpoints,
	                        no file locks (PostgreSQL's partition locks
	                        are taken either way) */
	int batch;           /* windows per transaction, >= 1 */
	int group;           /* > 0 (with batch 1): up to this many windows
	                        per transaction while more input is waiting
	                        (group commit: the caller calls bf_load_idle
	                        when it is not); 0: off */
	int allow_empty;     /* an empty window may remove billed rows */
	int allow_no_data;   /* commit a partition's windows without data
	                        even when none of its windows has data */
	const char *run_id;  /* recorded with every row written */
	const char *version; /* program_version in ledger entries */
	FILE *out;           /* window lines (with status) and passed-through
	                        lines go here */
	/* Reports a window that was not committed or an unreadable line
	 * (file may be NULL, line <= 0 when unknown). main() prints it. */
	void (*report)(void *ctx, const char *file, long line,
	    const char *msg);
	void *report_ctx;
};

struct bf_load;

/* A loader writing into w (borrowed; must outlive the loader). Reads
 * BF_FAULT; returns NULL with e set (BF_EXIT_USAGE) when it is malformed. */
struct bf_load *bf_load_new(struct bf_wh *w, const struct bf_load_opts *o,
    struct bf_err *e);
/* Feeds one input line (without newline; toolong when the reader cut it).
 * Returns 0, or -1 with e set on an error that ends the run (warehouse
 * lost, checkpoint not written, lock error): the caller then calls
 * bf_load_finish to report what was not committed, and exits e->code. */
int bf_load_line(struct bf_load *l, const char *file, long line,
    const char *s, size_t n, int toolong, struct bf_err *e);
/* The input has nothing more ready (bf_input_ready): with o->group,
 * commits the windows queued so far, so that none waits for input that
 * may be slow to come. Returns 0 or -1 with e set, as bf_load_line. */
int bf_load_idle(struct bf_load *l, struct bf_err *e);
/* At the end of input: loads the last batch and reports the windows whose
 * window line never came. Returns 0 or -1 with e set, as bf_load_line. */
int bf_load_finish(struct bf_load *l, struct bf_err *e);
/* The exit status the windows imply: BF_EXIT_VERIFY when a partition was
 * refused for a chain mismatch (anchor.h); else BF_EXIT_FAILED when some window
 * failed, was refused or was not committed; else BF_EXIT_TEMPFAIL when a
 * partition was locked by another bf-load; else 0. */
int bf_load_status(const struct bf_load *l);
/* Releases everything, and the partition locks. */
void bf_load_free(struct bf_load *l);

/* Writes the warehouse's canonical export to out (bf_wh_export). */
int bf_load_export(struct bf_wh *w, FILE *out, struct bf_err *e);

#endif
