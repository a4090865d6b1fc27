/*
 * checkpoint.h: the state directory (bf(7), "STATE DIRECTORY").
 *
 * One checkpoint file per partition, DIR/<encoded partition>.ckpt, a single
 * JSON object on one line, readable with cat and jq:
 *
 *   {"partition":"db-1","grid":"size=86400 phase=0 billing_day=1",
 *    "committed":[["2026-01-01T00:00:00Z","2026-01-05T00:00:00Z"]],
 *    "windows":4,"last_window":["2026-01-04T00:00:00Z","2026-01-05T00:00:00Z"],
 *    "last_digest":"<sha256 hex>","chain_head":"<sha256 hex>",
 *    "heads":["<sha256 hex>",...],"updated":"2026-11-25T10:00:00Z"}
 *
 * The file ends with a newline. "grid" is left out while it is NULL,
 * "last_window" while there is none, "last_digest" and "chain_head" while
 * they are ""; a reader also takes null for them. Unknown keys are ignored
 * (room to grow); "updated" is informative only.
 *
 * committed: the committed windows merged into sorted, disjoint half-open
 * ranges (a file with ranges out of order, overlapping or touching is
 * refused as corrupt); grid: the window grid they were planned on (an opaque string to
 * this module, made by the window module); last_digest: digest of the last
 * committed window's usage; chain_head: hash of the partition's last ledger
 * entry. heads: the chain heads the partition had before chain_head, in
 * the order they were anchored, each once (left out while empty; a
 * checkpoint without it, from an older bf-load, has none): with them
 * bf-load tells a warehouse restored to an earlier committed state from a
 * forged one (anchor.h). bf-load writes it (after its commit, atomically),
 * bf-window and bf-ledger read it: they agree by construction.
 *
 * Locks: DIR/<encoded partition>.lock held with flock(LOCK_EX|LOCK_NB) by the
 * one bf-load of that partition; DIR/.bf-backfill.lock by bf-backfill.
 */
#ifndef BF_CHECKPOINT_H
#define BF_CHECKPOINT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "hash.h"
#include "timeutil.h"

struct bf_range {
	bf_time from, to; /* [from, to) */
};

struct bf_ckpt {
	char *partition;     /* owned */
	char *grid;          /* owned; NULL when nothing committed yet */
	struct bf_range *r;  /* owned; n used of cap; sorted, disjoint, merged */
	size_t n, cap;
	long windows;        /* number of windows committed */
	bf_time last_from, last_to; /* the last committed window; 0,0 if none */
	char last_digest[BF_SHA256_HEX]; /* "" if none */
	char chain_head[BF_SHA256_HEX];  /* "" if none */
	char (*heads)[BF_SHA256_HEX];    /* owned; nheads used of hcap: the
	                                    earlier heads, oldest first */
	size_t nheads, hcap;
};

/* Initialises an empty checkpoint for partition (copied). */
void bf_ckpt_init(struct bf_ckpt *c, const char *partition);
void bf_ckpt_free(struct bf_ckpt *c);

/* The longest encoded partition name (bf_name_encode) that the state
 * directory can hold: a file name is at most 255 bytes (NAME_MAX), and the
 * checkpoint's temporary file (bf_atomic_write) is ".NAME.ckpt.tmp" (the
 * limit dates from a longer name, ".NAME.ckpt.tmp-XXXXXX", and is kept so
 * that no name accepted before is refused and none refused is accepted). */
#define BF_PARTITION_ENC_MAX 238

/* 0 when partition can have files in a state directory; -1 with e set
 * (BF_EXIT_USAGE) when it is empty, or when its encoded name is longer than
 * BF_PARTITION_ENC_MAX (the message says how long it is). */
int bf_partition_check(const char *partition, struct bf_err *e);

/* Appends DIR/<encoded partition>.ckpt (or .lock with suffix ".lock") to
 * out. Returns -1 for a partition name that bf_partition_check refuses. */
int bf_ckpt_path(const char *dir, const char *partition, const char *suffix,
    struct bf_buf *out);

