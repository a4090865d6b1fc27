/*
 * validate.c: per-line validation and per-window accounting (validate.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checkpoint.h"
#include "files.h"
#include "hash.h"
#include "htab.h"
#include "stream.h"
#include "units.h"
#include "validate.h"

#define STAGE "bf-validate"

/* A window that has had lines and whose window line has not come yet. */
struct wentry {
	struct bf_hent h;     /* key: partition NUL window_start NUL
	                         window_end, owned */
	struct bf_window w;
	long lines, accepted, rejected;
	long lb_accepted, lb_rejected; /* lookback samples */
	int partok;           /* 1: the partition name was found fine */
};

struct bf_validator {
	struct bf_contract *c;
	struct bf_validate_opts o;
	FILE *out;
	struct bf_dlq *q;
	long synced;          /* bf_dlq_count at the last sync */
	struct bf_json j;
	struct bf_json jlb;   /* a lookback sample without "lookback" */
	int cur_lb;           /* the line is a lookback sample */
	struct bf_verror ve;
	struct bf_buf tmp, msg, line, extra, lbline;
	struct bf_buf val;  /* a value, as a message shows it */
	struct bf_buf ptr;  /* a rule's JSON pointer in the contract */
	struct bf_htab tab;   /* of struct wentry */
	struct bf_wcache wc;  /* the window of the last line */
	struct bf_fields fs;  /* fnames compiled */
	long pending;         /* rejects not yet counted in a window */
	struct bf_validate_stats st;
};

/* The root members a sample or window line is read by (bf_line_scan):
 * f->t[F_...], -1 when absent. */
enum {
	F_METRIC = BF_F_NCOMMON, F_VALUE, F_UNIT, F_TS, F_LOOKBACK, F_IID, F_N
};
static const char *const fnames[F_N] = {
	BF_F_COMMON_NAMES, "metric", "value", "unit", "ts", "lookback",
	"instance_id",
};
struct fields {
	int t[F_N];
};

struct bf_validator *
bf_validator_new(struct bf_contract *c, const struct bf_validate_opts *o,
    FILE *out, struct bf_dlq *q)
{
	struct bf_validator *v = bf_xcalloc(1, sizeof(*v));

	v->c = c;
	v->o = *o;
	v->out = out;
	v->q = q;
	bf_fields_init(&v->fs, fnames, F_N);
	return v;
}

static void
free_entry(struct wentry *w)
{
	free(w->h.key);
	bf_window_free(&w->w);
	free(w);
}

void
bf_validator_free(struct bf_validator *v)
{
	size_t i = 0;
	struct bf_hent *w;

	if (v == NULL)
		return;
	while ((w = bf_htab_next(&v->tab, &i)) != NULL)
		free_entry((struct wentry *)w);
	bf_htab_free(&v->tab);
	bf_json_free(&v->j);
	bf_json_free(&v->jlb);
	bf_buf_free(&v->ve.rule);
	bf_buf_free(&v->ve.pointer);
	bf_buf_free(&v->ve.message);
	bf_buf_free(&v->tmp);
	bf_buf_free(&v->msg);
	bf_buf_free(&v->line);
	bf_buf_free(&v->ptr);
	bf_buf_free(&v->extra);
	bf_buf_free(&v->val);
	bf_buf_free(&v->lbline);
	bf_wcache_free(&v->wc);
	free(v);
}

const struct bf_validate_stats *
bf_validator_stats(const struct bf_validator *v)
{
	return &v->st;
}

int
bf_reject_rate_exceeded(long accepted, long rejected, bf_dec rate)
{
	bf_dec lim;

	if (rejected <= 0)
		return 0;
	if (bf_dec_mul_int(rate, (int64_t)(accepted + rejected), &lim) !=
	    BF_DEC_OK)
		return 0;
	return bf_dec_cmp(bf_dec_from_int(rejected), lim) > 0;
}

/* ---- the window table ------------------------------------------------- */

