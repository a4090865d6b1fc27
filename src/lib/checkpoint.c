/*
 * checkpoint.c: the state directory: checkpoints and locks (checkpoint.h).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "files.h"
#include "json.h"

/* A checkpoint larger than this is not one of ours. */
#define CKPT_MAX (64L * 1024 * 1024)

void
bf_ckpt_init(struct bf_ckpt *c, const char *partition)
{
	memset(c, 0, sizeof(*c));
	c->partition = bf_xstrdup(partition != NULL ? partition : "");
}

void
bf_ckpt_free(struct bf_ckpt *c)
{
	free(c->partition);
	free(c->grid);
	free(c->r);
	free(c->heads);
	memset(c, 0, sizeof(*c));
}

int
bf_partition_check(const char *partition, struct bf_err *e)
{
	struct bf_buf enc = BF_BUF_INIT;
	int rc = 0;

	if (partition == NULL || *partition == '\0')
		return bf_err_set(e, BF_EXIT_USAGE, "empty partition name");
	bf_name_encode(partition, strlen(partition), &enc);
	if (enc.len > BF_PARTITION_ENC_MAX)
		rc = bf_err_set(e, BF_EXIT_USAGE, "partition name '%.40s...' "
		    "(encoded) is too long for the state directory: %zu "
		    "bytes encoded, at most %d", enc.s, enc.len,
		    BF_PARTITION_ENC_MAX);
	bf_buf_free(&enc);
	return rc;
}

int
bf_ckpt_path(const char *dir, const char *partition, const char *suffix,
    struct bf_buf *out)
{
	size_t n = strlen(dir), start = out->len, enc;

	if (partition == NULL)
		return -1;
	bf_buf_add(out, dir, n);
	if (n > 0 && dir[n - 1] != '/')
		bf_buf_putc(out, '/');
	enc = out->len;
	/* the same refusals as bf_partition_check, on the one encoding */
	if (bf_name_encode(partition, strlen(partition), out) != 0 ||
	    out->len - enc > BF_PARTITION_ENC_MAX) {
		out->len = start;
		out->s[start] = '\0';
		return -1;
	}
	bf_buf_puts(out, suffix != NULL ? suffix : ".ckpt");
	return 0;
}

/* Index of the first range whose end is at or after t (n if none). */
static size_t
first_ending_at_or_after(const struct bf_ckpt *c, bf_time t)
{
	size_t lo = 0, hi = c->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->r[mid].to < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
bf_ckpt_add(struct bf_ckpt *c, bf_time from, bf_time to)
{
	size_t i, j;

	if (from >= to)
		return;
	/* Ranges i..j-1 touch or overlap [from, to): merge them into one. */
	i = first_ending_at_or_after(c, from);
	for (j = i; j < c->n && c->r[j].from <= to; j++) {
		if (c->r[j].from < from)
			from = c->r[j].from;
		if (c->r[j].to > to)
			to = c->r[j].to;
	}
	if (i == j) {
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 8;
			c->r = bf_xrealloc(c->r, c->cap * sizeof(*c->r));
		}
		memmove(c->r + i + 1, c->r + i, (c->n - i) * sizeof(*c->r));
		c->n++;
	} else if (j > i + 1) {
		memmove(c->r + i + 1, c->r + j, (c->n - j) * sizeof(*c->r));
		c->n -= j - i - 1;
	}
	c->r[i].from = from;
	c->r[i].to = to;
}

void
bf_ckpt_commit(struct bf_ckpt *c, bf_time from, bf_time to,
    const char *digest)
{
	bf_ckpt_add(c, from, to);
	c->windows++;
	c->last_from = from;
	c->last_to = to;
	snprintf(c->last_digest, sizeof(c->last_digest), "%s",
	    digest != NULL ? digest : "");
}

void
bf_ckpt_set_head(struct bf_ckpt *c, const char *head)
{
	if (head == NULL)
		head = "";
	if (strcmp(c->chain_head, head) == 0)
		return;
	if (c->chain_head[0] != '\0' &&
	    bf_ckpt_head_index(c, c->chain_head) == -1) {
		c->heads = bf_grow(c->heads, &c->hcap, c->nheads,
		    sizeof(*c->heads), 16);
		memcpy(c->heads[c->nheads++], c->chain_head, BF_SHA256_HEX);
	}
	snprintf(c->chain_head, sizeof(c->chain_head), "%s", head);
}

