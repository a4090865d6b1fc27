/*
 * warehouse.h: one interface over the two warehouses bf-load writes and
 * bf-ledger reads: SQLite (a file, the embedded default) and PostgreSQL
 * (libpq). bf-load(1) documents the schema; this header is its contract.
 *
 * A TARGET string picks the warehouse (bf_target_is_pg): a string that
 * starts with "postgresql://" or "postgres://", or a conninfo string such
 * as "host=/run/pg dbname=bf" (an '=' before any '/'), is PostgreSQL; any
 * other string is the path of a SQLite file. A TARGET never carries a
 * password (bf_target_has_password): libpq takes it from PGPASSWORD or
 * PGPASSFILE. Messages show targets only through bf_target_redact.
 *
 * Tables (the same names and columns in both): schema_version, usage,
 * ledger, windows, at schema version BF_SCHEMA_VERSION. Every value crosses this interface as text: a NUL-
 * terminated string, or NULL for SQL NULL. Decimals are bf_dec_format text
 * (9 places), integers decimal digits, times "YYYY-MM-DDTHH:MM:SSZ"
 * (RFC 3339 UTC text, which sorts chronologically). SQLite stores decimals
 * and times as TEXT and integers as INTEGER; PostgreSQL stores decimals as
 * NUMERIC(40,9), integers as BIGINT and text as TEXT COLLATE "C". Either
 * way the text read back is the text written.
 *
 * Errors: functions return -1 (or NULL) with e set. e->code says what it
 * means for the run: BF_EXIT_UNAVAILABLE when the warehouse cannot be
 * opened or the connection is lost, BF_EXIT_TEMPFAIL when SQLite stays busy
 * past the busy timeout, BF_EXIT_USAGE for a schema this program does not
 * know, BF_EXIT_IO for I/O errors, BF_EXIT_FAILED for any other statement
 * error. After an error inside a transaction, the caller rolls back.
 *
 * The sinks' side of this interface (the ops table each provides, the
 * SQL helpers they share) is warehouse-internal.h.
 *
 * Ownership: a struct bf_wh owns its connection and statements
 * (bf_wh_close frees all). Rows passed in are borrowed for the call. Rows
 * passed to callbacks are valid only during the call.
 */
#ifndef BF_WAREHOUSE_H
#define BF_WAREHOUSE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "err.h"
#include "hash.h"

/* The schema version this program writes and reads. A warehouse with a
 * higher version is refused. A warehouse of an older version is upgraded
 * by bf_wh_open with BF_WH_UPGRADE (bf-load), and read as it is without
 * (bf-ledger): the columns it lacks read as NULL.
 * Version 1: the first schema. Version 2: usage.resolution. Version 3:
 * windows.hash, and the triggers that make the ledger append-only
 * (bf_wh_guard_sql); its upgrade fills the hash of every windows row. */
#define BF_SCHEMA_VERSION 3

/* Column types. */
enum bf_coltype {
	BF_COL_TEXT = 1, /* any text (no NUL byte) */
	BF_COL_DEC,      /* a decimal, bf_dec_format text */
	BF_COL_INT,      /* a 64-bit integer */
	BF_COL_TIME,     /* RFC 3339 UTC text */
};

/* Column flags. */
#define BF_COL_KEY 1      /* part of the primary key */
#define BF_COL_NOTNULL 2  /* never NULL */
#define BF_COL_NOEXPORT 4 /* left out of the canonical export */
/* Left out of every JSON form of a row (bf_wh_row_json: the canonical
 * form its digest is computed from, the canonical export) when NULL. Every
 * column added by a schema upgrade has it, so that a row loaded before the
 * upgrade (NULL there) keeps its canonical form and its digest, and a row
 * loaded after it with NULL there gets the same form: the form depends on
 * the row's values only, never on when or how it was loaded, and two rows
 * that differ in such a column have different forms (NULL is the only
 * value left out). Such a column is never NOT NULL. */
#define BF_COL_SPARSE 8

struct bf_col {
	const char *name;
	int type;  /* enum bf_coltype */
	int flags; /* BF_COL_* */
	int since; /* the schema version that added it; 0 for version 1 */
};

#define BF_MAXCOLS 24

struct bf_table {
	const char *name;
	const struct bf_col *cols;
	int ncols;
	const char *order; /* "ORDER BY" column list for scans */
};

