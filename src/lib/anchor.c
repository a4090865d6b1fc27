/*
 * anchor.c: the partition's chain anchor (anchor.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anchor.h"
#include "json.h"
#include "keymap.h"
#include "ledger.h"
#include "timeutil.h"
#include "window.h"

/* A walk over one partition's chain. */
struct walk {
	const char *partition;
	const char *target;       /* a hash to find, or NULL */
	int64_t prev_seq, target_seq;
	char prev_hash[BF_SHA256_HEX];
	char why[256];            /* the first broken link, "" if none */
	struct bf_keymap *hashes; /* every hash, when not NULL */
};

static int
walk_row(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct walk *k = ctx;
	const char *h = row->v[BF_L_HASH];
	char why[160];

	(void)e;
	if (strcmp(row->v[BF_L_PARTITION], k->partition) != 0 ||
	    k->why[0] != '\0')
		return 0;
	if (bf_ledger_check(row, k->prev_seq, k->prev_seq ? k->prev_hash :
	    NULL, why, sizeof(why)) == -1) {
		snprintf(k->why, sizeof(k->why), "entry %" PRId64 ": %s",
		    k->prev_seq + 1, why);
		return 0;
	}
	k->prev_seq++;
	snprintf(k->prev_hash, sizeof(k->prev_hash), "%s", h);
	if (k->target != NULL && strcmp(h, k->target) == 0)
		k->target_seq = k->prev_seq;
	if (k->hashes != NULL)
		bf_keymap_put(k->hashes, h, strlen(h), NULL);
	return 0;
}

/* Walks partition's chain; 0 with k filled, -1 on a warehouse error. */
static int
walk(struct bf_wh *w, struct walk *k, struct bf_err *e)
{
	k->prev_seq = k->target_seq = 0;
	k->prev_hash[0] = k->why[0] = '\0';
	return bf_wh_scan(w, &bf_tbl_ledger, walk_row, k, e);
}

static void
short_hash(const char *h, char out[16])
{
	snprintf(out, 16, "%.12s", h[0] != '\0' ? h : "(none)");
}

int
bf_anchor_check(struct bf_wh *w, const char *partition,
    const struct bf_ckpt *ck, struct bf_anchor *a, struct bf_err *e)
{
	struct walk k;
	char hw[16], hc[16];

	memset(a, 0, sizeof(*a));
	a->index = -1;
	if (bf_wh_chain_head(w, partition, &a->seq, a->head, e) == -1)
		return -1;
	if (strcmp(a->head, ck->chain_head) == 0) {
		a->verdict = BF_ANCHOR_MATCH;
		return 0;
	}
	memset(&k, 0, sizeof(k));
	k.partition = partition;
	k.target = ck->chain_head[0] != '\0' ? ck->chain_head : NULL;
	if (a->head[0] != '\0' && walk(w, &k, e) == -1)
		return -1;
	if (k.why[0] == '\0' && k.prev_seq != a->seq)
		snprintf(k.why, sizeof(k.why), "entry %" PRId64 " is not the "
		    "last", a->seq);
	short_hash(a->head, hw);
	short_hash(ck->chain_head, hc);
	if (k.why[0] != '\0') {
		a->verdict = BF_ANCHOR_MISMATCH;
		snprintf(a->why, sizeof(a->why), "the warehouse's chain does "
		    "not verify (%s)", k.why);
		return 0;
	}
	if (ck->chain_head[0] == '\0' && ck->nheads == 0) {
		a->verdict = BF_ANCHOR_FIRST_USE;
		return 0;
	}
	if (k.target_seq > 0) {
		a->verdict = BF_ANCHOR_AHEAD;
		return 0;
	}
	a->index = a->head[0] != '\0' ? bf_ckpt_head_index(ck, a->head) : -1;
	if (a->head[0] == '\0' || a->index >= 0) {
		a->verdict = BF_ANCHOR_RESTORE;
		return 0;
	}
	a->verdict = BF_ANCHOR_MISMATCH;
	snprintf(a->why, sizeof(a->why), "the warehouse's chain head %s... "
	    "(entry %" PRId64 ") is not one the checkpoint recorded (its head "
	    "is %s...)", hw, a->seq, hc);
	return 0;
}

