/*
 * aggregate.c: bf-aggregate's engine (see aggregate.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "checkpoint.h"
#include "hash.h"
#include "htab.h"
#include "json.h"
#include "stream.h"

#define STAGE "bf-aggregate"
#define NSEC 1000000000

/* A copy of n bytes that may hold NUL, NUL-terminated. */
static char *
memdup(const char *p, size_t n)
{
	char *s = bf_xmalloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* The pieces of a window cut at each price and owner change in it, and
 * their figures (grown, never shrunk). */
struct pieces {
	bf_time *cut;   /* cut[0..k]: the window start, the cuts, the end */
	size_t *ri;     /* the rate (from the first in the window) of each */
	size_t *si;     /* the owner share of each */
	int64_t *wt;    /* the seconds of each */
	bf_dec *v;      /* value, quantity, cost of each */
	bf_dec *q;
	bf_dec *c;
	bf_dec *rq;     /* per rate: quantity, cost; per share: cost */
	bf_dec *rcost;
	bf_dec *scost;
	size_t cap, rcap, scap;
};

/* Open windows and their groups */

struct group {
	struct bf_hent h;  /* key: instance_id bytes, then metric bytes */
	size_t ilen;    /* length of the instance_id in the key */
	struct bf_sample *s;
	size_t n, cap;
	char *unit_lo;  /* owned: the smallest and greatest unit seen, so */
	char *unit_hi;  /* that mixed units are seen in any order */
	size_t lolen, hilen;
	int64_t res;    /* the finest resolution seen, 0 when none */
	char **src;     /* owned: the distinct sources seen, nsrc of them */
	size_t *srclen; /* owned: strlen of each */
	size_t nsrc;
	struct group *next; /* the group of the sample that followed one of
	                       this group's last time, or NULL */
	struct bf_sample lb; /* the latest lookback sample, when haslb */
	int haslb;
	int lbused;          /* lb entered the usage row's value */
	bf_dec cov;          /* the coverage, once priced */
};

struct window {
	struct bf_hent h;  /* key: partition, NUL, start and end bytes */
	struct bf_window id;
	struct bf_htab groups;
	long ordinal;    /* sample lines seen, for DLQ ids */
	long aggregated; /* samples taken into groups */
	long lookback;   /* lookback samples taken into groups */
	long out_of_window, invalid;
	struct group *last; /* the group of the last sample */
};

/* The windows closed so far, per partition, merged into ranges. */
struct part {
	struct bf_hent h;  /* key: the partition */
	struct bf_ckpt closed;
};

struct bf_agg {
	struct bf_agg_opts o;
	struct bf_htab windows;
	struct bf_htab parts;
	struct bf_json j;
	struct bf_window wid;      /* scratch */
	const struct bf_spill *spill; /* reject's whole line, during a call */
	struct bf_wcache wc;       /* the window of the last sample */
	struct bf_fields fs;       /* fnames compiled */
	struct bf_buf key, s1, s2, s3, s4; /* scratch */
	char ts[64];               /* the last string ts parsed, tslen bytes */
	size_t tslen;              /* (0: none), and its value */
	bf_time tssec;
	int32_t tsnsec;
	struct bf_buf usage, line; /* output of the window being closed */
	struct bf_share *sh;
	size_t shcap;
	struct pieces pc;          /* scratch of price_group */
	int dlq_dirty;
	long failed;               /* windows passed on failed, or lost */
};

/* The root members a sample line is read from (bf_line_scan). */
enum {
	F_INSTANCE_ID = BF_F_NCOMMON, F_METRIC, F_TS, F_VALUE, F_UNIT,
	F_SOURCE, F_RESOLUTION, F_LOOKBACK, F_N
};
static const char *const fnames[F_N] = {
	BF_F_COMMON_NAMES, "instance_id", "metric", "ts", "value", "unit",
	"source", "resolution", "lookback",
};

struct bf_agg *
bf_agg_new(const struct bf_agg_opts *o)
{
	struct bf_agg *a = bf_xcalloc(1, sizeof(*a));

	a->o = *o;
	bf_fields_init(&a->fs, fnames, F_N);
	return a;
}

static void
group_free(struct group *g)
{
	bf_strv_free(g->src, g->nsrc);
	BF_EACH(free, void, g->srclen, g->h.key, g->s, g->unit_lo, g->unit_hi,
	    g);
}

static void
window_free(struct window *w)
{
	struct bf_hent *g;
	size_t i = 0;

	while ((g = bf_htab_next(&w->groups, &i)) != NULL)
		group_free((struct group *)g);
	bf_htab_free(&w->groups);
	bf_window_free(&w->id);
	free(w->h.key);
	free(w);
}

void
bf_agg_free(struct bf_agg *a)
{
	struct bf_hent *x;
	size_t i = 0;

	if (!a)
		return;
	while ((x = bf_htab_next(&a->windows, &i)) != NULL)
		window_free((struct window *)x);
	bf_htab_free(&a->windows);
	i = 0;
	while ((x = bf_htab_next(&a->parts, &i)) != NULL) {
		struct part *p = (struct part *)x;

		bf_ckpt_free(&p->closed);
		free(p->h.key);
		free(p);
	}
	bf_htab_free(&a->parts);
	bf_json_free(&a->j);
	bf_wcache_free(&a->wc);
	BF_EACH(bf_buf_free, struct bf_buf, &a->key, &a->s1, &a->s2, &a->s3,
	    &a->s4, &a->usage, &a->line);
	BF_EACH(free, void, a->sh, a->pc.cut, a->pc.ri, a->pc.si, a->pc.wt,
	    a->pc.v, a->pc.q, a->pc.c, a->pc.rq, a->pc.rcost, a->pc.scost, a);
}

/* The identity key of a window, in a->key. */
static uint64_t
window_key(struct bf_agg *a, const struct bf_window *w)
{
	bf_buf_reset(&a->key);
	bf_buf_add(&a->key, w->partition, strlen(w->partition) + 1);
	bf_buf_add(&a->key, &w->start, sizeof(w->start));
	bf_buf_add(&a->key, &w->end, sizeof(w->end));
	return bf_fnv1a64(a->key.s, a->key.len);
}

static struct part *
part_get(struct bf_agg *a, const char *partition, int create)
{
	size_t n = strlen(partition);
	uint64_t hash = bf_fnv1a64(partition, n);
	struct part *p = (struct part *)bf_htab_find(&a->parts, hash,
	    partition, n);

	if (!p && create) {
		p = bf_xcalloc(1, sizeof(*p));
		p->h.hash = hash;
		p->h.key = memdup(partition, n);
		p->h.klen = n;
		bf_ckpt_init(&p->closed, partition);
		bf_htab_insert(&a->parts, &p->h);
	}
	return p;
}

static int
window_closed(struct bf_agg *a, const struct bf_window *w)
{
	struct part *p = part_get(a, w->partition, 0);

	return p && bf_ckpt_overlaps(&p->closed, w->start, w->end);
}

/* Input fields */

/* bf_json_raw for a token t known to exist. */
static inline const char *
tok_raw(const struct bf_json *j, int t, size_t *n)
{
	*n = (size_t)(j->tok[t].end - j->tok[t].start);
	return j->s + j->tok[t].start;
}

/* The content of string token t: in place when it has no escape, else
 * unescaped into scratch. Returns -1 when t is absent or no string. */
static inline int
tok_str(const struct bf_json *j, int t, struct bf_buf *scratch,
    const char **p, size_t *n)
{
	const struct bf_jtok *k;

	if (t < 0 || j->tok[t].type != BF_JSON_STRING)
		return -1;
	k = &j->tok[t];
	if (!k->esc) {
		*p = j->s + k->start + 1;
		*n = (size_t)(k->end - k->start - 2);
		return 0;
	}
	bf_buf_reset(scratch);
	bf_json_str(j, t, scratch);
	*p = bf_buf_str(scratch);
	*n = scratch->len;
	return 0;
}

static void
put_bytes_kv(struct bf_buf *b, const char *key, const char *s, size_t n)
{
	bf_buf_printf(b, ",\"%s\":", key);
	bf_json_put_str(b, s, n);
}

static void
put_dec_kv(struct bf_buf *b, const char *key, bf_dec d)
{
	char s[BF_DEC_LEN];

	bf_dec_format(d, s);
	bf_buf_printf(b, ",\"%s\":\"%s\"", key, s);
}

static void
put_time_kv(struct bf_buf *b, const char *key, bf_time t)
{
	char s[BF_TIME_LEN];

	bf_time_format(t, s);
	bf_buf_printf(b, ",\"%s\":\"%s\"", key, s);
}

/* DLQ */

static int
reject(struct bf_agg *a, const struct bf_window *w, long ordinal,
    const char *code, const char *pointer, const char *msg, const char *s,
    size_t len, const char *file, long lineno, struct bf_err *e)
{
	struct bf_reject r = {
		.stage = STAGE, .code = code, .pointer = pointer,
		.message = msg, .file = file, .line = lineno, .ordinal = -1,
		.raw = s, .rawlen = len, .spill = a->spill,
	};

	if (w) {
		r.ordinal = ordinal;
		r.partition = w->partition;
		r.window_start = w->ws;
		r.window_end = w->we;
	}
	a->dlq_dirty = 1;
	return bf_dlq_write(a->o.dlq, &r, e);
}

/* Samples in */

static struct window *
sample_window(struct bf_agg *a, const struct bf_json *j, const int *f,
    struct bf_err *we)
{
	struct window *w;
	uint64_t hash;

	/* Samples come in runs of one window. */
	if ((w = bf_wcache_get(&a->wc, j, f + BF_F_PARTITION)) != NULL)
		return w;
	memset(&a->wid, 0, sizeof(a->wid));
	if (bf_window_from_json(j, &a->wid, we) == -1) {
		bf_window_free(&a->wid);
		return NULL;
	}
	hash = window_key(a, &a->wid);
	w = (struct window *)bf_htab_find(&a->windows, hash, a->key.s,
	    a->key.len);
	if (!w) {
		if (window_closed(a, &a->wid))
			return NULL; /* with a->wid set, for the DLQ */
		w = bf_xcalloc(1, sizeof(*w));
		w->h.hash = hash;
		w->h.key = memdup(a->key.s, a->key.len);
		w->h.klen = a->key.len;
		w->id = a->wid;
		memset(&a->wid, 0, sizeof(a->wid));
		bf_htab_insert(&a->windows, &w->h);
	} else {
		bf_window_free(&a->wid);
	}
	bf_wcache_set(&a->wc, j, f + BF_F_PARTITION, w);
	return w;
}

static int
group_is(const struct group *g, const char *inst, size_t ilen,
    const char *metric, size_t mlen)
{
	return g->ilen == ilen && g->h.klen == ilen + mlen &&
	    memcmp(g->h.key, inst, ilen) == 0 &&
	    memcmp(g->h.key + ilen, metric, mlen) == 0;
}

/* A group's key: not its key bytes, which would take instance "a" of
 * metric "bm" for instance "ab" of metric "m". */
struct gkey {
	const char *inst, *metric;
	size_t ilen, mlen;
};

static int
group_eq(const struct bf_hent *e, const void *arg)
{
	const struct gkey *k = arg;

	return group_is((const struct group *)e, k->inst, k->ilen, k->metric,
	    k->mlen);
}

static struct group *
sample_group(struct window *w, const char *inst, size_t ilen,
    const char *metric, size_t mlen, struct bf_buf *key)
{
	struct group *g = w->last;
	struct gkey k = { inst, metric, ilen, mlen };
	uint64_t hash;

	/* Series mostly come in a repeating order (a sample of each metric of
	 * each instance per scrape): try the last group, then the group that
	 * came after it last time, before the hash table. */
	if (g && group_is(g, inst, ilen, metric, mlen))
		return g;
	if (g && g->next && group_is(g->next, inst, ilen, metric, mlen))
		return w->last = g->next;
	hash = bf_fnv1a64_more(bf_fnv1a64(inst, ilen), metric, mlen);
	g = (struct group *)bf_htab_find_by(&w->groups, hash, group_eq, &k);
	if (!g) {
		bf_buf_reset(key);
		bf_buf_add(key, inst, ilen);
		bf_buf_add(key, metric, mlen);
		g = bf_xcalloc(1, sizeof(*g));
		g->h.hash = hash;
		g->h.key = memdup(key->s, key->len);
		g->h.klen = key->len;
		g->ilen = ilen;
		bf_htab_insert(&w->groups, &g->h);
	}
	if (w->last)
		w->last->next = g;
	w->last = g;
	return g;
}

static int
bytescmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c != 0)
		return c;
	return an < bn ? -1 : an > bn;
}

