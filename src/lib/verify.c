/*
 * verify.c: the tamper check (verify.h).
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "checkpoint.h"
#include "decimal.h"
#include "files.h"
#include "hash.h"
#include "json.h"
#include "keymap.h"
#include "ledger.h"
#include "report.h"
#include "timeutil.h"
#include "verify.h"
#include "window.h"

struct vpart {
	long entries, windows, usage_rows, problems;
	int64_t last_seq;
	int64_t last_bill_seq;      /* the last entry that is no event */
	char last_hash[BF_SHA256_HEX];
	int has_ck;                 /* a checkpoint file was read */
	struct bf_ckpt ck;          /* as read before the snapshot */
	struct bf_ckpt win;         /* the ranges of the windows rows */
	int64_t max_win_seq;        /* newest window head found in the chain */
	int head_missing;           /* a window head is in no entry */
	int ckstate;                /* 0 none, 1 match, 2 mismatch */
	char *first_check, *first_problem, *first_msg;
	int64_t first_seq;          /* 0: none */
	long ck_head;               /* the checkpoint's head in heads */
};

struct vwin {
	size_t part;
	char digest[BF_SHA256_HEX];
	long expected, rows;
	struct bf_sha256 h;
	int hinit;
	long head;                  /* index in heads, or -1 */
	int hash_bad;               /* 1 its hash is missing, 2 wrong */
	char ws[BF_TIME_LEN], we[BF_TIME_LEN];
};

struct ver {
	const struct bf_verify_opts *o;
	int hashed;                 /* windows rows carry a hash (version 3) */
	struct bf_keymap parts;
	struct vpart *p;
	size_t pcap;
	struct bf_keymap wins;      /* partition NUL ws NUL we */
	struct vwin *w;
	size_t wcap;
	struct bf_keymap heads;     /* partition NUL hash */
	int64_t *hseq;              /* seq of the entry with that hash, or 0 */
	size_t hcap;
	struct bf_keymap keys;      /* 32 hex digits of a ledger key's hash */
	bf_dec *bal;                /* ledger sum minus usage cost */
	size_t bcap;
	long total;                 /* problems */
	size_t cur;                 /* partition of the ledger walk */
	int64_t prev_seq;
	char prev_hash[BF_SHA256_HEX];
	struct bf_buf canon, k;
	struct bf_rowset shmem;     /* strings of sh */
	struct bf_share *sh;        /* the shares of the current usage row */
	size_t nsh;
};

/* The tenants' shares of usage row into v->sh[0..nsh). A row whose
 * allocations cannot be read or do not add up to its cost (an edited row)
 * gets one share, its whole cost (0 if unreadable) to its own tenant, and
 * -1 with e saying why, for the caller to report. */
static int
row_shares(struct ver *v, const struct bf_row *row, struct bf_err *e)
{
	const char *c = row->v[BF_U_COST];

	free(v->sh);
	v->sh = NULL;
	v->nsh = 0;
	bf_rowset_reset(&v->shmem);
	if (bf_ledger_shares(row, &v->shmem, &v->sh, &v->nsh, e) == 0)
		return 0;
	free(v->sh);
	v->sh = bf_xcalloc(1, sizeof(*v->sh));
	v->nsh = 1;
	v->sh[0].tenant = row->v[BF_U_TENANT] ? row->v[BF_U_TENANT] : "";
	if (c == NULL || bf_dec_parse(c, strlen(c), &v->sh[0].amount) !=
	    BF_DEC_OK)
		v->sh[0].amount = bf_dec_from_int(0);
	return -1;
}

static size_t
part_of(struct ver *v, const char *name)
{
	int added;
	size_t i = bf_keymap_put(&v->parts, name, strlen(name), &added);

	if (added) {
		v->p = bf_grow(v->p, &v->pcap, i, sizeof(*v->p), 16);
		memset(&v->p[i], 0, sizeof(v->p[i]));
		bf_ckpt_init(&v->p[i].ck, name);
		bf_ckpt_init(&v->p[i].win, name);
	}
	return i;
}

static const char *
pname(struct ver *v, size_t i)
{
	return v->parts.v[i].key;
}

static void problem(struct ver *, long, const char *, const char *, int64_t,
    const char *, ...) __attribute__((format(printf, 6, 7)));

