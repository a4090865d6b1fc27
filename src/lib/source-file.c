/*
 * source-file.c: the data formats bf-fetch reads from files and command
 * output (NDJSON samples, AWS CLI CloudWatch get-metric-data and
 * get-metric-statistics JSON, CSV with a column map), and the file source,
 * which loads --data files once, sorts their records with bounded memory
 * (spilling sorted runs to temporary files beyond --memory, see
 * "Spilling" below) and routes them to the windows they fall in
 * (source.h).
 */
#include <csv.h>
#include <pthread.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keymap.h"
#include "source.h"

/*
 * Records.
 */

/* Own strings (source.h: sbuf) have offsets tagged with SPILL_STR. */
#define SPILL_STR ((size_t)1 << (sizeof(size_t) * CHAR_BIT - 2))
/* What a record held in a chunk costs: itself, its series id, and
 * bf_recs_sort's ord and tsidx entries. */
#define REC_COST (sizeof(struct bf_rec) + sizeof(uint32_t) + \
    2 * sizeof(size_t) + sizeof(bf_time))

static void recs_spill(struct bf_recs *rs);
static void spill_free(struct bf_recs *rs);

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
		spill_free(rs);
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
static void
rec_move(struct bf_rec *r, size_t own, size_t shared, int untag)
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

/* A record being built: n-counted strings, NULL when absent. With line
 * set, body is the rest after the runs and the "ts" member (source.h). */
struct rec_in {
	const char *key, *instance, *metric, *unit, *source, *value, *body;
	size_t keyn, instancen, metricn, unitn, sourcen, valuen, bodyn;
	const char *smetric; /* the series' metric when metric is not set */
	size_t smetricn;
	int valkind, addres, cwres;
	bf_time ts;
	const char *line;
	uint32_t run[6];
};

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

