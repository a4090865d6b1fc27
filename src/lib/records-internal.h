/*
 * records-internal.h: what records.c, records-spill.c, records-parse.c and
 * source-file.c share, and nothing else does (records.h is the interface):
 * the parsers' record as they build it, the spill's state, and the
 * functions one of them calls in another.
 */
#ifndef BF_RECORDS_INTERNAL_H
#define BF_RECORDS_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>

#include "records.h"

/* Own strings (records.h: sbuf) have offsets tagged with SPILL_STR. */
#define SPILL_STR ((size_t)1 << (sizeof(size_t) * CHAR_BIT - 2))
/* What a record held in a chunk costs: itself, its series id, and
 * bf_recs_sort's ord and tsidx entries. */
#define REC_COST (sizeof(struct bf_rec) + sizeof(uint32_t) + \
    2 * sizeof(size_t) + sizeof(bf_time))

/* A record being built: n-counted strings, NULL when absent. With line
 * set, body is the rest after the runs and the "ts" member (records.h). */
struct rec_in {
	const char *key, *instance, *metric, *unit, *source, *value, *body;
	size_t keyn, instancen, metricn, unitn, sourcen, valuen, bodyn;
	const char *smetric; /* the series' metric when metric is not set */
	size_t smetricn;
	int valkind, addres, cwres;
	bf_time ts;
	const char *line;
	uint32_t run[6];
};

/* How the ids and offsets of records built on their own (a part's) map
 * into those of the records they join (bf_recs_absorb). */
struct recs_map {
	uint32_t *kid;  /* key index -> the joined records' (owned) */
	uint32_t *sid;  /* series id -> the joined records' (owned) */
	size_t base;    /* where from's arena starts in theirs */
};

enum { SF_REC, SF_SER, SF_STR, SF_OREC, SF_OSER, SF_N };
#define SPILL_BATCH 512
#define SPILL_MINRECS 4

struct spill_run {
	uint64_t order;  /* the input order of runs */
	size_t at, n;    /* records [at, at + n) of the run files */
	uint32_t mapid;  /* whose records (bf_recs.mapid) */
};

struct bf_spill {
	pthread_mutex_t mu;
	const char *tmpdir;   /* --tmpdir, or NULL */
	char dir[PATH_MAX];   /* the directory the files were made in */
	int fd[SF_N];         /* -1 until the first run */
	size_t nrec, slen;    /* records in the run files, bytes of strings */
	struct spill_run *run;
	size_t nrun, runcap;
	struct recs_map *map; /* map[mapid - 1]: parts' ids (bf_recs_absorb) */
	uint32_t nmap;
	int failed;
	int merged;           /* the runs were merged (not in order) */
	struct bf_err err;
	void *m[SF_N];        /* the files mapped, at the end */
	size_t mlen[SF_N];
};

/* records.c */
/* Adds the record ri to rs (its strings copied or interned). */
void bf_rec_add(struct bf_recs *rs, const struct rec_in *ri);
/* Gives the records rs->r[n0..) (one series of a CloudWatch export) the
 * period the export states, when it does (per > 0); bf_recs_cw_periods
 * finds the others'. */
void bf_recs_cw_series_period(struct bf_recs *rs, size_t n0, int64_t per);
/* Puts rs back as it was with n records and len bytes of arena (a failed
 * parse added the rest). */
void bf_recs_rollback(struct bf_recs *rs, size_t n, size_t len);
/* Appends the records of from (built on their own, no own strings
 * pending) to rs. */
void bf_recs_append(struct bf_recs *rs, const struct bf_recs *from);
/* Enters the strings, keys and series of from into rs and fills m. */
void bf_recs_absorb(struct bf_recs *rs, const struct bf_recs *from,
    struct recs_map *m);
/* The rank of each key of rs in strcmp order (the caller frees). */
uint32_t *bf_recs_key_ranks(const struct bf_recs *rs);
/* Moves the offsets of r's strings: own ones (SPILL_STR) by own, the
 * others by shared; with untag, own ones become offsets into the arena. */
void bf_rec_move(struct bf_rec *r, size_t own, size_t shared, int untag);
/* The resolution of CloudWatch record r in job: the period its export
 * showed (bf_recs_cw_series_period), else the retention tier. */
int64_t bf_recs_cw_res(const struct bf_source *s, const struct bf_recs *rs,
    const struct bf_rec *r, const struct bf_job *job);

/* records-spill.c */
/* Writes rs's records, sorted, as a run and empties rs (not its strings,
 * keys and series). After a failure (sp->err), the records are dropped. */
void bf_recs_spill(struct bf_recs *rs);
/* Records that never spilled: their own strings join the arena. */
void bf_recs_unspill(struct bf_recs *rs);
/* Sets rs's share of the bound: budget bytes. */
void bf_spill_share(struct bf_recs *rs, size_t budget);
/* A part (records with their own mapid) that spilled: its last records go
 * to a run, its strings, keys and series into rs, and the map of its ids
 * into rs's is kept for the merge. */
void bf_spill_absorb(struct bf_recs *rs, struct bf_recs *part);
/* Writes rs's last records as a run, merges the runs and serves the
 * sorted files as rs's records. -1 with e set (BF_EXIT_IO). */
int bf_spill_finish(struct bf_recs *rs, struct bf_err *e);
/* A spill with no file yet (made at the first run), in tmpdir (NULL:
 * $TMPDIR, else /tmp). */
struct bf_spill *bf_spill_new(const char *tmpdir);
/* Unmaps and closes the files (rs's records with them) and frees sp. */
void bf_spill_free(struct bf_recs *rs);

/* records-parse.c */
/* The format of data[0..n): CSV unless it starts with '{', then a
 * CloudWatch export when it is one JSON object naming its array (parsed
 * into j, *jrc the result), else NDJSON. */
int bf_records_detect(const char *data, size_t n, struct bf_json *j,
    int *jrc, size_t *errpos);
/* Parses the NDJSON data[0..n) like bf_records_parse (same records in the
 * same order, the same error: the first bad line in the file), cut at
 * newlines into parts parsed on threads at once: the load phase is serial
 * and everything downstream waits for it. */
int bf_records_parse_parts(struct bf_source *s, const struct bf_recopts *ro,
    const char *name, const char *data, size_t n, struct bf_recs *rs,
    int file, struct bf_err *e);
/* 1 when the file source reads data[0..n) as NDJSON in parts
 * (bf_records_parse_parts): format fmt says so, or detects it in a file
 * large enough to be cut (bf_records_parts). */
int bf_records_in_parts(int fmt, const char *data, size_t n);
/* Reads fd (path in messages) to its end into out and closes it. */
int bf_read_fd(int fd, const char *path, size_t max, struct bf_buf *out,
    struct bf_err *e);

#endif