/* Records a problem of partition part (-1: none known). */
static void
problem(struct ver *v, long part, const char *check, const char *kind,
    int64_t seq, const char *fmt, ...)
{
	struct bf_buf m = BF_BUF_INIT, body = BF_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	bf_buf_vprintf(&body, fmt, ap);
	va_end(ap);
	if (part >= 0) {
		const char *n = pname(v, (size_t)part);

		bf_buf_puts(&m, "partition '");
		bf_plan_put_name(&m, n, strlen(n));
		bf_buf_puts(&m, "': ");
	}
	bf_buf_add(&m, body.s, body.len);
	v->total++;
	if (v->o->problem != NULL)
		v->o->problem(v->o->ctx, bf_buf_str(&m));
	if (part >= 0) {
		struct vpart *p = &v->p[part];

		if (p->problems++ == 0) {
			p->first_check = bf_xstrdup(check);
			p->first_problem = bf_xstrdup(kind);
			p->first_msg = bf_xstrdup(bf_buf_str(&body));
			p->first_seq = seq;
		}
	}
	bf_buf_free(&m);
	bf_buf_free(&body);
}

static void
short_hash(const char *h, char out[16])
{
	snprintf(out, 16, "%.12s", h);
}

/* Heads: the chain heads the windows and checkpoints record. */
static long
head_put(struct ver *v, const char *part, const char *hash)
{
	size_t i;
	int added;

	bf_buf_reset(&v->k);
	bf_buf_puts(&v->k, part);
	bf_buf_putc(&v->k, '\0');
	bf_buf_puts(&v->k, hash);
	i = bf_keymap_put(&v->heads, v->k.s, v->k.len, &added);
	if (added) {
		v->hseq = bf_grow(v->hseq, &v->hcap, i, sizeof(*v->hseq), 64);
		v->hseq[i] = 0;
	}
	return (long)i;
}

/* Checkpoints. */

static int
load_checkpoints(struct ver *v, struct bf_err *e)
{
	DIR *d = opendir(v->o->state);
	struct dirent *de;
	struct bf_buf name = BF_BUF_INIT;
	int rc = 0;

	if (d == NULL)
		return bf_err_set(e, BF_EXIT_IO, "cannot read the state "
		    "directory '%s'", v->o->state);
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char *enc;
		size_t i;

		if (n <= 5 || strcmp(de->d_name + n - 5, ".ckpt") != 0)
			continue;
		enc = bf_xstrndup(de->d_name, n - 5);
		bf_buf_reset(&name);
		if (bf_name_decode(enc, &name) == -1 || name.len == 0 ||
		    memchr(name.s, '\0', name.len) != NULL) {
			free(enc);
			continue;
		}
		free(enc);
		i = part_of(v, name.s);
		bf_ckpt_free(&v->p[i].ck);
		if (bf_ckpt_load(v->o->state, name.s, &v->p[i].ck, e) == -1) {
			rc = -1;
			break;
		}
		v->p[i].has_ck = 1;
	}
	closedir(d);
	bf_buf_free(&name);
	return rc;
}

/* Windows. */

/* A value a superuser may have made NULL, as text. */
static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static int
win_row(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct ver *v = ctx;
	const char *pn = nz(row->v[BF_W_PARTITION]);
	const char *ws = nz(row->v[BF_W_WINDOW_START]);
	const char *we = nz(row->v[BF_W_WINDOW_END]);
	const char *head = row->v[BF_W_CHAIN_HEAD];
	size_t p = part_of(v, pn), i;
	struct vwin *x;
	struct bf_err he;
	char h[BF_SHA256_HEX];
	struct bf_window_row wr;

	v->p[p].windows++;
	bf_buf_reset(&v->k);
	bf_buf_puts(&v->k, pn);
	bf_buf_putc(&v->k, '\0');
	bf_buf_puts(&v->k, ws);
	bf_buf_putc(&v->k, '\0');
	bf_buf_puts(&v->k, we);
	i = bf_keymap_put(&v->wins, v->k.s, v->k.len, NULL);
	v->w = bf_grow(v->w, &v->wcap, i, sizeof(*v->w), 64);
	x = &v->w[i];
	memset(x, 0, sizeof(*x));
	x->part = p;
	snprintf(x->digest, sizeof(x->digest), "%s", row->v[BF_W_DIGEST] ?
	    row->v[BF_W_DIGEST] : "");
	x->expected = row->v[BF_W_USAGE_ROWS] ?
	    strtol(row->v[BF_W_USAGE_ROWS], NULL, 10) : 0;
	snprintf(x->ws, sizeof(x->ws), "%s", ws);
	snprintf(x->we, sizeof(x->we), "%s", we);
	x->head = head != NULL && head[0] != '\0' ? head_put(v, pn, head) : -1;
	if (v->hashed && row->v[BF_W_HASH] == NULL)
		x->hash_bad = 1;
	else if (v->hashed && (bf_wh_window_hash(row, h, &he) == -1 ||
	    strcmp(h, row->v[BF_W_HASH]) != 0))
		x->hash_bad = 2;
	if (bf_window_row_read(row, &wr) == 0)
		bf_ckpt_add(&v->p[p].win, wr.from, wr.to);
	(void)e;
	return 0;
}

