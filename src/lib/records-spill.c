/* records-spill.c: see the comment below and records-internal.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "records-internal.h"

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

struct bf_spill *
bf_spill_new(const char *tmpdir)
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
void
bf_spill_share(struct bf_recs *rs, size_t budget)
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
void
bf_recs_spill(struct bf_recs *rs)
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
			bf_rec_move(&batch[j], soff, 0, 0);
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
void
bf_recs_unspill(struct bf_recs *rs)
{
	size_t base = rs->arena.len, i;

	if (rs->sbuf.len == 0)
		return;
	bf_buf_add(&rs->arena, rs->sbuf.s, rs->sbuf.len);
	for (i = 0; i < rs->n; i++)
		bf_rec_move(&rs->r[i], base, 0, 1);
	bf_buf_reset(&rs->sbuf);
}

/* A part (records with their own mapid) that spilled: its last records go
 * to a run, its strings, keys and series into rs, and the map of its ids
 * into rs's is kept for the merge. */
void
bf_spill_absorb(struct bf_recs *rs, struct bf_recs *part)
{
	struct bf_spill *sp = rs->spill;

	bf_recs_spill(part);
	if (part->mapid > sp->nmap) {
		sp->map = bf_xrealloc(sp->map, part->mapid * sizeof(*sp->map));
		memset(sp->map + sp->nmap, 0, (part->mapid - sp->nmap) *
		    sizeof(*sp->map));
		sp->nmap = part->mapid;
	}
	bf_recs_absorb(rs, part, &sp->map[part->mapid - 1]);
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
			bf_rec_move(&batch[k], 0, t->m->base, 0);
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
int
bf_spill_finish(struct bf_recs *rs, struct bf_err *e)
{
	struct bf_spill *sp = rs->spill;
	const struct bf_rec *rec;
	const uint32_t *ser;
	struct mcur *c = NULL;
	uint32_t *rank = NULL;
	size_t i;
	int in = SF_OREC;

	bf_recs_spill(rs);
	qsort(sp->run, sp->nrun, sizeof(*sp->run), run_cmp);
	rec = spill_map(sp, SF_REC, sp->nrec * sizeof(*rec));
	ser = spill_map(sp, SF_SER, sp->nrec * sizeof(*ser));
	if (!sp->failed) {
		rank = bf_recs_key_ranks(rs);
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
void
bf_spill_free(struct bf_recs *rs)
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
