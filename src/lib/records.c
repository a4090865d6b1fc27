/*
 * records.c: the records bf-fetch's file and exec sources read (records.h):
 * their storage, with interned strings and series, the sort by partition
 * and time, and their output as the sample lines of a window (with
 * lookback). The parsers are in records-parse.c, spilling under --memory
 * in records-spill.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keymap.h"
#include "records-internal.h"

/*
 * Records.
 */


static void
strmap_free(struct bf_recs *rs)
{
	if (rs->strmap != NULL) {
		bf_keymap_free(rs->strmap);
		free(rs->strmap);
	}
	free(rs->stroff);
	rs->strmap = NULL;
	rs->stroff = NULL;
}

void
bf_recs_free(struct bf_recs *rs)
{
	if (rs->spill != NULL && rs->mapid == 0)
		bf_spill_free(rs);
	bf_buf_free(&rs->sbuf);
	strmap_free(rs);
	free(rs->r);
	free(rs->ord);
	free(rs->keys);
	free(rs->khash);
	free(rs->ser);
	if (rs->sermap != NULL) {
		bf_keymap_free(rs->sermap);
		free(rs->sermap);
	}
	bf_buf_free(&rs->arena);
	memset(rs, 0, sizeof(*rs));
}

const char *
bf_recs_str(const struct bf_recs *rs, size_t off)
{
	if (off == BF_NO_STR)
		return NULL;
	if (off & SPILL_STR)
		return rs->sstr + (off & ~SPILL_STR);
	return rs->arena.s + off;
}

static size_t
put_str(struct bf_recs *rs, const char *s, size_t n)
{
	size_t off;

	if (s == NULL)
		return BF_NO_STR;
	off = rs->arena.len;
	bf_buf_add(&rs->arena, s, n);
	bf_buf_putc(&rs->arena, '\0');
	return off;
}

/* put_str for the strings of one record: into sbuf when spilling. */
static size_t
put_own(struct bf_recs *rs, const char *s, size_t n)
{
	size_t off;

	if (s == NULL || rs->spill == NULL)
		return put_str(rs, s, n);
	off = rs->sbuf.len;
	bf_buf_add(&rs->sbuf, s, n);
	bf_buf_putc(&rs->sbuf, '\0');
	return off | SPILL_STR;
}

/* Moves the offsets of r's strings: own ones (SPILL_STR) by own, the
 * others by shared; with untag, own ones become offsets into the arena. */
void
bf_rec_move(struct bf_rec *r, size_t own, size_t shared, int untag)
{
	size_t *v[5];
	int i, n = 0;

	if (r->kind == BF_REC_FIELDS) {
		v[n++] = &r->f.instance;
		v[n++] = &r->f.metric;
		v[n++] = &r->f.unit;
		v[n++] = &r->f.source;
		v[n++] = &r->f.value;
	} else {
		v[n++] = &r->b.body;
	}
	for (i = 0; i < n; i++) {
		if (*v[i] == BF_NO_STR)
			continue;
		if (!(*v[i] & SPILL_STR))
			*v[i] += shared;
		else if (untag)
			*v[i] = (*v[i] & ~SPILL_STR) + own;
		else
			*v[i] += own;
	}
}