/* The ledger. */

/* The balance slot of a ledger key. A usage row's key is taken with the
 * tenant of one of its shares (tenant), since the ledger follows each
 * tenant's share of the row (bf_ledger_shares). */
static size_t
key_index(struct ver *v, const struct bf_row *r, int ledger,
    const char *tenant)
{
	/* The key's columns in the usage table, then in the ledger table. */
	static const int col[2][6] = {
		{ BF_U_TENANT, BF_U_INSTANCE_ID, BF_U_METRIC,
		    BF_U_WINDOW_START, BF_U_WINDOW_END, BF_U_CURRENCY },
		{ BF_L_TENANT, BF_L_INSTANCE_ID, BF_L_METRIC,
		    BF_L_WINDOW_START, BF_L_WINDOW_END, BF_L_CURRENCY },
	};
	char h[BF_SHA256_HEX];
	const char *f[6];
	int i, added;
	size_t idx;

	for (i = 0; i < 6; i++)
		f[i] = r->v[col[ledger != 0][i]];
	if (tenant != NULL)
		f[0] = tenant;
	bf_buf_reset(&v->k);
	for (i = 0; i < 6; i++) {
		bf_buf_puts(&v->k, f[i] ? f[i] : "");
		bf_buf_putc(&v->k, '\0');
	}
	bf_sha256_hex(v->k.s, v->k.len, h);
	idx = bf_keymap_put(&v->keys, h, 32, &added);
	if (added) {
		v->bal = bf_grow(v->bal, &v->bcap, idx, sizeof(*v->bal), 256);
		v->bal[idx] = bf_dec_from_int(0);
	}
	return idx;
}

static int
ledger_row(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct ver *v = ctx;
	const char *pn = nz(row->v[BF_L_PARTITION]);
	const char *seqs = row->v[BF_L_SEQ], *ph = row->v[BF_L_PREV_HASH];
	const char *hs = row->v[BF_L_HASH], *am = row->v[BF_L_AMOUNT];
	size_t p = part_of(v, pn), k;
	struct vpart *x = &v->p[p];
	char got[BF_SHA256_HEX];
	struct bf_err he;
	int64_t seq = seqs != NULL ? strtoll(seqs, NULL, 10) : 0;
	long hi;
	int canon = am != NULL && bf_wh_dec_canonical(am);
	bf_dec amt;

	if (x->entries == 0) {
		v->prev_seq = 0;
		snprintf(v->prev_hash, sizeof(v->prev_hash), "%s",
		    BF_LEDGER_GENESIS);
	}
	x->entries++;
	if (seq != v->prev_seq + 1) {
		if (seq == v->prev_seq + 2)
			problem(v, (long)p, "chain", "deleted", v->prev_seq + 1,
			    "entry %" PRId64 " is missing (deleted): entry "
			    "%" PRId64 " follows entry %" PRId64,
			    v->prev_seq + 1, seq, v->prev_seq);
		else
			problem(v, (long)p, "chain", "deleted", v->prev_seq + 1,
			    "entries %" PRId64 " to %" PRId64 " are missing "
			    "(deleted): entry %" PRId64 " follows entry "
			    "%" PRId64, v->prev_seq + 1, seq - 1, seq,
			    v->prev_seq);
	} else if (ph == NULL || strcmp(ph, v->prev_hash) != 0) {
		problem(v, (long)p, "chain", "out_of_order", seq, "entry "
		    "%" PRId64 " is out of order: its prev_hash is not the "
		    "hash of entry %" PRId64 " (inserted, moved or "
		    "renumbered)", seq, v->prev_seq);
	} else if (canon && (bf_ledger_hash(row, got, &he) == -1 ||
	    hs == NULL || strcmp(got, hs) != 0)) {
		problem(v, (long)p, "chain", "edited", seq, "entry %" PRId64
		    " was edited: its hash does not match its content", seq);
	}
	/* bf-load writes amounts as bf_dec_format does; any other text
	 * (another scale, a '+', a space) was written by someone else, even
	 * when it reads as the same number. */
	if (!canon)
		problem(v, (long)p, "chain", "edited", seq, "entry %" PRId64
		    " was edited: its amount is not written in the canonical "
		    "form (an optional '-', digits, a point and 9 decimals)",
		    seq);
	v->prev_seq = seq;
	snprintf(v->prev_hash, sizeof(v->prev_hash), "%s", hs ? hs : "");
	x->last_seq = seq;
	if (!bf_ledger_is_event(row->v[BF_L_KIND]))
		x->last_bill_seq = seq;
	snprintf(x->last_hash, sizeof(x->last_hash), "%s", hs ? hs : "");
	if (hs != NULL) {
		bf_buf_reset(&v->k);
		bf_buf_puts(&v->k, pn);
		bf_buf_putc(&v->k, '\0');
		bf_buf_puts(&v->k, hs);
		hi = bf_keymap_get(&v->heads, v->k.s, v->k.len);
		if (hi != -1 && v->hseq[hi] == 0)
			v->hseq[hi] = seq;
	}
	/* An amount that does not read, or that overflows the balance,
	 * is left out of it (its key is then reported unbalanced too). */
	k = key_index(v, row, 1, NULL);
	if (am != NULL && bf_dec_parse(am, strlen(am), &amt) == BF_DEC_OK &&
	    bf_dec_add(v->bal[k], amt, &amt) == BF_DEC_OK)
		v->bal[k] = amt;
	(void)e;
	return 0;
}

