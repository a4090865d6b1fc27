/*
 * focus.h: bf-ledger's exports (bf-ledger(1), "EXPORT"): the tables as
 * they are (NDJSON or CSV), and the FinOps FOCUS 1.2 cost-and-usage
 * dataset of the ledger. The canonical export ("the same result") is
 * bf_load_export (load.h), not repeated here.
 *
 * FOCUS rows: one per ledger entry, in ledger order (partition, seq), or
 * one per owner for an entry of a multi-owner window (see below). Columns:
 * BilledCost, EffectiveCost, ListCost and ContractedCost the entry's
 * amount (no discounts, so all four agree); BillingCurrency its currency;
 * ChargePeriodStart and ChargePeriodEnd the window, [start, end);
 * BillingPeriodStart and BillingPeriodEnd the billing period holding the
 * window's start (--billing-day); ChargeCategory "Usage"; ChargeClass
 * "Correction" for corrections and reversals, null for charges;
 * ChargeFrequency "Usage-Based"; ChargeDescription the metric and instance
 * (and a correction's reason); ServiceCategory "Databases"; ServiceName,
 * ServiceSubcategory, ProviderName, PublisherName, InvoiceIssuerName,
 * BillingAccountId and BillingAccountName from the options; ResourceId and
 * ResourceName the instance; SubAccountId and SubAccountName the tenant
 * (null when the entry has none); PricingQuantity and ConsumedQuantity
 * with PricingUnit and ConsumedUnit (the usage_unit); custom columns
 * x_Partition, x_LedgerSeq, x_LedgerKind, x_Metric, x_CostCenter,
 * x_Reason, x_UsageDigest, x_EntryHash. Times are RFC 3339 UTC, amounts
 * decimals with 9 places, null an empty field.
 *
 * Quantities: the ledger keeps amounts, the usage table the quantity of
 * each key's current row only. So that a key's quantities add up to what
 * the warehouse holds, the entries computed from the current row (the same
 * usage_digest) carry its quantity (negated on a reversal); other charges
 * carry 0, other corrections and reversals none (null, as FOCUS allows
 * for corrections).
 *
 * Multi-owner windows: an entry whose tenant is empty, of a key whose
 * current usage row has allocations, is split into one row per
 * allocation (SubAccountId its tenant, x_CostCenter its cost centre). The
 * split is cumulative: the key's balance after the entry is split in
 * proportion to the allocations' costs (bf_report_split), and each row
 * gets the change of its owner's part, so that each owner's rows add up to
 * exactly its allocation, as in the chargeback.
 */
#ifndef BF_FOCUS_H
#define BF_FOCUS_H

#include <stdio.h>

#include "err.h"
#include "warehouse.h"

/* Tables for bf_export_tables. */
#define BF_EXPORT_USAGE 1
#define BF_EXPORT_LEDGER 2
#define BF_EXPORT_WINDOWS 4

/* Writes the rows of the tables in mask as they are, in scan order (usage
 * by key, ledger by partition and seq, windows by partition and start):
 * NDJSON (csv 0), one object per row with "table" first and every column
 * (bf_wh_row_json), or CSV (csv 1; mask must name one table), a header of
 * the column names and one line per row, NULL as an empty field. With
 * from and to (RFC 3339 text, or NULL for everything) only rows whose
 * window_start is in [from, to). Returns 0, or -1 with e set. */
int bf_export_tables(struct bf_wh *w, int mask, int csv, const char *from,
    const char *to, FILE *out, struct bf_err *e);

struct bf_focus_opts {
	const char *from, *to; /* window_start range (RFC 3339), or NULL */
	int billing_day;       /* 1..28 */
	const char *account;   /* BillingAccountId and Name */
	const char *provider;  /* ProviderName, PublisherName,
	                          InvoiceIssuerName */
	const char *service;   /* ServiceName */
	const char *subcategory; /* ServiceSubcategory, one of FOCUS's
	                            values for "Databases" */
	FILE *out;
};

/* Writes the FOCUS CSV (header and rows). Returns 0, or -1 with e set. */
int bf_focus_export(struct bf_wh *w, const struct bf_focus_opts *o,
    struct bf_err *e);

#endif