/* A row of one table: v[i] is the value of cols[i], NULL for SQL NULL. */
struct bf_row {
	const char *v[BF_MAXCOLS];
};

/* Column indexes of the usage table: one row per usage key (instance_id,
 * metric, window_start, window_end). */
enum {
	BF_U_INSTANCE_ID, BF_U_METRIC, BF_U_WINDOW_START, BF_U_WINDOW_END,
	BF_U_PARTITION, BF_U_TENANT, BF_U_AGGREGATE, BF_U_VALUE, BF_U_SAMPLES,
	BF_U_EXPECTED_SAMPLES, BF_U_COVERAGE, BF_U_QUANTITY, BF_U_USAGE_UNIT,
	BF_U_UNIT_PRICE, BF_U_COST, BF_U_CURRENCY, BF_U_ALLOCATIONS,
	BF_U_SOURCE, BF_U_DIGEST, BF_U_RUN_ID, BF_U_LOADED_AT,
	BF_U_RESOLUTION, /* version 2; last, where ALTER TABLE puts it */
	BF_U_NCOLS
};

/* Column indexes of the ledger table: append-only entries, numbered per
 * partition by seq from 1, each hashed into the partition's chain
 * (ledger.h). */
enum {
	BF_L_PARTITION, BF_L_SEQ, BF_L_KIND, BF_L_TENANT, BF_L_INSTANCE_ID,
	BF_L_METRIC, BF_L_WINDOW_START, BF_L_WINDOW_END, BF_L_AMOUNT,
	BF_L_CURRENCY, BF_L_REASON, BF_L_SOURCE, BF_L_RUN_ID,
	BF_L_USAGE_DIGEST, BF_L_PROGRAM_VERSION, BF_L_RECORDED_AT,
	BF_L_PREV_HASH, BF_L_HASH,
	BF_L_NCOLS
};

/* Column indexes of the windows table: one row per committed window. */
enum {
	BF_W_PARTITION, BF_W_WINDOW_START, BF_W_WINDOW_END, BF_W_GRID,
	BF_W_USAGE_ROWS, BF_W_COUNTS, BF_W_DIGEST, BF_W_CHAIN_HEAD,
	BF_W_RUN_ID, BF_W_LOADED_AT,
	BF_W_HASH, /* version 3; last, where ALTER TABLE puts it */
	BF_W_NCOLS
};

extern const struct bf_table bf_tbl_usage, bf_tbl_ledger, bf_tbl_windows;

enum bf_wh_kind {
	BF_WH_SQLITE = 1,
	BF_WH_PG,
};

/* Flags for bf_wh_open. */
#define BF_WH_CREATE 1 /* create the file (SQLite) and the schema if absent */
#define BF_WH_UPGRADE 2 /* upgrade an older schema to BF_SCHEMA_VERSION */

/* A warehouse connection: opaque (warehouse-internal.h has its insides,
 * for warehouse.c and the sinks). */
struct bf_wh;

/* 1 when target names a PostgreSQL database, 0 for a SQLite path. */
int bf_target_is_pg(const char *target);
/* 1 when target holds a password (a URI's user:password@, a conninfo
 * "password=" or "sslpassword=" keyword, or any of these inside a dbname
 * that is itself a URI or conninfo). bf programs refuse such targets. */
int bf_target_has_password(const char *target);
/* For a target given by command-line option opt ("--db"): -1 with e set
 * (BF_EXIT_USAGE, the target not echoed) when it holds a password, else 0.
 * The programs check it before any other work; bf_wh_open refuses too. */
int bf_target_check_arg(const char *opt, const char *target,
    struct bf_err *e);
/* Appends target to out with any password replaced by "***". */
void bf_target_redact(const char *target, struct bf_buf *out);

/* Opens the warehouse named by target. With BF_WH_CREATE, a missing SQLite
 * file is created (mode 0600) and a missing schema is created; without it
 * both are errors. A schema of a newer version is refused (BF_EXIT_USAGE).
 * A schema of an older version is, with BF_WH_UPGRADE, upgraded in one
 * transaction under the write lock (ALTER TABLE ... ADD COLUMN for each
 * column added since, then the new version recorded; bf_wh_upgraded tells
 * whether this call did it); without it, it is opened for reading only:
 * bf_wh_scan reads the columns it lacks as NULL, and bf_wh_begin refuses
 * (BF_EXIT_USAGE, saying to run bf-load). SQLite is opened in WAL mode with synchronous=FULL and a
 * busy timeout (BF_WH_BUSY_MS); PostgreSQL with client_encoding UTF8 and
 * application_name "bf-load" (or the program name). */