/* Usage. */

/* The first decimal column of usage row r whose text is not what
 * bf_dec_format writes (so not what bf-load wrote), or -1. */
static int
noncanonical_dec(const struct bf_row *r)
{
	int i;

	for (i = 0; i < bf_tbl_usage.ncols; i++)
		if (bf_tbl_usage.cols[i].type == BF_COL_DEC &&
		    r->v[i] != NULL && !bf_wh_dec_canonical(r->v[i]))
			return i;
	return -1;
}

static void
usage_name(const struct bf_row *r, struct bf_buf *b)
{
	bf_buf_puts(b, "usage row of ");
	bf_report_usage_name(r, b);
}

static int
usage_row(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct ver *v = ctx;
	const char *pn = nz(row->v[BF_U_PARTITION]);
	size_t p = part_of(v, pn), k;
	char d[BF_SHA256_HEX];
	struct bf_buf name = BF_BUF_INIT;
	struct bf_err ce;
	long wi;
	int c;

	v->p[p].usage_rows++;
	bf_buf_reset(&v->canon);
	c = noncanonical_dec(row);
	if (c != -1) {
		usage_name(row, &name);
		problem(v, (long)p, "usage", "edited", 0, "%s was edited: its "
		    "%s is not written in the canonical form", bf_buf_str(&name),
		    bf_tbl_usage.cols[c].name);
		bf_buf_reset(&name);
	}
	if (bf_wh_usage_canon(row, &v->canon, &ce) == -1) {
		usage_name(row, &name);
		problem(v, (long)p, "usage", "edited", 0, "%s was edited: %s",
		    bf_buf_str(&name), ce.msg);
		bf_buf_free(&name);
		return 0;
	}
	bf_sha256_hex(v->canon.s, v->canon.len, d);
	if (row->v[BF_U_DIGEST] == NULL || strcmp(d, row->v[BF_U_DIGEST]) !=
	    0) {
		usage_name(row, &name);
		problem(v, (long)p, "usage", "edited", 0, "%s was edited: its "
		    "digest does not match its content", bf_buf_str(&name));
		bf_buf_reset(&name);
	}
	bf_buf_putc(&v->canon, '\n');
	bf_buf_reset(&v->k);
	bf_buf_puts(&v->k, pn);
	bf_buf_putc(&v->k, '\0');
	bf_buf_puts(&v->k, nz(row->v[BF_U_WINDOW_START]));
	bf_buf_putc(&v->k, '\0');
	bf_buf_puts(&v->k, nz(row->v[BF_U_WINDOW_END]));
	wi = bf_keymap_get(&v->wins, v->k.s, v->k.len);
	if (wi == -1) {
		usage_name(row, &name);
		problem(v, (long)p, "usage", "orphan", 0, "%s belongs to no "
		    "committed window (inserted, or its window deleted)",
		    bf_buf_str(&name));
	} else {
		struct vwin *x = &v->w[wi];

		if (!x->hinit) {
			bf_sha256_init(&x->h);
			x->hinit = 1;
		}
		bf_sha256_update(&x->h, v->canon.s, v->canon.len);
		x->rows++;
	}
	if (row_shares(v, row, &ce) == -1) {
		usage_name(row, &name);
		problem(v, (long)p, "usage", "edited", 0, "%s was edited: %s",
		    bf_buf_str(&name), ce.msg);
	}
	bf_buf_free(&name);
	for (size_t i = 0; i < v->nsh; i++) {
		bf_dec b;

		k = key_index(v, row, 0, v->sh[i].tenant);
		/* Out of range: left out, so its key is reported. */
		if (bf_dec_sub(v->bal[k], v->sh[i].amount, &b) == BF_DEC_OK)
			v->bal[k] = b;
	}
	(void)e;
	return 0;
}