static uint32_t
fnv32(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* put_str once for each distinct string (spilling: the arena must not
 * grow with the records). */
static size_t
put_interned(struct bf_recs *rs, const char *s, size_t n)
{
	size_t i;
	int added;

	if (rs->strmap == NULL)
		rs->strmap = bf_xcalloc(1, sizeof(*rs->strmap));
	i = bf_keymap_put(rs->strmap, s, n, &added);
	if (added) {
		if ((i & (i - 1)) == 0)
			rs->stroff = bf_xrealloc(rs->stroff, (i ? 2 * i : 1) *
			    sizeof(*rs->stroff));
		rs->stroff[i] = put_str(rs, s, n);
	}
	return rs->stroff[i];
}

/* put_str for strings many records share: the same bytes as a recent one
 * get its offset (a small cache keyed by hash; a miss only costs a copy). */
static size_t
put_shared(struct bf_recs *rs, const char *s, size_t n)
{
	size_t *slot, off;

	if (s == NULL)
		return BF_NO_STR;
	slot = &rs->icache[fnv32(s, n) % BF_REC_ICACHE];
	if (*slot != 0) {
		off = *slot - 1;
		if (off + n < rs->arena.len && rs->arena.s[off + n] == '\0' &&
		    memcmp(rs->arena.s + off, s, n) == 0)
			return off;
	}
	if (rs->spill != NULL)
		off = put_interned(rs, s, n);
	else
		off = put_str(rs, s, n);
	*slot = off + 1;
	return off;
}

/* Enters key k (index into rs->keys) into the hash table. */
static void
khash_put(struct bf_recs *rs, uint32_t k)
{
	const char *s = rs->arena.s + rs->keys[k];
	uint32_t i, mask = rs->khcap - 1;

	for (i = fnv32(s, strlen(s)) & mask; rs->khash[i] != 0;
	    i = (i + 1) & mask)
		;
	rs->khash[i] = k + 1;
}

/* Rebuilds the hash table of the keys with cap slots. */
static void
khash_rebuild(struct bf_recs *rs, uint32_t cap)
{
	uint32_t k;

	free(rs->khash);
	rs->khcap = cap;
	rs->khash = bf_xcalloc(cap, sizeof(*rs->khash));
	for (k = 0; k < rs->nkeys; k++)
		khash_put(rs, k);
}

/* The index of partition key s[0..n), entered when new. Keys are compared
 * as C strings (up to a NUL from a \u0000), as routing compares them with
 * the window's partition (strncmp: a shorter key stops at its NUL, not
 * past the arena's end). */
static uint32_t
key_id(struct bf_recs *rs, const char *s, size_t n)
{
	uint32_t i, k, mask;
	const char *t;

	if (s == NULL)
		s = "", n = 0;
	n = strnlen(s, n);
	/* Records in a row mostly share their key. */
	if (rs->nkeys > 0) {
		t = rs->arena.s + rs->keys[rs->klast];
		if (strncmp(t, s, n) == 0 && t[n] == '\0')
			return rs->klast;
	}
	if (rs->khcap == 0)
		khash_rebuild(rs, 64);
	mask = rs->khcap - 1;
	for (i = fnv32(s, n) & mask; rs->khash[i] != 0; i = (i + 1) & mask) {
		t = rs->arena.s + rs->keys[rs->khash[i] - 1];
		if (strncmp(t, s, n) == 0 && t[n] == '\0')
			return rs->klast = rs->khash[i] - 1;
	}
	if (rs->nkeys == rs->keycap) {
		rs->keycap = rs->keycap ? rs->keycap * 2 : 16;
		rs->keys = bf_xrealloc(rs->keys, rs->keycap *
		    sizeof(*rs->keys));
	}
	k = rs->nkeys++;
	rs->keys[k] = put_str(rs, s, n);
	rs->klast = k;
	if (rs->nkeys * 2 > rs->khcap)
		khash_rebuild(rs, rs->khcap * 2);
	else
		rs->khash[i] = k + 1;
	return k;
}

/* The series id of (instance, metric), each n-counted or NULL: its index in
 * rs->sermap, entered when new. The key is, for each, a byte saying
 * whether it is there, then its bytes and a NUL. */
static uint32_t
ser_id(struct bf_recs *rs, const char *inst, size_t in, const char *metric,
    size_t mn)
{
	char stack[256], *k = stack;
	size_t n = 4 + (inst ? in : 0) + (metric ? mn : 0), at = 0;
	uint32_t id;

	if (rs->sermap == NULL)
		rs->sermap = bf_xcalloc(1, sizeof(*rs->sermap));
	if (n > sizeof(stack))
		k = bf_xcalloc(n, 1);
	k[at++] = inst != NULL;
	if (inst != NULL) {
		memcpy(k + at, inst, in);
		at += in;
	}
	k[at++] = '\0';
	k[at++] = metric != NULL;
	if (metric != NULL) {
		memcpy(k + at, metric, mn);
		at += mn;
	}
	k[at++] = '\0';
	id = (uint32_t)bf_keymap_put(rs->sermap, k, at, NULL);
	if (k != stack)
		free(k);
	return id;
}

void
bf_rec_add(struct bf_recs *rs, const struct rec_in *ri)
{
	struct bf_rec *r;

	if (rs->spill != NULL && rs->n > 0 && (rs->n >= rs->climit ||
	    rs->n * REC_COST + rs->sbuf.len >= rs->budget))
		bf_recs_spill(rs);
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 256;
		if (rs->spill != NULL && rs->cap > rs->climit)
			rs->cap = rs->climit;
		rs->r = bf_xrealloc(rs->r, rs->cap * sizeof(*rs->r));
		rs->ser = bf_xrealloc(rs->ser, rs->cap * sizeof(*rs->ser));
	}
	rs->ser[rs->n] = ser_id(rs, ri->instance, ri->instancen,
	    ri->metric != NULL ? ri->metric : ri->smetric,
	    ri->metric != NULL ? ri->metricn : ri->smetricn);
	r = &rs->r[rs->n];
	memset(r, 0, sizeof(*r));
	rs->n++;
	if (ri->key != NULL)
		r->key = key_id(rs, ri->key, ri->keyn);
	else
		r->key = key_id(rs, ri->instance, ri->instancen);
	if (ri->body != NULL && ri->line != NULL) {
		r->kind = BF_REC_BORROWED;
		r->b.body = put_shared(rs, ri->body, ri->bodyn);
		r->b.line = ri->line;
		memcpy(r->b.run, ri->run, sizeof(r->b.run));
	} else if (ri->body != NULL) {
		r->kind = BF_REC_BODY;
		r->b.body = put_own(rs, ri->body, ri->bodyn);
	} else {
		r->kind = BF_REC_FIELDS;
		r->f.instance = put_shared(rs, ri->instance, ri->instancen);
		r->f.metric = put_shared(rs, ri->metric, ri->metricn);
		r->f.unit = put_shared(rs, ri->unit, ri->unitn);
		r->f.source = put_shared(rs, ri->source, ri->sourcen);
		r->f.value = put_own(rs, ri->value, ri->valuen);
	}
	r->valkind = (uint8_t)ri->valkind;
	r->addres = (uint8_t)ri->addres;
	r->cwres = (uint8_t)ri->cwres;
	r->ts = ri->ts;
}