/* Windows. */

struct wins {
	const char *partition;
	struct bf_ckpt *c;
};

static int
win_row(void *ctx, const struct bf_row *row, struct bf_err *e)
{
	struct wins *x = ctx;
	const char *d = row->v[BF_W_DIGEST];
	struct bf_window_row w;

	(void)e;
	if (bf_window_row_read(row, &w) == -1 ||
	    strcmp(w.partition, x->partition) != 0 || w.from >= w.to)
		return 0;
	bf_ckpt_add(x->c, w.from, w.to);
	x->c->windows++;
	if (w.from >= x->c->last_from) {
		x->c->last_from = w.from;
		x->c->last_to = w.to;
		snprintf(x->c->last_digest, sizeof(x->c->last_digest), "%s",
		    d != NULL && strlen(d) == 64 ? d : "");
	}
	return 0;
}

int
bf_anchor_windows(struct bf_wh *w, const char *partition,
    struct bf_ckpt *present, struct bf_err *e)
{
	struct wins x = { partition, present };

	return bf_wh_scan(w, &bf_tbl_windows, win_row, &x, e);
}

void
bf_anchor_take_windows(struct bf_ckpt *ck, struct bf_ckpt *present)
{
	free(ck->r);
	ck->r = present->r;
	ck->n = present->n;
	ck->cap = present->cap;
	present->r = NULL;
	present->n = present->cap = 0;
	ck->windows = present->windows;
	ck->last_from = present->last_from;
	ck->last_to = present->last_to;
	memcpy(ck->last_digest, present->last_digest, BF_SHA256_HEX);
}

struct miss {
	struct bf_buf *out;
	bf_time *from, *to;
	size_t n;
};

static void
miss_range(void *ctx, bf_time from, bf_time to)
{
	struct miss *m = ctx;
	char r[BF_RANGE_LEN];

	bf_buf_printf(m->out, "%s%s", m->n > 0 ? ", " : "",
	    bf_time_range(from, to, r));
	if (m->n == 0 || from < *m->from)
		*m->from = from;
	if (m->n == 0 || to > *m->to)
		*m->to = to;
	m->n++;
}

size_t
bf_anchor_missing(const struct bf_ckpt *ck, const struct bf_ckpt *present,
    struct bf_buf *out, bf_time *from, bf_time *to)
{
	struct miss m = { out, from, to, 0 };
	size_t i;

	*from = *to = 0;
	for (i = 0; i < ck->n; i++)
		bf_ckpt_gaps(present, ck->r[i].from, ck->r[i].to, miss_range,
		    &m);
	return m.n;
}

/* Re-anchoring. */

/* Keeps of c's heads those the chain has, then moves the head to was
 * (the warehouse's head before the new entry; "" for none), then h. */
static void
keep_heads(struct bf_ckpt *c, struct bf_keymap *chain, const char *was,
    const char *h)
{
	size_t i, n = 0;

	bf_ckpt_set_head(c, "");
	for (i = 0; i < c->nheads; i++)
		if (bf_keymap_get(chain, c->heads[i], 64) != -1)
			memcpy(c->heads[n++], c->heads[i], BF_SHA256_HEX);
	c->nheads = n;
	if (n > 0) {
		memcpy(c->chain_head, c->heads[n - 1], BF_SHA256_HEX);
		c->nheads--;
	}
	if (was[0] != '\0' && bf_ckpt_head_index(c, was) == -1)
		bf_ckpt_set_head(c, was);
	bf_ckpt_set_head(c, h);
}