/* Naming the unbalanced keys: a second pass over both tables. */

struct unbal {
	struct ver *v;
	struct bf_keymap named;
	bf_dec *sum, *cost;
	long *part;
	int *seen, *hasrow;
	size_t cap;
};

static size_t
unbal_slot(struct unbal *u, const struct bf_row *r, int ledger,
    const char *tenant, long *bad)
{
	struct ver *v = u->v;
	size_t k = key_index(v, r, ledger, tenant);
	size_t i;
	int added;

	*bad = bf_dec_sign(v->bal[k]) != 0;
	if (!*bad)
		return 0;
	i = bf_keymap_put(&u->named, v->keys.v[k].key, 32, &added);
	if (added) {
		if (i >= u->cap) {
			u->cap = u->cap ? 2 * u->cap : 16;
			u->sum = bf_xrealloc(u->sum, u->cap * sizeof(*u->sum));
			u->cost = bf_xrealloc(u->cost, u->cap *
			    sizeof(*u->cost));
			u->part = bf_xrealloc(u->part, u->cap *
			    sizeof(*u->part));
			u->seen = bf_xrealloc(u->seen, u->cap *
			    sizeof(*u->seen));
			u->hasrow = bf_xrealloc(u->hasrow, u->cap *
			    sizeof(*u->hasrow));
		}
		u->sum[i] = bf_dec_from_int(0);
		u->cost[i] = bf_dec_from_int(0);
		u->part[i] = -1;
		u->seen[i] = 0;
		u->hasrow[i] = 0;
	}
	return i;
}

static int
unbal_ledger(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct unbal *u = ctx;
	long bad;
	size_t i = unbal_slot(u, row, 1, NULL, &bad);
	bf_dec a;

	if (!bad)
		return 0;
	if (row->v[BF_L_AMOUNT] != NULL && bf_dec_parse(row->v[BF_L_AMOUNT],
	    strlen(row->v[BF_L_AMOUNT]), &a) == BF_DEC_OK)
		bf_dec_add(u->sum[i], a, &u->sum[i]);
	u->part[i] = (long)part_of(u->v, row->v[BF_L_PARTITION]);
	(void)e;
	return 0;
}

static int
unbal_usage(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct unbal *u = ctx;
	long bad;
	size_t i, j;

	(void)row_shares(u->v, row, e); /* reported by usage_row */
	for (j = 0; j < u->v->nsh; j++) {
		i = unbal_slot(u, row, 0, u->v->sh[j].tenant, &bad);
		if (!bad)
			continue;
		bf_dec_add(u->cost[i], u->v->sh[j].amount, &u->cost[i]);
		u->hasrow[i] = 1;
		if (u->part[i] == -1)
			u->part[i] = (long)part_of(u->v,
			    row->v[BF_U_PARTITION]);
	}
	return 0;
}

static void
key_text(const struct bf_row *r, int ledger, const char *tenant,
    struct bf_buf *b)
{
	const char *t = tenant ? tenant :
	    nz(r->v[ledger ? BF_L_TENANT : BF_U_TENANT]);
	const char *i = nz(r->v[ledger ? BF_L_INSTANCE_ID : BF_U_INSTANCE_ID]);
	const char *m = nz(r->v[ledger ? BF_L_METRIC : BF_U_METRIC]);