static void
add_rec(struct bf_recs *rs, const struct rec_in *ri)
{
	struct bf_rec *r;

	if (rs->spill != NULL && rs->n > 0 && (rs->n >= rs->climit ||
	    rs->n * REC_COST + rs->sbuf.len >= rs->budget))
		recs_spill(rs);
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
static void
cw_series_period(struct bf_recs *rs, size_t n0, int64_t per)
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
static void
recs_rollback(struct bf_recs *rs, size_t n, size_t len)
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

/* How the ids and offsets of records built on their own (a part's) map
 * into those of the records they join (recs_absorb). */
struct recs_map {
	uint32_t *kid;  /* key index -> the joined records' (owned) */
	uint32_t *sid;  /* series id -> the joined records' (owned) */
	size_t base;    /* where from's arena starts in theirs */
};

/* Enters the strings, keys and series of from into rs and fills m. */
static void
recs_absorb(struct bf_recs *rs, const struct bf_recs *from,
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
static void
recs_append(struct bf_recs *rs, const struct bf_recs *from)
{
	struct recs_map m;
	uint32_t *id, *sid;
	struct bf_rec *r;
	size_t i;

	if (from->n == 0)
		return;
	recs_absorb(rs, from, &m);
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
		rec_move(r, 0, m.base, 0);
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
static uint32_t *
key_ranks(const struct bf_recs *rs)
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
	rank = key_ranks(rs);
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

/*
 * Spilling records to temporary files (the file source under --memory).
 *
 * The parse pass (the checking pass) puts records into a chunk, a struct
 * bf_recs, as before. When the chunk holds as many records as its share of
 * --memory allows (REC_COST bytes each, with the own strings in sbuf), it
 * is sorted by (key, ts, input order) with bf_recs_sort and written as a
 * run: its records and their series ids at the end of two run files, its
 * own strings at the end of a strings file (their offsets, tagged
 * SPILL_STR, moved to the file's). Parts parsed on threads at once each
 * have their own chunk and share of the bound and write their own runs.
 * Once every data file is parsed, the runs are merged (k-way, ties by
 * input order: the order of the runs) into a sorted record file and a
 * series file, which are mapped read-only and served through rs->r and
 * rs->ser as the in-memory array was: the window and lookback code does
 * not change, and the pages are the kernel's to drop and read again, not
 * anonymous memory. Runs already in order one after the other (input in
 * time order, parsed in one part) are the sorted files as they are.
 *
 * The five files are made 0600 in a directory of their own (mkdtemp,
 * 0700) in --tmpdir, and unlinked, the directory removed, as soon as they
 * are open: nothing is left behind on any exit, signals and SIGKILL
 * included. Input that fits in one chunk never touches a file.
 */

enum { SF_REC, SF_SER, SF_STR, SF_OREC, SF_OSER, SF_N };
#define SPILL_BATCH 512
#define SPILL_MINRECS 4

struct spill_run {
	uint64_t order;  /* the input order of runs */
	size_t at, n;    /* records [at, at + n) of the run files */
	uint32_t mapid;  /* whose records (bf_recs.mapid) */
};

struct bf_spill {
	pthread_mutex_t mu;
	const char *tmpdir;   /* --tmpdir, or NULL */
	char dir[PATH_MAX];   /* the directory the files were made in */
	int fd[SF_N];         /* -1 until the first run */
	size_t nrec, slen;    /* records in the run files, bytes of strings */
	struct spill_run *run;
	size_t nrun, runcap;
	struct recs_map *map; /* map[mapid - 1]: parts' ids (recs_absorb) */
	uint32_t nmap;
	int failed;
	int merged;           /* the runs were merged (not in order) */
	struct bf_err err;
	void *m[SF_N];        /* the files mapped, at the end */
	size_t mlen[SF_N];
};

static struct bf_spill *
spill_new(const char *tmpdir)
{
	struct bf_spill *sp = bf_xcalloc(1, sizeof(*sp));
	int k;

	pthread_mutex_init(&sp->mu, NULL);
	sp->tmpdir = tmpdir;
	for (k = 0; k < SF_N; k++)
		sp->fd[k] = -1;
	return sp;
}

/* Sets rs's share of the bound: budget bytes. */
static void
spill_share(struct bf_recs *rs, size_t budget)
{
	rs->budget = budget;
	rs->climit = budget / REC_COST;
	if (rs->climit < SPILL_MINRECS)
		rs->climit = SPILL_MINRECS;
}

/* The first failure wins; called with sp->mu held. */
static int
spill_fail(struct bf_spill *sp, const char *what, int err)
{
	if (!sp->failed)
		bf_err_set(&sp->err, BF_EXIT_IO, "%s '%s': %s", what, sp->dir,
		    strerror(err));
	sp->failed = 1;
	return -1;
}

/* Makes the files (once); called with sp->mu held. */
static int
spill_files(struct bf_spill *sp)
{
	static const char *const name[SF_N] = { "runs", "runs.ser",
		"strings", "sorted", "sorted.ser" };
	char path[PATH_MAX + 32], file[PATH_MAX + 64];
	const char *dir = sp->tmpdir;
	int k, fd, err;

	if (sp->fd[0] >= 0)
		return 0;
	if (dir == NULL || *dir == '\0')
		dir = getenv("TMPDIR");
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
	if (strlen(dir) + 20 > PATH_MAX)
		return spill_fail(sp, "cannot make a temporary directory in",
		    ENAMETOOLONG);
	snprintf(path, sizeof(path), "%s/bf-fetch.XXXXXX", dir);
	if (mkdtemp(path) == NULL)
		return spill_fail(sp, "cannot make a temporary directory in",
		    errno);
	for (k = 0; k < SF_N; k++) {
		snprintf(file, sizeof(file), "%s/%s", path, name[k]);
		fd = open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			break;
		unlink(file);
		sp->fd[k] = fd;
	}
	err = errno;
	rmdir(path);
	if (k == SF_N)
		return 0;
	while (k-- > 0) {
		close(sp->fd[k]);
		sp->fd[k] = -1;
	}
	return spill_fail(sp, "cannot make a temporary file in", err);
}

/* Writes p[0..n) at off of file k. */
static int
spill_write(struct bf_spill *sp, int k, const void *p, size_t n, size_t off)
{
	const char *q = p;
	ssize_t w;

	while (n > 0) {
		w = pwrite(sp->fd[k], q, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			pthread_mutex_lock(&sp->mu);
			spill_fail(sp, "cannot write a temporary file in",
			    w < 0 ? errno : ENOSPC);
			pthread_mutex_unlock(&sp->mu);
			return -1;
		}
		q += w;
		n -= (size_t)w;
		off += (size_t)w;
	}
	return 0;
}

/* Writes rs's records, sorted, as a run and empties rs (not its strings,
 * keys and series). After a failure (sp->err), the records are dropped. */
static void
recs_spill(struct bf_recs *rs)
{
	struct bf_spill *sp = rs->spill;
	struct bf_rec *batch;
	uint32_t *sbatch;
	size_t at = 0, soff = 0, i, j, k, x;
	int ok;

	if (rs->n == 0)
		return;
	bf_recs_sort(rs);
	pthread_mutex_lock(&sp->mu);
	ok = !sp->failed && spill_files(sp) == 0;
	if (ok) {
		at = sp->nrec;
		soff = sp->slen;
		sp->nrec += rs->n;
		sp->slen += rs->sbuf.len;
		if (sp->nrun == sp->runcap) {
			sp->runcap = sp->runcap ? sp->runcap * 2 : 16;
			sp->run = bf_xrealloc(sp->run, sp->runcap *
			    sizeof(*sp->run));
		}
		sp->run[sp->nrun].order = rs->order++;
		sp->run[sp->nrun].at = at;
		sp->run[sp->nrun].n = rs->n;
		sp->run[sp->nrun++].mapid = rs->mapid;
	}
	pthread_mutex_unlock(&sp->mu);
	if (ok && rs->sbuf.len > 0)
		ok = spill_write(sp, SF_STR, rs->sbuf.s, rs->sbuf.len,
		    soff) == 0;
	batch = bf_xcalloc(SPILL_BATCH, sizeof(*batch));
	sbatch = bf_xcalloc(SPILL_BATCH, sizeof(*sbatch));
	for (i = 0; ok && i < rs->n; i += k) {
		k = rs->n - i < SPILL_BATCH ? rs->n - i : SPILL_BATCH;
		for (j = 0; j < k; j++) {
			x = rs->ord != NULL ? rs->ord[i + j] : i + j;
			batch[j] = rs->r[x];
			rec_move(&batch[j], soff, 0, 0);
			sbatch[j] = rs->ser[x];
		}
		ok = spill_write(sp, SF_REC, batch, k * sizeof(*batch),
		    (at + i) * sizeof(*batch)) == 0 &&
		    spill_write(sp, SF_SER, sbatch, k * sizeof(*sbatch),
		    (at + i) * sizeof(*sbatch)) == 0;
	}
	free(batch);
	free(sbatch);
	rs->n = 0;
	free(rs->ord);
	rs->ord = NULL;
	bf_buf_reset(&rs->sbuf);
}

/* Records that never spilled: their own strings join the arena. */
static void
recs_unspill(struct bf_recs *rs)
{
	size_t base = rs->arena.len, i;

	if (rs->sbuf.len == 0)
		return;
	bf_buf_add(&rs->arena, rs->sbuf.s, rs->sbuf.len);
	for (i = 0; i < rs->n; i++)
		rec_move(&rs->r[i], base, 0, 1);
	bf_buf_reset(&rs->sbuf);
}

/* A part (records with their own mapid) that spilled: its last records go
 * to a run, its strings, keys and series into rs, and the map of its ids
 * into rs's is kept for the merge. */
static void
spill_absorb(struct bf_recs *rs, struct bf_recs *part)
{
	struct bf_spill *sp = rs->spill;

	recs_spill(part);
	if (part->mapid > sp->nmap) {
		sp->map = bf_xrealloc(sp->map, part->mapid * sizeof(*sp->map));
		memset(sp->map + sp->nmap, 0, (part->mapid - sp->nmap) *
		    sizeof(*sp->map));
		sp->nmap = part->mapid;
	}
	recs_absorb(rs, part, &sp->map[part->mapid - 1]);
}

static int
run_cmp(const void *a, const void *b)
{
	const struct spill_run *x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

/* A run being merged: its next record, as rs's key rank and ts. */
struct mcur {
	const struct bf_rec *r;
	const uint32_t *ser;
	size_t left;
	const struct recs_map *m; /* NULL: rs's own ids */
	uint32_t rank, idx;       /* idx: the run's place in input order */
	bf_time ts;
};

static void
mcur_load(struct mcur *c, const uint32_t *rank)
{
	c->rank = rank[c->m != NULL ? c->m->kid[c->r->key] : c->r->key];
	c->ts = c->r->ts;
}

static int
mcur_less(const struct mcur *a, const struct mcur *b)
{
	if (a->rank != b->rank)
		return a->rank < b->rank;
	if (a->ts != b->ts)
		return a->ts < b->ts;
	return a->idx < b->idx;
}

static void
heap_down(struct mcur **h, size_t n, size_t i)
{
	struct mcur *t;
	size_t c;

	for (; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && mcur_less(h[c + 1], h[c]))
			c++;
		if (!mcur_less(h[c], h[i]))
			break;
		t = h[c];
		h[c] = h[i];
		h[i] = t;
	}
}

/* Maps file k's first len bytes read-only (NULL for none or a failure). */
static void *
spill_map(struct bf_spill *sp, int k, size_t len)
{
	void *m;

	if (len == 0)
		return NULL;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, sp->fd[k], 0);
	if (m == MAP_FAILED) {
		spill_fail(sp, "cannot map a temporary file in", errno);
		return NULL;
	}
	sp->m[k] = m;
	sp->mlen[k] = len;
	return m;
}

static void
spill_unmap(struct bf_spill *sp, int k)
{
	if (sp->m[k] != NULL)
		munmap(sp->m[k], sp->mlen[k]);
	sp->m[k] = NULL;
	sp->mlen[k] = 0;
}

/* 1 when the runs (in input order) are one sorted sequence already: all
 * rs's own, each starting where the one before ends. */
static int
runs_in_order(const struct bf_spill *sp, const struct mcur *c)
{
	const struct spill_run *r = sp->run;
	size_t i;

	for (i = 0; i < sp->nrun; i++) {
		if (r[i].mapid != 0 || (i > 0 && r[i].at != r[i - 1].at +
		    r[i - 1].n))
			return 0;
		if (i > 0 && (c[i].rank < c[i - 1].rank ||
		    (c[i].rank == c[i - 1].rank && c[i].ts < c[i - 1].ts)))
			return 0;
	}
	return 1;
}

/* Merges the runs into the sorted files (SF_OREC, SF_OSER). */
static int
spill_merge_runs(struct bf_spill *sp, struct mcur *c, const uint32_t *rank)
{
	struct mcur **h;
	struct bf_rec *batch;
	uint32_t *sbatch;
	size_t n = 0, i, k = 0, out = 0;
	int rc = 0;

	h = bf_xcalloc(sp->nrun + 1, sizeof(*h));
	for (i = 0; i < sp->nrun; i++)
		if (c[i].left > 0)
			h[n++] = &c[i];
	for (i = n / 2; i-- > 0;)
		heap_down(h, n, i);
	batch = bf_xcalloc(SPILL_BATCH, sizeof(*batch));
	sbatch = bf_xcalloc(SPILL_BATCH, sizeof(*sbatch));
	while (n > 0 && rc == 0) {
		struct mcur *t = h[0];

		batch[k] = *t->r;
		sbatch[k] = *t->ser;
		if (t->m != NULL) {
			batch[k].key = t->m->kid[t->r->key];
			sbatch[k] = t->m->sid[*t->ser];
			rec_move(&batch[k], 0, t->m->base, 0);
		}
		if (--t->left == 0) {
			h[0] = h[--n];
		} else {
			t->r++;
			t->ser++;
			mcur_load(t, rank);
		}
		heap_down(h, n, 0);
		if (++k == SPILL_BATCH || n == 0) {
			rc = spill_write(sp, SF_OREC, batch, k *
			    sizeof(*batch), out * sizeof(*batch)) < 0 ||
			    spill_write(sp, SF_OSER, sbatch, k *
			    sizeof(*sbatch), out * sizeof(*sbatch)) < 0 ?
			    -1 : 0;
			out += k;
			k = 0;
		}
	}
	free(batch);
	free(sbatch);
	free(h);
	return rc;
}

/* Writes rs's last records as a run, merges the runs and serves the
 * sorted files as rs's records. -1 with e set (BF_EXIT_IO). */
static int
spill_finish(struct bf_recs *rs, struct bf_err *e)
{
	struct bf_spill *sp = rs->spill;
	const struct bf_rec *rec;
	const uint32_t *ser;
	struct mcur *c = NULL;
	uint32_t *rank = NULL;
	size_t i;
	int in = SF_OREC;

	recs_spill(rs);
	qsort(sp->run, sp->nrun, sizeof(*sp->run), run_cmp);
	rec = spill_map(sp, SF_REC, sp->nrec * sizeof(*rec));
	ser = spill_map(sp, SF_SER, sp->nrec * sizeof(*ser));
	if (!sp->failed) {
		rank = key_ranks(rs);
		c = bf_xcalloc(sp->nrun + 1, sizeof(*c));
		for (i = 0; i < sp->nrun; i++) {
			c[i].r = rec + sp->run[i].at;
			c[i].ser = ser + sp->run[i].at;
			c[i].left = sp->run[i].n;
			c[i].m = sp->run[i].mapid ?
			    &sp->map[sp->run[i].mapid - 1] : NULL;
			c[i].idx = (uint32_t)i;
			mcur_load(&c[i], rank);
		}
		/* c[i] stands at run i's first record: each run's last must
		 * not pass the next one's first. */
		if (runs_in_order(sp, c)) {
			for (i = 1; i < sp->nrun; i++) {
				struct mcur t = c[i - 1];

				t.r += t.left - 1;
				mcur_load(&t, rank);
				if (mcur_less(&c[i], &t))
					break;
			}
			if (i == sp->nrun)
				in = SF_REC;
		}
		if (in == SF_OREC)
			spill_merge_runs(sp, c, rank);
		sp->merged = in == SF_OREC;
	}
	free(c);
	free(rank);
	if (in == SF_OREC) {
		/* the runs are merged: give their disk back */
		spill_unmap(sp, SF_REC);
		spill_unmap(sp, SF_SER);
		(void)ftruncate(sp->fd[SF_REC], 0);
		(void)ftruncate(sp->fd[SF_SER], 0);
		rec = spill_map(sp, SF_OREC, sp->nrec * sizeof(*rec));
		ser = spill_map(sp, SF_OSER, sp->nrec * sizeof(*ser));
	}
	rs->sstr = spill_map(sp, SF_STR, sp->slen);
	if (sp->failed) {
		*e = sp->err;
		return -1;
	}
	free(rs->r);
	free(rs->ser);
	free(rs->ord);
	rs->ord = NULL;
	rs->r = (struct bf_rec *)rec;
	rs->ser = (uint32_t *)ser;
	rs->n = rs->cap = sp->nrec;
	return 0;
}

/* Unmaps and closes the files (rs's records with them) and frees sp. */
static void
spill_free(struct bf_recs *rs)
{
	struct bf_spill *sp = rs->spill;
	uint32_t i;
	int k;

	for (k = 0; k < SF_N; k++) {
		if (sp->m[k] != NULL && (sp->m[k] == (void *)rs->r ||
		    sp->m[k] == (void *)rs->ser)) {
			rs->r = NULL;
			rs->ser = NULL;
		}
		spill_unmap(sp, k);
		if (sp->fd[k] >= 0)
			close(sp->fd[k]);
	}
	for (i = 0; i < sp->nmap; i++) {
		free(sp->map[i].kid);
		free(sp->map[i].sid);
	}
	free(sp->map);
	free(sp->run);
	pthread_mutex_destroy(&sp->mu);
	free(sp);
	rs->spill = NULL;
	rs->sstr = NULL;
}

/* An NDJSON record: the window's fields, then the record's own. */
static void
emit_body(struct bf_job *job, const char *body, int64_t resolution)
{
	struct bf_buf *b = &job->out;

	bf_job_prefix(job);
	bf_buf_add(b, job->prefix.s, job->prefix.len);
	if (*body != '\0') {
		bf_buf_putc(b, ',');
		bf_buf_puts(b, body);
	}
	if (resolution > 0)
		bf_buf_printf(b, ",\"resolution\":%lld", (long long)resolution);
	bf_buf_puts(b, "}\n");
	job->fetched++;
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

/* A record parsed with borrow: its runs of the line, the time, the rest.
 * Written straight into the buffer, its length known beforehand (this is
 * bf-fetch's inner loop for the file source). */
static void
emit_runs(struct bf_job *job, const struct bf_rec *r,
    const struct tsmember *ts, const char *rest, int64_t resolution)
{
	struct bf_buf *b = &job->out;
	size_t restn = strlen(rest);
	char *p;
	int k, first = 1;

	bf_job_prefix(job);
	bf_buf_grow(b, job->prefix.len + 1 + r->b.run[1] + r->b.run[3] +
	    r->b.run[5] + 3 + ts->n + restn);
	p = b->s + b->len;
	memcpy(p, job->prefix.s, job->prefix.len);
	p += job->prefix.len;
	*p++ = ',';
	for (k = 0; k < 3; k++) {
		if (r->b.run[2 * k + 1] == 0)
			continue;
		if (!first)
			*p++ = ',';
		first = 0;
		memcpy(p, r->b.line + r->b.run[2 * k], r->b.run[2 * k + 1]);
		p += r->b.run[2 * k + 1];
	}
	if (!first)
		*p++ = ',';
	memcpy(p, ts->s, ts->n);
	p += ts->n;
	memcpy(p, rest, restn);
	p += restn;
	*p = '\0';
	b->len = (size_t)(p - b->s);
	if (resolution > 0)
		bf_buf_printf(b, ",\"resolution\":%lld", (long long)resolution);
	bf_buf_add(b, "}\n", 2);
	job->fetched++;
}

/* The resolution of CloudWatch record r in job: the period its export
 * showed (cw_series_period), else the retention tier. */
static int64_t
cw_res(const struct bf_source *s, const struct bf_recs *rs,
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

	if (r->kind == BF_REC_BORROWED) {
		ts_member(tsm, r->ts);
		emit_runs(job, r, tsm, bf_recs_str(rs, r->b.body),
		    r->addres ? resolution : 0);
		return;
	}
	if (r->kind == BF_REC_BODY) {
		emit_body(job, bf_recs_str(rs, r->b.body),
		    r->addres ? resolution : 0);
		return;
	}
	inst = bf_recs_str(rs, r->f.instance);
	metric = bf_recs_str(rs, r->f.metric);
	val = bf_recs_str(rs, r->f.value);
	src = bf_recs_str(rs, r->f.source);
	bf_job_sample(job, inst, strlen(inst), metric, strlen(metric),
	    bf_recs_str(rs, r->f.unit), r->ts, val, strlen(val), r->valkind,
	    src != NULL ? src : s->ops->name,
	    r->cwres ? cw_res(s, rs, r, job) : resolution);
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
		if (r->cwres && (res = cw_res(s, rs, r, job)) > cw)
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
static int
read_fd(int fd, const char *path, size_t max, struct bf_buf *out,
    struct bf_err *e)
{
	char tmp[65536];
	ssize_t r;

	for (;;) {
		r = read(fd, tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			bf_err_set(e, BF_EXIT_IO, "cannot read '%s': %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		if (max > 0 && out->len + (size_t)r > max) {
			close(fd);
			return bf_err_set(e, BF_EXIT_IO, "'%s' is larger than "
			    "%zu bytes", path, max);
		}
		bf_buf_add(out, tmp, (size_t)r);
	}
	close(fd);
	return 0;
}

int
bf_read_file(const char *path, size_t max, struct bf_buf *out,
    struct bf_err *e)
{
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bf_err_set(e, BF_EXIT_IO, "cannot open '%s': %s", path,
		    strerror(errno));
	return read_fd(fd, path, max, out, e);
}

/*
 * Parsing.
 */

struct pctx {
	struct bf_source *s;
	const struct bf_recopts *ro;
	const char *name;
	struct bf_recs *rs;
	struct bf_err *e;
	struct bf_buf t1, t2, t3, t4, t5; /* scratch */
	struct member *mem; /* parse_ndjson's members of a line */
	int memcap;
	long lines;         /* parse_ndjson: the lines it read */
	char last[40];      /* parse_ndjson: the last good "ts" string */
	size_t lastn;       /* (its length, 0: none) */
	bf_time lastts;     /* (its time) */
	long errline;       /* parse_ndjson: its error, at this line */
	char errtail[256];  /* (the message after "name:line: ") */
};

static void
pctx_free(struct pctx *c)
{
	bf_buf_free(&c->t1);
	bf_buf_free(&c->t2);
	bf_buf_free(&c->t3);
	bf_buf_free(&c->t4);
	bf_buf_free(&c->t5);
	free(c->mem);
}

/* Maps the record's metric through the metrics map, setting its metric
 * and unit (both stay as given when there is no map). Returns 0, or 1 to
 * skip the record (a metric the map does not name). */
static int
map_metric(struct pctx *c, struct rec_in *ri)
{
	const struct bf_metric *m;

	if (c->s->metrics == NULL)
		return 0;
	m = bf_metrics_by_query(c->s->metrics, ri->metric, ri->metricn);
	if (m == NULL)
		return 1;
	ri->metric = m->metric;
	ri->metricn = strlen(m->metric);
	ri->unit = m->unit;
	ri->unitn = strlen(m->unit);
	return 0;
}

/* Fills in the instance from the options when the record names none.
 * Returns 0, or -1 when there is none to be had. */
static int
need_instance(struct pctx *c, struct rec_in *ri)
{
	if (ri->instance != NULL)
		return 0;
	if (c->ro->instance == NULL)
		return -1;
	ri->instance = c->ro->instance;
	ri->instancen = strlen(c->ro->instance);
	return 0;
}

/* Tells ro->span of the record ri just added, or with ri NULL of a CSV
 * header row: its key as add_rec routes it, and its bytes [p, q). */
static void
rec_span(struct pctx *c, const struct rec_in *ri, const char *p,
    const char *q)
{
	const char *k = ri == NULL ? NULL : ri->key != NULL ? ri->key :
	    ri->instance != NULL ? ri->instance : "";
	size_t kn = ri == NULL ? 0 : ri->key != NULL ? ri->keyn :
	    ri->instance != NULL ? ri->instancen : 0;

	if (c->ro->span != NULL)
		c->ro->span(c->ro->span_arg, k, k != NULL ? strnlen(k, kn) :
		    0, p, p != NULL ? (size_t)(q - p) : 0);
}

static int
tok_time(const struct bf_json *j, int t, struct bf_buf *scratch, bf_time *ts)
{
	const char *p;
	size_t n;

	if (j->tok[t].type == BF_JSON_NUMBER) {
		p = bf_json_raw(j, t, &n);
		return bf_time_from_number(p, n, ts, NULL);
	}
	if (j->tok[t].type != BF_JSON_STRING)
		return -1;
	bf_buf_reset(scratch);
	bf_json_str(j, t, scratch);
	return bf_time_parse_any(bf_buf_str(scratch), scratch->len, ts, NULL);
}

/* The unescaped string of t into b (reset first); -1 if not a string. */
static int
tok_str(const struct bf_json *j, int t, struct bf_buf *b)
{
	bf_buf_reset(b);
	if (t < 0 || j->tok[t].type != BF_JSON_STRING)
		return -1;
	bf_json_str(j, t, b);
	bf_buf_grow(b, 0);
	return 0;
}

/* The members of a sample line that parse_ndjson looks at, each key
 * classified once (after unescaping) in one pass over the root object. */
enum {
	K_OTHER, K_TYPE, K_PARTITION, K_WSTART, K_WEND, K_TS, K_METRIC,
	K_UNIT, K_INSTANCE, K_SOURCE, K_RESOLUTION, K_LOOKBACK, K_N
};
/* The members dropped from the record (it gets them from its window, or
 * rewritten; "lookback" is bf-fetch's to say), without and with a metrics
 * map. */
#define DROP_PLAIN (1u << K_TYPE | 1u << K_PARTITION | 1u << K_WSTART | \
	1u << K_WEND | 1u << K_TS | 1u << K_LOOKBACK)
#define DROP_MAPPED (DROP_PLAIN | 1u << K_METRIC | 1u << K_UNIT)

static int
key_class(const char *s, size_t n)
{
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(s, lit, n) == 0)
	switch (n) {
	case 2:
		return IS("ts") ? K_TS : K_OTHER;
	case 4:
		return IS("type") ? K_TYPE : IS("unit") ? K_UNIT : K_OTHER;
	case 6:
		return IS("metric") ? K_METRIC : IS("source") ? K_SOURCE :
		    K_OTHER;
	case 8:
		return IS("lookback") ? K_LOOKBACK : K_OTHER;
	case 9:
		return IS("partition") ? K_PARTITION : K_OTHER;
	case 10:
		return IS("window_end") ? K_WEND : IS("resolution") ?
		    K_RESOLUTION : K_OTHER;
	case 11:
		return IS("instance_id") ? K_INSTANCE : K_OTHER;
	case 12:
		return IS("window_start") ? K_WSTART : K_OTHER;
	}
	return K_OTHER;
#undef IS
}

/* The unescaped text of string token t: the bytes in the line when it has
 * no escapes, else a copy in scratch. */
static const char *
tok_unescape(const struct bf_json *j, int t, struct bf_buf *scratch,
    size_t *n)
{
	bf_buf_reset(scratch);
	bf_json_str(j, t, scratch);
	*n = scratch->len;
	return bf_buf_str(scratch);
}

static inline const char *
tok_text(const struct bf_json *j, int t, struct bf_buf *scratch, size_t *n)
{
	const struct bf_jtok *k = &j->tok[t];

	if (k->esc)
		return tok_unescape(j, t, scratch, n);
	*n = (size_t)(k->end - k->start - 2);
	return j->s + k->start + 1;
}

/* A member of the root object: its class and text [st, en). */
struct member {
	int cls, st, en;
};

/* One pass over j's root members: mem[] gets each member's class and
 * text, at[k] the value token of the member of class k (-1: none; keys
 * are unique). Returns the number of members. */
static int
scan_members(struct pctx *c, const struct bf_json *j, int at[K_N])
{
	const char *ks;
	size_t kn;
	int i, m, v, type, size = j->tok[0].size, k;

	for (k = 0; k < K_N; k++)
		at[k] = -1;
	if (size > c->memcap) {
		c->memcap = size;
		c->mem = bf_xrealloc(c->mem, (size_t)size * sizeof(*c->mem));
	}
	for (i = 1, m = 0; m < size; m++) {
		v = i + 1;
		ks = tok_text(j, i, &c->t3, &kn);
		k = key_class(ks, kn);
		if (k != K_OTHER)
			at[k] = v;
		c->mem[m].cls = k;
		c->mem[m].st = j->tok[i].start;
		c->mem[m].en = j->tok[v].end;
		type = j->tok[v].type;
		i = type == BF_JSON_OBJECT || type == BF_JSON_ARRAY ?
		    bf_json_skip(j, v) : v + 1;
	}
	return size;
}

/* The members of the line s that bf_json_rewrite would keep without the
 * classes in drop, as at most 3 runs of its text (members only a ','
 * apart share a run) into ri->run. Returns 0, or -1 when they need more
 * runs (the record is then copied). */
static int
find_runs(const struct pctx *c, const char *s, int nmem, unsigned drop,
    struct rec_in *ri)
{
	int m, nrun = 0, st, en, prev = -1;

	memset(ri->run, 0, sizeof(ri->run));
	for (m = 0; m < nmem; m++) {
		if (drop & 1u << c->mem[m].cls)
			continue;
		st = c->mem[m].st;
		en = c->mem[m].en;
		if (nrun > 0 && st == prev + 1 && s[prev] == ',') {
			ri->run[2 * nrun - 1] = (uint32_t)(en -
			    (int)ri->run[2 * nrun - 2]);
		} else {
			if (nrun == 3)
				return -1;
			ri->run[2 * nrun] = (uint32_t)st;
			ri->run[2 * nrun + 1] = (uint32_t)(en - st);
			nrun++;
		}
		prev = en;
	}
	return 0;
}

/* parse_ndjson's errors are kept as a line and the rest of the message,
 * so that a part of a file parsed on its own can name its line in the
 * whole file once the parts before it are counted (parse_parts). */
static void
ndjson_err(struct pctx *c, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
ndjson_err(struct pctx *c, long line, const char *fmt, ...)
{
	va_list ap;

	c->errline = line;
	va_start(ap, fmt);
	vsnprintf(c->errtail, sizeof(c->errtail), fmt, ap);
	va_end(ap);
}

/* Sets c->e to parse_ndjson's error, its line counted from after line0. */
static int
ndjson_report(struct pctx *c, long line0)
{
	return bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: %s", c->name,
	    line0 + c->errline, c->errtail);
}

/* NDJSON: each sample keeps its own members (so a record with a missing or
 * strange value, unit or metric reaches bf-validate as it is, and fields
 * this program does not know pass on); only what routes it must be good:
 * its time and its instance (or partition). The time is rewritten in
 * RFC 3339 UTC; the metrics map renames the metric and sets the unit. */
static int
parse_ndjson(struct pctx *c, const char *data, size_t n)
{
	static const char *const drop_plain[] = { "type", "partition",
		"window_start", "window_end", "ts", "lookback", NULL };
	static const char *const drop_mapped[] = { "type", "partition",
		"window_start", "window_end", "ts", "lookback", "metric",
		"unit", NULL };
	struct bf_json j = BF_JSON_INIT;
	struct bf_buf extra = BF_BUF_INIT, body = BF_BUF_INIT;
	const char *p = data, *end = data + n, *nl, *ts, *lp;
	char tsbuf[BF_TIME_LEN];
	long line = 0;
	int rc, t, mapped, nmem, at[K_N];
	size_t errpos, tsn;

	for (; p < end; p = nl + 1) {
		struct rec_in ri;
		size_t len;

		line++;
		lp = p;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		while (len > 0 && (*p == ' ' || *p == '\t'))
			p++, len--;
		if (len == 0)
			continue;
		rc = bf_json_parse(&j, p, len, BF_JSON_WANT_OBJECT, &errpos);
		if (rc != BF_JSON_OK) {
			ndjson_err(c, line, "%s at byte %zu",
			    bf_json_strerror(rc), errpos + 1);
			goto fail;
		}
		nmem = scan_members(c, &j, at);
		if ((t = at[K_TYPE]) >= 0 && !bf_json_streq(&j, t, "sample"))
			continue;
		memset(&ri, 0, sizeof(ri));
		t = at[K_TS];
		if (t >= 0 && j.tok[t].type == BF_JSON_STRING) {
			/* Lines in a row mostly share their time. */
			ts = tok_text(&j, t, &c->t1, &tsn);
			if (c->lastn > 0 && tsn == c->lastn &&
			    memcmp(ts, c->last, tsn) == 0) {
				ri.ts = c->lastts;
				rc = 0;
			} else if ((rc = bf_time_parse_any(ts, tsn, &ri.ts,
			    NULL)) == 0 && tsn < sizeof(c->last)) {
				memcpy(c->last, ts, tsn);
				c->lastn = tsn;
				c->lastts = ri.ts;
			}
		} else if (t >= 0 && j.tok[t].type == BF_JSON_NUMBER) {
			ts = bf_json_raw(&j, t, &tsn);
			rc = bf_time_from_number(ts, tsn, &ri.ts, NULL);
		} else {
			rc = -1;
		}
		if (rc < 0) {
			ndjson_err(c, line, "%s 'ts'", t < 0 ? "missing" :
			    "bad");
			goto fail;
		}
		/* What the record gets after its own members (the "ts"
		 * member comes first, added below or when emitted). */
		bf_buf_reset(&extra);
		mapped = 0;
		if (c->s->metrics != NULL && (t = at[K_METRIC]) >= 0 &&
		    j.tok[t].type == BF_JSON_STRING) {
			ri.metric = tok_text(&j, t, &c->t2, &ri.metricn);
			if (map_metric(c, &ri))
				continue;
			mapped = 1;
			bf_json_put_kv_str(&extra, "metric", ri.metric);
			bf_json_put_kv_str(&extra, "unit", ri.unit);
		}
		if (!mapped && (t = at[K_METRIC]) >= 0 &&
		    j.tok[t].type == BF_JSON_STRING)
			ri.smetric = tok_text(&j, t, &c->t2, &ri.smetricn);
		if ((t = at[K_INSTANCE]) >= 0 &&
		    j.tok[t].type == BF_JSON_STRING) {
			ri.instance = tok_text(&j, t, &c->t4, &ri.instancen);
		} else if (c->ro->instance != NULL) {
			bf_json_put_kv_str(&extra, "instance_id", c->ro->instance);
			ri.instance = c->ro->instance;
			ri.instancen = strlen(ri.instance);
		}
		if ((t = at[K_PARTITION]) >= 0 &&
		    j.tok[t].type == BF_JSON_STRING)
			ri.key = tok_text(&j, t, &c->t5, &ri.keyn);
		if (c->ro->key != NULL) {
			ri.key = c->ro->key;
			ri.keyn = strlen(ri.key);
		}
		if (ri.instance == NULL && ri.key == NULL) {
			ndjson_err(c, line, "record names no 'instance_id' "
			    "(use --instance)");
			goto fail;
		}
		if (at[K_SOURCE] < 0)
			bf_json_put_kv_str(&extra, "source", c->s->ops->name);
		ri.addres = at[K_RESOLUTION] < 0;
		if (c->ro->borrow && find_runs(c, p, nmem, mapped ?
		    DROP_MAPPED : DROP_PLAIN, &ri) == 0) {
			ri.line = p;
			ri.body = bf_buf_str(&extra);
			ri.bodyn = extra.len;
			add_rec(c->rs, &ri);
			rec_span(c, &ri, lp, nl + (nl < end));
			continue;
		}
		bf_buf_reset(&body);
		bf_time_format(ri.ts, tsbuf);
		bf_buf_puts(&body, "\"ts\":\"");
		bf_buf_puts(&body, tsbuf);
		bf_buf_putc(&body, '"');
		bf_buf_add(&body, extra.s, extra.len);
		bf_buf_reset(&extra);
		bf_json_rewrite(&j, &extra, mapped ? drop_mapped : drop_plain,
		    body.s);
		/* without the braces */
		ri.body = extra.s + 1;
		ri.bodyn = extra.len - 2;
		add_rec(c->rs, &ri);
		rec_span(c, &ri, lp, nl + (nl < end));
	}
	c->lines = line;
	bf_json_free(&j);
	bf_buf_free(&extra);
	bf_buf_free(&body);
	return 0;
fail:
	bf_json_free(&j);
	bf_buf_free(&extra);
	bf_buf_free(&body);
	return -1;
}

/* A "Period" member of object o (a whole positive number of seconds, as
 * in a MetricDataQuery or the options of get-metric-statistics), or 0. */
static int64_t
cw_stated_period(const struct bf_json *j, int o)
{
	const char *raw;
	char buf[24], *end;
	size_t n;
	long long v;
	int t;

	t = o >= 0 ? bf_json_get(j, o, "Period") : -1;
	if (t < 0 || j->tok[t].type != BF_JSON_NUMBER)
		return 0;
	raw = bf_json_raw(j, t, &n);
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, raw, n);
	buf[n] = '\0';
	v = strtoll(buf, &end, 10);
	return *end == '\0' && v > 0 ? (int64_t)v : 0;
}

/* get-metric-data: {"MetricDataResults":[{"Id","Label","Timestamps",
 * "Values","StatusCode"}...],"NextToken":...,"Messages":[...]} */
static int
parse_cw_data(struct pctx *c, const struct bf_json *j, char **next)
{
	int res, r, ts, vs, t, v, k, i, nt, partial = 0;
	size_t n0;
	int64_t per;

	res = bf_json_get(j, 0, "MetricDataResults");
	if (res < 0 || j->tok[res].type != BF_JSON_ARRAY)
		return bf_err_set(c->e, BF_EXIT_FAILED, "%s: no "
		    "'MetricDataResults' array", c->name);
	nt = bf_json_get(j, 0, "NextToken");
	if (nt >= 0 && j->tok[nt].type == BF_JSON_STRING && next != NULL) {
		bf_buf_reset(&c->t5);
		bf_json_str(j, nt, &c->t5);
		if (c->t5.len > 0)
			*next = bf_xstrndup(c->t5.s, c->t5.len);
	}
	for (r = res + 1, k = 0; k < j->tok[res].size;
	    k++, r = bf_json_skip(j, r)) {
		struct rec_in ri;
		int sc;

		memset(&ri, 0, sizeof(ri));
		if (j->tok[r].type != BF_JSON_OBJECT)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "MetricDataResults[%d] is not an object",
			    c->name, k);
		if (tok_str(j, bf_json_get(j, r, "Id"), &c->t1) < 0)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "MetricDataResults[%d] has no 'Id'", c->name, k);
		sc = bf_json_get(j, r, "StatusCode");
		if (sc >= 0 && !bf_json_streq(j, sc, "Complete")) {
			if (bf_json_streq(j, sc, "PartialData")) {
				partial = 1;
			} else {
				bf_buf_reset(&c->t2);
				bf_json_str(j, sc, &c->t2);
				return bf_err_set(c->e,
				    bf_json_streq(j, sc, "InternalError") ?
				    BF_EXIT_UNAVAILABLE : BF_EXIT_FAILED,
				    "%s: MetricDataResults[%d] ('%s') has "
				    "StatusCode '%s'", c->name, k, c->t1.s,
				    bf_buf_str(&c->t2));
			}
		}
		ri.metric = c->t1.s;
		ri.metricn = c->t1.len;
		if (map_metric(c, &ri))
			continue;
		if (ri.unit == NULL)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: no unit "
			    "for metric '%s': get-metric-data output has "
			    "none, give a metrics map", c->name, c->t1.s);
		if (c->ro->instance == NULL && c->ro->use_label &&
		    tok_str(j, bf_json_get(j, r, "Label"), &c->t3) == 0 &&
		    c->t3.len > 0) {
			ri.instance = c->t3.s;
			ri.instancen = c->t3.len;
		}
		if (need_instance(c, &ri) < 0)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "MetricDataResults[%d] ('%s') names no instance "
			    "(set its Label, or use --instance)", c->name, k,
			    c->t1.s);
		if (c->ro->key != NULL) {
			ri.key = c->ro->key;
			ri.keyn = strlen(ri.key);
		}
		ri.cwres = 1;
		ri.source = "cloudwatch";
		ri.sourcen = 10;
		ri.valkind = BF_VAL_RAW;
		ts = bf_json_get(j, r, "Timestamps");
		vs = bf_json_get(j, r, "Values");
		if (ts < 0 || vs < 0 || j->tok[ts].type != BF_JSON_ARRAY ||
		    j->tok[vs].type != BF_JSON_ARRAY)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "MetricDataResults[%d] lacks Timestamps or Values "
			    "arrays", c->name, k);
		if (j->tok[ts].size != j->tok[vs].size)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "MetricDataResults[%d]: %d Timestamps but %d "
			    "Values", c->name, k, j->tok[ts].size,
			    j->tok[vs].size);
		n0 = c->rs->n;
		for (i = 0, t = ts + 1, v = vs + 1; i < j->tok[ts].size;
		    i++, t = bf_json_skip(j, t), v = bf_json_skip(j, v)) {
			if (tok_time(j, t, &c->t4, &ri.ts) < 0)
				return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
				    "MetricDataResults[%d].Timestamps[%d]: "
				    "bad time", c->name, k, i);
			if (j->tok[v].type != BF_JSON_NUMBER &&
			    j->tok[v].type != BF_JSON_STRING)
				return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
				    "MetricDataResults[%d].Values[%d]: not a "
				    "number", c->name, k, i);
			ri.value = bf_json_raw(j, v, &ri.valuen);
			add_rec(c->rs, &ri);
		}
		per = cw_stated_period(j, r);
		if (per <= 0)
			per = cw_stated_period(j, 0);
		if (per > 0)
			cw_series_period(c->rs, n0, per);
	}
	if (partial && (next == NULL || *next == NULL))
		return bf_err_set(c->e, BF_EXIT_FAILED, "%s: StatusCode "
		    "PartialData but no NextToken", c->name);
	return 0;
}

