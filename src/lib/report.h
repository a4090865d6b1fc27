/*
 * report.h: what bf-ledger(1) reads out of the warehouse for people:
 * chargeback per billing period, quota reconciliation and the gaps of
 * committed windows; and the small pieces the FOCUS export shares with
 * them (owner shares of a usage row, report sheets in three formats).
 *
 * Where amounts come from: the usage table. The ledger's balance of every
 * key equals the cost of the usage row it follows (ledger.h; bf-ledger
 * verify checks it), so the usage rows are the ledger's current state, and
 * only they carry the owners of a multi-owner window: their "allocations"
 * (tenant, cost_center, cost, from, to, as bf-aggregate(1) writes them),
 * whose costs add up to the row's cost. Each usage row is charged to its
 * owners by bf_report_shares.
 *
 * A usage row belongs to the billing period holding its window_start.
 * Windows planned by bf-window(1) with the same billing day never straddle
 * a period; a row whose window does is counted whole in the period of its
 * start, with a warning.
 *
 * In the same snapshot, the ledger entries of the period are summed per
 * currency; when they do not add up to the usage's cost (a warehouse that
 * would not verify), the report says so in a warning.
 *
 * Everything reads through the warehouse interface (warehouse.h), in one
 * read snapshot (bf_wh_begin_read), on SQLite and PostgreSQL alike.
 */
#ifndef BF_REPORT_H
#define BF_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "decimal.h"
#include "err.h"
#include "timeutil.h"
#include "warehouse.h"

/*
 * Sheets: a report as rows of named columns, written in one of three
 * formats. NDJSON: one object per row, "type" first (the row's kind),
 * then the columns; text as JSON strings, BF_SHEET_NUM columns as JSON
 * numbers, NULL as null. CSV (RFC 4180 through bf_table_put_field): a
 * header "type,col,..." and one line per row, NULL as an empty field.
 * Table: aligned columns for people, a header in capitals, numeric
 * columns right-aligned, NULL as "-", no "type" column.
 */
enum bf_sheet_format {
	BF_FMT_NDJSON = 1,
	BF_FMT_CSV,
	BF_FMT_TABLE,
};
/* Parses "ndjson", "csv" or "table"; returns the format or -1. */
int bf_sheet_format(const char *s);

#define BF_SHEET_NUM 1   /* a JSON number (counts) */
#define BF_SHEET_RIGHT 2 /* right-aligned in a table (amounts) */

struct bf_sheet_col {
	const char *name;
	int flags; /* BF_SHEET_* */
};

/* A sheet holds copies of every value (bf_sheet_free releases them). */
struct bf_sheet {
	const struct bf_sheet_col *cols; /* borrowed */
	int ncols;
	struct bf_rowset rows;           /* v[0] is the row's type */
};
void bf_sheet_init(struct bf_sheet *s, const struct bf_sheet_col *cols,
    int ncols);
/* Adds a row of type with ncols values (copied; NULL for null). */
void bf_sheet_add(struct bf_sheet *s, const char *type,
    const char *const *v);
/* Writes the sheet to out in format fmt. Returns 0, or -1 with e set
 * (BF_EXIT_IO) when the write fails. */
int bf_sheet_write(const struct bf_sheet *s, int fmt, FILE *out,
    struct bf_err *e);
void bf_sheet_free(struct bf_sheet *s);

/*
 * Owner shares of one usage row (columns BF_U_*). Without "allocations"
 * (or with an empty array) the row is one share: its tenant, no cost
 * centre, its cost and quantity. Otherwise each allocation is a share: its
 * tenant and cost_center, its cost; the quantity is split in proportion to
 * the allocations' seconds (to - from) when every allocation has both,
 * else to their costs, else evenly: every share but the last gets
 * round9(quantity * weight / total), the last the remainder, so that the
 * shares add up to the quantity exactly. Allocation costs that do not add
 * up to the row's cost (a hand-made line) get the difference as one more
 * share of the row's own tenant, and a warning, so that shares always add
 * up to the ledger's balance.
 */
/* Appends "instance 'I' metric 'M' window START/END" naming usage row r
 * (names escaped as bf_plan_put_name does), for messages. */
void bf_report_usage_name(const struct bf_row *r, struct bf_buf *b);

struct bf_owner_share {
	const char *tenant;      /* "" when the row names none */
	const char *cost_center; /* NULL when none */
	bf_dec cost;
	bf_dec quantity;         /* 0 when the row has none */
};
struct bf_shares {
	struct bf_owner_share *v;      /* n used of cap; owned */
	size_t n, cap;
	struct bf_buf text;      /* owns the strings v points to */
	const char *warning;     /* set when the last call warned; in text */
};
#define BF_SHARES_INIT { NULL, 0, 0, BF_BUF_INIT, NULL }
/* Fills s (reset first) with the shares of row. Returns 0, or -1 with e
 * set (BF_EXIT_FAILED) for a cost or quantity that is no decimal, or
 * overflow. Strings in s are valid until the next call or
 * bf_shares_free. */
int bf_report_shares(const struct bf_row *row, struct bf_shares *s,
    struct bf_err *e);
void bf_shares_free(struct bf_shares *s);

