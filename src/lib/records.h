/*
 * records.h: the records the file and exec sources read from files and
 * command output (records.c, records-parse.c, records-spill.c), as
 * source-file.c, source-exec.c and bf-fetch --split (split.c) use them:
 * parsing, sorting, writing a window's samples, CloudWatch's periods. The
 * records' own insides are in records-internal.h.
 */
#ifndef BF_RECORDS_H
#define BF_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "source-internal.h"
#include "timeutil.h"

struct bf_keymap;

/* CloudWatch's retention tiers: the finest period in seconds still kept for
 * data starting at t when it is now (60 up to 15 days old, 300 up to 63
 * days, 3600 up to 455 days), or 0 when older than that. */
int64_t bf_cw_period(bf_time now, bf_time t);
/* The period the CloudWatch formats and exec use for job: the tier of the
 * window's start, but not finer than --step; 3600 beyond retention. */
int64_t bf_cw_job_period(const struct bf_fetch_opts *o,
    const struct bf_job *job);

/* Records read from files or command output (source-file.c), for the file
 * and exec sources. Strings are offsets into arena (NO_STR: none); the
 * same string (an instance, a metric, a unit, a source) is mostly stored
 * once and shared by the records naming it. Partition keys are stored once
 * each in keys (compared as C strings, like the window's partition) and
 * records name them by index. */
#define BF_NO_STR ((size_t)-1)
enum { BF_REC_FIELDS = 0, BF_REC_BODY, BF_REC_BORROWED };
struct bf_rec {
	bf_time ts;
	uint32_t key;       /* partition the record belongs to: keys[key] */
	uint8_t kind;       /* BF_REC_*: which member of the union */
	uint8_t valkind;    /* fields: BF_VAL_RAW or BF_VAL_TEXT */
	uint8_t cwres;      /* fields: 0 the default resolution; 1
	                       CloudWatch's retention tier for the window;
	                       k >= 2 the period its export showed,
	                       cwper[k - 2] of its bf_recs */
	uint8_t addres;     /* body: append the default resolution */
	union {
		/* BF_REC_FIELDS: the sample's fields */
		struct {
			size_t instance, metric, unit, source, value;
		} f;
		/* BF_REC_BODY: body is the whole rewritten text (the
		 * record's own members). BF_REC_BORROWED (records parsed
		 * with borrow): the text is the members
		 * line[run[2k]..+run[2k+1]) for the runs of nonzero length,
		 * joined by ',', then the "ts" member, then the string at
		 * body (",..." or ""). */
		struct {
			size_t body;
			const char *line;
			uint32_t run[6];
		} b;
	};
};
#define BF_REC_ICACHE 256
struct bf_recs {
	struct bf_rec *r; /* owned; n used of cap, in input order (after
	                     spilling: the sorted file, mapped, and ser
	                     too; spill owns both) */
	size_t n, cap;
	size_t *ord;      /* owned: after bf_recs_sort, the records in order
	                     are r[ord[0]], r[ord[1]]... (NULL: r's order) */
	struct bf_buf arena;
	size_t icache[BF_REC_ICACHE]; /* shared strings: offset + 1, 0 none */
	size_t *keys;     /* owned: arena offsets of the distinct keys */
	uint32_t nkeys, keycap;
	uint32_t klast;   /* the key found last (valid when nkeys > 0) */
	uint32_t *khash;  /* owned: open hash of key index + 1, 0 empty */
	uint32_t khcap;   /* slots, a power of 2 (0: none yet) */
	int64_t cwper[254]; /* CloudWatch periods found (bf_rec.cwres) */
	uint32_t ncwper;
	uint32_t *ser;    /* owned: ser[i] is r[i]'s series (instance_id,
	                     metric), an index of sermap; cap entries */
	struct bf_keymap *sermap; /* owned: the distinct series */

	/* Spilling (the file source under --memory, source-file.c): with
	 * spill set, records go in sorted runs to temporary files whenever
	 * climit are held, and strings of one record only (CSV values,
	 * rewritten bodies) are kept in sbuf, then in the spill's strings
	 * file (sstr once mapped). NULL spill: everything in memory. */
	struct bf_spill *spill; /* owned by the records with mapid 0 */
	uint32_t mapid;   /* 0: the source's records; k: a part's (remapped
	                     into them when merged) */
	uint64_t order;   /* the input order of this one's runs: file << 40
	                     | part << 32, plus the runs it wrote */
	size_t climit;    /* records held at most before a run is written */
	size_t budget;    /* bytes of records and sbuf before a run */
	struct bf_buf sbuf; /* the own strings not yet in a run */
	const char *sstr; /* the strings file, mapped, or NULL */
	struct bf_keymap *strmap; /* owned, spilling: every shared string, */
	size_t *stroff;   /* owned: its arena offset (so the arena holds
	                     each distinct string once) */
};
void bf_recs_free(struct bf_recs *rs);
/* The NUL-terminated string at offset off. */
const char *bf_recs_str(const struct bf_recs *rs, size_t off);