static const char *const cw_stats[] = { "Average", "Sum", "Minimum",
	"Maximum", "SampleCount", NULL };

/* get-metric-statistics: {"Label":"CPUUtilization","Datapoints":[{
 * "Timestamp":..., "Average":..., "Unit":"Percent"}...]} */
static int
parse_cw_stats(struct pctx *c, const struct bf_json *j)
{
	int dps, d, k, t, v, u, i, found;
	const char *stat = c->s->o->statistic;
	size_t n0 = c->rs->n;

	dps = bf_json_get(j, 0, "Datapoints");
	if (dps < 0 || j->tok[dps].type != BF_JSON_ARRAY)
		return bf_err_set(c->e, BF_EXIT_FAILED, "%s: no 'Datapoints' "
		    "array", c->name);
	if (tok_str(j, bf_json_get(j, 0, "Label"), &c->t1) < 0)
		return bf_err_set(c->e, BF_EXIT_FAILED, "%s: no 'Label'",
		    c->name);
	for (d = dps + 1, k = 0; k < j->tok[dps].size;
	    k++, d = bf_json_skip(j, d)) {
		struct rec_in ri;

		memset(&ri, 0, sizeof(ri));
		if (j->tok[d].type != BF_JSON_OBJECT)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "Datapoints[%d] is not an object", c->name, k);
		ri.metric = c->t1.s;
		ri.metricn = c->t1.len;
		if (tok_str(j, bf_json_get(j, d, "Unit"), &c->t2) == 0) {
			ri.unit = c->t2.s;
			ri.unitn = c->t2.len;
		}
		if (map_metric(c, &ri))
			return 0; /* the whole file is one metric */
		if (ri.unit == NULL)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "Datapoints[%d] has no 'Unit'", c->name, k);
		if (need_instance(c, &ri) < 0)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "get-metric-statistics output names no instance "
			    "(use --instance)", c->name);
		if (c->ro->key != NULL) {
			ri.key = c->ro->key;
			ri.keyn = strlen(ri.key);
		}
		t = bf_json_get(j, d, "Timestamp");
		if (t < 0 || tok_time(j, t, &c->t3, &ri.ts) < 0)
			return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
			    "Datapoints[%d]: missing or bad 'Timestamp'",
			    c->name, k);
		v = -1;
		if (stat != NULL) {
			v = bf_json_get(j, d, stat);
			if (v < 0 && (u = bf_json_get(j, d,
			    "ExtendedStatistics")) >= 0)
				v = bf_json_get(j, u, stat);
			if (v < 0)
				return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
				    "Datapoints[%d] has no statistic '%s'",
				    c->name, k, stat);
		} else {
			for (i = 0, found = 0; cw_stats[i] != NULL; i++)
				if ((u = bf_json_get(j, d, cw_stats[i])) >= 0) {
					v = u;
					found++;
				}
			if (found != 1)
				return bf_err_set(c->e, BF_EXIT_FAILED, "%s: "
				    "Datapoints[%d] has %s statistic (choose "
				    "one with --statistic)", c->name, k,
				    found ? "more than one" : "no");
		}
		ri.value = bf_json_raw(j, v, &ri.valuen);
		ri.valkind = BF_VAL_RAW;
		ri.cwres = 1;
		ri.source = "cloudwatch";
		ri.sourcen = 10;
		add_rec(c->rs, &ri);
	}
	if (cw_stated_period(j, 0) > 0)
		cw_series_period(c->rs, n0, cw_stated_period(j, 0));
	return 0;
}