long
bf_ckpt_head_index(const struct bf_ckpt *c, const char *head)
{
	size_t i;

	for (i = c->nheads; i-- > 0;)
		if (strcmp(c->heads[i], head) == 0)
			return (long)i;
	return -1;
}

void
bf_ckpt_cut_heads(struct bf_ckpt *c, long i)
{
	if (i < 0 || (size_t)i >= c->nheads) {
		c->chain_head[0] = '\0';
		c->nheads = 0;
		return;
	}
	memcpy(c->chain_head, c->heads[i], BF_SHA256_HEX);
	c->nheads = (size_t)i;
}

/* The first range that shares an instant with [from, to), NULL when none
 * or from >= to: the only one that can hold [from, to) whole. */
static const struct bf_range *
first_meeting(const struct bf_ckpt *c, bf_time from, bf_time to)
{
	size_t i;

	if (from >= to)
		return NULL;
	/* The first range ending after from is the only candidate. */
	i = first_ending_at_or_after(c, from);
	if (i < c->n && c->r[i].to == from)
		i++;
	return i < c->n && c->r[i].from < to ? &c->r[i] : NULL;
}

int
bf_ckpt_covers(const struct bf_ckpt *c, bf_time from, bf_time to)
{
	const struct bf_range *r = first_meeting(c, from, to);

	return r != NULL && r->from <= from && r->to >= to;
}

int
bf_ckpt_overlaps(const struct bf_ckpt *c, bf_time from, bf_time to)
{
	return first_meeting(c, from, to) != NULL;
}

void
bf_ckpt_gaps(const struct bf_ckpt *c, bf_time from, bf_time to,
    void (*fn)(void *ctx, bf_time from, bf_time to), void *ctx)
{
	size_t i;

	if (from >= to)
		return;
	for (i = first_ending_at_or_after(c, from); i < c->n && from < to;
	    i++) {
		if (c->r[i].from >= to)
			break;
		if (c->r[i].from > from)
			fn(ctx, from, c->r[i].from);
		if (c->r[i].to > from)
			from = c->r[i].to;
	}
	if (from < to)
		fn(ctx, from, to);
}

/* Loading. */

struct loader {
	const char *path;
	struct bf_json j;
	struct bf_buf tmp;
	struct bf_err *e;
};

