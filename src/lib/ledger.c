/*
 * ledger.c: ledger entries and the per-partition hash chain (ledger.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "decimal.h"
#include "hash.h"
#include "ledger.h"
#include "warehouse.h"

int
bf_ledger_canon(const struct bf_row *entry, struct bf_buf *out,
    struct bf_err *e)
{
	return bf_wh_row_json(&bf_tbl_ledger, entry, 1UL << BF_L_HASH, NULL,
	    out, e);
}

int
bf_ledger_hash(const struct bf_row *entry, char out[BF_SHA256_HEX],
    struct bf_err *e)
{
	struct bf_buf b = BF_BUF_INIT;
	int rc = bf_ledger_canon(entry, &b, e);

	if (rc == 0)
		bf_sha256_hex(b.s, b.len, out);
	bf_buf_free(&b);
	return rc;
}

int
bf_ledger_check(const struct bf_row *entry, int64_t prev_seq,
    const char *prev_hash, char *why, size_t whylen)
{
	const char *seq = entry->v[BF_L_SEQ], *ph = entry->v[BF_L_PREV_HASH];
	const char *h = entry->v[BF_L_HASH];
	char want[24], got[BF_SHA256_HEX];
	struct bf_err e;

	snprintf(want, sizeof(want), "%" PRId64, prev_seq + 1);
	if (seq == NULL || strcmp(seq, want) != 0) {
		snprintf(why, whylen, "seq %s where %s was expected",
		    seq ? seq : "null", want);
		return -1;
	}
	if (prev_hash == NULL)
		prev_hash = BF_LEDGER_GENESIS;
	if (ph == NULL || strcmp(ph, prev_hash) != 0) {
		snprintf(why, whylen, "prev_hash is not the hash of the "
		    "previous entry");
		return -1;
	}
	if (bf_ledger_hash(entry, got, &e) == -1) {
		snprintf(why, whylen, "%s", e.msg);
		return -1;
	}
	if (h == NULL || strcmp(h, got) != 0) {
		snprintf(why, whylen, "hash does not match the entry");
		return -1;
	}
	return 0;
}

/* Appends one entry for the usage row r. */
static int
entry(struct bf_ledger_chain *c, const char *kind, const struct bf_row *r,
    bf_dec amount, const char *reason, struct bf_rowset *out,
    struct bf_err *e)
{
	struct bf_row *x;
	char buf[BF_DEC_LEN], hash[BF_SHA256_HEX];
	int64_t seq = c->seq + 1;

	x = bf_rowset_add(out);
	x->v[BF_L_PARTITION] = c->partition;
	snprintf(buf, sizeof(buf), "%" PRId64, seq);
	x->v[BF_L_SEQ] = bf_rowset_str(out, buf);
	x->v[BF_L_KIND] = kind;
	x->v[BF_L_TENANT] = r->v[BF_U_TENANT];
	x->v[BF_L_INSTANCE_ID] = r->v[BF_U_INSTANCE_ID];
	x->v[BF_L_METRIC] = r->v[BF_U_METRIC];
	x->v[BF_L_WINDOW_START] = r->v[BF_U_WINDOW_START];
	x->v[BF_L_WINDOW_END] = r->v[BF_U_WINDOW_END];
	bf_dec_format(amount, buf);
	x->v[BF_L_AMOUNT] = bf_rowset_str(out, buf);
	x->v[BF_L_CURRENCY] = r->v[BF_U_CURRENCY];
	x->v[BF_L_REASON] = bf_rowset_str(out, reason);
	x->v[BF_L_SOURCE] = r->v[BF_U_SOURCE];
	x->v[BF_L_RUN_ID] = c->run_id;
	x->v[BF_L_USAGE_DIGEST] = r->v[BF_U_DIGEST];
	x->v[BF_L_PROGRAM_VERSION] = c->program_version;
	x->v[BF_L_RECORDED_AT] = c->recorded_at;
	x->v[BF_L_PREV_HASH] = bf_rowset_str(out,
	    c->head[0] ? c->head : BF_LEDGER_GENESIS);
	if (bf_ledger_hash(x, hash, e) == -1) {
		out->n--;
		return -1;
	}
	x->v[BF_L_HASH] = bf_rowset_str(out, hash);
	c->seq = seq;
	memcpy(c->head, hash, sizeof(hash));
	return 0;
}

static int
cost_of(const struct bf_row *r, bf_dec *d, struct bf_err *e)
{
	const char *s = r->v[BF_U_COST];

	if (s == NULL || bf_dec_parse(s, strlen(s), d) != BF_DEC_OK)
		return bf_err_set(e, BF_EXIT_FAILED, "usage cost '%.40s' is "
		    "not a decimal", s ? s : "null");
	return 0;
}

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL ? strcmp(a, b) == 0 : a == b;
}

int
bf_ledger_diff(struct bf_ledger_chain *c, const struct bf_row *old,
    const struct bf_row *new, struct bf_rowset *out, struct bf_err *e)
{
	struct bf_buf why = BF_BUF_INIT;
	bf_dec oc, nc, diff;
	char a[BF_DEC_LEN], b[BF_DEC_LEN];
	int n = 0;

	if (old != NULL && cost_of(old, &oc, e) == -1)
		return -1;
	if (new != NULL && cost_of(new, &nc, e) == -1)
		return -1;
	if (old == NULL) {
		if (entry(c, BF_LEDGER_CHARGE, new, nc, "first load", out,
		    e) == -1)
			return -1;
		return 1;
	}
	if (new == NULL) {
		if (bf_dec_sub(bf_dec_from_int(0), oc, &diff) != BF_DEC_OK)
			return bf_err_set(e, BF_EXIT_FAILED, "amount overflow");
		if (entry(c, BF_LEDGER_REVERSAL, old, diff,
		    "no longer produced", out, e) == -1)
			return -1;
		return 1;
	}
	if (!same(old->v[BF_U_TENANT], new->v[BF_U_TENANT]) ||
	    !same(old->v[BF_U_CURRENCY], new->v[BF_U_CURRENCY])) {
		const char *what = same(old->v[BF_U_TENANT],
		    new->v[BF_U_TENANT]) ? "currency" : "tenant";
		int col = what[0] == 't' ? BF_U_TENANT : BF_U_CURRENCY;

		if (bf_dec_sub(bf_dec_from_int(0), oc, &diff) != BF_DEC_OK)
			return bf_err_set(e, BF_EXIT_FAILED, "amount overflow");
		bf_buf_printf(&why, "%s changed to '%s'", what, new->v[col]);
		if (entry(c, BF_LEDGER_REVERSAL, old, diff, bf_buf_str(&why),
		    out, e) == -1)
			goto fail;
		bf_buf_reset(&why);
		bf_buf_printf(&why, "%s changed from '%s'", what, old->v[col]);
		if (entry(c, BF_LEDGER_CHARGE, new, nc, bf_buf_str(&why), out,
		    e) == -1)
			goto fail;
		bf_buf_free(&why);
		return 2;
	}
	if (bf_dec_cmp(oc, nc) == 0)
		return 0;
	if (bf_dec_sub(nc, oc, &diff) != BF_DEC_OK)
		return bf_err_set(e, BF_EXIT_FAILED, "amount overflow");
	bf_dec_format(oc, a);
	bf_dec_format(nc, b);
	bf_buf_printf(&why, "cost changed from %s to %s", a, b);
	if (entry(c, BF_LEDGER_CORRECTION, new, diff, bf_buf_str(&why), out,
	    e) == -1)
		goto fail;
	n = 1;
	bf_buf_free(&why);
	return n;
fail:
	bf_buf_free(&why);
	return -1;
}
