/*
 * dlq.c: the dead-letter queue (dlq.h).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "dlq.h"
#include "files.h"
#include "hash.h"
#include "json.h"

struct bf_dlq {
	int fd;          /* the file, or 2 for stderr */
	char *name;      /* for messages: the path, or "<stderr>" */
	int regular;     /* a regular file: flock, rollback and fsync */
	long count;
	struct bf_buf line;
};

static int repair(struct bf_dlq *q, const char *path, struct bf_err *e);

struct bf_dlq *
bf_dlq_open(const char *path, struct bf_err *e)
{
	struct bf_dlq *q;
	struct stat st;
	int fd = 2;

	if (path != NULL) {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0600);
		if (fd < 0) {
			bf_err_set(e, BF_EXIT_IO, "cannot open '%s': %s", path,
			    strerror(errno));
			return NULL;
		}
	}
	q = bf_xcalloc(1, sizeof(*q));
	q->fd = fd;
	q->name = bf_xstrdup(path != NULL ? path : "<stderr>");
	q->regular = path != NULL && fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode);
	if (q->regular && repair(q, path, e) == -1) {
		close(fd);
		free(q->name);
		free(q);
		return NULL;
	}
	return q;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Appends s as a JSON string; bytes that are not valid UTF-8 become U+FFFD
 * so that the line stays valid JSON whatever a message quotes. */
static void
put_text(struct bf_buf *out, const char *s)
{
	struct bf_buf clean = BF_BUF_INIT;
	size_t n = strlen(s), i, k;

	if (bf_utf8_valid(s, n)) {
		bf_json_put_str(out, s, n);
		return;
	}
	for (i = 0; i < n;) {
		for (k = 1; k <= 4 && i + k <= n; k++)
			if (bf_utf8_valid(s + i, k))
				break;
		if (k <= 4 && i + k <= n) {
			bf_buf_add(&clean, s + i, k);
			i += k;
		} else {
			bf_buf_puts(&clean, "\xef\xbf\xbd");
			i++;
		}
	}
	bf_json_put_str(out, clean.s, clean.len);
	bf_buf_free(&clean);
}

static void
put_key_text(struct bf_buf *out, const char *key, const char *val)
{
	bf_buf_printf(out, ",\"%s\":", key);
	put_text(out, val);
}

static int
window_known(const struct bf_reject *r)
{
	return r->partition != NULL && r->window_start != NULL &&
	    r->window_end != NULL;
}

void
bf_dlq_id(const struct bf_reject *r, char out[33])
{
	char hex[BF_SHA256_HEX], num[32];
	struct bf_sha256 h;
	const char *file = r->file != NULL ? r->file : "";

	bf_sha256_init(&h);
	if (window_known(r)) {
		bf_sha256_update(&h, "w", 2);
		bf_sha256_update(&h, r->partition, strlen(r->partition) + 1);
		bf_sha256_update(&h, r->window_start,
		    strlen(r->window_start) + 1);
		bf_sha256_update(&h, r->window_end, strlen(r->window_end) + 1);
	}
	if (window_known(r) && r->ordinal >= 0) {
		snprintf(num, sizeof(num), "%ld", r->ordinal);
		bf_sha256_update(&h, "o", 2);
		bf_sha256_update(&h, num, strlen(num) + 1);
	} else {
		snprintf(num, sizeof(num), "%ld", r->line);
		bf_sha256_update(&h, "f", 2);
		bf_sha256_update(&h, file, strlen(file) + 1);
		bf_sha256_update(&h, num, strlen(num) + 1);
	}
	bf_sha256_update(&h, r->raw != NULL ? r->raw : "", r->rawlen);
	bf_sha256_final(&h, hex);
	memcpy(out, hex, 32);
	out[32] = '\0';
}