static int bad(struct loader *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad(struct loader *l, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bf_err_set(l->e, BF_EXIT_USAGE, "%s: not a valid checkpoint: "
	    "%s", l->path, msg);
}

static int
is_null(const struct loader *l, int t)
{
	return t < 0 || l->j.tok[t].type == BF_JSON_NULL;
}

/* The unescaped string of token t into l->tmp; -1 if t is no string. */
static int
str_of(struct loader *l, int t)
{
	bf_buf_reset(&l->tmp);
	if (t < 0 || l->j.tok[t].type != BF_JSON_STRING ||
	    bf_json_str(&l->j, t, &l->tmp) != 0)
		return -1;
	bf_buf_grow(&l->tmp, 0);
	return strlen(l->tmp.s) == l->tmp.len ? 0 : -1;
}

static int
time_of(struct loader *l, int t, bf_time *v)
{
	int32_t ns;

	if (str_of(l, t) != 0 ||
	    bf_time_parse(l->tmp.s, l->tmp.len, v, &ns) != 0 || ns != 0)
		return -1;
	return 0;
}

/* A [from, to) pair: an array of two times with from < to. */
static int
pair_of(struct loader *l, int t, bf_time *from, bf_time *to)
{
	int a;

	if (t < 0 || l->j.tok[t].type != BF_JSON_ARRAY || l->j.tok[t].size != 2)
		return -1;
	a = t + 1;
	if (time_of(l, a, from) != 0)
		return -1;
	a = bf_json_skip(&l->j, a);
	if (time_of(l, a, to) != 0 || *from >= *to)
		return -1;
	return 0;
}

static int
hex_of(struct loader *l, int t, char out[BF_SHA256_HEX], const char *key)
{
	size_t i;

	out[0] = '\0';
	if (is_null(l, t))
		return 0;
	if (str_of(l, t) != 0)
		return bad(l, "'%s' is not a string", key);
	if (l->tmp.len == 0)
		return 0;
	if (l->tmp.len != 64)
		return bad(l, "'%s' is not a SHA-256 hex digest", key);
	for (i = 0; i < 64; i++)
		if (!((l->tmp.s[i] >= '0' && l->tmp.s[i] <= '9') ||
		    (l->tmp.s[i] >= 'a' && l->tmp.s[i] <= 'f')))
			return bad(l, "'%s' is not a SHA-256 hex digest", key);
	memcpy(out, l->tmp.s, 65);
	return 0;
}

/* "heads": an array of distinct SHA-256 hex digests, none of them the
 * chain head. */
static int
parse_heads(struct loader *l, int t, struct bf_ckpt *c)
{
	char h[BF_SHA256_HEX];
	int a, i;

	if (is_null(l, t))
		return 0;
	if (l->j.tok[t].type != BF_JSON_ARRAY)
		return bad(l, "'heads' is not an array");
	for (i = 0, a = t + 1; i < l->j.tok[t].size;
	    i++, a = bf_json_skip(&l->j, a)) {
		if (hex_of(l, a, h, "heads") != 0)
			return -1;
		if (h[0] == '\0' || bf_ckpt_head_index(c, h) != -1 ||
		    strcmp(h, c->chain_head) == 0)
			return bad(l, "head %d of 'heads' is empty, repeated "
			    "or the chain head", i + 1);
		c->heads = bf_grow(c->heads, &c->hcap, c->nheads,
		    sizeof(*c->heads), 16);
		memcpy(c->heads[c->nheads++], h, BF_SHA256_HEX);
	}
	return 0;
}

static int
parse_ckpt(struct loader *l, const char *partition, struct bf_ckpt *c)
{
	bf_time from, to;
	long long v;
	int t, a, i;

	t = bf_json_get(&l->j, 0, "partition");
	if (str_of(l, t) != 0)
		return bad(l, "no 'partition'");
	if (strcmp(l->tmp.s, partition) != 0)
		return bf_err_set(l->e, BF_EXIT_USAGE, "%s: checkpoint of "
		    "another partition ('%s', expected '%s')", l->path,
		    l->tmp.s, partition);

	t = bf_json_get(&l->j, 0, "grid");
	if (!is_null(l, t)) {
		if (str_of(l, t) != 0)
			return bad(l, "'grid' is not a string");
		c->grid = bf_xstrdup(l->tmp.s);
	}

	t = bf_json_get(&l->j, 0, "committed");
	if (!is_null(l, t)) {
		if (l->j.tok[t].type != BF_JSON_ARRAY)
			return bad(l, "'committed' is not an array");
		for (i = 0, a = t + 1; i < l->j.tok[t].size;
		    i++, a = bf_json_skip(&l->j, a)) {
			if (pair_of(l, a, &from, &to) != 0)
				return bad(l, "committed range %d is not "
				    "[start, end] with start before end",
				    i + 1);
			if (c->n > 0 && from <= c->r[c->n - 1].to)
				return bad(l, "committed range %d is out of "
				    "order or not merged", i + 1);
			bf_ckpt_add(c, from, to);
		}
	}

	t = bf_json_get(&l->j, 0, "windows");
	if (!is_null(l, t)) {
		if (l->j.tok[t].type != BF_JSON_NUMBER ||
		    bf_json_int(&l->j, t, &v) != 0 || v < 0 || v > 1L << 40)
			return bad(l, "'windows' is not a count");
		c->windows = (long)v;
	}

	t = bf_json_get(&l->j, 0, "last_window");
	if (!is_null(l, t)) {
		if (pair_of(l, t, &from, &to) != 0)
			return bad(l, "'last_window' is not [start, end]");
		c->last_from = from;
		c->last_to = to;
	}

	if (hex_of(l, bf_json_get(&l->j, 0, "last_digest"), c->last_digest,
	    "last_digest") != 0)
		return -1;
	if (hex_of(l, bf_json_get(&l->j, 0, "chain_head"), c->chain_head,
	    "chain_head") != 0)
		return -1;
	return parse_heads(l, bf_json_get(&l->j, 0, "heads"), c);
}

static int
read_file(const char *path, struct bf_buf *out, int *missing,
    struct bf_err *e)
{
	char buf[65536];
	size_t n;
	FILE *fp;

	*missing = 0;
	fp = fopen(path, "r");
	if (fp == NULL) {
		if (errno == ENOENT) {
			*missing = 1;
			return 0;
		}
		return bf_err_set(e, BF_EXIT_IO, "cannot open '%s': %s", path,
		    strerror(errno));
	}
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		bf_buf_add(out, buf, n);
		if (out->len > CKPT_MAX) {
			fclose(fp);
			return bf_err_set(e, BF_EXIT_USAGE, "%s: not a valid "
			    "checkpoint: larger than %ld bytes", path,
			    CKPT_MAX);
		}
	}
	if (ferror(fp)) {
		bf_err_set(e, BF_EXIT_IO, "cannot read '%s': %s", path,
		    strerror(errno));
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}

int
bf_ckpt_load(const char *dir, const char *partition, struct bf_ckpt *c,
    struct bf_err *e)
{
	struct bf_buf path = BF_BUF_INIT, data = BF_BUF_INIT;
	struct loader l = { NULL, BF_JSON_INIT, BF_BUF_INIT, e };
	size_t len, errpos;
	int missing, rc = -1, jr;

	bf_ckpt_init(c, partition);
	if (bf_ckpt_path(dir, partition, NULL, &path) != 0) {
		bf_partition_check(partition, e); /* says why */
		goto out;
	}
	l.path = path.s;
	if (read_file(path.s, &data, &missing, e) != 0)
		goto out;
	if (missing) {
		rc = 0;
		goto out;
	}
	len = data.len;
	while (len > 0 && (data.s[len - 1] == '\n' || data.s[len - 1] == '\r'))
		len--;
	if (memchr(data.s != NULL ? data.s : "", '\n', len) != NULL) {
		bad(&l, "more than one line");
		goto out;
	}
	jr = bf_json_parse(&l.j, bf_buf_str(&data), len, BF_JSON_WANT_OBJECT,
	    &errpos);
	if (jr != BF_JSON_OK) {
		bad(&l, "%s at byte %zu", bf_json_strerror(jr), errpos + 1);
		goto out;
	}
	rc = parse_ckpt(&l, partition, c);
out:
	if (rc != 0) {
		bf_ckpt_free(c);
		bf_ckpt_init(c, partition);
	}
	bf_json_free(&l.j);
	bf_buf_free(&l.tmp);
	bf_buf_free(&data);
	bf_buf_free(&path);
	return rc;
}

/* Saving. */

static int
put_time(struct bf_buf *out, bf_time t)
{
	char s[BF_TIME_LEN];

	if (bf_time_format(t, s) == 0)
		return -1;
	bf_buf_printf(out, "\"%s\"", s);
	return 0;
}

static int
put_pair(struct bf_buf *out, bf_time from, bf_time to)
{
	bf_buf_putc(out, '[');
	if (put_time(out, from) != 0)
		return -1;
	bf_buf_putc(out, ',');
	if (put_time(out, to) != 0)
		return -1;
	bf_buf_putc(out, ']');
	return 0;
}

int
bf_ckpt_format(const struct bf_ckpt *c, bf_time now, struct bf_buf *out,
    struct bf_err *e)
{
	size_t i;

	if (c->partition == NULL || *c->partition == '\0')
		return bf_err_set(e, BF_EXIT_USAGE, "checkpoint without a "
		    "partition name");
	if (!bf_utf8_valid(c->partition, strlen(c->partition)))
		return bf_err_set(e, BF_EXIT_USAGE, "partition name is not "
		    "valid UTF-8");
	if (c->grid != NULL && !bf_utf8_valid(c->grid, strlen(c->grid)))
		return bf_err_set(e, BF_EXIT_USAGE, "grid of partition '%s' "
		    "is not valid UTF-8", c->partition);
	bf_buf_puts(out, "{\"partition\":");
	bf_json_put_str(out, c->partition, strlen(c->partition));
	if (c->grid != NULL)
		bf_json_put_kv_str(out, "grid", c->grid);
	bf_buf_puts(out, ",\"committed\":[");
	for (i = 0; i < c->n; i++) {
		if (i > 0)
			bf_buf_putc(out, ',');
		if (put_pair(out, c->r[i].from, c->r[i].to) != 0)
			goto range;
	}
	bf_buf_printf(out, "],\"windows\":%ld", c->windows);
	if (c->last_from != 0 || c->last_to != 0) {
		bf_buf_puts(out, ",\"last_window\":");
		if (put_pair(out, c->last_from, c->last_to) != 0)
			goto range;
	}
	if (c->last_digest[0] != '\0')
		bf_json_put_kv_str(out, "last_digest", c->last_digest);
	if (c->chain_head[0] != '\0')
		bf_json_put_kv_str(out, "chain_head", c->chain_head);
	if (c->nheads > 0) {
		bf_buf_puts(out, ",\"heads\":[");
		for (i = 0; i < c->nheads; i++)
			bf_buf_printf(out, "%s\"%s\"", i > 0 ? "," : "",
			    c->heads[i]);
		bf_buf_putc(out, ']');
	}
	bf_buf_puts(out, ",\"updated\":");
	if (put_time(out, now) != 0)
		goto range;
	bf_buf_puts(out, "}\n");
	return 0;
range:
	return bf_err_set(e, BF_EXIT_USAGE, "checkpoint of partition '%s': "
	    "time outside years 0000..9999", c->partition);
}

int
bf_ckpt_save(const char *dir, const struct bf_ckpt *c, struct bf_err *e)
{
	struct bf_buf path = BF_BUF_INIT, data = BF_BUF_INIT;
	int rc = -1;

	if (bf_ckpt_format(c, (bf_time)time(NULL), &data, e) != 0)
		goto out;
	if (bf_ckpt_path(dir, c->partition, NULL, &path) != 0) {
		bf_err_set(e, BF_EXIT_USAGE, "empty partition name");
		goto out;
	}
	rc = bf_atomic_write(path.s, data.s, data.len, 0600, e);
out:
	bf_buf_free(&path);
	bf_buf_free(&data);
	return rc;
}

/* Locks. */

static int
lock_path(const char *path, const char *what, int *fd, struct bf_err *e)
{
	int f;

	f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f < 0)
		return bf_err_set(e, BF_EXIT_IO, "cannot open lock '%s': %s",
		    path, strerror(errno));
	while (flock(f, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			bf_err_set(e, BF_EXIT_TEMPFAIL, "%s", what);
		else
			bf_err_set(e, BF_EXIT_IO, "cannot lock '%s': %s",
			    path, strerror(errno));
		close(f);
		return -1;
	}
	*fd = f;
	return 0;
}

int
bf_lock_partition(const char *dir, const char *partition, int *fd,
    struct bf_err *e)
{
	struct bf_buf path = BF_BUF_INIT, what = BF_BUF_INIT;
	int rc;

	if (bf_ckpt_path(dir, partition, ".lock", &path) != 0) {
		bf_partition_check(partition, e); /* says why */
		bf_buf_free(&path);
		return -1;
	}
	bf_buf_printf(&what, "partition '%s' is locked by another bf-load",
	    partition);
	rc = lock_path(path.s, what.s, fd, e);
	if (rc == 0) {
		/* DIR/ENC.lock -> DIR/.ENC.ckpt.tmp, the name bf_atomic_write
		 * gives the temporary file of DIR/ENC.ckpt: derived from the
		 * lock's path, so the name is encoded once. */
		const char *base = strrchr(path.s, '/');
		size_t dl = base != NULL ? (size_t)(base - path.s) + 1 : 0;

		bf_buf_reset(&what);
		bf_buf_add(&what, path.s, dl);
		bf_buf_printf(&what, ".%.*s.ckpt.tmp",
		    (int)(path.len - dl - strlen(".lock")), path.s + dl);
		if (unlink(what.s) != 0 && errno != ENOENT)
			bf_warn("warning: cannot remove '%s': %s", what.s,
			    strerror(errno));
	}
	bf_buf_free(&path);
	bf_buf_free(&what);
	return rc;
}

int
bf_lock_file(const char *dir, const char *name, int *fd, struct bf_err *e)
{
	struct bf_buf path = BF_BUF_INIT, what = BF_BUF_INIT;
	size_t n = strlen(dir);
	int rc;

	if (*name == '\0' || strchr(name, '/') != NULL)
		return bf_err_set(e, BF_EXIT_USAGE, "bad lock file name '%s'",
		    name);
	bf_buf_puts(&path, dir);
	if (n > 0 && dir[n - 1] != '/')
		bf_buf_putc(&path, '/');
	bf_buf_puts(&path, name);
	bf_buf_printf(&what, "'%s' is locked by another process", path.s);
	rc = lock_path(path.s, what.s, fd, e);
	bf_buf_free(&path);
	bf_buf_free(&what);
	return rc;
}

void
bf_unlock(int fd)
{
	if (fd < 0)
		return;
	flock(fd, LOCK_UN);
	close(fd);
}