/* Splits amount into n parts in proportion to weights w[0..n) (parts but
 * the last round9(amount * w[i] / total), the last the remainder; evenly
 * when the weights add up to 0). out[0..n). Returns 0 or -1 on overflow. */
int bf_report_split(bf_dec amount, const bf_dec *w, size_t n, bf_dec *out);

/*
 * Cents: rounds amounts a[0..n) (9 places) to places decimals (0..9) so
 * that the rounded parts add up exactly to their rounded total (total
 * rounded half to even): each part is first rounded down (toward minus
 * infinity), then the units still missing go one each to the parts with
 * the largest remainders; equal remainders go to the part that comes
 * first (lowest index: callers pass parts in their output order). out and
 * *total receive the results. Returns 0 or -1 on overflow.
 */
int bf_report_cents(const bf_dec *a, size_t n, int places, bf_dec *out,
    bf_dec *total);

/* Groupings of the chargeback beyond the tenant (--by). */
#define BF_BY_COST_CENTER 1
#define BF_BY_INSTANCE 2
#define BF_BY_METRIC 4
/* Parses a comma-separated list of "cost-center", "instance", "metric"
 * into *by (or'ed); returns 0 or -1 with e set (BF_EXIT_USAGE). */
int bf_report_parse_by(const char *s, int *by, struct bf_err *e);

struct bf_report_opts {
	const char *period; /* "YYYY-MM" */
	int billing_day;    /* 1..28 */
	int by;             /* BF_BY_* */
	int cents;          /* add "rounded" amounts with 2 decimals */
	int format;         /* enum bf_sheet_format */
	FILE *out;
	/* Warnings (a straddling window, allocations that do not add up). */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

/*
 * Chargeback: the usage rows of the period, shared among their owners,
 * summed per tenant (and per cost centre, instance, metric as o->by asks)
 * and currency, in bytewise order of those keys; then one "total" row per
 * currency. Columns: period, period_start, period_end, tenant,
 * [cost_center, instance_id, metric,] currency, usage_rows (shares
 * summed), cost (9 decimals), [rounded (with cents)]. Returns 1, or 0
 * when the period has no usage rows (what the format writes for an empty
 * sheet is written: the CSV and table headers), or -1 with e set.
 */
int bf_report_chargeback(struct bf_wh *w, const struct bf_report_opts *o,
    struct bf_err *e);

/* The same, into out (initialized here; on success the caller frees it
 * with bf_sheet_free; nothing to free on -1). out->cols is NULL: the rows'
 * values follow the column list above for o->by, o->cents and o->format,
 * after the type in v[0]. */
int bf_report_chargeback_sheet(struct bf_wh *w, const struct bf_report_opts *o,
    struct bf_sheet *out, struct bf_err *e);

/*
 * Quota reconciliation. The quotas file is CSV with the header
 * tenant,metric,limit,unit,period: limit a decimal >= 0 in unit, which
 * must be the usage_unit of that metric's usage rows; period "YYYY-MM"
 * (the quota applies to that billing period only) or empty (every
 * period). For each quota that applies to o->period: used = the tenant's
 * shares of the metric's quantity in the period, percent = round2(used *
 * 100 / limit) (null for a limit of 0), overage = used - limit when
 * positive else 0, overage_cost = round9(overage * cost / used) at the
 * tenant's average price of that metric in the period, status "ok" or
 * "exceeded" (used > limit). Rows in file order. *exceeded receives the
 * number of quotas exceeded. Returns 0, or -1 with e set (BF_EXIT_USAGE
 * for a bad quotas file or a unit that does not match the usage).
 */
int bf_report_quota(struct bf_wh *w, const char *quotas,
    const struct bf_report_opts *o, int *exceeded, struct bf_err *e);
/* The same, into out (columns period, tenant, metric, unit, limit, used,
 * percent, overage, overage_cost, currency, status); the caller frees it
 * with bf_sheet_free after a return of 0; nothing to free on -1. */
int bf_report_quota_sheet(struct bf_wh *w, const char *quotas,
    const struct bf_report_opts *o, int *exceeded, struct bf_sheet *out,
    struct bf_err *e);

/* Calls fn with every usage row of period o->period and its owner shares,
 * as chargeback and quota read them (one read snapshot; warnings through
 * o->warn). Returns 0, or -1 with e set (by fn or the warehouse). */
int bf_report_scan(struct bf_wh *w, const struct bf_report_opts *o,
    int (*fn)(void *ctx, const struct bf_row *row,
    const struct bf_shares *sh, struct bf_err *e), void *ctx,
    struct bf_err *e);

/*
 * Gaps: the parts of [from, to) not covered by committed windows (the
 * windows table), per partition, merged, as bf-window --gaps writes them
 * from the checkpoints:
 *   {"type":"gap","partition":"db-1","gap_start":"...","gap_end":"..."}
 * The partitions are names[0..n) in that order, or, when n is 0, every
 * partition of the windows table in bytewise order. Returns 0, or -1 with
 * e set.
 */
int bf_report_gaps(struct bf_wh *w, bf_time from, bf_time to,
    const char *const *names, size_t n, FILE *out, struct bf_err *e);

#endif