static void
group_unit(struct group *g, const char *u, size_t n)
{
	if (!g->unit_lo) {
		g->unit_lo = memdup(u, n);
		g->lolen = n;
		g->unit_hi = memdup(u, n);
		g->hilen = n;
		return;
	}
	if (n == g->lolen && memcmp(u, g->unit_lo, n) == 0)
		return;
	if (bytescmp(u, n, g->unit_lo, g->lolen) < 0) {
		free(g->unit_lo);
		g->unit_lo = memdup(u, n);
		g->lolen = n;
	} else if (bytescmp(u, n, g->unit_hi, g->hilen) > 0) {
		free(g->unit_hi);
		g->unit_hi = memdup(u, n);
		g->hilen = n;
	}
}

static void
group_source(struct group *g, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < g->nsrc; i++)
		if (g->srclen[i] == n && memcmp(g->src[i], p, n) == 0)
			return;
	g->src = bf_xrealloc(g->src, (g->nsrc + 1) * sizeof(*g->src));
	g->srclen = bf_xrealloc(g->srclen, (g->nsrc + 1) *
	    sizeof(*g->srclen));
	g->src[g->nsrc] = memdup(p, n);
	g->srclen[g->nsrc] = strlen(g->src[g->nsrc]);
	g->nsrc++;
}