static int
reanchor_tx(struct bf_wh *w, const struct bf_reanchor *r, struct bf_ckpt *ck,
    struct bf_ledger_chain *c, struct bf_keymap *chain,
    char was[BF_SHA256_HEX], struct bf_ckpt *present, struct bf_err *e)
{
	struct walk k;
	struct bf_rowset rows = BF_ROWSET_INIT;
	struct bf_buf why = BF_BUF_INIT;
	char hc[16], hw[16];
	int rc = -1;

	if (bf_wh_chain_head(w, r->partition, &c->seq, c->head, e) == -1)
		return -1;
	memset(&k, 0, sizeof(k));
	k.partition = r->partition;
	k.hashes = chain;
	if (walk(w, &k, e) == -1 ||
	    bf_anchor_windows(w, r->partition, present, e) == -1)
		return -1;
	if (k.why[0] == '\0' && k.prev_seq != c->seq)
		snprintf(k.why, sizeof(k.why), "entry %" PRId64 " is not the "
		    "last", c->seq);
	if (k.why[0] != '\0')
		return bf_err_set(e, BF_EXIT_VERIFY, "partition '%s': the "
		    "warehouse's chain does not verify (%s): nothing to "
		    "re-anchor to (bf-ledger verify names the damage)",
		    r->partition, k.why);
	memcpy(was, c->head, BF_SHA256_HEX);
	short_hash(ck->chain_head, hc);
	short_hash(c->head, hw);
	bf_buf_printf(&why, "re-anchored by %s: %s (the checkpoint's head "
	    "was %s..., the warehouse's %s... at entry %" PRId64 ")", r->who,
	    r->why, hc, hw, c->seq);
	if (bf_ledger_event(c, BF_LEDGER_REANCHOR, c->recorded_at,
	    c->recorded_at, bf_buf_str(&why), &rows, e) == 0 &&
	    bf_wh_ledger_append(w, rows.rows, rows.n, e) == 0)
		rc = 0;
	bf_rowset_free(&rows);
	bf_buf_free(&why);
	return rc;
}

int
bf_anchor_reanchor(struct bf_wh *w, const struct bf_reanchor *r,
    struct bf_buf *out, struct bf_err *e)
{
	struct bf_ckpt ck, present;
	struct bf_ledger_chain c;
	struct bf_keymap chain;
	char now[BF_TIME_LEN], was[BF_SHA256_HEX], ckprev[BF_SHA256_HEX];
	int fd = -1, rc = -1;

	memset(&chain, 0, sizeof(chain));
	bf_ckpt_init(&ck, r->partition);
	bf_ckpt_init(&present, r->partition);
	/* The state directory's lock, and the warehouse's (PostgreSQL): a
	 * loader with another state directory may hold the partition. */
	if (bf_lock_partition(r->state, r->partition, &fd, e) == -1 ||
	    bf_wh_lock_partition(w, r->partition, e) == -1)
		goto out;
	bf_ckpt_free(&ck);
	if (bf_ckpt_load(r->state, r->partition, &ck, e) == -1)
		goto out;
	bf_time_format((bf_time)time(NULL), now);
	memset(&c, 0, sizeof(c));
	c.partition = r->partition;
	c.run_id = r->run_id;
	c.program_version = r->version;
	c.recorded_at = now;
	if (bf_wh_begin(w, e) == -1)
		goto out;
	if (reanchor_tx(w, r, &ck, &c, &chain, was, &present, e) == -1) {
		bf_wh_rollback(w);
		goto out;
	}
	if (bf_wh_commit(w, e) == -1)
		goto out;
	memcpy(ckprev, ck.chain_head, sizeof(ckprev));
	keep_heads(&ck, &chain, was, c.head);
	bf_anchor_take_windows(&ck, &present);
	if (bf_ckpt_save(r->state, &ck, e) == -1)
		goto out;
	bf_buf_puts(out, "{\"partition\":");
	bf_json_put_str(out, r->partition, strlen(r->partition));
	bf_buf_printf(out, ",\"seq\":%" PRId64, c.seq);
	bf_json_put_kv_str(out, "chain_head", c.head);
	bf_json_put_kv_str(out, "previous_checkpoint_head", ckprev);
	bf_json_put_kv_str(out, "operator", r->who);
	bf_json_put_kv_str(out, "reason", r->why);
	bf_json_put_kv_str(out, "recorded_at", now);
	bf_buf_puts(out, "}\n");
	rc = 0;
out:
	bf_unlock(fd);
	bf_ckpt_free(&ck);
	bf_ckpt_free(&present);
	bf_keymap_free(&chain);
	return rc;
}
