/*
 * window.h: planning windows (bf-window(1); bf(7), "WINDOW GRID").
 *
 * A grid is (size, phase, billing_day): cells [phase + k*size,
 * phase + (k+1)*size) for every integer k, and billing cycles starting at
 * 00:00:00Z on billing_day of each month. A plan is a grid and a range
 * [from, to); its windows are the non-empty intersections of one cell, one
 * billing cycle and [from, to), in order. They are contiguous, never
 * overlap, leave no gap, and never straddle a billing-cycle start.
 *
 * Windows are generated one at a time by an iterator that holds no list:
 * memory does not grow with the number of windows. Checking a plan against a
 * partition's checkpoint costs time in the number of its committed ranges,
 * not in the number of windows.
 *
 * The module also holds what bf-window needs around the plan: shard
 * selection, the partition list, and the lines it writes.
 */
#ifndef BF_WINDOW_H
#define BF_WINDOW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "checkpoint.h"
#include "err.h"
#include "htab.h"
#include "timeutil.h"

/* The largest window size in seconds (about 31,700 years: larger than any
 * range of representable times, and small enough for exact arithmetic). */
#define BF_GRID_SIZE_MAX INT64_C(1000000000000)
/* Room for "size=N phase=N billing_day=N" and NUL. */
#define BF_GRID_LEN 80

struct bf_grid {
	int64_t size;    /* seconds, 1..BF_GRID_SIZE_MAX */
	int64_t phase;   /* the alignment instant mod size, 0 <= phase < size */
	int billing_day; /* 1..28 */
};

/* Sets g to the grid of window size size aligned at align (any instant of
 * the grid: phase = align mod size, the mathematical modulo). Returns 0, or
 * -1 with e set (BF_EXIT_USAGE) for a size or billing day out of range. */
int bf_grid_init(struct bf_grid *g, int64_t size, bf_time align,
    int billing_day, struct bf_err *e);
/* Writes the grid's name, "size=86400 phase=0 billing_day=1". Two grids are
 * the same exactly when their names are equal. */
void bf_grid_format(const struct bf_grid *g, char out[BF_GRID_LEN]);
/* Reads a grid's name back (exactly the form bf_grid_format writes).
 * Returns 0, or -1 for anything else. */
int bf_grid_parse(const char *s, struct bf_grid *g);
/* The piece of the grid holding t, [*start, *end): its cell cut by the
 * billing cycles. Planned windows are pieces cut by [from, to). */
void bf_grid_piece(const struct bf_grid *g, bf_time t, bf_time *start,
    bf_time *end);

/* A plan: the windows of a grid over [from, to). Plain data; the caller
 * owns it (usually on the stack). */
struct bf_plan {
	struct bf_grid grid;
	bf_time from, to;
	char name[BF_GRID_LEN]; /* the grid's name, bf_grid_format */
};

/* Sets up the plan of [from, to) with windows of size seconds, aligned at
 * *align, or at UTC midnight of from's day when align is NULL, and split at
 * the starts of billing cycles on billing_day. Returns 0, or -1 with e set
 * (BF_EXIT_USAGE): from >= to, a time outside years 0000..9999, a size or
 * billing day out of range. */
int bf_plan_init(struct bf_plan *p, bf_time from, bf_time to, int64_t size,
    const bf_time *align, int billing_day, struct bf_err *e);
/* The planned window holding t (p->from <= t < p->to). */
void bf_plan_window_at(const struct bf_plan *p, bf_time t, bf_time *start,
    bf_time *end);

/* Walks the windows of a plan in order. The iterator borrows p, which must
 * outlive it; it allocates nothing. */
struct bf_plan_iter {
	const struct bf_plan *p;
	bf_time cur;  /* start of the next window */
	bf_time bill; /* the first billing-cycle start after cur's cycle's */
};
void bf_plan_iter_init(struct bf_plan_iter *it, const struct bf_plan *p);
/* Stores the next window in *start, *end and returns 1; returns 0 after the
 * last one. */
int bf_plan_iter_next(struct bf_plan_iter *it, bf_time *start, bf_time *end);
/* The number of windows of p (walks them; for tests and messages). */
int64_t bf_plan_count(const struct bf_plan *p);