static int
strpcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The value of p[0..n) when it is 1 to 18 decimal digits, else -1. */
static int64_t
small_uint(const char *p, size_t n)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 18)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* A sample's fields as sample_fields reads them. */
struct sample_in {
	const char *inst, *metric, *unit, *src;
	size_t ilen, mlen, ulen, slen;
	int64_t res;  /* its resolution, 0 when not given */
	int islb;     /* a lookback sample */
};

/* Text of a token for a message: at most 64 bytes. */
#define SHOWN(n) ((int)((n) > 64 ? 64 : (n)))

/* The sample's ts (token t) into smp. The samples of one scrape share
 * their ts: a string ts equal to the last one is not parsed again. */
static const char *
sample_ts(struct bf_agg *a, const struct bf_json *j, int t,
    struct bf_sample *smp, struct bf_err *e)
{
	const char *p;
	size_t n;

	if (t >= 0 && j->tok[t].type == BF_JSON_NUMBER) {
		p = tok_raw(j, t, &n);
		if (bf_time_from_number(p, n, &smp->sec, &smp->nsec) == 0)
			return NULL;
	} else if (tok_str(j, t, &a->s3, &p, &n) == 0) {
		if (n > 0 && n == a->tslen && memcmp(p, a->ts, n) == 0) {
			smp->sec = a->tssec;
			smp->nsec = a->tsnsec;
			return NULL;
		}
		if (bf_time_parse_any(p, n, &smp->sec, &smp->nsec) == 0) {
			a->tslen = 0;
			if (n <= sizeof(a->ts)) {
				memcpy(a->ts, p, n);
				a->tslen = n;
				a->tssec = smp->sec;
				a->tsnsec = smp->nsec;
			}
			return NULL;
		}
	} else {
		bf_err_set(e, BF_EXIT_FAILED, "sample without a ts");
		return "bad_timestamp";
	}
	bf_err_set(e, BF_EXIT_FAILED, "bad ts '%.*s'", SHOWN(n), p);
	return "bad_timestamp";
}

/* The sample's value (token t, a number or a decimal string) into smp. */
static const char *
sample_value(struct bf_agg *a, const struct bf_json *j, int t,
    struct bf_sample *smp, struct bf_err *e)
{
	const char *p;
	size_t n;

	if (t >= 0 && j->tok[t].type == BF_JSON_NUMBER)
		p = tok_raw(j, t, &n);
	else if (tok_str(j, t, &a->s3, &p, &n) == -1) {
		bf_err_set(e, BF_EXIT_FAILED, "sample without a number value");
		return "bad_value";
	}
	switch (bf_dec_parse(p, n, &smp->v)) {
	case BF_DEC_OK:
		return NULL;
	case BF_DEC_EOVERFLOW:
		bf_err_set(e, BF_EXIT_FAILED, "value '%.*s' is out of range",
		    SHOWN(n), p);
		return "bad_value";
	default:
		bf_err_set(e, BF_EXIT_FAILED, "value '%.*s' is not a number",
		    SHOWN(n), p);
		return "bad_value";
	}
}

/* The sample's resolution (token t, may be absent or null: *r 0), a
 * positive number of seconds. Plain digits ("300") are read as an
 * integer; "3e2" or "300.0" through a decimal. */
static const char *
sample_resolution(const struct bf_json *j, int t, int64_t *r,
    struct bf_err *e)
{
	const char *p;
	size_t n;
	bf_dec d;

	*r = 0;
	if (t < 0 || j->tok[t].type == BF_JSON_NULL)
		return NULL;
	p = tok_raw(j, t, &n);
	if (j->tok[t].type == BF_JSON_NUMBER && (*r = small_uint(p, n)) < 0 &&
	    (bf_dec_parse(p, n, &d) != BF_DEC_OK || bf_dec_to_int(d, r) == -1))
		*r = 0;
	if (*r > 0)
		return NULL;
	*r = 0;
	bf_err_set(e, BF_EXIT_FAILED, "resolution '%.*s' is not a positive "
	    "number of seconds", SHOWN(n), p);
	return "bad_resolution";
}