/* Builds the reject line of r (with its newline) into out. */
static void
format_reject(struct bf_buf *out, const struct bf_reject *r)
{
	char id[33];
	const char *raw = r->raw != NULL ? r->raw : "";
	unsigned char *b64;
	size_t b64len;

	bf_dlq_id(r, id);
	bf_buf_printf(out, "{\"type\":\"reject\",\"id\":\"%s\"", id);
	put_key_text(out, "stage", r->stage != NULL ? r->stage : "");
	bf_buf_puts(out, ",\"error\":{\"code\":");
	put_text(out, r->code != NULL ? r->code : "");
	put_key_text(out, "pointer", r->pointer != NULL ? r->pointer : "");
	if (r->rule != NULL)
		put_key_text(out, "rule", r->rule);
	put_key_text(out, "message", r->message != NULL ? r->message : "");
	bf_buf_putc(out, '}');
	if (r->file != NULL)
		put_key_text(out, "file", r->file);
	if (r->line > 0)
		bf_buf_printf(out, ",\"line\":%ld", r->line);
	if (r->partition != NULL)
		put_key_text(out, "partition", r->partition);
	if (r->window_start != NULL)
		put_key_text(out, "window_start", r->window_start);
	if (r->window_end != NULL)
		put_key_text(out, "window_end", r->window_end);
	if (!r->raw_base64 && bf_utf8_valid(raw, r->rawlen)) {
		bf_buf_puts(out, ",\"raw\":");
		bf_json_put_str(out, raw, r->rawlen);
	} else {
		b64len = 4 * ((r->rawlen + 2) / 3);
		b64 = bf_xmalloc(b64len + 1);
		EVP_EncodeBlock(b64, (const unsigned char *)raw,
		    (int)r->rawlen);
		bf_buf_puts(out, ",\"raw_base64\":\"");
		bf_buf_add(out, b64, b64len);
		bf_buf_putc(out, '"');
		free(b64);
	}
	bf_buf_puts(out, "}\n");
}

/* Appends line[0..n) to the DLQ. A regular file is appended to under an
 * exclusive flock(2), the lock every writer of a DLQ takes, so records of
 * processes sharing the file never interleave; a write that fails part way
 * (a full disk) is cut back to where it began, so it leaves no torn record.
 * Returns 0, or -1 with errno set. */
static int
append(struct bf_dlq *q, const char *line, size_t n)
{
	off_t at;
	int rc, saved;

	if (!q->regular)
		return write_all(q->fd, line, n);
	while ((rc = flock(q->fd, LOCK_EX)) == -1 && errno == EINTR)
		;
	if (rc == -1)
		return -1;
	at = lseek(q->fd, 0, SEEK_END);
	rc = at < 0 ? -1 : write_all(q->fd, line, n);
	saved = errno;
	if (rc == -1 && at >= 0 && ftruncate(q->fd, at) == -1)
		saved = errno;
	flock(q->fd, LOCK_UN);
	errno = saved;
	return rc;
}

int
bf_dlq_write(struct bf_dlq *q, const struct bf_reject *r, struct bf_err *e)
{
	if (r->rawlen > (size_t)1 << 30)
		return bf_err_set(e, BF_EXIT_IO, "cannot write to the DLQ "
		    "'%s': record of %zu bytes is too large", q->name,
		    r->rawlen);
	bf_buf_reset(&q->line);
	format_reject(&q->line, r);
	if (append(q, q->line.s, q->line.len) == -1)
		return bf_err_set(e, BF_EXIT_IO, "cannot write to the DLQ "
		    "'%s': %s", q->name, strerror(errno));
	q->count++;
	return 0;
}

/* Where the last line of the file of size n begins (0 when it has no
 * newline), read backwards in blocks. -1 on a read error. */
static off_t
last_line_start(int fd, off_t n)
{
	char buf[65536];
	off_t end = n;

	while (end > 0) {
		size_t k = end < (off_t)sizeof(buf) ? (size_t)end : sizeof(buf);
		off_t from = end - (off_t)k;

		if (pread(fd, buf, k, from) != (ssize_t)k)
			return -1;
		while (k > 0)
			if (buf[--k] == '\n')
				return from + (off_t)k + 1;
		end = from;
	}
	return 0;
}

