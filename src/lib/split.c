/*
 * split.c: bf-fetch --split (split.h).
 *
 * The parser reports each record's key and input bytes (bf_recopts.span);
 * the spans are kept, 16 bytes a record, chained per key in input order,
 * and written out key by key once every file has parsed, so that a
 * malformed file stops the split before anything is written. The data
 * files stay mapped until then; the parser's records are freed after each
 * file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "files.h"
#include "json.h"
#include "keymap.h"
#include "records.h"
#include "split.h"

/* One record's input: n bytes at p; next is the index + 1 of the next
 * span of its key (0: none). */
struct span {
	const char *p;
	uint32_t n;
	uint32_t next;
};

/* A key's chain of spans. */
struct chain {
	uint32_t head, tail; /* index + 1, 0: none */
	size_t n;
};

/* A data file: mapped, or read when it is no regular file. */
struct split {
	struct bf_keymap keys;  /* key -> index of chains */
	struct chain *ch;       /* one per key */
	size_t chcap;
	struct span *sp;        /* n used of cap */
	size_t n, cap;
	size_t calls;           /* records reported */
	const char *why;        /* why not split (a static string), or NULL */
	const char *hdr;        /* a CSV header row, and its length */
	size_t hdrn;
	int csvfile;            /* the file being parsed showed a header */
};

/* bf_recopts.span. */
static void
on_span(void *arg, const char *key, size_t keyn, const char *p, size_t n)
{
	struct split *S = arg;
	struct chain *c;
	size_t k;
	int added;

	if (key == NULL) {
		S->csvfile = 1;
		if (p == NULL)
			S->why = "CSV rows not ended by a line feed";
		else if (S->hdr == NULL)
			S->hdr = p, S->hdrn = n;
		else if (n != S->hdrn || memcmp(p, S->hdr, n) != 0)
			S->why = "CSV files with different header rows";
		return;
	}
	S->calls++;
	if (S->why != NULL)
		return;
	if (p == NULL || n > UINT32_MAX || S->n >= UINT32_MAX) {
		S->why = p == NULL ? "CSV rows not ended by a line feed" :
		    "a record or a file too large to split";
		return;
	}
	k = bf_keymap_put(&S->keys, key, keyn, &added);
	if (added && k >= S->chcap) {
		S->chcap = S->chcap ? S->chcap * 2 : 64;
		S->ch = bf_xrealloc(S->ch, S->chcap * sizeof(*S->ch));
	}
	c = &S->ch[k];
	if (added)
		memset(c, 0, sizeof(*c));
	if (S->n == S->cap) {
		S->cap = S->cap ? S->cap * 2 : 1024;
		S->sp = bf_xrealloc(S->sp, S->cap * sizeof(*S->sp));
	}
	S->sp[S->n].p = p;
	S->sp[S->n].n = (uint32_t)n;
	S->sp[S->n].next = 0;
	S->n++;
	if (c->tail != 0)
		S->sp[c->tail - 1].next = (uint32_t)S->n;
	else
		c->head = (uint32_t)S->n;
	c->tail = (uint32_t)S->n;
	c->n++;
}

/* The file source's loading (bf_data_load); a file that cannot be read is
 * a usage error here, as for bf-fetch --source file. */
static int
split_load(const char *path, struct bf_data *d, struct bf_err *e)
{
	if (bf_data_load(path, d, e) == 0)
		return 0;
	e->code = BF_EXIT_USAGE;
	return -1;
}

/* 1 when p[0..n) has a carriage return that does not end a line: libcsv
 * ends a row there, inside a line, where no span can tell. */
static int
bare_cr(const char *p, size_t n)
{
	const char *q, *end = p + n;

	for (q = p; (q = memchr(q, '\r', (size_t)(end - q))) != NULL; q++)
		if (q + 1 == end || q[1] != '\n')
			return 1;
	return 0;
}

/* Parses data file i into S; sets *fmt (BF_FMT_NDJSON or BF_FMT_CSV)
 * from the first file with records or a header, or S->why. */