static struct wentry *
lookup(struct bf_validator *v, const char *k, size_t n)
{
	return (struct wentry *)bf_htab_find(&v->tab, bf_fnv1a64(k, n), k, n);
}

/* Takes ownership of *win. */
static struct wentry *
insert(struct bf_validator *v, const char *k, size_t n, struct bf_window *win)
{
	struct wentry *w = bf_xcalloc(1, sizeof(*w));

	w->h.key = bf_xmalloc(n);
	memcpy(w->h.key, k, n);
	w->h.klen = n;
	w->h.hash = bf_fnv1a64(k, n);
	w->w = *win;
	bf_htab_insert(&v->tab, &w->h);
	return w;
}

static void
remove_entry(struct bf_validator *v, struct wentry *e)
{
	bf_htab_remove(&v->tab, &e->h);
	if (v->wc.hit == e)
		bf_wcache_clear(&v->wc);
	free_entry(e);
}

/* ---- reading lines ---------------------------------------------------- */

static const char *
sval_esc(const struct bf_json *j, int t, struct bf_buf *b, size_t *n)
{
	bf_buf_reset(b);
	bf_json_str(j, t, b);
	*n = b->len;
	return bf_buf_str(b);
}

/* The string value of token t: raw bytes, or unescaped into b. Inline:
 * every key of every line goes through it. */
static inline const char *
sval(const struct bf_json *j, int t, struct bf_buf *b, size_t *n)
{
	if (!j->tok[t].esc) {
		*n = (size_t)(j->tok[t].end - j->tok[t].start - 2);
		return j->s + j->tok[t].start + 1;
	}
	return sval_esc(j, t, b, n);
}

/* Appends s[0..n) to b for a message, cut at 64 bytes on a character
 * boundary. */
static void
put_short(struct bf_buf *b, const char *s, size_t n)
{
	size_t k = n;

	if (n > 64) {
		k = 64;
		while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
	}
	bf_buf_add(b, s, k);
	if (k < n)
		bf_buf_puts(b, "...");
}

/* ---- names ------------------------------------------------------------ */

/* ---- rejects ---------------------------------------------------------- */

struct pos {
	const char *file;
	long line;
	const char *s;
	size_t n;
	const struct bf_spill *spill; /* the whole line, when too long */
};

static int
reject(struct bf_validator *v, const struct pos *p, struct wentry *w,
    long ordinal, const char *code, const char *pointer, const char *rule,
    const char *message, struct bf_err *e)
{
	struct bf_reject r;

	memset(&r, 0, sizeof(r));
	r.stage = STAGE;
	r.code = code;
	r.pointer = pointer ? pointer : "";
	r.rule = rule;
	r.message = message;
	r.file = p->file;
	r.line = p->line;
	r.ordinal = -1;
	if (w) {
		r.partition = w->w.partition;
		r.window_start = w->w.ws;
		r.window_end = w->w.we;
		r.ordinal = ordinal;
		if (v->cur_lb)
			w->lb_rejected++;
		else
			w->rejected++;
	} else {
		v->pending++;
		v->st.unattributed++;
	}
	r.raw = p->s;
	r.rawlen = p->n;
	r.spill = p->spill;
	v->st.rejected++;
	return bf_dlq_write(v->q, &r, e);
}

