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

/* Starts h with what the id covers before the raw bytes. */
static void
id_begin(struct bf_sha256 *h, const struct bf_reject *r)
{
	char num[32];
	const char *file = r->file != NULL ? r->file : "";

	bf_sha256_init(h);
	if (window_known(r)) {
		bf_sha256_update(h, "w", 2);
		bf_sha256_update(h, r->partition, strlen(r->partition) + 1);
		bf_sha256_update(h, r->window_start,
		    strlen(r->window_start) + 1);
		bf_sha256_update(h, r->window_end, strlen(r->window_end) + 1);
	}
	if (window_known(r) && r->ordinal >= 0) {
		snprintf(num, sizeof(num), "%ld", r->ordinal);
		bf_sha256_update(h, "o", 2);
		bf_sha256_update(h, num, strlen(num) + 1);
	} else {
		snprintf(num, sizeof(num), "%ld", r->line);
		bf_sha256_update(h, "f", 2);
		bf_sha256_update(h, file, strlen(file) + 1);
		bf_sha256_update(h, num, strlen(num) + 1);
	}
}

static void
id_end(struct bf_sha256 *h, char out[33])
{
	char hex[BF_SHA256_HEX];

	bf_sha256_final(h, hex);
	memcpy(out, hex, 32);
	out[32] = '\0';
}

void
bf_dlq_id(const struct bf_reject *r, char out[33])
{
	struct bf_sha256 h;

	id_begin(&h, r);
	bf_sha256_update(&h, r->raw != NULL ? r->raw : "", r->rawlen);
	id_end(&h, out);
}

/* Builds the reject line of r up to its raw member into out, with the
 * given id. */
static void
format_head(struct bf_buf *out, const struct bf_reject *r, const char *id)
{
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
}

/* Appends p[0..n) base64-encoded (n a multiple of 3 but for the last
 * piece of a value). */
static void
put_base64(struct bf_buf *out, const char *p, size_t n)
{
	size_t len = 4 * ((n + 2) / 3);

	bf_buf_grow(out, len + 1);
	EVP_EncodeBlock((unsigned char *)out->s + out->len,
	    (const unsigned char *)p, (int)n);
	out->len += len;
	out->s[out->len] = '\0';
}