/* Checks the plan against the checkpoint c of one partition, before
 * anything is emitted (bf(7), "NO DOUBLE BILLING"). Refused, with e set
 * (BF_EXIT_USAGE) naming the partition and the conflicting range:
 * - a planned window overlapping a committed range when the checkpoint's
 *   grid is not the plan's;
 * - on the same grid, a planned window that overlaps a committed range
 *   without lying inside it (its bounds cut through committed windows);
 * - with force, on the same grid, a planned window that lies inside a
 *   committed window without being it (--from or --to cut through the
 *   committed window: emitting it would bill a part of it again).
 * Returns 0 when the plan may go ahead. */
int bf_plan_check(const struct bf_plan *p, const struct bf_ckpt *c, int force,
    struct bf_err *e);

/* Says which planned windows of one partition are committed already, for
 * windows asked about in increasing order (a cursor over the committed
 * ranges: constant time per window). Borrows c. */
struct bf_plan_skip {
	const struct bf_ckpt *c; /* NULL: skip nothing */
	size_t i;
};
/* With force, or when c's grid is not p's, nothing is skipped. */
void bf_plan_skip_init(struct bf_plan_skip *s, const struct bf_plan *p,
    const struct bf_ckpt *c, int force);
/* 1 when [start, end) lies inside a committed range (skip it), else 0.
 * Calls must come with increasing start. */
int bf_plan_skip(struct bf_plan_skip *s, bf_time start, bf_time end);

/* Planning against the warehouse (bf(7), "THE WAREHOUSE IS THE TRUTH"): a
 * window is committed when the warehouse's windows table has it. */

/* Reads the committed windows of n partitions from the windows table of
 * the warehouse named by target, in one snapshot, into ck[0..n), which the
 * caller has set up with bf_ckpt_init (one partition each, names distinct)
 * and frees: the windows merged into ranges, and grid the grid of the
 * partition's last window. A warehouse that does not exist yet
 * (bf_wh_exists) leaves them empty. Only reads. Returns 0, or -1 with e
 * set (BF_EXIT_UNAVAILABLE when the warehouse cannot be reached). */
int bf_plan_wh_committed(const char *target, struct bf_ckpt *ck, size_t n,
    struct bf_err *e);
/* The windows that the checkpoint c of a partition calls committed and
 * wh, the same partition's committed windows in the warehouse, lacks:
 * returns how many (cut on c's grid; a range of them counts as one window
 * when c has no grid), and when there are any appends one message to msg
 * naming the partition, the count and the first few windows. */
long bf_plan_missing(const struct bf_ckpt *c, const struct bf_ckpt *wh,
    struct bf_buf *msg);

/* What a plan with --db goes by, made in wh (the partition's committed
 * windows in the warehouse) from c (its checkpoint): when c calls any
 * window committed, wh is narrowed to the windows both have, so that a
 * window committed in the warehouse but not yet in the checkpoint (a crash
 * between commit and checkpoint) is planned again and bf-load, finding it
 * unchanged, brings the checkpoint up to date; when c has none (no
 * checkpoint, a lost state directory), wh stays whole: the plan comes from
 * the warehouse alone and costs no fetch of committed windows. */
void bf_plan_basis(const struct bf_ckpt *c, struct bf_ckpt *wh);

struct bf_wh;
struct bf_row;
/* A row of the windows table (bf_tbl_windows), read: its partition (the
 * row's string, NULL when missing) and its window [from, to). */
struct bf_window_row {
	const char *partition;
	bf_time from, to;
};
/* Reads row into *w: 0, or -1 when a bound is missing or is no time.
 * Whether from < to is the caller's to check. */
int bf_window_row_read(const struct bf_row *row, struct bf_window_row *w);
/* bf-ledger watermark: one line per partition, to out, from the windows
 * table of w (read in one snapshot), {"type":"watermark","partition":P,
 * "encoded":E,"committed_from":A,"watermark":B,"last_window":[S,B],
 * "last_digest":D,"chain_head":H}: [A, B) is the partition's first
 * contiguous committed range, [S, B) its last window, D and H that
 * window's digest and chain head; E is P as the state directory encodes
 * it. names[0..n) are the partitions asked about (a partition without
 * windows gets "committed_from":null,"watermark":null); n == 0 asks about
 * every partition of the warehouse, in bytewise order. w NULL stands for
 * a warehouse not created yet (no windows). Returns 0, or -1 with e
 * set. */
