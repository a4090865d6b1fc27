/*
 * focus.c: the exports of bf-ledger (focus.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "decimal.h"
#include "focus.h"
#include "keymap.h"
#include "ledger.h"
#include "report.h"
#include "table.h"
#include "timeutil.h"

/* Tables as they are. */

struct raw {
	const struct bf_table *t;
	int csv, tcol; /* tcol: the window_start column */
	const char *from, *to;
	struct bf_buf b;
	FILE *out;
};

static int
flush_buf(struct bf_buf *b, FILE *out, struct bf_err *e)
{
	if (b->len > 0 && fwrite(b->s, 1, b->len, out) != b->len)
		return bf_err_set(e, BF_EXIT_IO, "write error on the export");
	bf_buf_reset(b);
	return 0;
}

/* The end of an export: b written out, out flushed and checked. */
static int
finish_out(struct bf_buf *b, FILE *out, struct bf_err *e)
{
	if (flush_buf(b, out, e) == -1)
		return -1;
	if (fflush(out) == EOF || ferror(out))
		return bf_err_set(e, BF_EXIT_IO, "write error on the export");
	return 0;
}

static int
raw_row(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct raw *x = ctx;
	const char *ws = row->v[x->tcol];
	int i;

	if (x->from != NULL && (ws == NULL || strcmp(ws, x->from) < 0 ||
	    strcmp(ws, x->to) >= 0))
		return 0;
	if (x->csv) {
		for (i = 0; i < x->t->ncols; i++) {
			if (i > 0)
				bf_buf_putc(&x->b, ',');
			if (row->v[i] != NULL)
				bf_table_put_cell(&x->b, row->v[i],
				    strlen(row->v[i]));
		}
	} else if (bf_wh_row_json(x->t, row, 0, x->t->name, &x->b, e) == -1) {
		return -1;
	}
	bf_buf_putc(&x->b, '\n');
	return x->b.len >= 65536 ? flush_buf(&x->b, x->out, e) : 0;
}

int
bf_export_tables(struct bf_wh *w, int mask, int csv, const char *from,
    const char *to, FILE *out, struct bf_err *e)
{
	static const struct {
		int bit;
		const struct bf_table *t;
		int tcol;
	} tabs[] = {
		{ BF_EXPORT_USAGE, &bf_tbl_usage, BF_U_WINDOW_START },
		{ BF_EXPORT_LEDGER, &bf_tbl_ledger, BF_L_WINDOW_START },
		{ BF_EXPORT_WINDOWS, &bf_tbl_windows, BF_W_WINDOW_START },
	};
	struct raw x;
	size_t k;
	int i, rc = -1;

	memset(&x, 0, sizeof(x));
	x.csv = csv;
	x.from = from;
	x.to = to;
	x.out = out;
	if (bf_wh_begin_read(w, e) == -1)
		return -1;
	for (k = 0; k < sizeof(tabs) / sizeof(tabs[0]); k++) {
		if (!(mask & tabs[k].bit))
			continue;
		x.t = tabs[k].t;
		x.tcol = tabs[k].tcol;
		if (csv) {
			for (i = 0; i < x.t->ncols; i++) {
				if (i > 0)
					bf_buf_putc(&x.b, ',');
				bf_buf_puts(&x.b, x.t->cols[i].name);
			}
			bf_buf_putc(&x.b, '\n');
		}
		if (bf_wh_scan(w, x.t, raw_row, &x, e) == -1)
			goto done;
	}
	if (finish_out(&x.b, out, e) == -1)
		goto done;
	rc = 0;
done:
	bf_wh_rollback(w);
	bf_buf_free(&x.b);
	return rc;
}

/* FOCUS. */