/* A sample read whole, into its group of window w: as the group's
 * lookback sample (only the latest of a series counts; of two at one
 * time, the greater value, as for conflicts) or as one of its samples. */
static const char *
file_sample(struct bf_agg *a, struct window *w, const struct sample_in *in,
    const struct bf_sample *smp, const char **ptr, struct bf_err *e)
{
	struct group *g;

	if (in->islb && smp->sec >= w->id.start) {
		*ptr = "/ts";
		bf_err_set(e, BF_EXIT_FAILED, "ts of a lookback sample is not "
		    "before the window start %s", w->id.ws);
		return "lookback_in_window";
	}
	if (!in->islb && (smp->sec < w->id.start || smp->sec >= w->id.end)) {
		*ptr = "/ts";
		bf_err_set(e, BF_EXIT_FAILED, "ts is outside the window [%s, "
		    "%s)", w->id.ws, w->id.we);
		return "outside_window";
	}
	g = sample_group(w, in->inst, in->ilen, in->metric, in->mlen, &a->key);
	group_unit(g, in->unit, in->ulen);
	if (in->islb) {
		if (!g->haslb || bf_sample_cmp(smp, &g->lb) > 0)
			g->lb = *smp;
		g->haslb = 1;
		return NULL;
	}
	if (in->src != NULL)
		group_source(g, in->src, in->slen);
	if (in->res > 0 && (g->res == 0 || in->res < g->res))
		g->res = in->res;
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 16;
		g->s = bf_xrealloc(g->s, g->cap * sizeof(*g->s));
	}
	g->s[g->n++] = *smp;
	return NULL;
}

/* Reads a sample line's fields (f: their tokens) into smp and files it
 * in window w. Returns NULL, or the DLQ code of why it is refused (e set,
 * *ptr the field's pointer). */
static const char *
sample_fields(struct bf_agg *a, const struct bf_json *j, const int *f,
    struct window *w, struct bf_sample *smp, int *islb, const char **ptr,
    struct bf_err *e)
{
	struct sample_in in;
	const char *code, *p;
	size_t n;
	int t;

	memset(&in, 0, sizeof(in));
	in.unit = "";
	*ptr = "/instance_id";
	if (tok_str(j, f[F_INSTANCE_ID], &a->s1, &in.inst, &in.ilen) ==
	    -1 || in.ilen == 0) {
		bf_err_set(e, BF_EXIT_FAILED, "sample without an instance_id");
		return "bad_instance_id";
	}
	*ptr = "/metric";
	if (tok_str(j, f[F_METRIC], &a->s2, &in.metric, &in.mlen) ==
	    -1 || in.mlen == 0) {
		bf_err_set(e, BF_EXIT_FAILED, "sample without a metric");
		return "bad_metric";
	}
	*ptr = "/ts";
	if ((code = sample_ts(a, j, f[F_TS], smp, e)) != NULL)
		return code;
	*ptr = "/value";
	if ((code = sample_value(a, j, f[F_VALUE], smp, e)) != NULL)
		return code;
	t = f[F_UNIT];
	*ptr = "/unit";
	if (t >= 0 && j->tok[t].type != BF_JSON_NULL &&
	    tok_str(j, t, &a->s3, &in.unit, &in.ulen) == -1) {
		bf_err_set(e, BF_EXIT_FAILED, "unit is not a string");
		return "bad_unit";
	}
	t = f[F_SOURCE];
	*ptr = "/source";
	if (t >= 0 && j->tok[t].type != BF_JSON_NULL &&
	    tok_str(j, t, &a->s4, &in.src, &in.slen) == -1) {
		bf_err_set(e, BF_EXIT_FAILED, "source is not a string");
		return "bad_source";
	}
	*ptr = "/resolution";
	if ((code = sample_resolution(j, f[F_RESOLUTION], &in.res,
	    e)) != NULL)
		return code;
	t = f[F_LOOKBACK];
	*ptr = "/lookback";
	if ((*islb = in.islb = t >= 0) && j->tok[t].type != BF_JSON_TRUE) {
		p = tok_raw(j, t, &n);
		bf_err_set(e, BF_EXIT_FAILED, "lookback '%.*s' is not true",
		    SHOWN(n), p);
		return "bad_lookback";
	}
	return file_sample(a, w, &in, smp, ptr, e);
}

static int
sample_line(struct bf_agg *a, const int *f, const char *s, size_t len,
    const char *file, long lineno, struct bf_err *e)
{
	struct bf_err fe;
	struct window *w;
	struct bf_sample smp;
	const char *code, *ptr = "";
	int islb = 0;

	bf_err_clear(&fe);
	if (!(w = sample_window(a, &a->j, f, &fe))) {
		if (fe.code != 0)
			return reject(a, NULL, -1, "bad_window", "", fe.msg, s,
			    len, file, lineno, e);
		if (reject(a, &a->wid, -1, "window_closed", "",
		    "the window was closed earlier in the stream", s, len,
		    file, lineno, e) == -1) {
			bf_window_free(&a->wid);
			return -1;
		}
		bf_window_free(&a->wid);
		return 0;
	}
	w->ordinal++;
	if (!(code = sample_fields(a, &a->j, f, w, &smp, &islb, &ptr,
	    &fe))) {
		if (islb)
			w->lookback++;
		else
			w->aggregated++;
		return 0;
	}
	if (strcmp(code, "outside_window") == 0)
		w->out_of_window++;
	else
		w->invalid++;
	return reject(a, &w->id, w->ordinal - 1, code, ptr, fe.msg, s, len,
	    file, lineno, e);
}

/* Windows out */