static int
parse_one(struct bf_source *src, struct split *S, const char *name,
    const struct bf_data *d, int *fmt, struct bf_err *e)
{
	struct bf_recopts ro;
	struct bf_recs rs;
	char *next = NULL;
	size_t calls = S->calls;
	int f;

	memset(&ro, 0, sizeof(ro));
	memset(&rs, 0, sizeof(rs));
	ro.instance = src->o->instance;
	ro.use_label = 1;
	ro.borrow = 1;
	ro.span = on_span;
	ro.span_arg = S;
	S->csvfile = 0;
	if (bf_records_parse(src, &ro, name, d->p, d->n, src->o->format, &rs,
	    &next, e) < 0) {
		e->code = BF_EXIT_USAGE;
		bf_recs_free(&rs);
		return -1;
	}
	if (rs.n != S->calls - calls || next != NULL)
		S->why = "a CloudWatch export";
	free(next);
	bf_recs_free(&rs);
	f = S->csvfile ? BF_FMT_CSV : S->calls > calls ? BF_FMT_NDJSON : 0;
	if (f == BF_FMT_CSV && bare_cr(d->p, d->n))
		S->why = "CSV with a carriage return that ends no line";
	if (f != 0 && *fmt != 0 && f != *fmt)
		S->why = "data files of different formats";
	if (f != 0)
		*fmt = f;
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes key k's part to path: the header row (CSV), then its spans, each
 * ended by a line feed. */
static int
write_part(const struct split *S, size_t k, const char *path,
    struct bf_err *e)
{
	struct bf_buf b = BF_BUF_INIT;
	const struct span *s;
	uint32_t i;
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0 || fchmod(fd, 0600) < 0) {
		bf_err_set(e, BF_EXIT_IO, "cannot create '%s': %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (S->hdr != NULL)
		bf_buf_add(&b, S->hdr, S->hdrn);
	for (i = S->ch[k].head; i != 0 && rc == 0; i = s->next) {
		s = &S->sp[i - 1];
		bf_buf_add(&b, s->p, s->n);
		if (s->n == 0 || s->p[s->n - 1] != '\n')
			bf_buf_putc(&b, '\n');
		if (b.len >= (size_t)1 << 20) {
			rc = write_all(fd, b.s, b.len);
			bf_buf_reset(&b);
		}
	}
	if (rc == 0 && b.len > 0)
		rc = write_all(fd, b.s, b.len);
	if (close(fd) < 0)
		rc = -1;
	bf_buf_free(&b);
	if (rc < 0)
		return bf_err_set(e, BF_EXIT_IO, "cannot write '%s': %s", path,
		    strerror(errno));
	return 0;
}

static const struct bf_keymap *cmp_keys;

static int
key_cmp(const void *a, const void *b)
{
	const struct bf_keymap_ent *x = &cmp_keys->v[*(const size_t *)a];
	const struct bf_keymap_ent *y = &cmp_keys->v[*(const size_t *)b];
	int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);

	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* 1 when key k can name a partition a window asks for. */
static int
key_ok(const struct split *S, size_t k)
{
	const struct bf_keymap_ent *v = &S->keys.v[k];

	return v->len > 0 && bf_utf8_valid(v->key, v->len) &&
	    bf_partition_check(v->key, NULL) == 0;
}

/* Writes the parts into dir and lists them, in key order, into list;
 * their paths, to remove on failure, into made (NUL-separated). */
static int
write_parts(const struct split *S, const char *dir, int fmt,
    struct bf_buf *list, struct bf_buf *made, size_t *nparts,
    size_t *skipped, struct bf_err *e)
{
	struct bf_buf path = BF_BUF_INIT;
	size_t *ord, i, k, dn = strlen(dir);
	int rc = 0;

	if (bf_mkdir_p(dir, 0700, e) < 0)
		return -1;
	ord = bf_xcalloc(S->keys.n + 1, sizeof(*ord));
	for (i = 0; i < S->keys.n; i++)
		ord[i] = i;
	cmp_keys = &S->keys;
	qsort(ord, S->keys.n, sizeof(*ord), key_cmp);
	for (i = 0; i < S->keys.n && rc == 0; i++) {
		k = ord[i];
		if (!key_ok(S, k)) {
			*skipped += S->ch[k].n;
			continue;
		}
		bf_buf_reset(&path);
		bf_buf_add(&path, dir, dn);
		if (dn > 0 && dir[dn - 1] != '/')
			bf_buf_putc(&path, '/');
		bf_name_encode(S->keys.v[k].key, S->keys.v[k].len, &path);
		bf_buf_puts(&path, fmt == BF_FMT_CSV ? ".csv" : ".ndjson");
		bf_buf_add(made, path.s, path.len + 1);
		if ((rc = write_part(S, k, bf_buf_str(&path), e)) < 0)
			break;
		(*nparts)++;
		bf_buf_puts(list, "{\"type\":\"split\",\"partition\":");
		bf_json_put_str(list, S->keys.v[k].key, S->keys.v[k].len);
		bf_buf_puts(list, ",\"file\":");
		bf_json_put_str(list, path.s, path.len);
		bf_buf_printf(list, ",\"records\":%zu}\n", S->ch[k].n);
	}
	free(ord);
	bf_buf_free(&path);
	return rc;
}

/* Removes the NUL-separated paths of made. */
static void
unlink_made(const struct bf_buf *made)
{
	size_t at;

	for (at = 0; at < made->len; at += strlen(made->s + at) + 1)
		unlink(made->s + at);
}

/* Splits o->data: each file loaded and parsed in turn (so that errors
 * come in the file source's order), then the parts written. */
static int
split_data(struct bf_source *src, struct bf_data *d, const char *dir,
    FILE *out, struct bf_err *e)
{
	const struct bf_fetch_opts *o = src->o;
	struct split S;
	struct bf_buf list = BF_BUF_INIT, made = BF_BUF_INIT;
	size_t nparts = 0, skipped = 0;
	int i, fmt = 0, rc = 0;

	memset(&S, 0, sizeof(S));
	for (i = 0; i < o->ndata && rc == 0; i++) {
		if (strcmp(o->data[i], "-") == 0)
			rc = bf_err_set(e, BF_EXIT_USAGE, "--data cannot be "
			    "'-': standard input carries the windows");
		else if ((rc = split_load(o->data[i], &d[i], e)) == 0)
			rc = parse_one(src, &S, o->data[i], &d[i], &fmt, e);
	}
	if (rc == 0 && S.why != NULL) {
		bf_buf_puts(&list, "{\"type\":\"split_total\",\"split\":false,"
		    "\"reason\":");
		bf_json_put_str(&list, S.why, strlen(S.why));
		bf_buf_puts(&list, "}\n");
	} else if (rc == 0) {
		if (fmt == 0)
			fmt = o->format == BF_FMT_CSV ? BF_FMT_CSV :
			    BF_FMT_NDJSON;
		rc = write_parts(&S, dir, fmt, &list, &made, &nparts,
		    &skipped, e);
		bf_buf_printf(&list, "{\"type\":\"split_total\",\"split\":true,"
		    "\"format\":\"%s\",\"partitions\":%zu,\"records\":%zu,"
		    "\"skipped\":%zu}\n", bf_format_names[fmt], nparts,
		    S.calls - skipped, skipped);
	}
	if (rc == 0 && (fwrite(list.s, 1, list.len, out) != list.len ||
	    fflush(out) != 0))
		rc = bf_err_set(e, BF_EXIT_IO, "cannot write the list of "
		    "parts: %s", strerror(errno));
	if (rc < 0)
		unlink_made(&made);
	bf_keymap_free(&S.keys);
	free(S.ch);
	free(S.sp);
	bf_buf_free(&list);
	bf_buf_free(&made);
	return rc;
}

int
bf_split_run(const struct bf_fetch_opts *o, const char *dir, FILE *out,
    struct bf_err *e)
{
	struct bf_source src;
	struct bf_metrics metrics;
	struct bf_data *d;
	int i, rc;

	if (o->kind != BF_SRC_FILE || o->ndata == 0)
		return bf_err_set(e, BF_EXIT_USAGE, "--split needs --source "
		    "file and --data FILE");
	memset(&src, 0, sizeof(src));
	src.ops = &bf_source_file;
	src.o = o;
	if (o->metrics_path != NULL) {
		if (bf_metrics_load(o->metrics_path, 0, &metrics, e) < 0)
			return -1;
		src.metrics = &metrics;
	}
	d = bf_xcalloc((size_t)o->ndata, sizeof(*d));
	rc = split_data(&src, d, dir, out, e);
	for (i = 0; i < o->ndata; i++)
		bf_data_free(&d[i]);
	free(d);
	if (src.metrics != NULL)
		bf_metrics_free(src.metrics);
	return rc;
}