	bf_buf_puts(b, "tenant '");
	bf_plan_put_name(b, t, strlen(t));
	bf_buf_puts(b, "' instance '");
	bf_plan_put_name(b, i, strlen(i));
	bf_buf_puts(b, "' metric '");
	bf_plan_put_name(b, m, strlen(m));
	bf_buf_printf(b, "' window %s/%s %s",
	    r->v[ledger ? BF_L_WINDOW_START : BF_U_WINDOW_START],
	    r->v[ledger ? BF_L_WINDOW_END : BF_U_WINDOW_END],
	    r->v[ledger ? BF_L_CURRENCY : BF_U_CURRENCY]);
}

struct report_ctx {
	struct unbal *u;
	int ledger;
};

/* Reports the key of row (with tenant for a usage row's share) once, if it
 * does not balance. */
static int
unbal_report_key(struct unbal *u, const struct bf_row *row, int ledger,
    const char *tenant)
{
	struct ver *v = u->v;
	size_t k = key_index(v, row, ledger, tenant);
	struct bf_buf b = BF_BUF_INIT;
	char s[BF_DEC_LEN], c[BF_DEC_LEN];
	long i;

	if (bf_dec_sign(v->bal[k]) == 0)
		return 0;
	i = bf_keymap_get(&u->named, v->keys.v[k].key, 32);
	if (i == -1 || u->seen[i])
		return 0;
	u->seen[i] = 1;
	key_text(row, ledger, tenant, &b);
	bf_dec_format(u->sum[i], s);
	bf_dec_format(u->cost[i], c);
	if (u->hasrow[i])
		problem(v, u->part[i], "balance", "mismatch", 0, "ledger key "
		    "%s: the entries add up to %s but the usage row's share "
		    "is %s", bf_buf_str(&b), s, c);
	else
		problem(v, u->part[i], "balance", "mismatch", 0, "ledger key "
		    "%s: the entries add up to %s but there is no usage row "
		    "(it would be 0)", bf_buf_str(&b), s);
	bf_buf_free(&b);
	return 0;
}

static int
unbal_report(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct report_ctx *rc = ctx;
	struct ver *v = rc->u->v;
	size_t j;

	if (rc->ledger)
		return unbal_report_key(rc->u, row, 1, NULL);
	(void)row_shares(v, row, e); /* reported by usage_row */
	for (j = 0; j < v->nsh; j++)
		unbal_report_key(rc->u, row, 0, v->sh[j].tenant);
	return 0;
}

static int
name_unbalanced(struct ver *v, struct bf_wh *w, struct bf_err *e)
{
	struct unbal u;
	struct report_ctx rc;
	int r = -1;

	memset(&u, 0, sizeof(u));
	u.v = v;
	if (bf_wh_begin_read(w, e) == -1)
		return -1;
	if (bf_wh_scan(w, &bf_tbl_ledger, unbal_ledger, &u, e) == -1 ||
	    bf_wh_scan(w, &bf_tbl_usage, unbal_usage, &u, e) == -1)
		goto done;
	rc.u = &u;
	rc.ledger = 1;
	if (bf_wh_scan(w, &bf_tbl_ledger, unbal_report, &rc, e) == -1)
		goto done;
	rc.ledger = 0;
	if (bf_wh_scan(w, &bf_tbl_usage, unbal_report, &rc, e) == -1)
		goto done;
	r = 0;
done:
	bf_wh_rollback(w);
	bf_keymap_free(&u.named);
	free(u.sum);
	free(u.cost);
	free(u.part);
	free(u.seen);
	free(u.hasrow);
	return r;
}

/* After the scans. */

static void
check_windows(struct ver *v)
{
	size_t i;

	for (i = 0; i < v->wins.n; i++) {
		struct vwin *x = &v->w[i];
		char d[BF_SHA256_HEX];

		if (x->hinit)
			bf_sha256_final(&x->h, d);
		else
			bf_sha256_hex("", 0, d);
		x->hinit = 0;
		if (strcmp(d, x->digest) != 0 || x->rows != x->expected)
			problem(v, (long)x->part, "window", "digest", 0,
			    "window %s/%s: its usage rows do not match its "
			    "digest (%ld rows, %ld recorded): rows edited, "
			    "deleted or inserted", x->ws, x->we, x->rows,
			    x->expected);
		if (x->head != -1) {
			int64_t s = v->hseq[x->head];
			struct vpart *p = &v->p[x->part];

			if (s == 0) {
				char h[16];

				p->head_missing = 1;
				short_hash(v->heads.v[x->head].key +
				    strlen(v->heads.v[x->head].key) + 1, h);
				problem(v, (long)x->part, "window",
				    "tail_deleted", p->last_seq + 1,
				    "window %s/%s records chain head %s... "
				    "that no entry has: entries deleted "
				    "(the ledger ends at entry %" PRId64 ")",
				    x->ws, x->we, h, p->last_seq);
			} else if (s > p->max_win_seq) {
				p->max_win_seq = s;
			}
		}
	}
}