static int
groupcmp(const void *pa, const void *pb)
{
	const struct group *a = *(struct group *const *)pa;
	const struct group *b = *(struct group *const *)pb;
	int c = bytescmp(a->h.key, a->ilen, b->h.key, b->ilen);

	if (c != 0)
		return c;
	return bytescmp(a->h.key + a->ilen, a->h.klen - a->ilen,
	    b->h.key + b->ilen, b->h.klen - b->ilen);
}

static void
put_series(struct bf_buf *b, const char *type, const struct window *w,
    const struct group *g)
{
	bf_buf_printf(b, "{\"type\":\"%s\"", type);
	put_bytes_kv(b, "partition", w->id.partition, strlen(w->id.partition));
	put_bytes_kv(b, "instance_id", g->h.key, g->ilen);
	put_bytes_kv(b, "metric", g->h.key + g->ilen, g->h.klen - g->ilen);
	bf_buf_printf(b, ",\"window_start\":\"%s\",\"window_end\":\"%s\"",
	    w->id.ws, w->id.we);
}

/* The share of the window the samples cover: each holds from its time to
 * the next sample's, or for at most one resolution when that is known. */
static bf_dec
coverage(const struct group *g, const struct window *w)
{
	__int128 cov = 0, win = (__int128)(w->id.end - w->id.start) * NSEC;
	size_t i;
	bf_dec c = { 0 };

	for (i = 0; i < g->n; i++) {
		const struct bf_sample *s = &g->s[i];
		__int128 end = i + 1 < g->n ?
		    (__int128)g->s[i + 1].sec * NSEC + g->s[i + 1].nsec :
		    (__int128)w->id.end * NSEC;
		__int128 d = end - ((__int128)s->sec * NSEC + s->nsec);

		if (g->res > 0 && d > (__int128)g->res * NSEC)
			d = (__int128)g->res * NSEC;
		cov += d;
	}
	bf_dec_div((bf_dec){ cov }, (bf_dec){ win }, &c);
	return c;
}

static int
dec_fail(int rc, const char **code, struct bf_err *e, const char *what,
    const struct group *g)
{
	*code = "overflow";
	return bf_err_set(e, BF_EXIT_FAILED,
	    "%s of metric '%.*s' of instance '%.*s' %s", what,
	    (int)(g->h.klen - g->ilen), g->h.key + g->ilen, (int)g->ilen,
	    g->h.key, rc == BF_DEC_EOVERFLOW ? "overflows" : "fails");
}

static void *
grow(void *p, size_t n, size_t size)
{
	return bf_xrealloc(p, n * size);
}

/* Cuts window w into pieces at each change of rate (rc->r[first..first+np))
 * and of owner (a->sh[0..ns)), into a->pc; returns their count k >= 1. */
static size_t
cut_pieces(struct bf_agg *a, const struct window *w,
    const struct bf_rate *r, size_t np, size_t ns)
{
	struct pieces *pc = &a->pc;
	bf_time from = w->id.start, to, rend;
	size_t k = 0, i = 0, j = 0, need = np + ns;

	if (need > pc->cap) {
		pc->cap = need;
		pc->cut = grow(pc->cut, need, sizeof(*pc->cut));
		pc->ri = grow(pc->ri, need, sizeof(*pc->ri));
		pc->si = grow(pc->si, need, sizeof(*pc->si));
		pc->wt = grow(pc->wt, need, sizeof(*pc->wt));
		pc->v = grow(pc->v, need, sizeof(*pc->v));
		pc->q = grow(pc->q, need, sizeof(*pc->q));
		pc->c = grow(pc->c, need, sizeof(*pc->c));
	}
	if (np > pc->rcap) {
		pc->rcap = np;
		pc->rq = grow(pc->rq, np, sizeof(*pc->rq));
		pc->rcost = grow(pc->rcost, np, sizeof(*pc->rcost));
	}
	if (ns > pc->scap) {
		pc->scap = ns;
		pc->scost = grow(pc->scost, ns, sizeof(*pc->scost));
	}
	/* The rates cover the window without a gap, and so do the shares. */
	while (from < w->id.end && i < np && j < ns) {
		rend = r[i].eff.to < w->id.end ? r[i].eff.to : w->id.end;
		to = rend < a->sh[j].to ? rend : a->sh[j].to;
		pc->cut[k] = from;
		pc->ri[k] = i;
		pc->si[k] = j;
		pc->wt[k] = to - from;
		k++;
		if (to == rend)
			i++;
		if (to == a->sh[j].to)
			j++;
		from = to;
	}
	pc->cut[k] = w->id.end;
	return k;
}

/* The quantity and cost of each piece of group g (aggregate fn, quantity
 * q), and their sums per rate, per owner and in all (*cost). */
static int
price_pieces(struct bf_agg *a, const struct window *w, const struct group *g,
    const struct bf_rate *r, size_t k, size_t np, size_t ns, bf_dec q,
    bf_dec *cost, const char **what)
{
	struct pieces *pc = &a->pc;
	bf_dec rest = q;
	size_t i;
	int rc;

	*what = "quantity";
	if (k > 1 && bf_aggfn_additive(r[0].aggregate)) {
		/* By when the usage happened: each piece's own value. */
		if ((rc = bf_aggregate_pieces(r[0].aggregate, g->s, g->n,
		    g->haslb ? &g->lb : NULL, pc->cut, k, pc->v)) != BF_DEC_OK)
			return rc;
		for (i = 0; i + 1 < k; i++)
			if ((rc = bf_dec_muldiv(pc->v[i], r[0].multiplier,
			        r[0].divisor, &pc->q[i])) != BF_DEC_OK ||
			    (rc = bf_dec_sub(rest, pc->q[i], &rest)) !=
			        BF_DEC_OK)
				return rc;
		pc->q[k - 1] = rest;
	} else if ((rc = bf_dec_split(q, pc->wt, k, w->id.end - w->id.start,
	    pc->q)) != BF_DEC_OK)
		return rc;
	*what = "cost";
	*cost = (bf_dec){ 0 };
	for (i = 0; i < np; i++)
		pc->rq[i] = pc->rcost[i] = (bf_dec){ 0 };
	for (i = 0; i < ns; i++)
		pc->scost[i] = (bf_dec){ 0 };
	for (i = 0; i < k; i++) {
		size_t ri = pc->ri[i], si = pc->si[i];

		if ((rc = bf_dec_mul(pc->q[i], r[ri].unit_price, &pc->c[i])) !=
		        BF_DEC_OK ||
		    (rc = bf_dec_add(*cost, pc->c[i], cost)) != BF_DEC_OK ||
		    (rc = bf_dec_add(pc->rq[ri], pc->q[i], &pc->rq[ri])) !=
		        BF_DEC_OK ||
		    (rc = bf_dec_add(pc->rcost[ri], pc->c[i], &pc->rcost[ri])) !=
		        BF_DEC_OK ||
		    (rc = bf_dec_add(pc->scost[si], pc->c[i], &pc->scost[si])) !=
		        BF_DEC_OK)
			return rc;
	}
	return BF_DEC_OK;
}