enum {
	F_BILLED_COST, F_BILLING_ACCOUNT_ID, F_BILLING_ACCOUNT_NAME,
	F_BILLING_CURRENCY, F_BILLING_PERIOD_END, F_BILLING_PERIOD_START,
	F_CHARGE_CATEGORY, F_CHARGE_CLASS, F_CHARGE_DESCRIPTION,
	F_CHARGE_FREQUENCY, F_CHARGE_PERIOD_END, F_CHARGE_PERIOD_START,
	F_CONSUMED_QUANTITY, F_CONSUMED_UNIT, F_CONTRACTED_COST,
	F_EFFECTIVE_COST, F_INVOICE_ISSUER_NAME, F_LIST_COST,
	F_PRICING_QUANTITY, F_PRICING_UNIT, F_PROVIDER_NAME,
	F_PUBLISHER_NAME, F_RESOURCE_ID, F_RESOURCE_NAME,
	F_SERVICE_CATEGORY, F_SERVICE_NAME, F_SERVICE_SUBCATEGORY,
	F_SUB_ACCOUNT_ID,
	F_SUB_ACCOUNT_NAME, F_X_PARTITION, F_X_LEDGER_SEQ, F_X_LEDGER_KIND,
	F_X_METRIC, F_X_COVERAGE, F_X_RESOLUTION, F_X_COST_CENTER, F_X_REASON,
	F_X_USAGE_DIGEST, F_X_ENTRY_HASH,
	F_NCOLS
};

static const char *const fcols[F_NCOLS] = {
	"BilledCost", "BillingAccountId", "BillingAccountName",
	"BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
	"ChargeCategory", "ChargeClass", "ChargeDescription",
	"ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
	"ConsumedQuantity", "ConsumedUnit", "ContractedCost",
	"EffectiveCost", "InvoiceIssuerName", "ListCost",
	"PricingQuantity", "PricingUnit", "ProviderName",
	"PublisherName", "ResourceId", "ResourceName",
	"ServiceCategory", "ServiceName", "ServiceSubcategory", "SubAccountId",
	"SubAccountName", "x_Partition", "x_LedgerSeq", "x_LedgerKind",
	"x_Metric", "x_Coverage", "x_Resolution", "x_CostCenter", "x_Reason",
	"x_UsageDigest", "x_EntryHash",
};

/* The current usage row of a key, as far as the export needs it. */
struct cur {
	char digest[BF_SHA256_HEX];
	const char *tenant, *unit, *currency; /* in f->mem */
	const char *coverage, *resolution;    /* in f->mem; may be NULL */
	bf_dec qty;
	size_t sh0, nsh;  /* owner shares in f->sh, when allocated */
};

struct fshare {
	const char *tenant, *cc; /* in f->mem; cc may be NULL */
	bf_dec cost, qty;
};

struct focus {
	const struct bf_focus_opts *o;
	struct bf_keymap rows;   /* instance NUL metric NUL ws NUL we */
	struct cur *cur;
	size_t ccap;
	struct fshare *sh;
	size_t nsh, shcap;
	struct bf_keymap units;  /* metric -> index into unit */
	const char **unit;
	size_t ucap;
	struct bf_keymap split;  /* ledger key -> index into bal */
	bf_dec *bal;
	size_t bcap;
	struct bf_rowset mem;
	struct bf_shares shares;
	struct bf_buf k, b;
};

static void
ukey(struct bf_buf *k, const char *inst, const char *metric,
    const char *ws, const char *we)
{
	bf_buf_reset(k);
	bf_buf_puts(k, inst);
	bf_buf_putc(k, '\0');
	bf_buf_puts(k, metric);
	bf_buf_putc(k, '\0');
	bf_buf_puts(k, ws);
	bf_buf_putc(k, '\0');
	bf_buf_puts(k, we);
}

static int
in_range(const struct bf_focus_opts *o, const char *ws)
{
	return o->from == NULL || (ws != NULL && strcmp(ws, o->from) >= 0 &&
	    strcmp(ws, o->to) < 0);
}

