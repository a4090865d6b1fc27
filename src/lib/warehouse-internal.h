/*
 * warehouse-internal.h: the insides of a warehouse connection, shared by
 * warehouse.c (the interface and the SQL both sinks use) and the two
 * sinks, sink-sqlite.c and sink-pg.c, and by no one else (warehouse.h is
 * the interface the programs and the ledger and report code use, with
 * struct bf_wh opaque there).
 */
#ifndef BF_WAREHOUSE_INTERNAL_H
#define BF_WAREHOUSE_INTERNAL_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "warehouse.h"

/* Each sink provides an ops table; warehouse.c dispatches to it. open
 * sets w->impl before anything can fail; close frees what open left there,
 * whether open returned 0 or -1 (warehouse.c calls it either way). */
struct bf_wh_ops {
	int (*open)(struct bf_wh *w, const char *target, int flags,
	    struct bf_err *e);
	void (*close)(struct bf_wh *w);
	int (*exec)(struct bf_wh *w, const char *sql, struct bf_err *e);
	int (*window_conflict)(struct bf_wh *w, const char *partition,
	    const char *ws, const char *we, char ows[32], char owe[32],
	    struct bf_err *e);
	int (*window_get)(struct bf_wh *w, const char *partition,
	    const char *ws, const char *we, struct bf_rowset *out,
	    struct bf_err *e);
	int (*window_usage)(struct bf_wh *w, const char *partition,
	    const char *ws, const char *we, struct bf_rowset *out,
	    struct bf_err *e);
	int (*foreign_overlap)(struct bf_wh *w, const char *partition,
	    const char *ws, const char *we, struct bf_err *e);
	int (*stage)(struct bf_wh *w, const char *partition,
	    const struct bf_row *rows, size_t n, int check, size_t *idx,
	    struct bf_buf *owner, struct bf_err *e);
	int (*stage_upsert)(struct bf_wh *w, const char *partition,
	    size_t *idx, struct bf_buf *owner, struct bf_err *e);
	int (*usage_delete)(struct bf_wh *w, const struct bf_row *row,
	    struct bf_err *e);
	int (*chain_head)(struct bf_wh *w, const char *partition,
	    int64_t *seq, char hash[BF_SHA256_HEX], struct bf_err *e);
	int (*ledger_append)(struct bf_wh *w, const struct bf_row *rows,
	    size_t n, struct bf_err *e);
	int (*window_put)(struct bf_wh *w, const struct bf_row *row,
	    struct bf_err *e);
	int (*scan)(struct bf_wh *w, const struct bf_table *t,
	    bf_wh_row_fn fn, void *ctx, struct bf_err *e);
};

struct bf_wh {
	const struct bf_wh_ops *ops;
	int kind;       /* enum bf_wh_kind */
	char *name;     /* redacted target; owned */
	int in_tx;      /* a transaction is open */
	int version;    /* schema version, set by the sink's open */
	int upgraded;   /* the version the sink's open upgraded from, or 0 */
	void *impl;     /* the sink's own state; owned by the sink */
};

extern const struct bf_wh_ops bf_wh_sqlite_ops, bf_wh_pg_ops;
/* bf_wh_exists for each sink; name is the redacted target for messages. */
int bf_wh_sqlite_exists(const char *path, const char *name,
    struct bf_err *e);
int bf_wh_pg_exists(const char *target, const char *name, struct bf_err *e);
/* bf_wh_lock_partition for PostgreSQL. */
int bf_wh_pg_lock_partition(struct bf_wh *w, const char *partition,
    struct bf_err *e);
/* bf_wh_select_eq for each sink. */
int bf_wh_sqlite_select_eq(struct bf_wh *w, const struct bf_table *t,
    int col, const char *value, bf_wh_row_fn fn, void *ctx,
    struct bf_err *e);
int bf_wh_pg_select_eq(struct bf_wh *w, const struct bf_table *t, int col,
    const char *value, bf_wh_row_fn fn, void *ctx, struct bf_err *e);