/* Builds the reject line of r (with its newline) into out. */
static void
format_reject(struct bf_buf *out, const struct bf_reject *r)
{
	char id[33];
	const char *raw = r->raw != NULL ? r->raw : "";

	bf_dlq_id(r, id);
	format_head(out, r, id);
	if (!r->raw_base64 && bf_utf8_valid(raw, r->rawlen)) {
		bf_buf_puts(out, ",\"raw\":");
		bf_json_put_str(out, raw, r->rawlen);
	} else {
		bf_buf_puts(out, ",\"raw_base64\":\"");
		put_base64(out, raw, r->rawlen);
		bf_buf_putc(out, '"');
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

#define CHUNK (3 * 21845) /* a multiple of 3, for base64 */

/* Where a UTF-8 sequence that may go on past p[0..n) begins (n if none). */
static size_t
utf8_cut(const char *p, size_t n)
{
	size_t i;

	for (i = 1; i <= 3 && i <= n; i++) {
		unsigned char b = (unsigned char)p[n - i];

		if ((b & 0xC0) == 0x80)
			continue;
		if (b >= 0xC0 && (size_t)(b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2) >
		    i)
			return n - i;
		break;
	}
	return n;
}

/* Reads up to n bytes of sp at off (short only at its end). */
static ssize_t
spill_read(const struct bf_spill *sp, char *buf, size_t n, long long off)
{
	size_t got = 0;

	if ((long long)n > sp->len - off)
		n = (size_t)(sp->len - off);
	while (got < n) {
		ssize_t k = pread(sp->fd, buf + got, n - got, off + got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* The record of r whose raw line is the whole of r->spill: one pass for
 * the id and the UTF-8 check, one that writes the record into an unlinked
 * 0600 temporary file chunk by chunk, then the file appended whole (under
 * the writers' lock for a regular DLQ). Memory stays bounded whatever the
 * line's length. */
static int
write_spilled(struct bf_dlq *q, const struct bf_reject *r, struct bf_err *e)
{
	const struct bf_spill *sp = r->spill;
	char *buf = bf_xmalloc(CHUNK + 4), id[33], tmpl[4096];
	const char *tmpdir = getenv("TMPDIR");
	struct bf_sha256 h;
	size_t have = 0, cut;
	long long off = 0;
	ssize_t k;
	off_t at = -1, pos;
	int valid = !r->raw_base64, fd = -1, rc = -1, saved = 0, locked = 0;

	if (sp->err != 0) {
		free(buf);
		return bf_err_set(e, BF_EXIT_IO, "cannot keep a line of more "
		    "than %zu bytes for the DLQ '%s': %s", r->rawlen, q->name,
		    strerror(sp->err));
	}
	id_begin(&h, r);
	while (off < sp->len) {
		if ((k = spill_read(sp, buf + have, CHUNK, off)) < 0)
			break;
		bf_sha256_update(&h, buf + have, (size_t)k);
		off += k;
		have += (size_t)k;
		cut = utf8_cut(buf, have);
		if (valid && !bf_utf8_valid(buf, cut))
			valid = 0;
		memmove(buf, buf + cut, have - cut);
		have -= cut;
	}
	id_end(&h, id);
	if (off < sp->len)
		goto fail;
	if (valid && have > 0 && !bf_utf8_valid(buf, have))
		valid = 0;

	snprintf(tmpl, sizeof(tmpl), "%s/bf-dlq.XXXXXX",
	    tmpdir != NULL && *tmpdir != '\0' ? tmpdir : "/tmp");
	if ((fd = mkstemp(tmpl)) < 0)
		goto fail;
	unlink(tmpl);
	bf_buf_reset(&q->line);
	format_head(&q->line, r, id);
	bf_buf_puts(&q->line, valid ? ",\"raw\":\"" : ",\"raw_base64\":\"");
	for (off = 0; ; off += k) {
		if (write_all(fd, q->line.s, q->line.len) == -1)
			goto fail;
		bf_buf_reset(&q->line);
		if (off >= sp->len)
			break;
		if ((k = spill_read(sp, buf, CHUNK, off)) <= 0)
			goto fail;
		if (valid) {
			/* Escaping is byte by byte: a piece may end anywhere. */
			bf_json_put_str(&q->line, buf, (size_t)k);
			memmove(q->line.s, q->line.s + 1, q->line.len - 2);
			q->line.len -= 2;
		} else
			put_base64(&q->line, buf, (size_t)k);
	}
	if (write_all(fd, "\"}\n", 3) == -1)
		goto fail;

	if (q->regular) {
		while ((rc = flock(q->fd, LOCK_EX)) == -1 && errno == EINTR)
			;
		if (rc == -1)
			goto fail;
		locked = 1;
		rc = -1;
		if ((at = lseek(q->fd, 0, SEEK_END)) < 0)
			goto fail;
	}
	for (pos = 0; ; pos += k) {
		while ((k = pread(fd, buf, CHUNK, pos)) < 0 && errno == EINTR)
			;
		if (k < 0 || (k > 0 && write_all(q->fd, buf, (size_t)k) == -1))
			goto fail;
		if (k == 0)
			break;
	}
	q->count++;
	rc = 0;
	goto out;
fail:
	saved = errno != 0 ? errno : EIO;
	if (at >= 0 && ftruncate(q->fd, at) == -1)
		saved = errno;
	bf_err_set(e, BF_EXIT_IO, "cannot write to the DLQ '%s': %s", q->name,
	    strerror(saved));
out:
	if (locked)
		flock(q->fd, LOCK_UN);
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

int
bf_dlq_write(struct bf_dlq *q, const struct bf_reject *r, struct bf_err *e)
{
	if (r->spill != NULL)
		return write_spilled(q, r, e);
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