#define BF_WH_BUSY_MS 30000
struct bf_wh *bf_wh_open(const char *target, int flags, struct bf_err *e);
/* Whether the warehouse named by target exists yet, without creating or
 * changing anything (bf-window plans against it before the first load):
 * 1 when it has a bf schema, 0 when it has none (a SQLite file that is
 * missing or holds no schema_version table, a PostgreSQL database without
 * one), -1 with e set when it cannot be reached (BF_EXIT_UNAVAILABLE), is
 * busy (BF_EXIT_TEMPFAIL) or target holds a password (BF_EXIT_USAGE). It
 * opens a connection of its own and closes it. */
int bf_wh_exists(const char *target, struct bf_err *e);
/* Closes (rolling back an open transaction) and frees w; NULL is fine. */
void bf_wh_close(struct bf_wh *w);
/* BF_WH_SQLITE or BF_WH_PG. */
int bf_wh_kind(const struct bf_wh *w);
/* The target as given to bf_wh_open, redacted. Owned by w. */
const char *bf_wh_name(const struct bf_wh *w);
/* The warehouse's schema version (after any upgrade by bf_wh_open). */
int bf_wh_version(const struct bf_wh *w);
/* The version bf_wh_open upgraded the warehouse from, 0 when it did not
 * (none needed, or another process did it first). */
int bf_wh_upgraded(const struct bf_wh *w);

/* A set of rows whose values it owns (copied into chunks that never move,
 * so value pointers stay valid until reset or free; the rows array itself
 * moves when rows are added). Zero-initialise it (BF_ROWSET_INIT). */
struct bf_rowset {
	struct bf_row *rows; /* n used of cap */
	size_t n, cap;
	void *mem;           /* chunk list, owned */
};
#define BF_ROWSET_INIT { NULL, 0, 0, NULL }
/* Adds a row with every value NULL and returns it (valid until the next
 * add). */
struct bf_row *bf_rowset_add(struct bf_rowset *s);
/* Copies p[0..n) (plus a NUL) into s's memory; NULL stays NULL. */
const char *bf_rowset_strn(struct bf_rowset *s, const char *p, size_t n);
const char *bf_rowset_str(struct bf_rowset *s, const char *p);
void bf_rowset_reset(struct bf_rowset *s);
void bf_rowset_free(struct bf_rowset *s);

/* Transactions. bf_wh_begin takes the write lock at once in SQLite (BEGIN
 * IMMEDIATE), waiting up to the busy timeout. */
int bf_wh_begin(struct bf_wh *w, struct bf_err *e);
int bf_wh_commit(struct bf_wh *w, struct bf_err *e);
/* Rolls back an open transaction; does nothing when none is open. */
void bf_wh_rollback(struct bf_wh *w);
/* Opens a read-only transaction that sees one snapshot of the warehouse
 * for all the reads that follow, whatever other processes commit meanwhile
 * (bf-ledger): SQLite's deferred BEGIN (WAL keeps the snapshot of the
 * first read; writers are not blocked), PostgreSQL's BEGIN ISOLATION LEVEL
 * REPEATABLE READ READ ONLY. End it with bf_wh_rollback. */
int bf_wh_begin_read(struct bf_wh *w, struct bf_err *e);

/* The rules' queries (bf-load); call inside a transaction. */

/* Looks for a committed window of partition that overlaps [ws, we) with
 * other bounds: returns 1 and copies its bounds to ows, owe (truncated to
 * 31 bytes); 0 when there is none; -1 on error. */
int bf_wh_window_conflict(struct bf_wh *w, const char *partition,
    const char *ws, const char *we, char ows[32], char owe[32],
    struct bf_err *e);
/* Reads the windows row of (partition, ws, we) as the one row of out
 * (reset first). Returns 1 when found, 0 when not, -1 on error. */
int bf_wh_window_get(struct bf_wh *w, const char *partition, const char *ws,
    const char *we, struct bf_rowset *out, struct bf_err *e);
/* Appends to out every usage row of (partition, ws, we), in key order. */
int bf_wh_window_usage(struct bf_wh *w, const char *partition,
    const char *ws, const char *we, struct bf_rowset *out, struct bf_err *e);