/* How records without an instance get one. */
struct bf_recopts {
	const char *instance; /* forced/fallback instance, or NULL */
	int use_label;        /* get-metric-data: the Label is the instance */
	const char *key;      /* routing key for all records, or NULL */
	int borrow;           /* NDJSON records may point into the data,
	                         which the caller keeps unchanged while the
	                         records live (else they hold copies) */
	/* When set, called for each NDJSON or CSV record as it is added,
	 * with its partition key key[0..keyn) (as rs->keys has it) and the
	 * input it was parsed from, p[0..n): its line or CSV row, the line
	 * end included when there is one (p NULL when not known: CSV rows
	 * not ended by a line feed); and once with key NULL for a CSV
	 * header row. Not called for CloudWatch records (one document).
	 * Strings are valid during the call only. bf-fetch --split's
	 * (split.h); parse_parts' threads would call it at once, in no
	 * order: the file source leaves it NULL. */
	void (*span)(void *arg, const char *key, size_t keyn, const char *p,
	    size_t n);
	void *span_arg;
};

/* Parses data[0..n) (a file's or a command's output, named name in
 * messages) in format fmt (BF_FMT_AUTO: detected) and appends its records to
 * rs, mapped through s->metrics. *next_token receives a copy of a
 * get-metric-data NextToken (the caller frees), or NULL. Returns 0, or -1
 * with e set naming name and the position: code BF_EXIT_UNAVAILABLE for a
 * transient error worth a retry (a StatusCode InternalError), else
 * BF_EXIT_FAILED; rs is then as it was before the call. */
int bf_records_parse(struct bf_source *s, const struct bf_recopts *ro,
    const char *name, const char *data, size_t n, int fmt,
    struct bf_recs *rs, char **next_token, struct bf_err *e);
/* Gives each CloudWatch record whose export states no Period the spacing
 * its series (key, instance, metric) shows around it as its period
 * (cwres): the smaller of the gaps to the series' previous and next times,
 * once all its records (every page, every file) are in; a record with no
 * neighbour within a day keeps the retention tier. Local, so that an
 * export spanning two tiers (60 s recent, 3600 s older data) gives each
 * part its own. */
void bf_recs_cw_periods(struct bf_recs *rs);
/* Sorts rs by (key, ts, input order): sets rs->ord. */
void bf_recs_sort(struct bf_recs *rs);
/* The i-th record of rs in sorted order. */
static inline const struct bf_rec *
bf_recs_at(const struct bf_recs *rs, size_t i)
{
	return &rs->r[rs->ord != NULL ? rs->ord[i] : i];
}
/* Appends the records [from..to) of rs in sorted order whose ts is in
 * job's window as samples; returns how many. */
long bf_recs_emit(struct bf_source *s, const struct bf_recs *rs, size_t from,
    size_t to, struct bf_job *job, int64_t resolution);
/* Appends, for each series (instance_id, metric) of job's partition, its
 * last record before the window's start and no older than the lookback
 * (s->o->lookback) as a lookback sample (bf_job_lookback). The records
 * looked at are those in sorted order [lo, from) (from: the first at or
 * after the window's start; lo: any earlier bound), scanned from the
 * latest back. Returns how many. */
long bf_recs_emit_lookback(struct bf_source *s, const struct bf_recs *rs,
    size_t lo, size_t from, struct bf_job *job, int64_t resolution);

/* The file source parses a large NDJSON --data file in parts on threads
 * at once: in up to BF_FILE_MAXPARTS parts, each of at least 1 MiB, one
 * per online processor. The output is the same whatever they are. */
#define BF_FILE_MAXPARTS 4
/* --memory's default: 64 MiB. */
#define BF_FILE_MEMORY ((size_t)64 << 20)
/* For tests: cuts every later NDJSON file into parts parts (0: one per
 * online processor, at most BF_FILE_MAXPARTS) of at least part_min bytes
 * (0: no minimum); bf_records_parts(0, 1 << 20) restores the default.
 * Not thread-safe: call it before the source opens. */
void bf_records_parts(int parts, size_t part_min);

/* A data file's bytes: mapped read-only when it is a regular file, else
 * read whole (a pipe, a device). */
struct bf_data {
	const char *p;
	size_t n;
	void *map;          /* the mapping, or NULL */
	struct bf_buf buf;  /* what was read, when not mapped */
};
/* Maps or reads path into d; -1 with e set (BF_EXIT_IO). */
int bf_data_load(const char *path, struct bf_data *d, struct bf_err *e);
void bf_data_free(struct bf_data *d);

#endif