/* Prices group g of window w and appends its usage line to a->usage. */
static int
price_group(struct bf_agg *a, const struct window *w, struct group *g,
    const char **code, struct bf_err *e)
{
	const struct bf_rates *rc = a->o.rates;
	const char *metric = g->h.key + g->ilen;
	size_t mlen = g->h.klen - g->ilen, first, np, ns, k, i;
	const struct bf_rate *r0, *r;
	int64_t W = w->id.end - w->id.start;
	const struct bf_sample *lb;
	bf_dec value, q, cost = { 0 };
	struct bf_buf *b = &a->usage;
	const char *what = "cost";
	int drc;

	if (!(np = bf_rates_window(rc, metric, mlen, w->id.start, w->id.end,
	    &first, code, e)))
		return -1;
	r0 = &rc->r[first];
	if (g->lolen != g->hilen ||
	    memcmp(g->unit_lo, g->unit_hi, g->lolen) != 0) {
		*code = "mixed_units";
		return bf_err_set(e, BF_EXIT_FAILED,
		    "metric '%.*s' of instance '%.*s' has samples in units "
		    "'%s' and '%s'", (int)mlen, metric, (int)g->ilen,
		    g->h.key, g->unit_lo, g->unit_hi);
	}
	if (strlen(r0->unit) != g->lolen ||
	    memcmp(r0->unit, g->unit_lo, g->lolen) != 0) {
		*code = "unit_mismatch";
		return bf_err_set(e, BF_EXIT_FAILED,
		    "metric '%.*s' of instance '%.*s' is in '%s', the rate at "
		    "%s:%ld expects '%s'", (int)mlen, metric, (int)g->ilen,
		    g->h.key, g->unit_lo, rc->path, r0->eff.line, r0->unit);
	}
	lb = g->haslb ? &g->lb : NULL;
	g->lbused = lb && (r0->aggregate == BF_AGG_INTEGRAL ||
	    r0->aggregate == BF_AGG_INCREASE);
	if ((drc = bf_aggregate(r0->aggregate, g->s, g->n, lb, w->id.start,
	    w->id.end, &value)) != BF_DEC_OK)
		return dec_fail(drc, code, e, bf_aggfn_name(r0->aggregate), g);
	if ((drc = bf_dec_muldiv(value, r0->multiplier, r0->divisor, &q)) !=
	    BF_DEC_OK)
		return dec_fail(drc, code, e, "quantity", g);
	ns = bf_tenants_split(a->o.tenants, g->h.key, g->ilen, w->id.start,
	    w->id.end, &a->sh, &a->shcap);
	k = cut_pieces(a, w, r0, np, ns);
	if ((drc = price_pieces(a, w, g, r0, k, np, ns, q, &cost, &what)) !=
	    BF_DEC_OK)
		return dec_fail(drc, code, e, what, g);
	g->cov = coverage(g, w);

	put_series(b, "usage", w, g);
	bf_buf_printf(b, ",\"aggregate\":\"%s\"", bf_aggfn_name(r0->aggregate));
	put_dec_kv(b, "value", value);
	put_bytes_kv(b, "unit", g->unit_lo, g->lolen);
	bf_buf_printf(b, ",\"samples\":%zu", g->n);
	if (g->res > 0)
		bf_buf_printf(b, ",\"expected_samples\":%lld,\"resolution\":%lld",
		    (long long)(W / g->res + (W % g->res != 0)),
		    (long long)g->res);
	else
		bf_buf_puts(b, ",\"expected_samples\":null,\"resolution\":null");
	put_dec_kv(b, "coverage", g->cov);
	if (g->nsrc > 0) {
		/* Lineage: the sources of the samples, sorted, comma-joined. */
		qsort(g->src, g->nsrc, sizeof(*g->src), strpcmp);
		for (i = 0; i < g->nsrc; i++)
			g->srclen[i] = strlen(g->src[i]);
		bf_buf_puts(b, ",\"source\":");
		bf_buf_reset(&a->s1);
		for (i = 0; i < g->nsrc; i++) {
			if (i > 0)
				bf_buf_putc(&a->s1, ',');
			bf_buf_puts(&a->s1, g->src[i]);
		}
		bf_json_put_str(b, bf_buf_str(&a->s1), a->s1.len);
	}
	put_dec_kv(b, "quantity", q);
	bf_json_put_kv_str(b, "usage_unit", r0->usage_unit);
	if (np == 1)
		put_dec_kv(b, "unit_price", r0->unit_price);
	put_dec_kv(b, "cost", cost);
	bf_json_put_kv_str(b, "currency", r0->currency);
	if (ns == 1)
		bf_json_put_kv_str(b, "tenant", a->sh[0].tenant);
	bf_buf_puts(b, ",\"allocations\":[");
	for (i = 0; i < ns; i++) {
		bf_buf_puts(b, i ? ",{\"tenant\":" : "{\"tenant\":");
		bf_json_put_str(b, a->sh[i].tenant, strlen(a->sh[i].tenant));
		bf_json_put_kv_str(b, "cost_center", a->sh[i].cost_center);
		put_time_kv(b, "from", a->sh[i].from);
		put_time_kv(b, "to", a->sh[i].to);
		put_dec_kv(b, "cost", a->pc.scost[i]);
		bf_buf_putc(b, '}');
	}
	bf_buf_puts(b, "],\"prices\":[");
	for (i = 0; i < np; i++) {
		r = &rc->r[first + i];
		bf_buf_printf(b, "%s{\"line\":%ld", i ? "," : "", r->eff.line);
		put_time_kv(b, "from", r->eff.from > w->id.start ? r->eff.from :
		    w->id.start);
		put_time_kv(b, "to", r->eff.to < w->id.end ? r->eff.to :
		    w->id.end);
		put_dec_kv(b, "quantity", a->pc.rq[i]);
		put_dec_kv(b, "unit_price", r->unit_price);
		put_dec_kv(b, "cost", a->pc.rcost[i]);
		bf_buf_putc(b, '}');
	}
	bf_buf_puts(b, "]}\n");
	return 0;
}

