/*
 * ledger.c: ledger entries and the per-partition hash chain (ledger.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "decimal.h"
#include "hash.h"
#include "json.h"
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

/* Appends one entry for tenant's share of the usage row r. */
static int
entry(struct bf_ledger_chain *c, const char *kind, const struct bf_row *r,
    const char *tenant, bf_dec amount, const char *reason,
    struct bf_rowset *out, struct bf_err *e)
{
	struct bf_row *x;
	char buf[BF_DEC_LEN], hash[BF_SHA256_HEX];
	int64_t seq = c->seq + 1;

	x = bf_rowset_add(out);
	x->v[BF_L_PARTITION] = c->partition;
	snprintf(buf, sizeof(buf), "%" PRId64, seq);
	x->v[BF_L_SEQ] = bf_rowset_str(out, buf);
	x->v[BF_L_KIND] = kind;
	x->v[BF_L_TENANT] = tenant;
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

int
bf_ledger_is_event(const char *kind)
{
	return kind != NULL && (strcmp(kind, BF_LEDGER_RESTORE) == 0 ||
	    strcmp(kind, BF_LEDGER_REANCHOR) == 0);
}

int
bf_ledger_event(struct bf_ledger_chain *c, const char *kind,
    const char *ws, const char *we, const char *reason,
    struct bf_rowset *out, struct bf_err *e)
{
	struct bf_row r;

	memset(&r, 0, sizeof(r));
	r.v[BF_U_INSTANCE_ID] = "";
	r.v[BF_U_METRIC] = "";
	r.v[BF_U_WINDOW_START] = bf_rowset_str(out, ws);
	r.v[BF_U_WINDOW_END] = bf_rowset_str(out, we);
	r.v[BF_U_CURRENCY] = "";
	r.v[BF_U_DIGEST] = "";
	return entry(c, kind, &r, "", bf_dec_from_int(0), reason, out, e);
}

static int
dec_of(const char *s, size_t n, bf_dec *d)
{
	return s != NULL && bf_dec_parse(s, n, d) == BF_DEC_OK ? 0 : -1;
}

static int
cmp_share(const void *a, const void *b)
{
	return strcmp(((const struct bf_share *)a)->tenant,
	    ((const struct bf_share *)b)->tenant);
}

/* Adds amount to tenant's share in v (n used, cap allocated). */
static int
add_share(struct bf_share **v, size_t *n, size_t *cap, const char *tenant,
    bf_dec amount)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].tenant, tenant) == 0)
			return bf_dec_add((*v)[i].amount, amount,
			    &(*v)[i].amount) == BF_DEC_OK ? 0 : -1;
	*v = bf_grow(*v, cap, *n, sizeof(**v), 4);
	(*v)[*n].tenant = tenant;
	(*v)[(*n)++].amount = amount;
	return 0;
}

int
bf_ledger_shares(const struct bf_row *r, struct bf_rowset *mem,
    struct bf_share **v, size_t *n, struct bf_err *e)
{
	const char *alloc = r->v[BF_U_ALLOCATIONS];
	struct bf_json j = BF_JSON_INIT;
	struct bf_buf name = BF_BUF_INIT;
	size_t cap = 0;
	bf_dec cost, sum = { 0 };
	char a[BF_DEC_LEN], b[BF_DEC_LEN];
	int t, k, rc = -1;

	*n = 0;
	*v = NULL;
	if (dec_of(r->v[BF_U_COST], r->v[BF_U_COST] ?
	    strlen(r->v[BF_U_COST]) : 0, &cost) == -1)
		return bf_err_set(e, BF_EXIT_FAILED, "\"cost\" is not a "
		    "decimal");
	if (alloc != NULL && (bf_json_parse(&j, alloc, strlen(alloc), 0,
	    NULL) != BF_JSON_OK || j.tok[0].type != BF_JSON_ARRAY)) {
		bf_err_set(e, BF_EXIT_FAILED, "\"allocations\" is not a JSON "
		    "array");
		goto done;
	}
	if (alloc == NULL || j.tok[0].size == 0) {
		add_share(v, n, &cap, r->v[BF_U_TENANT] ?
		    r->v[BF_U_TENANT] : "", cost);
		rc = 0;
		goto done;
	}
	for (t = 1, k = 0; k < j.tok[0].size; k++, t = bf_json_skip(&j, t)) {
		int tt = bf_json_get(&j, t, "tenant");
		int ct = bf_json_get(&j, t, "cost");
		const char *raw;
		size_t len;
		bf_dec x;

		if (tt == -1 || j.tok[tt].type != BF_JSON_STRING ||
		    ct == -1 || (j.tok[ct].type != BF_JSON_STRING &&
		    j.tok[ct].type != BF_JSON_NUMBER)) {
			bf_err_set(e, BF_EXIT_FAILED, "allocation %d has no "
			    "\"tenant\" string and \"cost\" decimal", k + 1);
			goto done;
		}
		bf_buf_reset(&name);
		if (j.tok[ct].type == BF_JSON_STRING) {
			bf_json_str(&j, ct, &name);
			raw = bf_buf_str(&name);
			len = name.len;
		} else {
			raw = bf_json_raw(&j, ct, &len);
		}
		if (dec_of(raw, len, &x) == -1) {
			bf_err_set(e, BF_EXIT_FAILED, "allocation %d: \"cost\" "
			    "is not a decimal", k + 1);
			goto done;
		}
		bf_buf_reset(&name);
		bf_json_str(&j, tt, &name);
		if (memchr(bf_buf_str(&name), '\0', name.len) != NULL) {
			bf_err_set(e, BF_EXIT_FAILED, "allocation %d: "
			    "\"tenant\" holds a NUL character", k + 1);
			goto done;
		}
		if (bf_dec_add(sum, x, &sum) != BF_DEC_OK ||
		    add_share(v, n, &cap, bf_rowset_strn(mem,
		    bf_buf_str(&name), name.len), x) == -1) {
			bf_err_set(e, BF_EXIT_FAILED, "allocations overflow");
			goto done;
		}
	}
	if (bf_dec_cmp(sum, cost) != 0) {
		bf_dec_format(sum, a);
		bf_dec_format(cost, b);
		bf_err_set(e, BF_EXIT_FAILED, "allocations add up to %s, not "
		    "to the cost %s", a, b);
		goto done;
	}
	rc = 0;
done:
	if (rc == 0 && *n > 1)
		qsort(*v, *n, sizeof(**v), cmp_share);
	if (rc == -1) {
		free(*v);
		*v = NULL;
		*n = 0;
	}
	bf_json_free(&j);
	bf_buf_free(&name);
	return rc;
}