int bf_plan_watermarks(struct bf_wh *w, const char *const *names, size_t n,
    FILE *out, struct bf_err *e);

/* Settling (bf(7), "SETTLING"): a window is planned only once it is over and
 * settled, when its end is at or before now - settle. Returns that latest
 * end, now - settle (settle >= 0), or the earliest bf_time when the
 * difference does not fit. */
bf_time bf_settle_limit(bf_time now, int64_t settle);
/* 1 when the window ending at end may be planned under limit (end <=
 * limit), else 0: it waits to settle. */
int bf_settled(bf_time end, bf_time limit);

/* A shard selection, --shard I/N (bf(7), "SHARDS"). */
struct bf_shard {
	uint64_t i, n; /* 0 <= i < n; n == 0 means every partition */
};
/* Parses "I/N": decimal digits only, 0 <= I < N, 1 <= N <= 2^31. Returns 0,
 * or -1 with e set (BF_EXIT_USAGE). */
int bf_shard_parse(const char *s, struct bf_shard *sh, struct bf_err *e);
/* The shard of a name: FNV-1a 64 of its bytes, mod n. */
uint64_t bf_shard_of(const char *name, size_t len, uint64_t n);
/* 1 when the partition name belongs to the selection. */
int bf_shard_has(const struct bf_shard *sh, const char *name, size_t len);

/* A list of distinct partition names, in the order they were added. */
struct bf_part {
	struct bf_hent h; /* key: name */
	char *name;       /* owned; NUL-terminated, holds no NUL */
	size_t len;
};
struct bf_partlist {
	struct bf_part *v;  /* owned; n used of cap */
	size_t n, cap;
	struct bf_htab tab; /* of &v[i]; filled again when v moves */
};
#define BF_PARTLIST_INIT { NULL, 0, 0, BF_HTAB_INIT }

/* Adds name[0..len) (copied). Refused, with e set (BF_EXIT_USAGE) and the
 * message prefixed by "file:line: " when file is not NULL (line > 0): an
 * empty name, a NUL byte, invalid UTF-8, a name already in the list. */
int bf_partlist_add(struct bf_partlist *l, const char *name, size_t len,
    const char *file, long line, struct bf_err *e);
/* Adds the partitions listed in path ("-" for standard input): one per
 * line, spaces, tabs and a CR around a name trimmed, lines that are blank or
 * whose first non-blank character is '#' ignored. Returns 0, or -1 with e
 * set (BF_EXIT_USAGE): a file that cannot be read, a bad or duplicate name
 * (with file:line). */
int bf_partlist_read(struct bf_partlist *l, const char *path,
    struct bf_err *e);
/* 1 when the list holds name[0..len). */
int bf_partlist_has(const struct bf_partlist *l, const char *name,
    size_t len);
void bf_partlist_free(struct bf_partlist *l);

struct bf_keymap;
/* Puts the partitions named, names[0..n), in m, as its keys 0 to n - 1 in
 * that order: 0, or -1 with e set (BF_EXIT_USAGE) when one is named
 * twice (m then holds the names before it). */
int bf_part_names(struct bf_keymap *m, const char *const *names, size_t n,
    struct bf_err *e);

/* Appends a window line and '\n' to out:
 * {"type":"window","partition":...,"window_start":...,"window_end":...,
 *  "grid":...}. part is the partition's name already as a JSON string
 * (bf_json_put_str), so that it is escaped once per partition. */
void bf_plan_put_window(struct bf_buf *out, const char *part, size_t partlen,
    bf_time start, bf_time end, const char *grid);
/* Appends a gap line and '\n' (bf-window --gaps), part as above:
 * {"type":"gap","partition":...,"gap_start":...,"gap_end":...}. */
void bf_plan_put_gap(struct bf_buf *out, const char *part, size_t partlen,
    bf_time start, bf_time end);

/* Appends name[0..len) to out for a message: printable ASCII as it is,
 * other bytes below 0x80 as \n, \t, \\ or \xNN; UTF-8 as it is. */
void bf_plan_put_name(struct bf_buf *out, const char *name, size_t len);

#endif