static int
focus_usage(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct focus *f = ctx;
	const char *metric = row->v[BF_U_METRIC];
	const char *unit = row->v[BF_U_USAGE_UNIT];
	struct cur *c;
	size_t i;
	int added;

	if (unit != NULL) {
		i = bf_keymap_put(&f->units, metric, strlen(metric), &added);
		if (added) {
			f->unit = bf_grow(f->unit, &f->ucap, i,
			    sizeof(*f->unit), 16);
			f->unit[i] = bf_rowset_str(&f->mem, unit);
		}
	}
	if (!in_range(f->o, row->v[BF_U_WINDOW_START]))
		return 0;
	ukey(&f->k, row->v[BF_U_INSTANCE_ID], metric,
	    row->v[BF_U_WINDOW_START], row->v[BF_U_WINDOW_END]);
	i = bf_keymap_put(&f->rows, f->k.s, f->k.len, NULL);
	f->cur = bf_grow(f->cur, &f->ccap, i, sizeof(*f->cur), 256);
	c = &f->cur[i];
	memset(c, 0, sizeof(*c));
	snprintf(c->digest, sizeof(c->digest), "%s", row->v[BF_U_DIGEST] ?
	    row->v[BF_U_DIGEST] : "");
	c->tenant = bf_rowset_str(&f->mem, row->v[BF_U_TENANT] ?
	    row->v[BF_U_TENANT] : "");
	c->unit = unit != NULL ? bf_rowset_str(&f->mem, unit) : NULL;
	c->currency = bf_rowset_str(&f->mem, row->v[BF_U_CURRENCY]);
	c->coverage = bf_rowset_str(&f->mem, row->v[BF_U_COVERAGE]);
	c->resolution = bf_rowset_str(&f->mem, row->v[BF_U_RESOLUTION]);
	if (bf_report_shares(row, &f->shares, e) == -1)
		return -1;
	for (i = 0; i < f->shares.n; i++)
		if (bf_dec_add(c->qty, f->shares.v[i].quantity, &c->qty) !=
		    BF_DEC_OK)
			return bf_err_set(e, BF_EXIT_FAILED, "quantity "
			    "overflow");
	if (row->v[BF_U_ALLOCATIONS] != NULL && f->shares.warning == NULL) {
		c->sh0 = f->nsh;
		for (i = 0; i < f->shares.n; i++) {
			struct fshare *s;

			f->sh = bf_grow(f->sh, &f->shcap, f->nsh,
			    sizeof(*f->sh), 256);
			s = &f->sh[f->nsh++];
			s->tenant = bf_rowset_str(&f->mem,
			    f->shares.v[i].tenant);
			s->cc = bf_rowset_str(&f->mem,
			    f->shares.v[i].cost_center);
			s->cost = f->shares.v[i].cost;
			s->qty = f->shares.v[i].quantity;
		}
		c->nsh = f->shares.n;
	}
	return 0;
}

static void
put_row(struct focus *f, const char *const *v)
{
	int i;

	for (i = 0; i < F_NCOLS; i++) {
		if (i > 0)
			bf_buf_putc(&f->b, ',');
		if (v[i] != NULL)
			bf_table_put_cell(&f->b, v[i], strlen(v[i]));
	}
	bf_buf_putc(&f->b, '\n');
}

/* The part of row c that belongs to tenant (bf-load writes one ledger
 * entry per tenant's share): its cost centre when all its allocations name
 * the same one (else *cc is left NULL), and with q not NULL its quantity,
 * negated for a reversal. */
static void
tenant_share(const struct focus *f, const struct cur *c, const char *tenant,
    const char **cc, bf_dec *q, int rev)
{
	bf_dec sum = bf_dec_from_int(0);
	const char *one = NULL;
	int found = 0, many = 0;
	size_t i;

	for (i = 0; i < c->nsh; i++) {
		const struct fshare *s = &f->sh[c->sh0 + i];

		if (strcmp(s->tenant, tenant) != 0)
			continue;
		if (found && (one == NULL || s->cc == NULL ||
		    strcmp(one, s->cc) != 0))
			many = 1;
		if (!found)
			one = s->cc;
		found = 1;
		if (bf_dec_add(sum, s->qty, &sum) != BF_DEC_OK)
			return;
	}
	if (!found)
		return;
	if (!many)
		*cc = one;
	if (q != NULL) {
		*q = sum;
		if (rev)
			bf_dec_neg(sum, q);
	}
}