/* A DLQ that does not end with a newline holds a torn record (a writer
 * killed in the middle, or a disk that filled before this module cut its
 * writes back). Its bytes are closed into a record of their own, code
 * torn_record, kept whole in raw_base64, written over them: nothing is cut
 * away, and every line is JSON again. Runs under the writers' flock. */
static int
repair(struct bf_dlq *q, const char *path, struct bf_err *e)
{
	struct bf_reject r;
	struct bf_buf rec = BF_BUF_INIT;
	struct stat st;
	char last, msg[200];
	char *torn = NULL;
	off_t at;
	size_t n;
	int rc = -1, fd = -1;

	while ((rc = flock(q->fd, LOCK_EX)) == -1 && errno == EINTR)
		;
	if (rc == -1)
		return bf_err_set(e, BF_EXIT_IO, "cannot lock the DLQ '%s': %s",
		    q->name, strerror(errno));
	rc = -1;
	/* q->fd appends (and may be write-only): reading and writing in
	 * place take a descriptor of their own, under q->fd's lock. */
	if (fstat(q->fd, &st) == -1)
		goto fail;
	if (st.st_size == 0) {
		rc = 0;
		goto out;
	}
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		goto fail;
	if (pread(fd, &last, 1, st.st_size - 1) == 1 && last == '\n') {
		rc = 0;
		goto out;
	}
	if ((at = last_line_start(fd, st.st_size)) < 0)
		goto fail;
	n = (size_t)(st.st_size - at);
	torn = bf_xmalloc(n);
	if (pread(fd, torn, n, at) != (ssize_t)n)
		goto fail;
	snprintf(msg, sizeof(msg), "the DLQ ended in a torn record (%zu "
	    "bytes without a newline, at byte %lld): its bytes are kept in "
	    "raw_base64", n, (long long)at + 1);
	memset(&r, 0, sizeof(r));
	r.stage = bf_progname;
	r.code = "torn_record";
	r.pointer = "";
	r.message = msg;
	r.file = q->name;
	r.ordinal = -1;
	r.raw = torn;
	r.rawlen = n;
	r.raw_base64 = 1;
	format_reject(&rec, &r);
	/* The record is longer than the bytes it replaces, so a failed write
	 * leaves them a prefix of what was there or of the record: the next
	 * open repairs again. */
	if (pwrite(fd, rec.s, rec.len, at) != (ssize_t)rec.len ||
	    fsync(fd) == -1)
		goto fail;
	bf_warn("warning: %s: repaired a torn record of %zu bytes at byte "
	    "%lld (code torn_record)", q->name, n, (long long)at + 1);
	rc = 0;
	goto out;
fail:
	bf_err_set(e, BF_EXIT_IO, "cannot repair the DLQ '%s': %s", q->name,
	    strerror(errno != 0 ? errno : EIO));
out:
	if (fd != -1)
		close(fd);
	flock(q->fd, LOCK_UN);
	free(torn);
	bf_buf_free(&rec);
	return rc;
}

int
bf_dlq_sync(struct bf_dlq *q, struct bf_err *e)
{
	/* Only a regular file can be made durable: a pipe, a terminal or
	 * /dev/null has nothing to sync. */
	if (q->regular && fsync(q->fd) != 0)
		return bf_err_set(e, BF_EXIT_IO, "cannot sync the DLQ '%s': "
		    "%s", q->name, strerror(errno));
	return 0;
}

int
bf_dlq_close(struct bf_dlq *q, struct bf_err *e)
{
	int rc;

	if (q == NULL)
		return 0;
	errno = 0;
	rc = bf_dlq_sync(q, e);
	if (q->fd != 2 && close(q->fd) != 0 && rc == 0)
		rc = bf_err_set(e, BF_EXIT_IO, "cannot close the DLQ '%s': %s",
		    q->name, strerror(errno));
	bf_buf_free(&q->line);
	free(q->name);
	free(q);
	return rc;
}

long
bf_dlq_count(const struct bf_dlq *q)
{
	return q->count;
}