/* CSV: a header row names the columns; the column options say which is
 * which. Fed one line at a time so errors can name the line. */
struct csvctx {
	struct pctx *c;
	int col[5];            /* ts, value, metric, instance, unit; -1 */
	int ncols;
	int header;            /* still reading the header */
	char **hdr;            /* header names */
	int nhdr;
	struct bf_buf f[5];    /* this row's mapped fields */
	int has[5];
	int field;             /* index of the next field in the row */
	long line, rowline;
	long nls;              /* newlines inside this row's fields */
	int failed;
	const char *rowp, *rowend; /* the row's bytes (rowp NULL: unknown) */
};

enum { C_TS, C_VALUE, C_METRIC, C_INSTANCE, C_UNIT };

/* s cut to n - 1 bytes with control characters shown as '?', for
 * messages. */
static const char *
printable(const char *s, char *out, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n && s[i] != '\0'; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	out[i] = '\0';
	return out;
}

static void
csv_field(void *s, size_t n, void *data)
{
	struct csvctx *x = data;
	int k;

	for (k = 0; s != NULL && (size_t)k < n; k++)
		if (((char *)s)[k] == '\n')
			x->nls++;
	if (x->header) {
		x->hdr = bf_xrealloc(x->hdr, (size_t)(x->nhdr + 1) *
		    sizeof(*x->hdr));
		x->hdr[x->nhdr++] = bf_xstrndup(s ? s : "", n);
	} else {
		for (k = 0; k < 5; k++)
			if (x->col[k] == x->field) {
				bf_buf_reset(&x->f[k]);
				bf_buf_add(&x->f[k], s ? s : "", n);
				x->has[k] = 1;
			}
	}
	x->field++;
}