/* One ledger entry on its way to FOCUS rows: the row, the usage row it
 * was computed from (c, when known), and the columns every row of it
 * shares. */
struct entry {
	const struct bf_row *row;
	const struct cur *c;  /* NULL: no usage row of the key */
	int match;            /* c is the very row the entry charged */
	int rev;              /* a reversal */
	int qnull;            /* no quantity: a correction of another row */
	bf_dec amount, q;
	const char *v[F_NCOLS];
	char bps[BF_TIME_LEN], bpe[BF_TIME_LEN];
	struct bf_buf desc;
};

/* The columns of e's rows that do not depend on the tenant. */
static void
entry_columns(struct focus *f, struct entry *en)
{
	const struct bf_focus_opts *o = f->o;
	const char *const *r = (const char *const *)en->row->v;
	const char **v = en->v;
	const char *kind = r[BF_L_KIND], *metric = r[BF_L_METRIC], *u;
	long ui;

	v[F_BILLING_ACCOUNT_ID] = v[F_BILLING_ACCOUNT_NAME] = o->account;
	v[F_BILLING_CURRENCY] = r[BF_L_CURRENCY];
	v[F_BILLING_PERIOD_START] = en->bps;
	v[F_BILLING_PERIOD_END] = en->bpe;
	v[F_CHARGE_CATEGORY] = "Usage";
	v[F_CHARGE_CLASS] = strcmp(kind, BF_LEDGER_CHARGE) == 0 ? NULL :
	    "Correction";
	bf_buf_printf(&en->desc, "%s of %s", metric, r[BF_L_INSTANCE_ID]);
	if (v[F_CHARGE_CLASS] != NULL)
		bf_buf_printf(&en->desc, ": %s %s", kind, r[BF_L_REASON]);
	v[F_CHARGE_DESCRIPTION] = bf_buf_str(&en->desc);
	v[F_CHARGE_FREQUENCY] = "Usage-Based";
	v[F_CHARGE_PERIOD_START] = r[BF_L_WINDOW_START];
	v[F_CHARGE_PERIOD_END] = r[BF_L_WINDOW_END];
	v[F_INVOICE_ISSUER_NAME] = v[F_PROVIDER_NAME] =
	    v[F_PUBLISHER_NAME] = o->provider;
	v[F_RESOURCE_ID] = v[F_RESOURCE_NAME] = r[BF_L_INSTANCE_ID];
	v[F_SERVICE_CATEGORY] = "Databases";
	v[F_SERVICE_NAME] = o->service;
	v[F_SERVICE_SUBCATEGORY] = o->subcategory;
	v[F_X_PARTITION] = r[BF_L_PARTITION];
	v[F_X_LEDGER_SEQ] = r[BF_L_SEQ];
	v[F_X_LEDGER_KIND] = kind;
	v[F_X_METRIC] = metric;
	v[F_X_REASON] = r[BF_L_REASON];
	v[F_X_USAGE_DIGEST] = r[BF_L_USAGE_DIGEST];
	v[F_X_ENTRY_HASH] = r[BF_L_HASH];
	if (en->match) {
		/* The fidelity of the row the entry was computed from. */
		v[F_X_COVERAGE] = en->c->coverage;
		v[F_X_RESOLUTION] = en->c->resolution;
	}
	if (en->qnull)
		return;
	u = en->c != NULL ? en->c->unit : NULL;
	if (u == NULL && (ui = bf_keymap_get(&f->units, metric,
	    strlen(metric))) != -1)
		u = f->unit[ui];
	v[F_PRICING_UNIT] = v[F_CONSUMED_UNIT] = u != NULL ? u : metric;
}

/* The entry as one row: one tenant's, or (a tenant's share of a
 * multi-owner row) that share's quantity and cost centre. */