/* Called for each row of a scan; returns 0 to go on, or -1 with e set to
 * stop the scan (which then returns -1). */
typedef int (*bf_wh_row_fn)(void *ctx, const struct bf_row *row,
    struct bf_err *e);

/* The ownership rule: no usage key (instance_id, metric, window) may be
 * held by two partitions in overlapping windows. It is checked in two
 * parts, so that the common case costs no query per row:
 * - a key of the same bounds held by another partition: the upsert (below)
 *   never overwrites it and reports it;
 * - a key held in an overlapping window with other bounds: possible only
 *   when another partition has such a window, which bf_wh_foreign_overlap
 *   tells from the windows table; only then does bf_wh_stage look at each
 *   row. */

/* 1 when a partition other than partition has a committed window that
 * overlaps [ws, we) with other bounds, 0 when none has, -1 on error. */
int bf_wh_foreign_overlap(struct bf_wh *w, const char *partition,
    const char *ws, const char *we, struct bf_err *e);
/* Stages the n usage rows to be written for one window of partition.
 * With check, then looks for a row of another partition, for the same
 * instance_id and metric, whose window overlaps a staged row's window.
 * Returns 0 when none is found (or !check); 1 with *idx the first staged
 * row (in the order given) whose key another partition owns and that
 * partition's name in owner; -1 on error. PostgreSQL copies the rows
 * (COPY) into a temporary table here; SQLite keeps pointers to them, so
 * rows must stay valid until bf_wh_stage_upsert. */
int bf_wh_stage(struct bf_wh *w, const char *partition,
    const struct bf_row *rows, size_t n, int check, size_t *idx,
    struct bf_buf *owner, struct bf_err *e);
/* Writes the staged rows: INSERT ... ON CONFLICT (key) DO UPDATE, only
 * over rows of the same partition. Returns 0 when every row was written;
 * 1 when a key is held by another partition (same bounds): *idx and owner
 * name the first such staged row, and the caller must roll back to its
 * savepoint (some rows were written); -1 on error. */
int bf_wh_stage_upsert(struct bf_wh *w, const char *partition, size_t *idx,
    struct bf_buf *owner, struct bf_err *e);
/* Savepoints inside a transaction: one per window, so that a window
 * refused halfway leaves the others of its batch. */
int bf_wh_savepoint(struct bf_wh *w, struct bf_err *e);
int bf_wh_release(struct bf_wh *w, struct bf_err *e);
int bf_wh_rollback_savepoint(struct bf_wh *w, struct bf_err *e);
/* Deletes the usage row whose key is that of row. */
int bf_wh_usage_delete(struct bf_wh *w, const struct bf_row *row,
    struct bf_err *e);
/* The head of partition's ledger chain: the last entry's seq and hash, or
 * 0 and "" when the partition has no entries. */
int bf_wh_chain_head(struct bf_wh *w, const char *partition, int64_t *seq,
    char hash[BF_SHA256_HEX], struct bf_err *e);
/* Appends n ledger rows (all columns set). */
int bf_wh_ledger_append(struct bf_wh *w, const struct bf_row *rows,
    size_t n, struct bf_err *e);
/* Inserts or replaces the windows row (all columns set but hash, which it
 * computes: bf_wh_window_hash). */
int bf_wh_window_put(struct bf_wh *w, const struct bf_row *row,
    struct bf_err *e);
/* The hash of windows row row into out (64 hex digits): the SHA-256 of
 * bf_wh_row_json of the row without a tag and without its hash column, so
 * that it covers every other column (grid, counts, usage_rows, digest,
 * chain_head, run_id, loaded_at). bf_wh_window_put stores it, the upgrade
 * to version 3 fills it for the rows loaded before, bf-ledger verify
 * checks it. Returns -1 (e set) as bf_wh_row_json does. */
int bf_wh_window_hash(const struct bf_row *row, char out[BF_SHA256_HEX],
    struct bf_err *e);
/* What the upgrade from version from added, for bf-load's message: static
 * text such as "usage.resolution, windows.hash and the ledger's
 * append-only triggers". */
const char *bf_wh_upgrade_what(int from);

/* Reading (bf-ledger, tests): calls fn for every row of table t in the
 * table's scan order (usage: by key; ledger: by partition, seq; windows:
 * by partition, window_start). Rows are streamed, not held in memory. */