/* Loads the checkpoint of partition from dir into c (initialised by this
 * call; free it with bf_ckpt_free whatever the result). A missing file gives
 * an empty checkpoint and returns 0. A file that is not a valid checkpoint,
 * or one for another partition, returns -1 with e set (BF_EXIT_USAGE),
 * naming the file ("state/db-1.ckpt: not a valid checkpoint: ..."); an
 * unreadable one BF_EXIT_IO. On error c is left empty. */
int bf_ckpt_load(const char *dir, const char *partition, struct bf_ckpt *c,
    struct bf_err *e);
/* Writes c to dir atomically (bf_atomic_write), mode 0600, with "updated"
 * the current time. The directory must exist. */
int bf_ckpt_save(const char *dir, const struct bf_ckpt *c, struct bf_err *e);

/* Appends the file's content for c (one line, with its newline) to out,
 * with "updated" set to now. Returns 0, or -1 with e set (BF_EXIT_USAGE)
 * for an empty or invalid UTF-8 partition name or grid, or a time outside
 * years 0000..9999. bf_ckpt_save writes exactly this. */
int bf_ckpt_format(const struct bf_ckpt *c, bf_time now, struct bf_buf *out,
    struct bf_err *e);

/* Marks [from, to) committed, merging with adjacent or overlapping ranges.
 * An empty interval (from >= to) changes nothing. Does not touch windows,
 * last_window or last_digest (see bf_ckpt_commit). */
void bf_ckpt_add(struct bf_ckpt *c, bf_time from, bf_time to);
/* What bf-load does for each committed window: bf_ckpt_add, windows + 1,
 * last window := [from, to), last_digest := digest (copied; NULL for ""). */
void bf_ckpt_commit(struct bf_ckpt *c, bf_time from, bf_time to,
    const char *digest);
/* Moves the chain head to head (copied; "" or NULL: none): the head it
 * replaces, when there is one and it differs, is appended to heads. */
void bf_ckpt_set_head(struct bf_ckpt *c, const char *head);
/* The place of head among the earlier heads (0 the oldest), or -1 when
 * the checkpoint never had it before its current head. */
long bf_ckpt_head_index(const struct bf_ckpt *c, const char *head);
/* Cuts the checkpoint back to an earlier state: chain_head := heads[i],
 * and the heads from i on are dropped. i == -1 cuts back to the empty
 * chain (chain_head "", no heads). Committed ranges are not touched. */
void bf_ckpt_cut_heads(struct bf_ckpt *c, long i);
/* 1 when [from, to) lies inside one committed range (0 for from >= to). */
int bf_ckpt_covers(const struct bf_ckpt *c, bf_time from, bf_time to);
/* 1 when [from, to) shares any instant with a committed range (0 for
 * from >= to; touching at an end is no overlap: intervals are half-open). */
int bf_ckpt_overlaps(const struct bf_ckpt *c, bf_time from, bf_time to);
/* The uncommitted parts of [from, to), merged, in order: calls fn for each.
 * (bf-window --gaps, bf-ledger gaps.) */
void bf_ckpt_gaps(const struct bf_ckpt *c, bf_time from, bf_time to,
    void (*fn)(void *ctx, bf_time from, bf_time to), void *ctx);

/* Takes the lock of partition in dir (creating the lock file, 0600), then
 * removes the temporary file of a checkpoint save that a killed process left
 * (".NAME.ckpt.tmp": only the holder of the lock writes it). Returns
 * 0 with *fd holding the lock; -1 with e set: BF_EXIT_TEMPFAIL when another
 * process holds it ("partition 'x' is locked by another bf-load"), BF_EXIT_IO
 * on other errors. The lock goes with the process, or bf_unlock(fd). */
int bf_lock_partition(const char *dir, const char *partition, int *fd,
    struct bf_err *e);
/* The same for a lock file name in dir (e.g. ".bf-backfill.lock"; no '/'):
 * refused with "'DIR/NAME' is locked by another process". A lock is per
 * open file: a second attempt in the same process is refused too. */
int bf_lock_file(const char *dir, const char *name, int *fd,
    struct bf_err *e);
void bf_unlock(int fd);

#endif
