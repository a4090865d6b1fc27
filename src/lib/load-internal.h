/*
 * load-internal.h: what the files of bf-load's engine share (load.h is
 * the interface): load.c (the per-window work, batches, the input),
 * load-usage.c (usage lines into rows), load-causes.c (what the window
 * lines of failed windows say).
 */
#ifndef BF_LOAD_INTERNAL_H
#define BF_LOAD_INTERNAL_H

#include "checkpoint.h"
#include "hash.h"
#include "htab.h"
#include "json.h"
#include "keymap.h"
#include "load.h"
#include "stream.h"
#include "warehouse.h"

/* A partition seen in the input: its lock and checkpoint. */
struct part {
	struct bf_hent h;     /* key: name */
	char *name;
	int locked;       /* 1: lock held (or no state dir); -1: refused */
	int fd;
	int dirty;        /* checkpoint changed in this batch */
	int anchor;       /* 0: not checked yet; 1: checked; -1: refused
	                     (chain_mismatch) */
	int ckmoved;      /* the anchor check changed ck: save it */
	char *mismatch;   /* why it was refused */
	int hasdata;      /* a window with data arrived in this input */
	struct win *held, *held_tail; /* windows without data, held until
	                                 one with data comes (via qnext) */
	long nheld;
	struct bf_ckpt ck;
	struct part *onext;   /* the partitions in arrival order */
};

/* A window: its usage rows until its line arrives, then its result. */
struct win {
	struct bf_hent h;       /* no key: found by partition, start, end */
	struct part *p;
	bf_time start, end;
	char ws[BF_TIME_LEN], we[BF_TIME_LEN];
	struct bf_rowset rows;  /* parsed usage rows */
	char *file;             /* where its first line was */
	long line;
	char *bad;              /* why a usage line was refused, or NULL */
	/* Set when its window line arrives. */
	char *wline;            /* the window line */
	size_t wlen;
	long wlineno;
	char *wfile;
	char *grid, *source, *counts;
	size_t outpos;          /* where its line goes in the output */
	/* Results. */
	int refused;
	const char *code;       /* error code when refused */
	char *why;
	char digest[BF_SHA256_HEX], head[BF_SHA256_HEX];
	long loaded, unchanged, deleted, entries;
	struct win *prev, *next;         /* pending list */
	struct win *qnext;               /* batch queue, or the partition's
	                                    held windows */
};

struct bf_load {
	struct bf_wh *w;
	struct bf_load_opts o;
	struct bf_htab parts;           /* of struct part */
	struct part *pfirst, *plast;    /* in arrival order */
	struct bf_keymap causes;        /* upstream failures by cause: the
	                                   error's stage, NUL, its code */
	long *ncause;                   /* windows of each cause */
	struct bf_htab wins;            /* of pending struct win */
	struct win *pending, *pending_tail;
	struct win *qhead, *qtail;
	int qn;
	struct bf_buf outq;     /* output held while a batch is open */
	long failed;            /* windows failed, refused, not committed */
	int locked;             /* some partition was locked elsewhere */
	int mismatch;           /* some partition refused: chain_mismatch */
	int fatal;
	char *poison;           /* why no further window is committed */
	/* Fault injection. */
	char *fault_point;
	long fault_count, fault_hits;
	/* Scratch, reused per window. */
	struct bf_json j;
	struct bf_fields ufields; /* usage members (load-usage.c), compiled
	                             at the first usage line */
	struct bf_buf tmp, canon, owner;
	struct bf_rowset old, entries, wrow, scratch;
	struct bf_row *ups;
	const struct bf_row **dels;
	size_t upcap, delcap;
	char now[BF_TIME_LEN];
};

/* load.c */
/* A message about the input at file:line (file NULL: none), through the
 * caller's report function (none: dropped). */
void bf_load_report(struct bf_load *l, const char *file, long line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* load-usage.c */
/* Parses the usage line in l->j into a row of w; -1 with why set when a
 * field is missing or bad. */
int bf_load_parse_usage(struct bf_load *l, struct win *w, struct bf_buf *why);

/* load-causes.c */
/* Counts one more window failed upstream for the window line j's cause
 * (its error's stage and code); returns 1 when the cause is new. */
int bf_load_cause_count(struct bf_load *l, const struct bf_json *j);
/* At the end: one line per cause of upstream failures, with its count. */
void bf_load_cause_report(struct bf_load *l);
/* The members of the window line with number values, as a JSON object. */
char *bf_load_window_counts(const struct bf_json *j);
/* "failed upstream (STAGE: CODE: MESSAGE)" from a failed window line. */
char *bf_load_upstream_error(const struct bf_json *j);
/* The string member key of j (owned by the caller), or NULL when absent,
 * no string, or holding a NUL. */
char *bf_load_opt_str(const struct bf_json *j, const char *key);

#endif