static void
put_whole(struct focus *f, struct entry *en)
{
	const char *tenant = en->row->v[BF_L_TENANT];
	const char **v = en->v;
	char amt[BF_DEC_LEN], qty[BF_DEC_LEN];

	if (en->c != NULL && en->c->nsh > 0 && tenant[0] != '\0')
		tenant_share(f, en->c, tenant, &v[F_X_COST_CENTER],
		    en->match ? &en->q : NULL, en->rev);
	v[F_SUB_ACCOUNT_ID] = v[F_SUB_ACCOUNT_NAME] = tenant[0] != '\0' ?
	    tenant : NULL;
	bf_dec_format(en->amount, amt);
	v[F_BILLED_COST] = v[F_EFFECTIVE_COST] = v[F_LIST_COST] =
	    v[F_CONTRACTED_COST] = amt;
	if (!en->qnull) {
		bf_dec_format(en->q, qty);
		v[F_PRICING_QUANTITY] = v[F_CONSUMED_QUANTITY] = qty;
	}
	put_row(f, v);
}

/* The running balance of an untenanted entry's key (instance, metric,
 * window, currency): its index in f->bal. */
static size_t
split_balance(struct focus *f, const struct bf_row *row)
{
	static const int key[] = { BF_L_INSTANCE_ID, BF_L_METRIC,
		BF_L_WINDOW_START, BF_L_WINDOW_END, BF_L_CURRENCY };
	size_t k, i;
	int added;

	bf_buf_reset(&f->k);
	for (i = 0; i < sizeof(key) / sizeof(key[0]); i++) {
		if (i > 0)
			bf_buf_putc(&f->k, '\0');
		bf_buf_puts(&f->k, row->v[key[i]]);
	}
	k = bf_keymap_put(&f->split, f->k.s, f->k.len, &added);
	if (added) {
		f->bal = bf_grow(f->bal, &f->bcap, k, sizeof(*f->bal), 64);
		f->bal[k] = bf_dec_from_int(0);
	}
	return k;
}

/* An untenanted entry of a multi-owner row: one row per owner, each the
 * change of its share of the key's running balance, so that the shares
 * of every entry of the key add up to the balance's. */
static int
put_split(struct focus *f, struct entry *en, struct bf_err *e)
{
	const struct cur *c = en->c;
	const char **v = en->v;
	bf_dec *w = bf_xcalloc(c->nsh, sizeof(*w));
	bf_dec *before = bf_xcalloc(c->nsh, sizeof(*before));
	bf_dec *after = bf_xcalloc(c->nsh, sizeof(*after));
	char amt[BF_DEC_LEN], qty[BF_DEC_LEN];
	size_t k = split_balance(f, en->row), i;
	bf_dec nb, part, sq;
	int rc = 0;

	for (i = 0; i < c->nsh; i++)
		w[i] = f->sh[c->sh0 + i].cost;
	if (bf_dec_add(f->bal[k], en->amount, &nb) != BF_DEC_OK ||
	    bf_report_split(f->bal[k], w, c->nsh, before) == -1 ||
	    bf_report_split(nb, w, c->nsh, after) == -1) {
		rc = bf_err_set(e, BF_EXIT_FAILED, "amount overflow");
		goto done;
	}
	f->bal[k] = nb;
	for (i = 0; i < c->nsh; i++) {
		const struct fshare *s = &f->sh[c->sh0 + i];

		bf_dec_sub(after[i], before[i], &part);
		bf_dec_format(part, amt);
		v[F_BILLED_COST] = v[F_EFFECTIVE_COST] = v[F_LIST_COST] =
		    v[F_CONTRACTED_COST] = amt;
		v[F_SUB_ACCOUNT_ID] = v[F_SUB_ACCOUNT_NAME] =
		    s->tenant[0] != '\0' ? s->tenant : NULL;
		v[F_X_COST_CENTER] = s->cc;
		if (!en->qnull) {
			sq = en->match ? s->qty : bf_dec_from_int(0);
			if (en->match && en->rev)
				bf_dec_neg(sq, &sq);
			bf_dec_format(sq, qty);
			v[F_PRICING_QUANTITY] = v[F_CONSUMED_QUANTITY] = qty;
		}
		put_row(f, v);
	}
done:
	free(w);
	free(before);
	free(after);
	return rc;
}