static void
csv_row(int term, void *data)
{
	struct csvctx *x = data;
	struct pctx *c = x->c;
	const struct bf_fetch_opts *o = c->s->o;
	const char *names[5];
	struct rec_in ri;
	int k, i, nf = x->field;
	char shown[65];
	const char *rp = x->rowp;

	x->rowp = NULL;
	x->rowline = x->line - x->nls;
	x->field = 0;
	x->nls = 0;
	if (x->failed)
		return;
	if (x->header) {
		names[C_TS] = o->col_ts;
		names[C_VALUE] = o->col_value;
		names[C_METRIC] = o->col_metric;
		names[C_INSTANCE] = o->col_instance;
		names[C_UNIT] = o->col_unit;
		for (k = 0; k < 5; k++) {
			x->col[k] = -1;
			for (i = 0; i < x->nhdr; i++)
				if (strcmp(x->hdr[i], names[k]) == 0)
					x->col[k] = i;
			if (x->col[k] < 0 && k <= C_METRIC) {
				bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: no "
				    "column '%s' in the header", c->name,
				    x->rowline, names[k]);
				x->failed = 1;
				return;
			}
		}
		x->ncols = x->nhdr;
		x->header = 0;
		rec_span(c, NULL, rp, x->rowend);
		return;
	}
	if (nf != x->ncols) {
		bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: %d fields, expected "
		    "%d", c->name, x->rowline, nf, x->ncols);
		x->failed = 1;
		return;
	}
	memset(&ri, 0, sizeof(ri));
	if (bf_time_parse_any(bf_buf_str(&x->f[C_TS]), x->f[C_TS].len, &ri.ts,
	    NULL) < 0) {
		bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: bad time '%s'",
		    c->name, x->rowline, printable(bf_buf_str(&x->f[C_TS]),
		    shown, sizeof(shown)));
		x->failed = 1;
		return;
	}
	ri.value = bf_buf_str(&x->f[C_VALUE]);
	ri.valuen = x->f[C_VALUE].len;
	ri.valkind = BF_VAL_TEXT;
	ri.metric = bf_buf_str(&x->f[C_METRIC]);
	ri.metricn = x->f[C_METRIC].len;
	if (x->col[C_UNIT] >= 0) {
		ri.unit = bf_buf_str(&x->f[C_UNIT]);
		ri.unitn = x->f[C_UNIT].len;
	}
	if (x->col[C_INSTANCE] >= 0 && x->f[C_INSTANCE].len > 0) {
		ri.instance = bf_buf_str(&x->f[C_INSTANCE]);
		ri.instancen = x->f[C_INSTANCE].len;
	}
	if (map_metric(c, &ri))
		return;
	if (ri.unit == NULL) {
		bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: no unit for metric "
		    "'%s' (add a '%s' column or a metrics map)", c->name,
		    x->rowline, printable(ri.metric, shown, sizeof(shown)),
		    o->col_unit);
		x->failed = 1;
		return;
	}
	if (need_instance(c, &ri) < 0) {
		bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: row names no "
		    "instance (add a '%s' column or use --instance)", c->name,
		    x->rowline, o->col_instance);
		x->failed = 1;
		return;
	}
	if (c->ro->key != NULL) {
		ri.key = c->ro->key;
		ri.keyn = strlen(ri.key);
	}
	add_rec(c->rs, &ri);
	rec_span(c, &ri, rp, x->rowend);
	(void)term;
}