static int
neg(bf_dec a, bf_dec *out, struct bf_err *e)
{
	if (bf_dec_sub(bf_dec_from_int(0), a, out) != BF_DEC_OK)
		return bf_err_set(e, BF_EXIT_FAILED, "amount overflow");
	return 0;
}

int
bf_ledger_diff(struct bf_ledger_chain *c, const struct bf_row *old,
    const struct bf_row *new, struct bf_rowset *out, struct bf_err *e)
{
	struct bf_share *os = NULL, *ns = NULL;
	struct bf_buf why = BF_BUF_INIT;
	size_t no = 0, nn = 0, i, k;
	int count = 0, rc = -1, recur;
	char a[BF_DEC_LEN], b[BF_DEC_LEN];
	bf_dec d;

	if (old != NULL && bf_ledger_shares(old, out, &os, &no, e) == -1)
		goto done;
	if (new != NULL && bf_ledger_shares(new, out, &ns, &nn, e) == -1)
		goto done;
	recur = old != NULL && new != NULL &&
	    strcmp(old->v[BF_U_CURRENCY], new->v[BF_U_CURRENCY]) != 0;
	if (recur) {
		bf_buf_printf(&why, "currency changed from '%s' to '%s'",
		    old->v[BF_U_CURRENCY], new->v[BF_U_CURRENCY]);
		for (i = 0; i < no; i++, count++)
			if (neg(os[i].amount, &d, e) == -1 ||
			    entry(c, BF_LEDGER_REVERSAL, old, os[i].tenant, d,
			    bf_buf_str(&why), out, e) == -1)
				goto done;
		for (k = 0; k < nn; k++, count++)
			if (entry(c, BF_LEDGER_CHARGE, new, ns[k].tenant,
			    ns[k].amount, bf_buf_str(&why), out, e) == -1)
				goto done;
		rc = count;
		goto done;
	}
	/* Merge the two sorted share lists. */
	for (i = 0, k = 0; i < no || k < nn;) {
		int cmp = i == no ? 1 : k == nn ? -1 :
		    strcmp(os[i].tenant, ns[k].tenant);

		if (cmp < 0) {
			if (neg(os[i].amount, &d, e) == -1 ||
			    entry(c, BF_LEDGER_REVERSAL, old, os[i].tenant, d,
			    new == NULL ? "no longer produced" :
			    "no longer allocated to this tenant", out, e) == -1)
				goto done;
			i++;
			count++;
		} else if (cmp > 0) {
			if (entry(c, BF_LEDGER_CHARGE, new, ns[k].tenant,
			    ns[k].amount, old == NULL ? "first load" :
			    "newly allocated to this tenant", out, e) == -1)
				goto done;
			k++;
			count++;
		} else {
			if (bf_dec_cmp(os[i].amount, ns[k].amount) != 0) {
				if (bf_dec_sub(ns[k].amount, os[i].amount,
				    &d) != BF_DEC_OK) {
					bf_err_set(e, BF_EXIT_FAILED,
					    "amount overflow");
					goto done;
				}
				bf_dec_format(os[i].amount, a);
				bf_dec_format(ns[k].amount, b);
				bf_buf_reset(&why);
				bf_buf_printf(&why, "cost changed from %s to %s",
				    a, b);
				if (entry(c, BF_LEDGER_CORRECTION, new,
				    ns[k].tenant, d, bf_buf_str(&why), out,
				    e) == -1)
					goto done;
				count++;
			}
			i++;
			k++;
		}
	}
	rc = count;
done:
	free(os);
	free(ns);
	bf_buf_free(&why);
	return rc;
}