struct gapctx {
	struct ver *v;
	size_t p;
};

static void
ck_gap(void *ctx, bf_time from, bf_time to)
{
	struct gapctx *g = ctx;
	char r[BF_RANGE_LEN];

	problem(g->v, (long)g->p, "window", "missing", 0, "the checkpoint "
	    "says %s is committed, but the warehouse has no windows there "
	    "(deleted)", bf_time_range(from, to, r));
}

/* "entry 5 is" or "entries 5 to 7 are". */
static void
range(char out[96], int64_t a, int64_t b)
{
	if (a == b)
		snprintf(out, 96, "entry %" PRId64 " is", a);
	else
		snprintf(out, 96, "entries %" PRId64 " to %" PRId64 " are", a,
		    b);
}

static void
check_partitions(struct ver *v)
{
	char r_txt[96];
	size_t i, r;

	for (i = 0; i < v->parts.n; i++) {
		struct vpart *p = &v->p[i];
		const char *ckh = p->ck.chain_head;
		char h[16];
		int64_t s;

		/* Events (a restore, a re-anchoring) follow no window. */
		if (p->entries > 0 && p->max_win_seq < p->last_bill_seq &&
		    p->windows > 0 && !p->head_missing) {
			range(r_txt, p->max_win_seq + 1, p->last_bill_seq);
			problem(v, (long)i, "window", "appended",
			    p->max_win_seq + 1, "%s recorded by no window: "
			    "appended outside bf-load", r_txt);
		}
		if (v->o->state == NULL)
			continue;
		if (!p->has_ck) {
			if (p->entries > 0 || p->windows > 0)
				problem(v, (long)i, "checkpoint", "missing",
				    0, "no checkpoint in '%s', but the "
				    "warehouse has %ld entries and %ld "
				    "windows", v->o->state, p->entries,
				    p->windows);
			continue;
		}
		for (r = 0; r < p->ck.n; r++) {
			struct gapctx g = { v, i };

			bf_ckpt_gaps(&p->win, p->ck.r[r].from, p->ck.r[r].to,
			    ck_gap, &g);
		}
		p->ckstate = 1;
		if (strcmp(ckh, p->last_hash) == 0)
			continue;
		p->ckstate = 2;
		short_hash(ckh, h);
		if (ckh[0] == '\0') {
			problem(v, (long)i, "checkpoint", "mismatch", 0,
			    "the checkpoint records no chain head, but the "
			    "ledger has %ld entries", p->entries);
			continue;
		}
		s = v->hseq[p->ck_head];
		if (s == 0) {
			problem(v, (long)i, "checkpoint", "tail_deleted",
			    p->last_seq + 1, "the checkpoint's chain head "
			    "%s... is the hash of no entry: entries after "
			    "entry %" PRId64 " were deleted (or the chain "
			    "rewritten)", h, p->last_seq);
			continue;
		}
		{
			/* The ledger is ahead of the checkpoint: a load
			 * running now is fine (its checkpoint moves). */
			struct bf_ckpt ck2;
			struct bf_err ignore;
			int moved = 0;

			if (bf_ckpt_load(v->o->state, pname(v, i), &ck2,
			    &ignore) == 0)
				moved = strcmp(ck2.chain_head, ckh) != 0;
			bf_ckpt_free(&ck2);
			if (moved) {
				p->ckstate = 1;
				continue;
			}
		}
		range(r_txt, s + 1, p->last_seq);
		problem(v, (long)i, "checkpoint", "appended", s + 1, "%s "
		    "after the checkpoint's chain head (entry %" PRId64 "): "
		    "appended outside bf-load, or a bf-load that crashed "
		    "before writing its checkpoint (run it again)", r_txt, s);
	}
}

/* Last, so that a deeper cause found above comes first: the windows rows
 * whose hash (bf_wh_window_hash) is missing or does not match, that is,
 * whose grid, counts or any other column was edited. */
static void
check_window_hashes(struct ver *v)
{
	size_t i;

	for (i = 0; i < v->wins.n; i++) {
		struct vwin *x = &v->w[i];

		if (x->hash_bad)
			problem(v, (long)x->part, "window", "edited", 0,
			    "window %s/%s was edited: %s", x->ws, x->we,
			    x->hash_bad == 1 ? "its hash was removed" :
			    "its hash does not match its content (grid, "
			    "counts or another column)");
	}
}