static int
parse_csv(struct pctx *c, const char *data, size_t n)
{
	struct csv_parser p;
	struct csvctx x;
	const char *q = data, *end = data + n, *nl;
	int k, rc = 0;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.header = 1;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return bf_err_set(c->e, BF_EXIT_FAILED, "out of memory");
	while (q < end && !x.failed) {
		size_t len;

		nl = memchr(q, '\n', (size_t)(end - q));
		len = nl != NULL ? (size_t)(nl - q) + 1 : (size_t)(end - q);
		x.line++;
		if (x.rowp == NULL)
			x.rowp = q;
		x.rowend = q + len;
		if (csv_parse(&p, q, len, csv_field, csv_row, &x) != len) {
			bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: %s", c->name,
			    x.line, csv_strerror(csv_error(&p)));
			x.failed = 1;
		}
		q += len;
	}
	if (!x.failed && csv_fini(&p, csv_field, csv_row, &x) != 0) {
		bf_err_set(c->e, BF_EXIT_FAILED, "%s:%ld: %s", c->name, x.line,
		    csv_strerror(csv_error(&p)));
		x.failed = 1;
	}
	if (!x.failed && x.header)
		bf_err_set(c->e, BF_EXIT_FAILED, "%s: no header row", c->name),
		    x.failed = 1;
	csv_free(&p);
	for (k = 0; k < x.nhdr; k++)
		free(x.hdr[k]);
	free(x.hdr);
	for (k = 0; k < 5; k++)
		bf_buf_free(&x.f[k]);
	if (x.failed)
		rc = -1;
	return rc;
}