/* The downsample lines of group g: per step from the window start, the
 * count, average and maximum of its samples. */
static long
downsample(struct bf_agg *a, const struct window *w, const struct group *g)
{
	struct bf_buf *b = &a->usage;
	size_t i = 0, k;
	long lines = 0;

	while (i < g->n) {
		int64_t bucket = (g->s[i].sec - w->id.start) / a->o.step;
		bf_dec max = g->s[i].v, avg = { 0 };

		for (k = i; k < g->n &&
		    (g->s[k].sec - w->id.start) / a->o.step == bucket; k++)
			if (bf_dec_cmp(g->s[k].v, max) > 0)
				max = g->s[k].v;
		put_series(b, BF_DOWNSAMPLE_TYPE, w, g);
		put_time_kv(b, "ts", w->id.start + bucket * a->o.step);
		bf_buf_printf(b, ",\"step\":%lld", (long long)a->o.step);
		put_bytes_kv(b, "unit", g->unit_lo, g->lolen);
		bf_buf_printf(b, ",\"samples\":%zu", k - i);
		if (bf_aggregate(BF_AGG_AVG, &g->s[i], k - i, NULL,
		    w->id.start, w->id.end, &avg) == BF_DEC_OK)
			put_dec_kv(b, "avg", avg);
		else
			bf_buf_puts(b, ",\"avg\":null");
		put_dec_kv(b, "max", max);
		bf_buf_puts(b, "}\n");
		lines++;
		i = k;
	}
	return lines;
}

/* Whether group g's coverage is below the minimum: then the window fails. */
static int
low_coverage(struct bf_agg *a, const struct group *g, const char **code,
    struct bf_err *e)
{
	char cov[BF_DEC_LEN], min[BF_DEC_LEN];

	if (bf_dec_cmp(g->cov, a->o.min_coverage) >= 0)
		return 0;
	bf_dec_format(g->cov, cov);
	bf_dec_format(a->o.min_coverage, min);
	*code = "low_coverage";
	bf_err_set(e, BF_EXIT_FAILED, "coverage %s of metric '%.*s' of "
	    "instance '%.*s' is below the minimum %s", cov,
	    (int)(g->h.klen - g->ilen), g->h.key + g->ilen, (int)g->ilen,
	    g->h.key, min);
	return 1;
}

static int
sync_dlq(struct bf_agg *a, struct bf_err *e)
{
	if (!a->dlq_dirty)
		return 0;
	a->dlq_dirty = 0;
	return bf_dlq_sync(a->o.dlq, e);
}

static int
write_out(struct bf_agg *a, const struct bf_buf *b, struct bf_err *e)
{
	if (b->len > 0 && fwrite(b->s, 1, b->len, a->o.out) != b->len)
		return bf_err_set(e, BF_EXIT_IO, "write error");
	return 0;
}

/* Closes window w (NULL: a window without samples) with its window line. */
static int
close_window(struct bf_agg *a, struct window *w, const struct bf_window *id,
    struct bf_err *e)
{
	struct group **g = NULL;
	size_t ng = 0, i;
	long dups = 0, conflicts = 0, rows = 0, ds = 0, lbused = 0;
	const char *code = NULL;
	struct bf_err fe;
	int failed, hascov = 0;
	bf_dec covmin = { 0 };
	char counts[320], cov[BF_DEC_LEN];

	bf_err_clear(&fe);
	bf_buf_reset(&a->usage);
	if (w) {
		struct bf_hent *x;

		g = bf_xmalloc((w->groups.n + 1) * sizeof(*g));
		i = 0;
		while ((x = bf_htab_next(&w->groups, &i)) != NULL)
			g[ng++] = (struct group *)x;
		qsort(g, ng, sizeof(*g), groupcmp);
		for (i = 0; i < ng; i++)
			g[i]->n = bf_samples_dedupe(g[i]->s, g[i]->n, &dups,
			    &conflicts);
	}
	failed = bf_window_failed(&a->j);
	for (i = 0; i < ng && !failed; i++) {
		/* A series with a lookback sample alone has no usage. */
		if (g[i]->n == 0)
			continue;
		failed = price_group(a, w, g[i], &code, &fe) == -1;
		rows++;
		lbused += g[i]->lbused;
		if (!failed && (!hascov || bf_dec_cmp(g[i]->cov, covmin) < 0)) {
			covmin = g[i]->cov;
			hascov = 1;
		}
	}
	for (i = 0; i < ng && !failed && bf_dec_sign(a->o.min_coverage) > 0;
	    i++)
		failed = g[i]->n > 0 && low_coverage(a, g[i], &code, &fe);
	if (failed) {
		/* A failed window passes on no usage at all. */
		bf_buf_reset(&a->usage);
		a->failed++;
		rows = 0;
	} else {
		for (i = 0; a->o.step > 0 && i < ng; i++)
			ds += downsample(a, w, g[i]);
	}
	free(g);
	snprintf(counts, sizeof(counts),
	    "\"usage_rows\":%ld,\"duplicates\":%ld,\"conflicts\":%ld,"
	    "\"aggregated\":%ld,\"out_of_window\":%ld,\"invalid_samples\":%ld",
	    rows, dups, conflicts, w ? w->aggregated : 0,
	    w ? w->out_of_window : 0, w ? w->invalid : 0);
	if (w && w->lookback > 0)
		snprintf(counts + strlen(counts), sizeof(counts) - strlen(counts),
		    ",\"lookback_used\":%ld", failed ? 0 : lbused);
	if (a->o.step > 0)
		snprintf(counts + strlen(counts), sizeof(counts) - strlen(counts),
		    ",\"downsampled\":%ld", ds);
	if (!failed && hascov) {
		bf_dec_format(covmin, cov);
		snprintf(counts + strlen(counts), sizeof(counts) - strlen(counts),
		    ",\"coverage_min\":\"%s\"", cov);
	}
	bf_buf_reset(&a->line);
	bf_window_emit(a->j.s, a->j.len, &a->line, STAGE,
	    failed ? "failed" : "ok", code, code ? fe.msg : NULL, counts);
	if (sync_dlq(a, e) == -1 || write_out(a, &a->usage, e) == -1 ||
	    write_out(a, &a->line, e) == -1)
		return -1;
	bf_ckpt_add(&part_get(a, id->partition, 1)->closed, id->start,
	    id->end);
	return 0;
}

