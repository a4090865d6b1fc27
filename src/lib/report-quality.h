/*
 * report-quality.h: the data-quality section of bf-ledger report
 * (report-html.h, bf-ledger(1) "REPORT"): coverage per instance and day as
 * a heat map, rejects per DLQ code, gaps, and the windows waiting to
 * settle. Internal to the report: report-html.c is its only caller. Every
 * function appends HTML to a buffer the caller owns; names are escaped
 * with bf_html_esc.
 */
#ifndef BF_REPORT_QUALITY_H
#define BF_REPORT_QUALITY_H

#include <stdint.h>

#include "buf.h"
#include "decimal.h"
#include "err.h"
#include "keymap.h"
#include "timeutil.h"
#include "warehouse.h"

/* Appends s with <, >, &, " and ' escaped (NULL as ""). In report-html.c. */
void bf_html_esc(struct bf_buf *b, const char *s);

/* Coverage per instance and day: the lowest coverage of the instance's
 * usage rows (every metric, every window) whose window starts that day.
 * Rows without a coverage are left out. Zero-initialise; bf_cov_free
 * releases what it holds. */
struct bf_cov {
	struct bf_keymap cell; /* instance NUL day(10) -> min[i] */
	struct bf_keymap inst; /* instance -> worst[i] */
	bf_dec *min, *worst;
	size_t mcap, wcap;
	struct bf_buf k;
};
/* Adds usage row row (columns BF_U_*). Never fails: a coverage that is no
 * decimal is left out as a missing one. */
void bf_cov_row(struct bf_cov *c, const struct bf_row *row);
void bf_cov_free(struct bf_cov *c);
/* The heat map of c over the days of [from, to): the BF_COV_TOPN
 * instances of lowest coverage, worst first, and a line for the rest. */
#define BF_COV_TOPN 20
void bf_html_coverage(struct bf_buf *b, const struct bf_cov *c, bf_time from,
    bf_time to);

/* Rejects per DLQ code of the DLQ file path ("-" standard input), the
 * records whose window_start is in [from, to), those without a window,
 * and malformed lines counted apart. Returns 0, or -1 with e set:
 * BF_EXIT_USAGE when path does not exist, BF_EXIT_IO when it cannot be
 * read. */
int bf_html_dlq(struct bf_buf *b, const char *path, bf_time from, bf_time to,
    struct bf_err *e);

/* Settling: the period [from, to) is open when to > limit (limit =
 * bf_settle_limit(now, settle)). */
struct bf_settle_view {
	bf_time now, limit;
	int64_t settle;
	int open;
};
/* The note that the period is open, as of now (nothing when it is not). */
void bf_html_open_note(struct bf_buf *b, const struct bf_settle_view *s);
/* The gaps of [from, to) (bf_report_gaps) per partition; when the period
 * is open, the uncommitted part of each partition that cannot be settled
 * yet is listed apart, as waiting to settle. Returns 0, or -1 with e set. */
int bf_html_gaps(struct bf_buf *b, struct bf_wh *w, bf_time from, bf_time to,
    const struct bf_settle_view *s, struct bf_err *e);

#endif