/* The format of data[0..n): CSV unless it starts with '{', then a
 * CloudWatch export when it is one JSON object naming its array (parsed
 * into j, *jrc the result), else NDJSON. */
static int
detect_format(const char *data, size_t n, struct bf_json *j, int *jrc,
    size_t *errpos)
{
	size_t i;

	for (i = 0; i < n && (data[i] == ' ' || data[i] == '\t' ||
	    data[i] == '\r' || data[i] == '\n'); i++)
		;
	if (i == n)
		return BF_FMT_NDJSON;
	if (data[i] != '{')
		return BF_FMT_CSV;
	*jrc = bf_json_parse(j, data, n, BF_JSON_WANT_OBJECT, errpos);
	if (*jrc == BF_JSON_OK && bf_json_get(j, 0, "MetricDataResults") >= 0)
		return BF_FMT_CW_DATA;
	if (*jrc == BF_JSON_OK && bf_json_get(j, 0, "Datapoints") >= 0)
		return BF_FMT_CW_STATS;
	return BF_FMT_NDJSON;
}

int
bf_records_parse(struct bf_source *s, const struct bf_recopts *ro,
    const char *name, const char *data, size_t n, int fmt,
    struct bf_recs *rs, char **next_token, struct bf_err *e)
{
	struct pctx c;
	struct bf_json j = BF_JSON_INIT;
	size_t errpos = 0, saved_n = rs->n, saved_len = rs->arena.len;
	int rc = 0, jrc = -1;

	if (next_token != NULL)
		*next_token = NULL;
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.ro = ro;
	c.name = name;
	c.rs = rs;
	c.e = e;
	if (fmt == BF_FMT_AUTO)
		fmt = detect_format(data, n, &j, &jrc, &errpos);
	switch (fmt) {
	case BF_FMT_NDJSON:
		rc = parse_ndjson(&c, data, n);
		if (rc < 0)
			ndjson_report(&c, 0);
		break;
	case BF_FMT_CSV:
		rc = parse_csv(&c, data, n);
		break;
	default:
		if (jrc < 0)
			jrc = bf_json_parse(&j, data, n, BF_JSON_WANT_OBJECT,
			    &errpos);
		if (jrc != BF_JSON_OK) {
			rc = bf_err_set(e, BF_EXIT_FAILED, "%s: %s at byte %zu",
			    name, bf_json_strerror(jrc), errpos + 1);
			break;
		}
		if (fmt == BF_FMT_CW_DATA)
			rc = parse_cw_data(&c, &j, next_token);
		else
			rc = parse_cw_stats(&c, &j);
	}
	bf_json_free(&j);
	pctx_free(&c);
	if (rc < 0) {
		recs_rollback(rs, saved_n, saved_len);
		if (next_token != NULL) {
			free(*next_token);
			*next_token = NULL;
		}
	}
	return rc;
}

/*
 * Parsing a large NDJSON file in parts at once.
 */

int bf_file_parts = 0;
size_t bf_file_part_min = (size_t)1 << 20;

struct part {
	struct pctx c;
	struct bf_recs rs;  /* parts after the first: their records */
	struct bf_err e;
	const char *p;
	size_t n;
	int rc;
	pthread_t th;
	int started;
};

static void *
part_run(void *arg)
{
	struct part *pt = arg;

	pt->rc = parse_ndjson(&pt->c, pt->p, pt->n);
	return NULL;
}

/* Parses the NDJSON data[0..n) like bf_records_parse (same records in the
 * same order, the same error: the first bad line in the file), cut at
 * newlines into parts parsed on threads at once: the load phase is serial
 * and everything downstream waits for it. */
static int
parse_parts(struct bf_source *s, const struct bf_recopts *ro,
    const char *name, const char *data, size_t n, struct bf_recs *rs,
    int file, struct bf_err *e)
{
	size_t budget = rs->budget;
	struct part pt[BF_FILE_MAXPARTS];
	const char *q, *nl, *end = data + n;
	size_t saved_n = rs->n, saved_len = rs->arena.len;
	long lines = 0;
	long ncpu;
	int np, k, rc = 0, spilled;

	np = bf_file_parts;
	if (np <= 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		np = ncpu < 1 ? 1 : ncpu > BF_FILE_MAXPARTS ?
		    BF_FILE_MAXPARTS : (int)ncpu;
	}
	if (np > BF_FILE_MAXPARTS)
		np = BF_FILE_MAXPARTS;
	if (bf_file_part_min > 0 && (size_t)np > n / bf_file_part_min)
		np = (int)(n / bf_file_part_min);
	if (np < 2)
		return bf_records_parse(s, ro, name, data, n, BF_FMT_NDJSON,
		    rs, NULL, e);
	memset(pt, 0, sizeof(pt));
	for (k = 0, q = data; k < np; k++) {
		pt[k].p = q;
		/* The part ends after the first newline past its share. */
		nl = k == np - 1 ? NULL : data + n / (size_t)np * (size_t)(k + 1);
		if (nl != NULL && nl < q)
			nl = q;
		if (nl != NULL)
			nl = memchr(nl, '\n', (size_t)(end - nl));
		q = nl != NULL ? nl + 1 : end;
		pt[k].n = (size_t)(q - pt[k].p);
		pt[k].c.s = s;
		pt[k].c.ro = ro;
		pt[k].c.name = name;
		pt[k].c.rs = k == 0 ? rs : &pt[k].rs;
		pt[k].c.e = &pt[k].e;
		if (rs->spill != NULL) {
			/* each part its own runs and share of the bound */
			spill_share(pt[k].c.rs, budget / (size_t)np);
			if (k > 0) {
				pt[k].rs.spill = rs->spill;
				pt[k].rs.mapid = rs->spill->nmap + (uint32_t)k;
				pt[k].rs.order = (uint64_t)file << 40 |
				    (uint64_t)k << 32;
			}
		}
	}
	for (k = 1; k < np; k++)
		pt[k].started = pthread_create(&pt[k].th, NULL, part_run,
		    &pt[k]) == 0;
	part_run(&pt[0]);
	for (k = 1; k < np; k++) {
		if (pt[k].started)
			pthread_join(pt[k].th, NULL);
		else
			part_run(&pt[k]);
	}
	spilled = rs->spill != NULL && rs->spill->nrun > 0;
	for (k = 0; k < np; k++) {
		if (rc == 0 && pt[k].rc < 0) {
			pt[k].c.e = e;
			rc = ndjson_report(&pt[k].c, lines);
		}
		lines += pt[k].c.lines;
		if (rc == 0 && k > 0 && spilled) {
			spill_absorb(rs, &pt[k].rs);
		} else if (rc == 0 && k > 0) {
			recs_unspill(&pt[k].rs);
			recs_append(rs, &pt[k].rs);
		}
		bf_recs_free(&pt[k].rs);
		pctx_free(&pt[k].c);
	}
	if (rs->spill != NULL) {
		spill_share(rs, budget);
		if (spilled && rc == 0)
			recs_spill(rs);
	}
	if (rc < 0)
		recs_rollback(rs, saved_n, saved_len);
	return rc;
}

/*
 * The file source.
 */

/* A --data file's bytes: mapped when it is a regular file, else read. */
struct fdata {
	const char *p;
	size_t n;
	void *map;          /* the mapping, or NULL */
	struct bf_buf buf;  /* what was read, when not mapped */
};

struct filesrc {
	struct bf_recs rs;  /* NDJSON records point into data */
	struct fdata *data; /* one per --data file */
	int ndata;
	int cw;   /* some records are CloudWatch's */
};

