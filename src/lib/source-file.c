/*
 * source-file.c: the file source (source-internal.h), which loads --data
 * files once, sorts their records with bounded memory (records-spill.c) and
 * routes them to the windows they fall in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "records-internal.h"

/*
 * The file source.
 */

/* A --data file's bytes: mapped when it is a regular file, else read. */
struct filesrc {
	struct bf_recs rs;  /* NDJSON records point into data */
	struct bf_data *data; /* one per --data file */
	int ndata;
	int cw;   /* some records are CloudWatch's */
};

int
bf_data_load(const char *path, struct bf_data *d, struct bf_err *e)
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
	if (bf_read_fd(fd, path, 0, &d->buf, e) < 0)
		return -1;
	d->p = bf_buf_str(&d->buf);
	d->n = d->buf.len;
	return 0;
}

void
bf_data_free(struct bf_data *d)
{
	if (d->map != NULL)
		munmap(d->map, d->n);
	bf_buf_free(&d->buf);
}

/* Frees fs: its records, then the data they may point into. */
static void
filesrc_free(struct filesrc *fs)
{
	int i;

	if (fs == NULL)
		return;
	bf_recs_free(&fs->rs);
	for (i = 0; i < fs->ndata; i++)
		bf_data_free(&fs->data[i]);
	free(fs->data);
	free(fs);
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
	fmt = bf_records_detect(data, nl != NULL ? (size_t)(nl - data) : n, &j,
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
	struct bf_data *d;
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
		if (bf_data_load(o->data[i], d, e) < 0) {
			e->code = BF_EXIT_USAGE;
			return -1;
		}
		cw |= maybe_cw(o->format, d->p, d->n);
	}
	if (!cw) {
		fs->rs.spill = bf_spill_new(o->tmpdir);
		bf_spill_share(&fs->rs, o->memory > 0 ? o->memory :
		    BF_FILE_MEMORY);
	}
	for (i = 0; i < o->ndata; i++) {
		size_t before = fs->rs.n, k;

		d = &fs->data[i];
		fs->rs.order = (uint64_t)i << 40;
		if (bf_records_in_parts(o->format, d->p, d->n))
			rc = bf_records_parse_parts(s, &ro, o->data[i], d->p,
			    d->n, &fs->rs, i, e);
		else
			rc = bf_records_parse(s, &ro, o->data[i], d->p, d->n,
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
		if (bf_spill_finish(&fs->rs, e) < 0)
			return -1;
		bf_fetch_log(s, 1, "file: %zu records sorted in %zu runs in "
		    "'%s'%s", fs->rs.n, fs->rs.spill->nrun, fs->rs.spill->dir,
		    fs->rs.spill->merged ? ", merged" : ", in order");
		return 0;
	}
	if (fs->rs.spill != NULL)
		bf_recs_unspill(&fs->rs);
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
		filesrc_free(fs);
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
		if (r->cwres && (p = bf_recs_cw_res(s, &fs->rs, r, job)) > res)
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
	filesrc_free(s->priv);
	s->priv = NULL;
}

const struct bf_source_ops bf_source_file = {
	"file", file_open, NULL, NULL, file_fetch, file_plan, file_close,
	NULL, /* the data files are read by file_open */
};