/* Helpers shared by the sinks (warehouse.c). */
/* "CREATE TABLE IF NOT EXISTS name (col TYPE [NOT NULL], ..., PRIMARY
 * KEY (...))" with pg choosing PostgreSQL's types. */
void bf_wh_ddl(const struct bf_table *t, int pg, struct bf_buf *out);
/* The statements that follow the tables in a new warehouse, the same on
 * both sinks (indexes, the schema_version table), NULL-terminated. */
extern const char *const bf_wh_ddl_after[];
/* The statements that make the ledger append-only (triggers that refuse
 * UPDATE and DELETE, and on PostgreSQL TRUNCATE, with an error that says
 * so), for pg or SQLite, NULL-terminated: run after bf_wh_ddl_after in a
 * new warehouse; bf_wh_upgrade_sql includes them. */
const char *const *bf_wh_guard_sql(int pg);
/* The tables of a new warehouse (bf_wh_ddl), then bf_wh_ddl_after and
 * bf_wh_guard_sql, run through w's exec, inside the sink's transaction;
 * the sink then writes the schema_version row. Returns 0, or -1 with e
 * set. */
int bf_wh_create_tables(struct bf_wh *w, struct bf_err *e);
/* "col1, col2, ..." */
void bf_wh_collist(const struct bf_table *t, const char *prefix,
    struct bf_buf *out);
/* "INSERT INTO table (col1, col2, ...)": the head of an INSERT of t's
 * columns. */
void bf_wh_insert_head(const struct bf_table *t, struct bf_buf *out);
/* bf_wh_insert_head and " VALUES (m1, m2, ...)": a parameter for each
 * column, its number after mark ('?' for SQLite, '$' for PostgreSQL). */
void bf_wh_insert_sql(const struct bf_table *t, char mark,
    struct bf_buf *out);
/* "SELECT col1, ... FROM table" for a SELECT from w: "NULL" in place of
 * each column newer than w's schema version. */
void bf_wh_select_sql(const struct bf_wh *w, const struct bf_table *t,
    struct bf_buf *out);
/* The statements that upgrade a warehouse of version from to
 * BF_SCHEMA_VERSION, separated by ";" (one ALTER TABLE ... ADD COLUMN per
 * column added since, the guard triggers when from < 3, then the UPDATE
 * of schema_version), for pg or SQLite. Run them inside the transaction
 * that read the version; then, when from < 3, bf_wh_rehash_windows. */
void bf_wh_upgrade_sql(int from, int pg, struct bf_buf *out);
/* The upgrade to version 3, after bf_wh_upgrade_sql, in its transaction:
 * reads every windows row (with the columns of version 3) and sets its
 * hash through set(w, row, hash, e), which returns 0 or -1 with e set. A
 * row without a JSON form (bf_wh_row_json fails: edited) is left without
 * one, for verify to report.
 * Returns 0 or -1 with e set. */
int bf_wh_rehash_windows(struct bf_wh *w, int (*set)(struct bf_wh *w,
    const struct bf_row *row, const char *hash, struct bf_err *e),
    struct bf_err *e);
/* Checks the version a sink read (ver, 0 when none) against
 * BF_SCHEMA_VERSION and sets w->version: -1 with e set (BF_EXIT_USAGE)
 * for a newer or invalid one. */
int bf_wh_check_version(struct bf_wh *w, int ver, struct bf_err *e);
/* " ON CONFLICT (key columns) DO UPDATE SET col = excluded.col, ..." for
 * every non-key column, and " WHERE guard" when guard is not NULL: the
 * upsert clause, the same text for SQLite and PostgreSQL. */
void bf_wh_conflict_sql(const struct bf_table *t, const char *guard,
    struct bf_buf *out);

/* The skip mask of the canonical export of t (its BF_COL_NOEXPORT
 * columns). */
unsigned long bf_wh_noexport(const struct bf_table *t);

#endif