/* Maps path read-only (a regular file), or reads it (a pipe, a device). */
static int
load_data(const char *path, struct fdata *d, struct bf_err *e)
{
	struct stat st;
	void *m;
	int fd;

	memset(d, 0, sizeof(*d));
	d->p = "";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bf_err_set(e, BF_EXIT_IO, "cannot open '%s': %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uintmax_t)st.st_size <= SIZE_MAX) {
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
		    0);
		if (m != MAP_FAILED) {
			close(fd);
			d->map = m;
			d->p = m;
			d->n = (size_t)st.st_size;
			return 0;
		}
	}
	if (read_fd(fd, path, 0, &d->buf, e) < 0)
		return -1;
	d->p = bf_buf_str(&d->buf);
	d->n = d->buf.len;
	return 0;
}

static void
free_data(struct filesrc *fs)
{
	int i;

	for (i = 0; i < fs->ndata; i++) {
		if (fs->data[i].map != NULL)
			munmap(fs->data[i].map, fs->data[i].n);
		bf_buf_free(&fs->data[i].buf);
	}
	free(fs->data);
	fs->data = NULL;
	fs->ndata = 0;
}

/* 1 when the file source reads data[0..n) as NDJSON in parts: format fmt
 * says so, or detects it in a file large enough to be cut. */
static int
is_ndjson(int fmt, const char *data, size_t n)
{
	struct bf_json j = BF_JSON_INIT;
	size_t errpos;
	int jrc;

	if (fmt == BF_FMT_AUTO && n / 2 >= bf_file_part_min)
		fmt = detect_format(data, n, &j, &jrc, &errpos);
	bf_json_free(&j);
	return fmt == BF_FMT_NDJSON;
}

/* 1 when data may be a CloudWatch export (a JSON document, read whole in
 * memory): its format says so, or it is auto and its first line is not a
 * whole JSON object other than an export. */
static int
maybe_cw(int fmt, const char *data, size_t n)
{
	struct bf_json j = BF_JSON_INIT;
	const char *nl;
	size_t i, errpos;
	int jrc = -1;

	if (fmt != BF_FMT_AUTO)
		return fmt == BF_FMT_CW_DATA || fmt == BF_FMT_CW_STATS;
	for (i = 0; i < n && (data[i] == ' ' || data[i] == '\t' ||
	    data[i] == '\r' || data[i] == '\n'); i++)
		;
	nl = memchr(data + i, '\n', n - i);
	fmt = detect_format(data, nl != NULL ? (size_t)(nl - data) : n, &j,
	    &jrc, &errpos);
	bf_json_free(&j);
	return fmt == BF_FMT_CW_DATA || fmt == BF_FMT_CW_STATS ||
	    (fmt == BF_FMT_NDJSON && jrc != -1 && jrc != BF_JSON_OK);
}

/* Loads and parses every --data file into fs->rs (sorted after), spilling
 * (o->memory) unless some file is a CloudWatch export. */
static int
file_load(struct bf_source *s, struct filesrc *fs, struct bf_err *e)
{
	const struct bf_fetch_opts *o = s->o;
	struct bf_recopts ro;
	struct fdata *d;
	char *next = NULL, *pending = NULL;
	int i, cw = 0, rc;

	memset(&ro, 0, sizeof(ro));
	ro.instance = o->instance;
	ro.use_label = 1;
	ro.borrow = 1;
	fs->data = bf_xcalloc((size_t)o->ndata, sizeof(*fs->data));
	for (i = 0; i < o->ndata; i++) {
		if (strcmp(o->data[i], "-") == 0)
			return bf_err_set(e, BF_EXIT_USAGE, "--data cannot be "
			    "'-': standard input carries the windows");
		d = &fs->data[i];
		fs->ndata = i + 1;
		if (load_data(o->data[i], d, e) < 0) {
			e->code = BF_EXIT_USAGE;
			return -1;
		}
		cw |= maybe_cw(o->format, d->p, d->n);
	}
	if (!cw) {
		fs->rs.spill = spill_new(o->tmpdir);
		spill_share(&fs->rs, o->memory > 0 ? o->memory :
		    BF_FILE_MEMORY);
	}
	for (i = 0; i < o->ndata; i++) {
		size_t before = fs->rs.n, k;

		d = &fs->data[i];
		fs->rs.order = (uint64_t)i << 40;
		rc = is_ndjson(o->format, d->p, d->n) ? parse_parts(s, &ro,
		    o->data[i], d->p, d->n, &fs->rs, i, e) :
		    bf_records_parse(s, &ro, o->data[i], d->p, d->n,
		    o->format, &fs->rs, &next, e);
		if (rc < 0) {
			e->code = BF_EXIT_USAGE;
			free(pending);
			return -1;
		}
		if (fs->rs.spill != NULL && fs->rs.spill->failed) {
			*e = fs->rs.spill->err;
			free(pending);
			return -1;
		}
		for (k = before; k < fs->rs.n; k++)
			if (fs->rs.r[k].cwres)
				fs->cw = 1;
		free(pending);
		pending = next;
		next = NULL;
	}
	if (pending != NULL) {
		free(pending);
		return bf_err_set(e, BF_EXIT_USAGE, "%s: the export is "
		    "incomplete: it ends with a NextToken and no page follows",
		    o->data[o->ndata - 1]);
	}
	if (fs->rs.spill != NULL && fs->rs.spill->nrun > 0) {
		if (spill_finish(&fs->rs, e) < 0)
			return -1;
		bf_fetch_log(s, 1, "file: %zu records sorted in %zu runs in "
		    "'%s'%s", fs->rs.n, fs->rs.spill->nrun, fs->rs.spill->dir,
		    fs->rs.spill->merged ? ", merged" : ", in order");
		return 0;
	}
	if (fs->rs.spill != NULL)
		recs_unspill(&fs->rs);
	bf_recs_cw_periods(&fs->rs);
	bf_recs_sort(&fs->rs);
	return 0;
}

static int
file_open(struct bf_source *s, struct bf_err *e)
{
	struct filesrc *fs;

	if (s->o->ndata == 0)
		return bf_err_set(e, BF_EXIT_USAGE, "--source file needs "
		    "--data FILE");
	fs = bf_xcalloc(1, sizeof(*fs));
	if (file_load(s, fs, e) < 0) {
		bf_recs_free(&fs->rs);
		free_data(fs);
		free(fs);
		return -1;
	}
	s->priv = fs;
	return 0;
}

/* The first record of partition p at or after t. */
static size_t
lower_bound(const struct bf_recs *rs, const char *p, bf_time t)
{
	const struct bf_rec *r;
	size_t lo = 0, hi = rs->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = bf_recs_at(rs, mid);
		c = strcmp(rs->arena.s + rs->keys[r->key], p);
		if (c < 0 || (c == 0 && r->ts < t))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
file_range(struct bf_source *s, struct bf_job *job, size_t *from, size_t *to)
{
	struct filesrc *fs = s->priv;

	*from = lower_bound(&fs->rs, job->w.partition, job->w.start);
	*to = lower_bound(&fs->rs, job->w.partition, job->w.end);
}

/* The window's resolution: CloudWatch records' period (the coarsest of
 * those in [from, to)), else --step. */
static int64_t
file_resolution(struct bf_source *s, struct bf_job *job, size_t from,
    size_t to)
{
	struct filesrc *fs = s->priv;
	const struct bf_rec *r;
	int64_t res = 0, p;
	size_t i;

	if (!fs->cw)
		return s->o->step;
	for (i = from; i < to; i++) {
		r = bf_recs_at(&fs->rs, i);
		if (r->cwres && (p = cw_res(s, &fs->rs, r, job)) > res)
			res = p;
	}
	return res > 0 ? res : bf_cw_job_period(s->o, job);
}

static void
file_fetch(struct bf_source *s, void *w, struct bf_job *job)
{
	struct filesrc *fs = s->priv;
	size_t from, to, lo;

	file_range(s, job, &from, &to);
	job->resolution = fs->cw ? bf_cw_job_period(s->o, job) : s->o->step;
	if (s->o->lookback > 0) {
		lo = lower_bound(&fs->rs, job->w.partition,
		    job->w.start - s->o->lookback);
		bf_recs_emit_lookback(s, &fs->rs, lo, from, job, s->o->step);
	}
	bf_recs_emit(s, &fs->rs, from, to, job, s->o->step);
	(void)w;
}

static void
file_plan(struct bf_source *s, struct bf_job *job, struct bf_plan *p)
{
	struct filesrc *fs = s->priv;
	size_t from, to, lo;

	file_range(s, job, &from, &to);
	p->resolution = file_resolution(s, job, from, to);
	p->requests = 0;
	p->pages = 0;
	p->points = (long)(to - from);
	if (s->o->lookback > 0) {
		lo = lower_bound(&fs->rs, job->w.partition,
		    job->w.start - s->o->lookback);
		bf_buf_printf(&p->extra, ",\"lookback_records\":%zu",
		    from - lo);
	}
}

static void
file_close(struct bf_source *s)
{
	struct filesrc *fs = s->priv;

	if (fs == NULL)
		return;
	bf_recs_free(&fs->rs);
	free_data(fs);
	free(fs);
	s->priv = NULL;
}

const struct bf_source_ops bf_source_file = {
	"file", file_open, NULL, NULL, file_fetch, file_plan, file_close,
	NULL, /* the data files are read by file_open */
};