static int
focus_ledger(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct focus *f = ctx;
	const char *ws = row->v[BF_L_WINDOW_START];
	const char *kind = row->v[BF_L_KIND];
	struct entry en;
	bf_time t;
	long ci;
	int rc;

	/* Events (a restore, a re-anchoring) bill nothing: they are in the
	 * ledger for the audit, not in a cost dataset. */
	if (!in_range(f->o, ws) || bf_ledger_is_event(kind))
		return 0;
	memset(&en, 0, sizeof(en));
	en.row = row;
	if (bf_dec_parse(row->v[BF_L_AMOUNT], strlen(row->v[BF_L_AMOUNT]),
	    &en.amount) != BF_DEC_OK || bf_time_parse(ws, strlen(ws), &t,
	    NULL) == -1)
		return bf_err_set(e, BF_EXIT_FAILED, "ledger entry %s of '%s' "
		    "has a bad amount or window", row->v[BF_L_SEQ],
		    row->v[BF_L_PARTITION]);
	bf_time_format(bf_billing_start(t, f->o->billing_day), en.bps);
	bf_time_format(bf_billing_next(t, f->o->billing_day), en.bpe);
	ukey(&f->k, row->v[BF_L_INSTANCE_ID], row->v[BF_L_METRIC], ws,
	    row->v[BF_L_WINDOW_END]);
	if ((ci = bf_keymap_get(&f->rows, f->k.s, f->k.len)) != -1)
		en.c = &f->cur[ci];
	en.match = en.c != NULL &&
	    strcmp(row->v[BF_L_USAGE_DIGEST], en.c->digest) == 0;
	en.rev = strcmp(kind, BF_LEDGER_REVERSAL) == 0;
	en.q = bf_dec_from_int(0);
	if (en.match) {
		en.q = en.c->qty;
		if (en.rev)
			bf_dec_neg(en.q, &en.q);
	} else if (strcmp(kind, BF_LEDGER_CHARGE) != 0)
		en.qnull = 1;
	entry_columns(f, &en);
	if (row->v[BF_L_TENANT][0] == '\0' && en.c != NULL &&
	    en.c->tenant[0] == '\0' && en.c->nsh > 0 &&
	    strcmp(en.c->currency, row->v[BF_L_CURRENCY]) == 0)
		rc = put_split(f, &en, e);
	else {
		put_whole(f, &en);
		rc = 0;
	}
	if (rc == 0 && f->b.len >= 65536)
		rc = flush_buf(&f->b, f->o->out, e);
	bf_buf_free(&en.desc);
	return rc;
}

int
bf_focus_export(struct bf_wh *w, const struct bf_focus_opts *o,
    struct bf_err *e)
{
	struct focus f;
	int i, rc = -1;

	memset(&f, 0, sizeof(f));
	f.o = o;
	for (i = 0; i < F_NCOLS; i++) {
		if (i > 0)
			bf_buf_putc(&f.b, ',');
		bf_buf_puts(&f.b, fcols[i]);
	}
	bf_buf_putc(&f.b, '\n');
	if (bf_wh_begin_read(w, e) == -1)
		goto done;
	if (bf_wh_scan(w, &bf_tbl_usage, focus_usage, &f, e) == -1 ||
	    bf_wh_scan(w, &bf_tbl_ledger, focus_ledger, &f, e) == -1)
		goto done;
	if (finish_out(&f.b, o->out, e) == -1)
		goto done;
	rc = 0;
done:
	bf_wh_rollback(w);
	BF_EACH(bf_keymap_free, struct bf_keymap, &f.rows, &f.units, &f.split);
	BF_EACH(free, void, f.cur, f.sh, f.unit, f.bal);
	bf_rowset_free(&f.mem);
	bf_shares_free(&f.shares);
	BF_EACH(bf_buf_free, struct bf_buf, &f.k, &f.b);
	return rc;
}