/* The cwres of CloudWatch period p: its place in rs's table + 2, entered
 * when new; 1 (the retention tier) when p is unknown or the table full. */
static uint8_t
cw_period_id(struct bf_recs *rs, int64_t p)
{
	uint32_t i;

	if (p <= 0)
		return 1;
	for (i = 0; i < rs->ncwper; i++)
		if (rs->cwper[i] == p)
			return (uint8_t)(i + 2);
	if (rs->ncwper >= sizeof(rs->cwper) / sizeof(rs->cwper[0]))
		return 1;
	rs->cwper[rs->ncwper++] = p;
	return (uint8_t)(rs->ncwper + 1);
}

/* Gives the records rs->r[n0..) (one series of a CloudWatch export) the
 * period the export states, when it does (per > 0); bf_recs_cw_periods
 * finds the others'. */
void
bf_recs_cw_series_period(struct bf_recs *rs, size_t n0, int64_t per)
{
	uint8_t id = cw_period_id(rs, per);
	size_t i;

	for (i = n0; i < rs->n; i++)
		rs->r[i].cwres = id;
}

/* A gap between two times of a series longer than this (a day, the
 * longest period people ask CloudWatch for) is missing data, not a
 * period. */
#define CW_MAX_PERIOD 86400

/* The CloudWatch records without a stated period, for bf_recs_cw_periods:
 * ordered by series (key, instance, metric), then time. */
struct cwidx {
	const struct bf_recs *rs;
	size_t i;
};