/* A reject with a message built by printf. */
static int
rejectf(struct bf_validator *v, const struct pos *p, struct wentry *w,
    long ordinal, const char *code, const char *pointer, const char *rule,
    struct bf_err *e, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

static int
rejectf(struct bf_validator *v, const struct pos *p, struct wentry *w,
    long ordinal, const char *code, const char *pointer, const char *rule,
    struct bf_err *e, const char *fmt, ...)
{
	va_list ap;

	bf_buf_reset(&v->msg);
	va_start(ap, fmt);
	bf_buf_vprintf(&v->msg, fmt, ap);
	va_end(ap);
	return reject(v, p, w, ordinal, code, pointer, rule,
	    bf_buf_str(&v->msg), e);
}

static void
emit(struct bf_validator *v, const char *s, size_t n)
{
	fwrite(s, 1, n, v->out);
	putc('\n', v->out);
}

/* ---- windows ---------------------------------------------------------- */

/* The window of the line (from its window fields), or NULL with a reason
 * in v->msg. */
static struct wentry *
window_of(struct bf_validator *v, const struct fields *f)
{
	const struct bf_json *j = &v->j;
	struct bf_window w;
	struct bf_err e;
	struct wentry *ent;
	const int *t = f->t + BF_F_PARTITION;

	if ((ent = bf_wcache_get(&v->wc, j, t)) != NULL)
		return ent;
	memset(&w, 0, sizeof(w));
	bf_err_clear(&e);
	if (bf_window_from_json(j, &w, &e) < 0) {
		bf_buf_reset(&v->msg);
		bf_buf_puts(&v->msg, e.msg[0] ? e.msg :
		    "missing or malformed window fields");
		bf_window_free(&w);
		return NULL;
	}
	bf_buf_reset(&v->tmp);
	bf_buf_puts(&v->tmp, w.partition);
	bf_buf_putc(&v->tmp, '\0');
	bf_buf_puts(&v->tmp, w.ws);
	bf_buf_putc(&v->tmp, '\0');
	bf_buf_puts(&v->tmp, w.we);
	if ((ent = lookup(v, v->tmp.s, v->tmp.len)) != NULL)
		bf_window_free(&w);
	else
		ent = insert(v, v->tmp.s, v->tmp.len, &w);
	bf_wcache_set(&v->wc, j, t, ent);
	return ent;
}

static int
window_line(struct bf_validator *v, const struct pos *p,
    const struct fields *f, struct bf_err *e)
{
	struct wentry *w;
	long acc = 0, rej = 0;
	int failed;
	char rate[BF_DEC_LEN];

	if ((w = window_of(v, f)) == NULL) {
		bf_buf_reset(&v->val);
		bf_buf_puts(&v->val, bf_buf_str(&v->msg));
		return rejectf(v, p, NULL, -1, "missing_window", "",
		    "bf:window", e, "window line: %s", bf_buf_str(&v->val));
	}
	acc = w->accepted;
	rej = w->rejected + v->pending;
	v->pending = 0;
	failed = bf_reject_rate_exceeded(acc, rej, v->o.max_reject_rate);
	if (bf_dlq_count(v->q) != v->synced) {
		if (bf_dlq_sync(v->q, e) < 0)
			return -1;
		v->synced = bf_dlq_count(v->q);
	}
	bf_buf_reset(&v->extra);
	bf_buf_printf(&v->extra, "\"accepted\":%ld,\"rejected\":%ld,"
	    "\"lookback_accepted\":%ld,\"lookback_rejected\":%ld", acc, rej,
	    w->lb_accepted, w->lb_rejected);
	bf_buf_reset(&v->msg);
	if (failed) {
		bf_unit_format_number(v->o.max_reject_rate, rate);
		bf_buf_printf(&v->msg, "rejected %ld of %ld samples, above "
		    "the maximum reject rate %s", rej, acc + rej, rate);
	}
	bf_buf_reset(&v->line);
	bf_window_emit(v->j.s, v->j.len, &v->line, STAGE,
	    failed ? "failed" : "ok", failed ? "reject_rate" : NULL,
	    failed ? v->msg.s : NULL, v->extra.s);
	fwrite(v->line.s, 1, v->line.len, v->out);
	v->st.windows++;
	if (failed || bf_window_failed(&v->j))
		v->st.failed++;
	remove_entry(v, w);
	return 0;
}

/* ---- samples ---------------------------------------------------------- */

/* The line of v->j parsed again without its "lookback" member, for the
 * contract: "lookback" belongs to the stream, like "type", and a contract
 * with additionalProperties false need not name it. Removing a member of a
 * valid object leaves a valid object, so the parse cannot fail; if it did,
 * the line itself is checked. */
static const struct bf_json *
without_lookback(struct bf_validator *v)
{
	static const char *const drop[] = { "lookback", NULL };

	bf_buf_reset(&v->lbline);
	bf_json_rewrite(&v->j, &v->lbline, drop, NULL);
	if (bf_json_parse(&v->jlb, v->lbline.s, v->lbline.len,
	    BF_JSON_WANT_OBJECT, NULL) != BF_JSON_OK)
		return &v->j;
	return &v->jlb;
}

static int
is_nan_inf(const char *s, size_t n)
{
	static const char *const names[] = { "nan", "+nan", "-nan", "inf",
		"+inf", "-inf", "infinity", "+infinity", "-infinity", NULL };
	int i;

	for (i = 0; names[i]; i++)
		if (strlen(names[i]) == n && strncasecmp(names[i], s, n) == 0)
			return 1;
	return 0;
}

/* Refuses the sample with bad_name when its partition, instance_id or
 * metric is a string that bf-load could not take as a name: 1 when
 * refused (*rc the reject's result), else 0. Other types are left to the
 * checks that follow. */
static int
bad_name(struct bf_validator *v, const struct pos *p, struct wentry *w,
    long ord, const struct fields *f, int *rc, struct bf_err *e)
{
	static const char *const ptr[] = { "/partition", "/instance_id",
		"/metric" };
	const char *s;
	size_t n;
	int t[3], i;

	/* the partition is checked once if fine */
	t[0] = w->partok <= 0 ? f->t[BF_F_PARTITION] : -1;
	t[1] = f->t[F_IID];
	t[2] = f->t[F_METRIC];
	for (i = 0; i < 3; i++) {
		if (t[i] < 0 || v->j.tok[t[i]].type != BF_JSON_STRING)
			continue;
		s = sval(&v->j, t[i], &v->tmp, &n);
		bf_buf_reset(&v->msg);
		if (bf_name_check(ptr[i] + 1, s, n, &v->msg) == 0) {
			if (i == 0)
				w->partok = 1;
			continue;
		}
		break;
	}
	if (i == 3)
		return 0;
	*rc = reject(v, p, w, ord, "bad_name", ptr[i], "bf:name",
	    bf_buf_str(&v->msg), e);
	return 1;
}

/* A sample line on its way through the checks of sample_line: what each
 * step found, for the steps after it. A step returns 1 when it decided
 * the line (rejected it: *rc is reject's result), 0 to go on. */
struct sample {
	const struct pos *p;
	const struct fields *f;
	struct wentry *w;
	long ord;                           /* the line's place in w */
	const struct bf_metric_rule *rule;  /* NULL: an unknown metric */
	const struct bf_metric_unit *unit;  /* the sample's unit in rule */
	const char *raw;                    /* the value's text */
	size_t rn;
	bf_dec val, out;                    /* as given; in rule's unit */
	int converted;                      /* out differs from val */
};

/* s[0..n) as a message shows it (cut short), in v->val. */
static const char *
show(struct bf_validator *v, const char *s, size_t n)
{
	bf_buf_reset(&v->val);
	put_short(&v->val, s, n);
	return bf_buf_str(&v->val);
}

#define DECIDED(x)                                                      \
	do {                                                            \
		*rc = (x);                                              \
		return 1;                                               \
	} while (0)

/* "lookback": only true, and then the line is a lookback sample. */
static int
check_lookback(struct bf_validator *v, struct sample *m, int *rc,
    struct bf_err *e)
{
	const char *raw;
	size_t rn;

	if (m->f->t[F_LOOKBACK] < 0)
		return 0;
	if (v->j.tok[m->f->t[F_LOOKBACK]].type != BF_JSON_TRUE) {
		raw = bf_json_raw(&v->j, m->f->t[F_LOOKBACK], &rn);
		DECIDED(rejectf(v, m->p, m->w, m->ord, "not_allowed",
		    "/lookback", "bf:lookback", e, "'lookback' is %s: a "
		    "lookback sample has \"lookback\":true, any other has no "
		    "'lookback'", show(v, raw, rn)));
	}
	v->cur_lb = 1;
	return 0;
}

/* member's reject: missing_field when member f is absent, else
 * wrong_type. */
static int
member_reject(struct bf_validator *v, struct sample *m, int f, int *rc,
    struct bf_err *e)
{
	char ptr[32];

	snprintf(ptr, sizeof(ptr), "/%s", fnames[f]);
	if (m->f->t[f] < 0)
		*rc = rejectf(v, m->p, m->w, m->ord, "missing_field", ptr,
		    "bf:sample", e, "required field '%s' is missing",
		    fnames[f]);
	else
		*rc = rejectf(v, m->p, m->w, m->ord, "wrong_type", ptr,
		    "bf:sample", e, "'%s' must be a string", fnames[f]);
	return -1;
}

/* The value token of the sample's member f, or -1 after its reject (*rc
 * the reject's result): missing_field when it is absent, wrong_type when
 * str and it is no string. */
static inline int
member(struct bf_validator *v, struct sample *m, int f, int str, int *rc,
    struct bf_err *e)
{
	int t = m->f->t[f];

	if (t >= 0 && (!str || v->j.tok[t].type == BF_JSON_STRING))
		return t;
	return member_reject(v, m, f, rc, e);
}

/* The text of the sample's string member f (its length in *n), or NULL
 * after member's reject. */
static const char *
member_text(struct bf_validator *v, struct sample *m, int f, size_t *n,
    int *rc, struct bf_err *e)
{
	int t = member(v, m, f, 1, rc, e);

	return t < 0 ? NULL : sval(&v->j, t, &v->tmp, n);
}

/* "metric": a string, in the contract unless unknown ones are allowed. */
static int
check_metric(struct bf_validator *v, struct sample *m, int *rc,
    struct bf_err *e)
{
	const char *s;
	size_t n;

	if ((s = member_text(v, m, F_METRIC, &n, rc, e)) == NULL)
		return 1;
	m->rule = bf_contract_metric(v->c, s, n);
	if (m->rule == NULL && !bf_contract_allow_unknown(v->c)) {
		DECIDED(rejectf(v, m->p, m->w, m->ord, "unknown_metric",
		    "/metric", "/x-bf-metrics", e, "metric '%s' is not in the "
		    "contract", show(v, s, n)));
	}
	return 0;
}

/* "value": a finite JSON number within the exact decimal range. */
static int
check_value(struct bf_validator *v, struct sample *m, int *rc,
    struct bf_err *e)
{
	const char *s;
	size_t n;
	int t;

	if ((t = member(v, m, F_VALUE, 0, rc, e)) < 0)
		return 1;
	if (v->j.tok[t].type == BF_JSON_STRING) {
		s = sval(&v->j, t, &v->tmp, &n);
		if (is_nan_inf(s, n)) {
			DECIDED(rejectf(v, m->p, m->w, m->ord, "nan_or_inf",
			    "/value", "bf:sample", e, "value '%s' is not a "
			    "finite number", show(v, s, n)));
		}
	}
	if (v->j.tok[t].type != BF_JSON_NUMBER)
		DECIDED(reject(v, m->p, m->w, m->ord, "wrong_type", "/value",
		    "bf:sample", "'value' must be a number", e));
	m->raw = bf_json_raw(&v->j, t, &m->rn);
	if (bf_dec_parse(m->raw, m->rn, &m->val) != BF_DEC_OK) {
		DECIDED(rejectf(v, m->p, m->w, m->ord, "number_overflow",
		    "/value", "bf:sample", e, "value %s is out of the exact "
		    "decimal range", show(v, m->raw, m->rn)));
	}
	return 0;
}

/* "unit": a string, one the metric's rule accepts. */
static int
check_unit(struct bf_validator *v, struct sample *m, int *rc,
    struct bf_err *e)
{
	const struct bf_metric_rule *rule = m->rule;
	const char *s;
	size_t n;

	if ((s = member_text(v, m, F_UNIT, &n, rc, e)) == NULL)
		return 1;
	if (rule == NULL)
		return 0;
	if ((m->unit = bf_metric_unit(rule, s, n)) != NULL)
		return 0;
	bf_buf_reset(&v->ptr);
	bf_buf_printf(&v->ptr, "%s/%s", rule->loc, rule->explicit_units ?
	    "units" : "unit");
	DECIDED(rejectf(v, m->p, m->w, m->ord, "unknown_unit", "/unit",
	    v->ptr.s, e, "unit '%s' is not accepted for metric '%s' "
	    "(canonical unit '%s')", show(v, s, n), rule->name,
	    rule->unit));
}

/* A lookback sample's ts: in [window_start - lookback, window_start). */
static int
check_lookback_ts(struct bf_validator *v, struct sample *m, bf_time ts,
    const char *s, size_t n, int *rc, struct bf_err *e)
{
	struct wentry *w = m->w;
	char los[BF_TIME_LEN];
	bf_time lo;

	if (__builtin_sub_overflow(w->w.start, v->o.lookback, &lo))
		lo = INT64_MIN;
	if (ts < w->w.start && ts >= lo)
		return 0;
	if (v->o.lookback == 0)
		DECIDED(rejectf(v, m->p, w, m->ord, "ts_out_of_window", "/ts",
		    "bf:ts-in-lookback", e, "ts '%s' of a lookback sample, "
		    "but lookback samples are off (--lookback 0)",
		    show(v, s, n)));
	if (bf_time_format(lo, los) == 0)
		strcpy(los, "0000-01-01T00:00:00Z");
	DECIDED(rejectf(v, m->p, w, m->ord, "ts_out_of_window", "/ts",
	    "bf:ts-in-lookback", e, "ts '%s' of a lookback sample is outside "
	    "[%s, %s) (window_start less --lookback, window_start)",
	    show(v, s, n), los, w->w.ws));
}

/* "ts": a time, in the window (or its lookback), not after now. */
static int
check_ts(struct bf_validator *v, struct sample *m, int *rc,
    struct bf_err *e)
{
	struct wentry *w = m->w;
	const char *s;
	char now[BF_TIME_LEN];
	size_t n;
	bf_time ts;
	int32_t nsec;
	int t, r;

	if ((t = member(v, m, F_TS, 0, rc, e)) < 0)
		return 1;
	if (v->j.tok[t].type == BF_JSON_STRING) {
		s = sval(&v->j, t, &v->tmp, &n);
		r = bf_time_parse(s, n, &ts, &nsec);
	} else if (v->j.tok[t].type == BF_JSON_NUMBER) {
		s = bf_json_raw(&v->j, t, &n);
		r = bf_time_from_number(s, n, &ts, &nsec);
	} else
		DECIDED(reject(v, m->p, w, m->ord, "wrong_type", "/ts",
		    "bf:sample", "'ts' must be an RFC 3339 string or epoch "
		    "seconds", e));
	if (r < 0)
		DECIDED(rejectf(v, m->p, w, m->ord, "bad_timestamp", "/ts",
		    "bf:sample", e, "'%s' is not a timestamp", show(v, s, n)));
	if (v->cur_lb) {
		if (check_lookback_ts(v, m, ts, s, n, rc, e))
			return 1;
	} else if (ts < w->w.start || ts >= w->w.end)
		DECIDED(rejectf(v, m->p, w, m->ord, "ts_out_of_window", "/ts",
		    "bf:ts-in-window", e, "ts '%s' is outside the window "
		    "[%s, %s)", show(v, s, n), w->w.ws, w->w.we));
	if (ts < v->o.now || (ts == v->o.now && nsec == 0))
		return 0;
	bf_time_format(v->o.now, now);
	DECIDED(rejectf(v, m->p, w, m->ord, "ts_in_future", "/ts",
	    "bf:ts-not-after-now", e, "ts '%s' is after now (%s)",
	    show(v, s, n), now));
}

/* The metric's rule: the value converted to its canonical unit, within
 * its bounds, an integer where it says so. */
static int
check_rule(struct bf_validator *v, struct sample *m, int *rc,
    struct bf_err *e)
{
	const struct bf_metric_rule *rule = m->rule;
	char num[BF_DEC_LEN], lim[BF_DEC_LEN];
	int lo, hi;

	m->out = m->val;
	if (rule == NULL)
		return 0;
	if (m->unit != &rule->units[0]) {
		if (bf_unit_convert(m->val, m->unit->num, m->unit->den,
		    &m->out) != BF_DEC_OK) {
			bf_buf_reset(&v->ptr);
			bf_buf_printf(&v->ptr, "%s/units", rule->loc);
			DECIDED(rejectf(v, m->p, m->w, m->ord,
			    "number_overflow", "/value", v->ptr.s, e, "value "
			    "%s %s is out of the exact decimal range in %s",
			    show(v, m->raw, m->rn), m->unit->name, rule->unit));
		}
		m->converted = 1;
	}
	lo = rule->has_min && bf_dec_cmp(m->out, rule->min) < 0;
	hi = rule->has_max && bf_dec_cmp(m->out, rule->max) > 0;
	if (!lo && !hi && (!rule->integer || bf_dec_is_integer(m->out)))
		return 0;
	bf_unit_format_number(m->out, num);
	bf_buf_reset(&v->ptr);
	if (lo || hi) {
		bf_unit_format_number(lo ? rule->min : rule->max, lim);
		bf_buf_printf(&v->ptr, "%s/%s", rule->loc, lo ? "minimum" :
		    "maximum");
		DECIDED(rejectf(v, m->p, m->w, m->ord, "out_of_range",
		    "/value", v->ptr.s, e, "value %s %s is %s the %s %s", num,
		    rule->unit, lo ? "below" : "above", lo ? "minimum" :
		    "maximum", lim));
	}
	bf_buf_printf(&v->ptr, "%s/integer", rule->loc);
	DECIDED(rejectf(v, m->p, m->w, m->ord, "not_integer", "/value",
	    v->ptr.s, e, "value %s %s is not an integer", num, rule->unit));
}

/* The line passed: counted, and written as it came or, converted, with
 * the canonical value and unit and the source's beside them. */
static void
accept_sample(struct bf_validator *v, const struct sample *m)
{
	static const char *const drop[] = { "value", "unit", "source_value",
		"source_unit", "lookback", NULL };
	char num[BF_DEC_LEN];
	const char *ur;
	size_t un;

	if (v->cur_lb) {
		m->w->lb_accepted++;
		v->st.lookback++;
	} else {
		m->w->accepted++;
		v->st.accepted++;
	}
	if (!m->converted) {
		emit(v, m->p->s, m->p->n);
		return;
	}
	v->st.converted++;
	bf_unit_format_number(m->out, num);
	bf_buf_reset(&v->extra);
	bf_buf_printf(&v->extra, "\"value\":%s,\"unit\":", num);
	bf_json_put_str(&v->extra, m->rule->unit, m->rule->unitlen);
	bf_buf_puts(&v->extra, ",\"source_value\":");
	bf_buf_add(&v->extra, m->raw, m->rn);
	bf_buf_puts(&v->extra, ",\"source_unit\":");
	ur = bf_json_raw(&v->j, m->f->t[F_UNIT], &un);
	bf_buf_add(&v->extra, ur, un);
	if (v->cur_lb)
		bf_buf_puts(&v->extra, ",\"lookback\":true");
	bf_buf_reset(&v->line);
	bf_json_rewrite(&v->j, &v->line, drop, v->extra.s);
	emit(v, v->line.s, v->line.len);
}

/* A sample line: its window, then the checks in the order of bf(7) (the
 * first failure is its reject), then the contract's JSON Schema (which
 * does not see "lookback"), then the metric's rule. */
static int
sample_line(struct bf_validator *v, const struct pos *p,
    const struct fields *f, struct bf_err *e)
{
	struct sample m;
	int rc = 0;

	memset(&m, 0, sizeof(m));
	m.p = p;
	m.f = f;
	if ((m.w = window_of(v, f)) == NULL) {
		bf_buf_reset(&v->val);
		bf_buf_puts(&v->val, bf_buf_str(&v->msg));
		return reject(v, p, NULL, -1, "missing_window", "",
		    "bf:window", bf_buf_str(&v->val), e);
	}
	m.ord = m.w->lines++;
	if (check_lookback(v, &m, &rc, e) ||
	    bad_name(v, p, m.w, m.ord, f, &rc, e) ||
	    check_metric(v, &m, &rc, e) || check_value(v, &m, &rc, e) ||
	    check_unit(v, &m, &rc, e) || check_ts(v, &m, &rc, e))
		return rc;
	if (!bf_contract_check(v->c, v->cur_lb ? without_lookback(v) : &v->j,
	    &v->ve))
		return reject(v, p, m.w, m.ord, v->ve.code,
		    bf_buf_str(&v->ve.pointer), bf_buf_str(&v->ve.rule),
		    bf_buf_str(&v->ve.message), e);
	if (check_rule(v, &m, &rc, e))
		return rc;
	accept_sample(v, &m);
	return 0;
}

/* ---- lines ------------------------------------------------------------ */

int
bf_validator_line(struct bf_validator *v, const char *file, long lineno,
    const char *s, size_t n, const struct bf_spill *toolong,
    struct bf_err *e)
{
	struct pos p;
	struct fields f;
	size_t errpos = 0;
	int rc, type;

	p.file = file;
	p.line = lineno;
	p.s = s;
	p.n = n;
	p.spill = toolong;
	v->cur_lb = 0;
	v->st.lines++;
	if (toolong)
		return rejectf(v, &p, NULL, -1, "line_too_long", "",
		    "bf:max-line", e, "line of %lld bytes, longer than %zu; "
		    "raw holds it whole", toolong->len, n);
	rc = bf_json_parse(&v->j, s, n, v->o.plain ? 0 : BF_JSON_WANT_OBJECT,
	    &errpos);
	if (rc == BF_JSON_EEMPTY) {
		v->st.empty++;
		return 0;
	}
	if (rc != BF_JSON_OK)
		return rejectf(v, &p, NULL, -1, bf_json_code(rc), "",
		    "bf:json", e, "%s at byte %zu", bf_json_strerror(rc),
		    errpos + 1);
	if (v->o.plain) {
		if (!bf_contract_check(v->c, &v->j, &v->ve))
			return reject(v, &p, NULL, -1, v->ve.code,
			    bf_buf_str(&v->ve.pointer),
			    bf_buf_str(&v->ve.rule),
			    bf_buf_str(&v->ve.message), e);
		v->st.accepted++;
		emit(v, s, n);
		return 0;
	}
	type = bf_line_scan(&v->fs, &v->j, f.t);
	switch (type) {
	case BF_LINE_SAMPLE:
		return sample_line(v, &p, &f, e);
	case BF_LINE_WINDOW:
		return window_line(v, &p, &f, e);
	case BF_LINE_NOTYPE:
		return reject(v, &p, NULL, -1, "missing_type", "/type",
		    "bf:type", f.t[BF_F_TYPE] < 0 ? "the line has no 'type'" :
		    "'type' must be a string", e);
	default:
		v->st.passed++;
		emit(v, s, n);
		return 0;
	}
}

int
bf_validator_finish(struct bf_validator *v, struct bf_err *e)
{
	(void)e;
	if (v->o.plain && bf_reject_rate_exceeded(v->st.accepted,
	    v->st.rejected, v->o.max_reject_rate))
		v->st.failed++;
	return 0;
}
