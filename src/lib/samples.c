/* samples.c: see samples.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "samples.h"

#define NSEC 1000000000

int
bf_sample_cmp(const void *pa, const void *pb)
{
	const struct bf_sample *a = pa, *b = pb;

	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	if (a->nsec != b->nsec)
		return a->nsec < b->nsec ? -1 : 1;
	return bf_dec_cmp(a->v, b->v);
}

size_t
bf_samples_dedupe(struct bf_sample *s, size_t n, long *dups,
    long *conflicts)
{
	size_t i, k = 0;

	/* Samples mostly come in time order: sort only when they are not. */
	for (i = 1; i < n && bf_sample_cmp(&s[i - 1], &s[i]) <= 0; i++)
		;
	if (i < n)
		qsort(s, n, sizeof(*s), bf_sample_cmp);
	for (i = 0; i < n; i++) {
		if (k > 0 && s[k - 1].sec == s[i].sec &&
		    s[k - 1].nsec == s[i].nsec) {
			/* Sorted by value: the last of a run is the greatest. */
			if (bf_dec_cmp(s[k - 1].v, s[i].v) == 0)
				(*dups)++;
			else
				(*conflicts)++;
			s[k - 1] = s[i];
			continue;
		}
		s[k++] = s[i];
	}
	return k;
}

static int
deccmp(const void *pa, const void *pb)
{
	return bf_dec_cmp(*(const bf_dec *)pa, *(const bf_dec *)pb);
}

int
bf_aggfn_additive(int fn)
{
	return fn == BF_AGG_SUM || fn == BF_AGG_COUNT ||
	    fn == BF_AGG_INCREASE || fn == BF_AGG_INTEGRAL;
}

/* The piece of the cuts c[0..np] that holds second sec, from piece j on. */
static size_t
piece_of(const bf_time *c, size_t np, size_t j, int64_t sec)
{
	while (j + 1 < np && sec >= c[j + 1])
		j++;
	return j;
}

/* Integral accumulators of the piece being summed: whole seconds exact,
 * the nanosecond parts summed apart and divided once per piece. */
struct iacc {
	bf_dec frac;
	size_t j;
};

static int
iacc_close(struct iacc *ia, bf_dec *pv)
{
	bf_dec t;
	int rc;

	if (bf_dec_sign(ia->frac) != 0) {
		if ((rc = bf_dec_div(ia->frac, bf_dec_from_int(NSEC), &t)) !=
		        BF_DEC_OK ||
		    (rc = bf_dec_add(pv[ia->j], t, &pv[ia->j])) != BF_DEC_OK)
			return rc;
	}
	ia->frac = (bf_dec){ 0 };
	return BF_DEC_OK;
}

/* Adds v held over [(as, ans), (bs, bns)) to the pieces, cut at each cut
 * instant it straddles. */
static int
iacc_seg(struct iacc *ia, const bf_time *c, size_t np, bf_dec *pv, bf_dec v,
    int64_t as, int64_t ans, int64_t bs, int64_t bns)
{
	int64_t es, ens, dsec, dnsec;
	bf_dec t;
	int rc;

	for (;;) {
		/* The end of this stretch: b, or the next cut before b. */
		if (ia->j + 1 < np && (bs > c[ia->j + 1] ||
		    (bs == c[ia->j + 1] && bns > 0))) {
			es = c[ia->j + 1];
			ens = 0;
		} else {
			es = bs;
			ens = bns;
		}
		dsec = es - as;
		dnsec = ens - ans;
		if (dnsec < 0) {
			dnsec += NSEC;
			dsec--;
		}
		if ((rc = bf_dec_mul_int(v, dsec, &t)) != BF_DEC_OK ||
		    (rc = bf_dec_add(pv[ia->j], t, &pv[ia->j])) != BF_DEC_OK)
			return rc;
		if (dnsec != 0 &&
		    ((rc = bf_dec_mul_int(v, dnsec, &t)) != BF_DEC_OK ||
		    (rc = bf_dec_add(ia->frac, t, &ia->frac)) != BF_DEC_OK))
			return rc;
		if (es == bs && ens == bns)
			return BF_DEC_OK;
		if ((rc = iacc_close(ia, pv)) != BF_DEC_OK)
			return rc;
		ia->j++;
		as = es;
		ans = 0;
	}
}

static int
integral_pieces(const struct bf_sample *s, size_t n,
    const struct bf_sample *lb, const bf_time *c, size_t np, bf_dec *pv)
{
	struct iacc ia = { { 0 }, 0 };
	size_t i;
	int rc;

	if (n == 0)
		return BF_DEC_OK;
	/* The lookback value holds from the window start to the first
	 * sample. */
	if (lb && (rc = iacc_seg(&ia, c, np, pv, lb->v, c[0], 0, s[0].sec,
	    s[0].nsec)) != BF_DEC_OK)
		return rc;
	for (i = 0; i < n; i++) {
		int64_t es = i + 1 < n ? s[i + 1].sec : c[np];
		int64_t ens = i + 1 < n ? s[i + 1].nsec : 0;
		size_t j = piece_of(c, np, ia.j, s[i].sec);

		if (j != ia.j) {
			if ((rc = iacc_close(&ia, pv)) != BF_DEC_OK)
				return rc;
			ia.j = j;
		}
		if ((rc = iacc_seg(&ia, c, np, pv, s[i].v, s[i].sec, s[i].nsec,
		    es, ens)) != BF_DEC_OK)
			return rc;
	}
	return iacc_close(&ia, pv);
}