static void
put_report(struct ver *v, size_t i, struct bf_buf *b)
{
	struct vpart *p = &v->p[i];
	static const char *const ck[] = { "none", "match", "mismatch" };

	bf_buf_puts(b, "{\"partition\":");
	bf_json_put_str(b, pname(v, i), strlen(pname(v, i)));
	bf_json_put_kv_str(b, "status", p->problems ? "failed" : "ok");
	bf_buf_printf(b, ",\"entries\":%ld,\"windows\":%ld,\"usage_rows\":%ld",
	    p->entries, p->windows, p->usage_rows);
	bf_json_put_kv_str(b, "chain_head", p->last_hash);
	bf_json_put_kv_str(b, "checkpoint", ck[p->ckstate]);
	bf_buf_printf(b, ",\"problems\":%ld", p->problems);
	if (p->problems) {
		bf_buf_puts(b, ",\"first\":{\"check\":");
		bf_json_put_str(b, p->first_check, strlen(p->first_check));
		bf_json_put_kv_str(b, "problem", p->first_problem);
		if (p->first_seq > 0)
			bf_buf_printf(b, ",\"seq\":%" PRId64, p->first_seq);
		else
			bf_buf_puts(b, ",\"seq\":null");
		bf_json_put_kv_str(b, "message", p->first_msg);
		bf_buf_putc(b, '}');
	}
	bf_buf_puts(b, "}\n");
}

long
bf_verify(struct bf_wh *w, const struct bf_verify_opts *o, struct bf_err *e)
{
	struct ver v;
	struct bf_buf out = BF_BUF_INIT;
	size_t i, *ord = NULL;
	long rc = -1;
	int unbalanced = 0;

	memset(&v, 0, sizeof(v));
	v.o = o;
	v.hashed = bf_wh_version(w) >= 3;
	if (o->state != NULL && load_checkpoints(&v, e) == -1)
		goto done;
	for (i = 0; i < v.parts.n; i++)
		if (v.p[i].has_ck && v.p[i].ck.chain_head[0] != '\0')
			v.p[i].ck_head = head_put(&v, pname(&v, i),
			    v.p[i].ck.chain_head);
	if (bf_wh_begin_read(w, e) == -1)
		goto done;
	if (bf_wh_scan(w, &bf_tbl_windows, win_row, &v, e) == -1 ||
	    bf_wh_scan(w, &bf_tbl_ledger, ledger_row, &v, e) == -1 ||
	    bf_wh_scan(w, &bf_tbl_usage, usage_row, &v, e) == -1) {
		bf_wh_rollback(w);
		goto done;
	}
	bf_wh_rollback(w);
	check_windows(&v);
	check_partitions(&v);
	check_window_hashes(&v);
	for (i = 0; i < v.keys.n; i++)
		if (bf_dec_sign(v.bal[i]) != 0)
			unbalanced = 1;
	if (unbalanced && name_unbalanced(&v, w, e) == -1)
		goto done;
	/* partition names hold no NUL: bytewise is strcmp's order */
	ord = bf_keymap_sorted(&v.parts);
	for (i = 0; i < v.parts.n; i++)
		put_report(&v, ord[i], &out);
	if (out.len > 0)
		fwrite(out.s, 1, out.len, o->out);
	if (fflush(o->out) == EOF || ferror(o->out)) {
		bf_err_set(e, BF_EXIT_IO, "write error on the report");
		goto done;
	}
	rc = v.total;
done:
	for (i = 0; i < v.parts.n; i++) {
		bf_ckpt_free(&v.p[i].ck);
		bf_ckpt_free(&v.p[i].win);
		free(v.p[i].first_check);
		free(v.p[i].first_problem);
		free(v.p[i].first_msg);
	}
	for (i = 0; i < v.wins.n; i++)
		if (v.w[i].hinit) {
			char d[BF_SHA256_HEX];

			bf_sha256_final(&v.w[i].h, d);
		}
	BF_EACH(free, void, ord, v.p, v.w, v.hseq, v.bal, v.sh);
	bf_rowset_free(&v.shmem);
	BF_EACH(bf_keymap_free, struct bf_keymap, &v.parts, &v.wins, &v.heads,
	    &v.keys);
	BF_EACH(bf_buf_free, struct bf_buf, &v.canon, &v.k, &out);
	return rc;
}