int bf_wh_scan(struct bf_wh *w, const struct bf_table *t, bf_wh_row_fn fn,
    void *ctx, struct bf_err *e);

/* Takes the warehouse's lock of partition for the rest of w's life, so
 * that no other loader, with any state directory on any machine, loads
 * the partition meanwhile (bf-load): with PostgreSQL a session-level
 * advisory lock (pg_try_advisory_lock) whose key is the first 64 bits of
 * the SHA-256 of the name with the top bit set (a bigint key apart from
 * the schema lock and from the two-int4 locks on usage keys), released
 * when the connection ends, a crash included; with SQLite nothing (the
 * state directory's file lock does it: bf_lock_partition). Returns 0 when
 * held (or SQLite), -1 with e set: BF_EXIT_TEMPFAIL "partition 'P' is
 * locked by another bf-load" when another session holds it, or as any
 * statement fails. Call outside a failed transaction. */
int bf_wh_lock_partition(struct bf_wh *w, const char *partition,
    struct bf_err *e);
/* Calls fn for every windows row of partition, by window_start (the scan
 * order), as bf_wh_scan does for the whole table: the committed windows
 * of one partition (bf-window --db) at the cost of that partition's rows,
 * through the windows table's primary key. Only reads. */
int bf_wh_windows_of(struct bf_wh *w, const char *partition,
    bf_wh_row_fn fn, void *ctx, struct bf_err *e);
/* Calls fn for every row of table t whose column col (an index into
 * t->cols) holds value, in the table's scan order; the value is a bound
 * parameter. Only reads. */
int bf_wh_select_eq(struct bf_wh *w, const struct bf_table *t, int col,
    const char *value, bf_wh_row_fn fn, void *ctx, struct bf_err *e);
/* The net amount of the ledger entries that run run_id appended, per
 * currency (bf-ledger cost, bf-backfill's summary): one line per currency,
 * in bytewise order, to out,
 * {"type":"cost","run_id":R,"currency":C,"amount":A,"entries":N}, A an
 * exact decimal with 9 places. Returns 0, or -1 with e set (BF_EXIT_FAILED
 * for an amount that is no decimal or a sum out of range). */
int bf_wh_run_cost(struct bf_wh *w, const char *run_id, FILE *out,
    struct bf_err *e);

/* The canonical export (bf-load(1), "CANONICAL EXPORT"): every usage row
 * and every ledger entry as one NDJSON object, "table" first, then the
 * columns in table order without the BF_COL_NOEXPORT ones (run ids, load
 * times, sequence numbers, chain hashes), decimals as 9-place strings,
 * integers as numbers, NULL as null (a BF_COL_SPARSE column left out
 * instead); all lines sorted bytewise. The same
 * data gives the same bytes from SQLite and PostgreSQL. Writes to out;
 * returns 0, or -1 with e set (BF_EXIT_IO for a failed write). */
int bf_wh_export(struct bf_wh *w, FILE *out, struct bf_err *e);
/* Appends row of table t to out as one JSON object (no newline): first
 * "table":tag when tag is not NULL, then each column in table order except
 * those whose bit (1UL << index) is set in skip and the BF_COL_SPARSE ones
 * that are NULL, as "name":value with text and times as strings, decimals
 * as 9-place strings (reformatted through bf_dec), integers as numbers,
 * NULL as null. This one writer makes the
 * canonical export, the usage row digests and the ledger's canonical form
 * (ledger.h), so they agree by construction. Returns -1 (e set,
 * BF_EXIT_FAILED) for a decimal or integer column whose text is no such
 * number. */
int bf_wh_row_json(const struct bf_table *t, const struct bf_row *row,
    unsigned long skip, const char *tag, struct bf_buf *out,
    struct bf_err *e);
/* Appends the canonical form of usage row row to out: bf_wh_row_json
 * without a tag, without digest, run_id and loaded_at (and, as every JSON
 * form, without a BF_COL_SPARSE column that is NULL). Its SHA-256 is the
 * row's digest: bf-load computes it, bf-ledger verify checks it. */
int bf_wh_usage_canon(const struct bf_row *row, struct bf_buf *out,
    struct bf_err *e);
/* 1 when s is a decimal exactly as bf_dec_format writes it (at most 20
 * digits without a leading zero, a point and 9 decimals, not
 * "-0.000000000"): such text is used as it is, without a parse. */
int bf_wh_dec_canonical(const char *s);

#endif