int
bf_aggregate_pieces(int fn, const struct bf_sample *s, size_t n,
    const struct bf_sample *lb, const bf_time *c, size_t np, bf_dec *pv)
{
	const struct bf_sample *prev;
	bf_dec d;
	size_t i, j = 0;
	int rc = BF_DEC_OK;

	for (i = 0; i < np; i++)
		pv[i] = (bf_dec){ 0 };
	switch (fn) {
	case BF_AGG_COUNT:
	case BF_AGG_SUM:
		for (i = 0; i < n && rc == BF_DEC_OK; i++) {
			j = piece_of(c, np, j, s[i].sec);
			rc = bf_dec_add(pv[j], fn == BF_AGG_SUM ? s[i].v :
			    bf_dec_from_int(1), &pv[j]);
		}
		return rc;
	case BF_AGG_INTEGRAL:
		return integral_pieces(s, n, lb, c, np, pv);
	case BF_AGG_INCREASE:
		/* Each step goes to the piece of its later sample; the first
		 * step starts at the lookback sample when there is one. */
		prev = n > 0 && lb ? lb : s;
		for (i = prev == lb ? 0 : 1; i < n && rc == BF_DEC_OK; i++) {
			if (bf_dec_cmp(s[i].v, prev->v) < 0)
				d = s[i].v; /* a reset: it rose from 0 */
			else
				rc = bf_dec_sub(s[i].v, prev->v, &d);
			j = piece_of(c, np, j, s[i].sec);
			if (rc == BF_DEC_OK)
				rc = bf_dec_add(pv[j], d, &pv[j]);
			prev = &s[i];
		}
		return rc;
	default:
		return BF_DEC_ESYNTAX;
	}
}

/* The average of s[0..n) (n > 0) when their sum is out of range, exactly,
 * rounded as bf_dec_div rounds (half even): each raw value split as
 * q n + m (floor, 0 <= m < n), the sum is Q n + M with Q the sum of the q
 * (never out of range: it is at most the largest magnitude) and M < n
 * carried into Q as it grows. Always BF_DEC_OK: an average lies between
 * the smallest and the largest value. */
static int
avg_exact(const struct bf_sample *s, size_t n, bf_dec *out)
{
	__int128 d = (__int128)n, Q = 0, M = 0, q, m, qm, rm;
	size_t i;
	int up;

	for (i = 0; i < n; i++) {
		q = s[i].v.v / d;
		m = s[i].v.v % d;
		if (m < 0) {
			m += d;
			q--;
		}
		Q += q;
		M += m;
		if (M >= d) {
			M -= d;
			Q++;
		}
	}
	/* the magnitude's quotient and remainder, then half even */
	if (Q >= 0) {
		qm = Q;
		rm = M;
	} else if (M == 0) {
		qm = -Q;
		rm = 0;
	} else {
		qm = -Q - 1;
		rm = d - M;
	}
	up = 2 * rm > d || (2 * rm == d && (qm & 1));
	out->v = Q >= 0 ? qm + up : -(qm + up);
	return BF_DEC_OK;
}

int
bf_aggregate(int fn, const struct bf_sample *s, size_t n,
    const struct bf_sample *lb, bf_time ws, bf_time we, bf_dec *out)
{
	bf_dec acc = { 0 };
	bf_dec *v;
	bf_time cut[2];
	size_t i;
	int rc = BF_DEC_OK;

	if (n == 0 && fn != BF_AGG_COUNT) {
		*out = acc;
		return BF_DEC_OK;
	}
	switch (fn) {
	case BF_AGG_COUNT:
		*out = bf_dec_from_int((int64_t)n);
		return BF_DEC_OK;
	case BF_AGG_MIN:
	case BF_AGG_MAX:
		acc = s[0].v;
		for (i = 1; i < n; i++) {
			int c = bf_dec_cmp(s[i].v, acc);

			if (fn == BF_AGG_MIN ? c < 0 : c > 0)
				acc = s[i].v;
		}
		break;
	case BF_AGG_SUM:
	case BF_AGG_AVG:
		for (i = 0; i < n && rc == BF_DEC_OK; i++)
			rc = bf_dec_add(acc, s[i].v, &acc);
		if (rc == BF_DEC_OK && fn == BF_AGG_AVG)
			rc = bf_dec_div(acc, bf_dec_from_int((int64_t)n), &acc);
		else if (rc == BF_DEC_EOVERFLOW && fn == BF_AGG_AVG)
			rc = avg_exact(s, n, &acc);
		break;
	case BF_AGG_LAST:
		acc = s[n - 1].v;
		break;
	case BF_AGG_P95:
		v = bf_xmalloc(n * sizeof(*v));
		for (i = 0; i < n; i++)
			v[i] = s[i].v;
		qsort(v, n, sizeof(*v), deccmp);
		/* Nearest rank: ceil(95 n / 100), 1-based. */
		acc = v[(95 * n + 99) / 100 - 1];
		free(v);
		break;
	case BF_AGG_INTEGRAL:
	case BF_AGG_INCREASE:
		/* One piece: the window. Without a lookback sample the
		 * integral starts at the first sample. */
		cut[0] = lb || s[0].sec > ws ? ws : s[0].sec;
		cut[1] = we;
		rc = bf_aggregate_pieces(fn, s, n, lb, cut, 1, &acc);
		break;
	default:
		return BF_DEC_ESYNTAX;
	}
	if (rc == BF_DEC_OK)
		*out = acc;
	return rc;
}