static int
cwidx_cmp(const void *a, const void *b)
{
	const struct cwidx *x = a, *y = b;
	const struct bf_rec *p = &x->rs->r[x->i], *q = &y->rs->r[y->i];
	int c;

	if (p->key != q->key)
		return p->key < q->key ? -1 : 1;
	if ((c = strcmp(bf_recs_str(x->rs, p->f.instance),
	    bf_recs_str(x->rs, q->f.instance))) != 0)
		return c;
	if ((c = strcmp(bf_recs_str(x->rs, p->f.metric),
	    bf_recs_str(x->rs, q->f.metric))) != 0)
		return c;
	if (p->ts != q->ts)
		return p->ts < q->ts ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int
same_series(const struct bf_recs *rs, const struct bf_rec *p,
    const struct bf_rec *q)
{
	return p->key == q->key && strcmp(bf_recs_str(rs, p->f.instance),
	    bf_recs_str(rs, q->f.instance)) == 0 &&
	    strcmp(bf_recs_str(rs, p->f.metric),
	    bf_recs_str(rs, q->f.metric)) == 0;
}

void
bf_recs_cw_periods(struct bf_recs *rs)
{
	struct cwidx *v;
	int64_t *prev, per;
	size_t i, k, a, n = 0;
	bf_time t0, t1;

	for (i = 0; i < rs->n; i++)
		if (rs->r[i].cwres == 1)
			n++;
	if (n == 0)
		return;
	v = bf_xcalloc(n, sizeof(*v));
	prev = bf_xcalloc(n, sizeof(*prev));
	for (i = 0, k = 0; i < rs->n; i++)
		if (rs->r[i].cwres == 1) {
			v[k].rs = rs;
			v[k++].i = i;
		}
	qsort(v, n, sizeof(*v), cwidx_cmp);
	for (a = 0; a < n; a = k) {
		for (k = a + 1; k < n && same_series(rs, &rs->r[v[k - 1].i],
		    &rs->r[v[k].i]); k++)
			;
		/* prev[i]: the gap back to the series' previous time */
		for (i = a; i < k; i++) {
			t1 = rs->r[v[i].i].ts;
			t0 = i > a ? rs->r[v[i - 1].i].ts : t1;
			prev[i] = t1 > t0 ? t1 - t0 : i > a ? prev[i - 1] : 0;
		}
		/* per: the smaller of the gaps to either neighbour time */
		per = 0;
		for (i = k; i-- > a;) {
			t0 = rs->r[v[i].i].ts;
			t1 = i + 1 < k ? rs->r[v[i + 1].i].ts : t0;
			if (t1 > t0)
				per = t1 - t0;
			t0 = per > 0 && (prev[i] == 0 || per < prev[i]) ? per :
			    prev[i];
			rs->r[v[i].i].cwres = cw_period_id(rs,
			    t0 <= CW_MAX_PERIOD ? t0 : 0);
		}
	}
	free(prev);
	free(v);
}

/* Puts rs back as it was with n records and len bytes of arena (a failed
 * parse added the rest). */
void
bf_recs_rollback(struct bf_recs *rs, size_t n, size_t len)
{
	size_t i;

	if (rs->n < n)
		return; /* runs were written: the caller gives up */
	rs->n = n;
	rs->arena.len = len;
	strmap_free(rs);
	for (i = 0; i < BF_REC_ICACHE; i++)
		if (rs->icache[i] > len)
			rs->icache[i] = 0;
	while (rs->nkeys > 0 && rs->keys[rs->nkeys - 1] >= len)
		rs->nkeys--;
	rs->klast = 0;
	if (rs->khcap > 0)
		khash_rebuild(rs, rs->khcap);
}

/* Enters the strings, keys and series of from into rs and fills m. */
void
bf_recs_absorb(struct bf_recs *rs, const struct bf_recs *from,
    struct recs_map *m)
{
	uint32_t k;
	size_t i, nser = from->sermap != NULL ? from->sermap->n : 0;

	m->base = rs->arena.len;
	bf_buf_add(&rs->arena, from->arena.s, from->arena.len);
	m->kid = bf_xcalloc(from->nkeys + 1, sizeof(*m->kid));
	for (k = 0; k < from->nkeys; k++) {
		const char *key = from->arena.s + from->keys[k];

		m->kid[k] = key_id(rs, key, strlen(key));
	}
	m->sid = bf_xcalloc(nser + 1, sizeof(*m->sid));
	if (rs->sermap == NULL)
		rs->sermap = bf_xcalloc(1, sizeof(*rs->sermap));
	for (i = 0; i < nser; i++)
		m->sid[i] = (uint32_t)bf_keymap_put(rs->sermap,
		    from->sermap->v[i].key, from->sermap->v[i].len, NULL);
}

/* Appends the records of from (built on their own, no own strings
 * pending) to rs. */
void
bf_recs_append(struct bf_recs *rs, const struct bf_recs *from)
{
	struct recs_map m;
	uint32_t *id, *sid;
	struct bf_rec *r;
	size_t i;

	if (from->n == 0)
		return;
	bf_recs_absorb(rs, from, &m);
	id = m.kid;
	sid = m.sid;
	if (rs->n + from->n > rs->cap) {
		rs->cap = rs->n + from->n;
		rs->r = bf_xrealloc(rs->r, rs->cap * sizeof(*rs->r));
		rs->ser = bf_xrealloc(rs->ser, rs->cap * sizeof(*rs->ser));
	}
	for (i = 0; i < from->n; i++) {
		rs->ser[rs->n] = sid[from->ser[i]];
		r = &rs->r[rs->n++];
		*r = from->r[i];
		r->key = id[r->key];
		if (r->cwres >= 2 && r->cwres - 2 < (int)from->ncwper)
			r->cwres = cw_period_id(rs, from->cwper[r->cwres - 2]);
		bf_rec_move(r, 0, m.base, 0);
	}
	free(id);
	free(sid);
}

struct keyrank {
	const char *s;
	uint32_t k;
};

static int
keyrank_cmp(const void *a, const void *b)
{
	const struct keyrank *x = a, *y = b;

	return strcmp(x->s, y->s);
}

struct tsidx {
	bf_time ts;
	size_t i;
};

static int
tsidx_cmp(const void *a, const void *b)
{
	const struct tsidx *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Sorts by (key, ts, input order) without moving the records: the keys
 * (few) are ranked by strcmp, a stable counting sort by rank puts each
 * key's records together in input order, and only a key whose records are
 * not already in time order (files are mostly sorted by time) is sorted
 * by (ts, input order). */
/* The rank of each key of rs in strcmp order (the caller frees). */
uint32_t *
bf_recs_key_ranks(const struct bf_recs *rs)
{
	struct keyrank *kr;
	uint32_t *rank, j;

	kr = bf_xcalloc(rs->nkeys + 1, sizeof(*kr));
	rank = bf_xcalloc(rs->nkeys + 1, sizeof(*rank));
	for (j = 0; j < rs->nkeys; j++) {
		kr[j].s = rs->arena.s + rs->keys[j];
		kr[j].k = j;
	}
	qsort(kr, rs->nkeys, sizeof(*kr), keyrank_cmp);
	for (j = 0; j < rs->nkeys; j++)
		rank[kr[j].k] = j;
	free(kr);
	return rank;
}

void
bf_recs_sort(struct bf_recs *rs)
{
	struct tsidx *tx = NULL;
	size_t *start, *ord, i, a, b, k, ntx = 0;
	uint32_t *rank, j;
	int sorted = 1;

	free(rs->ord);
	rs->ord = NULL;
	if (rs->n < 2)
		return;
	rank = bf_recs_key_ranks(rs);
	/* Already in order (one key, time-sorted): nothing to do. */
	for (i = 1; i < rs->n && sorted; i++) {
		uint32_t r0 = rank[rs->r[i - 1].key], r1 = rank[rs->r[i].key];

		sorted = r0 < r1 || (r0 == r1 && rs->r[i - 1].ts <=
		    rs->r[i].ts);
	}
	if (sorted) {
		free(rank);
		return;
	}
	start = bf_xcalloc((size_t)rs->nkeys + 1, sizeof(*start));
	for (i = 0; i < rs->n; i++)
		start[rank[rs->r[i].key] + 1]++;
	for (j = 0; j < rs->nkeys; j++)
		start[j + 1] += start[j];
	ord = bf_xcalloc(rs->n, sizeof(*ord));
	for (i = 0; i < rs->n; i++)
		ord[start[rank[rs->r[i].key]]++] = i;
	/* start[j] is now the end of rank j's records. */
	for (j = 0, a = 0; j < rs->nkeys; j++, a = b) {
		b = start[j];
		for (k = a + 1; k < b && rs->r[ord[k - 1]].ts <=
		    rs->r[ord[k]].ts; k++)
			;
		if (k >= b)
			continue;
		if (b - a > ntx) {
			ntx = b - a;
			tx = bf_xrealloc(tx, ntx * sizeof(*tx));
		}
		for (k = a; k < b; k++) {
			tx[k - a].ts = rs->r[ord[k]].ts;
			tx[k - a].i = ord[k];
		}
		qsort(tx, b - a, sizeof(*tx), tsidx_cmp);
		for (k = a; k < b; k++)
			ord[k] = tx[k - a].i;
	}
	free(tx);
	free(start);
	free(rank);
	rs->ord = ord;
}


/* A record's "ts" member, formatted once for the records that share its
 * time (a window's records come in time order, several to a time). */
struct tsmember {
	bf_time ts;
	size_t n;
	char s[8 + BF_TIME_LEN];
};

static void
ts_member(struct tsmember *m, bf_time ts)
{
	char t[BF_TIME_LEN];
	size_t n;

	if (m->n > 0 && m->ts == ts)
		return;
	n = bf_time_format(ts, t);
	m->ts = ts;
	memcpy(m->s, "\"ts\":\"", 6);
	memcpy(m->s + 6, t, n);
	m->s[6 + n] = '"';
	m->n = 7 + n;
}

/* A record parsed with borrow: its runs of the line, the time, the rest
 * (",..." or ""). This is bf-fetch's inner loop for the file source. */
static void
emit_runs(struct bf_job *job, const struct bf_rec *r,
    const struct tsmember *ts, const char *rest, int64_t resolution)
{
	struct bf_member m[5];
	int k;

	for (k = 0; k < 3; k++) {
		m[k].s = r->b.line + r->b.run[2 * k];
		m[k].n = r->b.run[2 * k + 1];
	}
	m[3].s = ts->s;
	m[3].n = ts->n;
	m[4].s = rest + (*rest == ',');
	m[4].n = strlen(m[4].s);
	bf_job_put_sample(job, NULL, m, 5, resolution);
}

/* CloudWatch's retention tiers (records.h), which its exports (the file
 * source) and the AWS CLI (the exec source) follow. */
int64_t
bf_cw_period(bf_time now, bf_time t)
{
	int64_t age = now - t;

	if (age <= 15 * 86400)
		return 60;
	if (age <= 63 * 86400)
		return 300;
	if (age <= 455 * 86400)
		return 3600;
	return 0;
}

int64_t
bf_cw_job_period(const struct bf_fetch_opts *o, const struct bf_job *job)
{
	int64_t p = bf_cw_period(o->now, job->w.start);

	if (p == 0)
		p = 3600;
	if (o->step > p)
		p = o->step;
	return p;
}

/* The resolution of CloudWatch record r in job: the period its export
 * showed (cw_series_period), else the retention tier. */
int64_t
bf_recs_cw_res(const struct bf_source *s, const struct bf_recs *rs,
    const struct bf_rec *r, const struct bf_job *job)
{
	if (r->cwres >= 2 && (uint32_t)(r->cwres - 2) < rs->ncwper)
		return rs->cwper[r->cwres - 2];
	return bf_cw_job_period(s->o, job);
}

/* Appends record r as a sample line of job. */
static void
emit_rec(struct bf_source *s, const struct bf_recs *rs,
    const struct bf_rec *r, struct bf_job *job, int64_t resolution,
    struct tsmember *tsm)
{
	const char *inst, *metric, *val, *src;
	struct bf_member m;

	if (r->kind == BF_REC_BORROWED) {
		ts_member(tsm, r->ts);
		emit_runs(job, r, tsm, bf_recs_str(rs, r->b.body),
		    r->addres ? resolution : 0);
		return;
	}
	if (r->kind == BF_REC_BODY) {
		/* an NDJSON record: the window's fields, the record's own */
		m.s = bf_recs_str(rs, r->b.body);
		m.n = strlen(m.s);
		bf_job_put_sample(job, NULL, &m, 1, r->addres ? resolution : 0);
		return;
	}
	inst = bf_recs_str(rs, r->f.instance);
	metric = bf_recs_str(rs, r->f.metric);
	val = bf_recs_str(rs, r->f.value);
	src = bf_recs_str(rs, r->f.source);
	bf_job_sample(job, inst, strlen(inst), metric, strlen(metric),
	    bf_recs_str(rs, r->f.unit), r->ts, val, strlen(val), r->valkind,
	    src != NULL ? src : s->ops->name,
	    r->cwres ? bf_recs_cw_res(s, rs, r, job) : resolution);
}

long
bf_recs_emit(struct bf_source *s, const struct bf_recs *rs, size_t from,
    size_t to, struct bf_job *job, int64_t resolution)
{
	struct tsmember tsm;
	long n = 0;
	size_t i;
	int64_t cw = 0, res;

	tsm.n = 0;
	for (i = from; i < to; i++) {
		const struct bf_rec *r = bf_recs_at(rs, i);

		if (r->ts < job->w.start || r->ts >= job->w.end)
			continue;
		emit_rec(s, rs, r, job, resolution, &tsm);
		if (r->cwres && (res = bf_recs_cw_res(s, rs, r, job)) > cw)
			cw = res;
		n++;
	}
	if (cw > 0)
		job->resolution = cw;
	return n;
}

/* A set of series ids (open addressing, id + 1, 0 empty). */
struct idset {
	uint32_t *v;
	uint32_t cap, n;
};

/* Adds id; 1 when it was not there. */
static int
idset_add(struct idset *st, uint32_t id)
{
	uint32_t i, k, *old = st->v, oldcap = st->cap;

	if (st->n * 2 >= st->cap) {
		st->cap = st->cap ? st->cap * 2 : 64;
		st->v = bf_xcalloc(st->cap, sizeof(*st->v));
		st->n = 0;
		for (k = 0; k < oldcap; k++)
			if (old[k] != 0)
				idset_add(st, old[k] - 1);
		free(old);
	}
	for (i = (id * 2654435761u) & (st->cap - 1); st->v[i] != 0;
	    i = (i + 1) & (st->cap - 1))
		if (st->v[i] == id + 1)
			return 0;
	st->v[i] = id + 1;
	st->n++;
	return 1;
}

long
bf_recs_emit_lookback(struct bf_source *s, const struct bf_recs *rs,
    size_t lo, size_t from, struct bf_job *job, int64_t resolution)
{
	struct idset seen = { NULL, 0, 0 };
	struct tsmember tsm;
	bf_time first = job->w.start - s->o->lookback;
	long n = 0;
	size_t i, k, mark;

	if (s->o->lookback <= 0)
		return 0;
	tsm.n = 0;
	for (i = from; i > lo; i--) {
		k = rs->ord != NULL ? rs->ord[i - 1] : i - 1;
		if (rs->r[k].ts >= job->w.start)
			continue;
		if (rs->r[k].ts < first)
			break;
		if (!idset_add(&seen, rs->ser[k]))
			continue;
		mark = job->out.len;
		emit_rec(s, rs, &rs->r[k], job, resolution, &tsm);
		bf_job_lookback(job, mark);
		n++;
	}
	free(seen.v);
	return n;
}

/* Reads fd (path in messages) to its end into out and closes it. */