static int
window_line(struct bf_agg *a, const char *s, size_t len, const char *file,
    long lineno, struct bf_err *e)
{
	struct bf_err fe;
	struct window *w;
	uint64_t hash;
	int rc;

	bf_err_clear(&fe);
	memset(&a->wid, 0, sizeof(a->wid));
	if (bf_window_from_json(&a->j, &a->wid, &fe) == -1) {
		bf_window_free(&a->wid);
		a->failed++;
		return reject(a, NULL, -1, "bad_window", "", fe.msg, s, len,
		    file, lineno, e);
	}
	hash = window_key(a, &a->wid);
	w = (struct window *)bf_htab_find(&a->windows, hash, a->key.s,
	    a->key.len);
	bf_wcache_clear(&a->wc);
	if (!w && window_closed(a, &a->wid)) {
		a->failed++;
		bf_buf_reset(&a->line);
		bf_window_emit(a->j.s, a->j.len, &a->line, STAGE, "failed",
		    "window_closed", "the window overlaps a window closed "
		    "earlier in the stream", "\"usage_rows\":0");
		bf_window_free(&a->wid);
		if (sync_dlq(a, e) == -1)
			return -1;
		return write_out(a, &a->line, e);
	}
	rc = close_window(a, w, &a->wid, e);
	if (w) {
		bf_htab_remove(&a->windows, &w->h);
		window_free(w);
	}
	bf_window_free(&a->wid);
	return rc;
}

int
bf_agg_line(struct bf_agg *a, const char *s, size_t len,
    const struct bf_spill *toolong, const char *file, long lineno,
    struct bf_err *e)
{
	int rc, f[F_N];
	size_t pos = 0;
	char msg[128];

	if (toolong) {
		a->spill = toolong;
		rc = reject(a, NULL, -1, "line_too_long", "",
		    "the line is too long (raw holds it whole)", s, len, file,
		    lineno, e);
		a->spill = NULL;
		return rc;
	}
	rc = bf_json_parse(&a->j, s, len, BF_JSON_WANT_OBJECT, &pos);
	if (rc != BF_JSON_OK) {
		snprintf(msg, sizeof(msg), "%s at byte %zu",
		    bf_json_strerror(rc), pos + 1);
		return reject(a, NULL, -1, bf_json_code(rc), "", msg, s, len,
		    file, lineno, e);
	}
	switch (bf_line_scan(&a->fs, &a->j, f)) {
	case BF_LINE_SAMPLE:
		return sample_line(a, f, s, len, file, lineno, e);
	case BF_LINE_WINDOW:
		return window_line(a, s, len, file, lineno, e);
	case BF_LINE_NOTYPE:
		return reject(a, NULL, -1, "missing_type", "/type",
		    f[BF_F_TYPE] < 0 ? "the line has no 'type'" :
		    "'type' must be a string", s, len, file, lineno, e);
	default:
		if (fwrite(s, 1, len, a->o.out) != len ||
		    putc('\n', a->o.out) == EOF)
			return bf_err_set(e, BF_EXIT_IO, "write error");
		return 0;
	}
}

static int
windowcmp(const void *pa, const void *pb)
{
	const struct window *a = *(struct window *const *)pa;
	const struct window *b = *(struct window *const *)pb;
	int c = strcmp(a->id.partition, b->id.partition);

	if (c != 0)
		return c;
	if (a->id.start != b->id.start)
		return a->id.start < b->id.start ? -1 : 1;
	return (a->id.end > b->id.end) - (a->id.end < b->id.end);
}

int
bf_agg_finish(struct bf_agg *a, struct bf_buf *warnings, struct bf_err *e)
{
	struct window **w;
	struct bf_hent *x;
	size_t i = 0, n = 0;

	w = bf_xmalloc((a->windows.n + 1) * sizeof(*w));
	while ((x = bf_htab_next(&a->windows, &i)) != NULL)
		w[n++] = (struct window *)x;
	qsort(w, n, sizeof(*w), windowcmp);
	for (i = 0; i < n; i++) {
		bf_buf_printf(warnings, "discarding %ld sample%s of window "
		    "'%s' %s/%s: its window line never came\n",
		    w[i]->aggregated, w[i]->aggregated == 1 ? "" : "s",
		    w[i]->id.partition, w[i]->id.ws, w[i]->id.we);
		bf_htab_remove(&a->windows, &w[i]->h);
		window_free(w[i]);
		a->failed++;
	}
	free(w);
	bf_wcache_clear(&a->wc);
	return sync_dlq(a, e);
}

int
bf_agg_status(const struct bf_agg *a)
{
	return a->failed ? BF_EXIT_FAILED : BF_EXIT_OK;
}
