/*
 * report-html.h: bf-ledger report: the chargeback of one billing period as
 * one self-contained HTML file for people (inline CSS, inline SVG written
 * here, no script, nothing fetched), the same bytes for the same warehouse
 * (no clock of its own).
 *
 * The page writes no time of its own unless the period is not settled yet
 * (its end is after now - settle, bf(7) "SETTLING"): then it says "as of"
 * now and lists what waits to settle apart from the gaps.
 *
 * Every figure comes from report.h: the headline is
 * bf_report_chargeback_sheet with cents (per tenant, then per tenant and
 * cost centre), the quota table bf_report_quota_sheet, the chart and the
 * instances bf_report_scan and the chargeback by instance. What a script
 * may read carries its meaning in data-bf-* attributes; bf-ledger(1)
 * documents that contract.
 */
#ifndef BF_REPORT_HTML_H
#define BF_REPORT_HTML_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "report.h"
#include "timeutil.h"
#include "warehouse.h"

struct bf_html_opts {
	const char *warehouse; /* shown in the provenance, as given */
	const char *quotas;    /* a quotas file (bf_report_quota) or NULL */
	const char *dlq;       /* a DLQ file ("-" standard input) or NULL */
	const char *program;   /* "bf-ledger VERSION" */
	bf_time now;           /* the time the period is settled against */
	int64_t settle;        /* seconds, >= 0, as bf-window --settle */
};

/* Writes the report of o->period (o->billing_day; o->by, o->cents,
 * o->format are ignored) to out. *exceeded receives the number of quotas
 * exceeded (0 without quotas). Returns 1, 0 when the period has no usage
 * rows (the report says so), or -1 with e set (BF_EXIT_IO when a write
 * fails or the DLQ cannot be read, BF_EXIT_USAGE when it does not
 * exist). */
int bf_report_html(struct bf_wh *w, const struct bf_report_opts *o,
    const struct bf_html_opts *h, FILE *out, int *exceeded,
    struct bf_err *e);

#endif
