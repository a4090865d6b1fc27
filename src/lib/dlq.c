/*
 * dlq.c: the dead-letter queue (dlq.h).
 */
#include <errno.h>
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
	FILE *fp;
	char *name;      /* for messages: the path, or "<stderr>" */
	int is_file;     /* fsync on sync, fclose on close */
	long count;
	struct bf_buf line;
};

struct bf_dlq *
bf_dlq_open(const char *path, struct bf_err *e)
{
	struct bf_dlq *q;
	FILE *fp;

	if (path == NULL) {
		fp = stderr;
	} else {
		fp = bf_fopen_private(path, "a", e);
		if (fp == NULL)
			return NULL;
		/* Unbuffered in append mode: each record goes out in one
		 * write(2), so parallel pipelines can share one DLQ file. */
		setvbuf(fp, NULL, _IONBF, 0);
	}
	q = bf_xcalloc(1, sizeof(*q));
	q->fp = fp;
	q->is_file = path != NULL;
	q->name = bf_xstrdup(path != NULL ? path : "<stderr>");
	return q;
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
	if (bf_utf8_valid(raw, r->rawlen)) {
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

int
bf_dlq_write(struct bf_dlq *q, const struct bf_reject *r, struct bf_err *e)
{
	if (r->rawlen > (size_t)1 << 30)
		return bf_err_set(e, BF_EXIT_IO, "cannot write to the DLQ "
		    "'%s': record of %zu bytes is too large", q->name,
		    r->rawlen);
	bf_buf_reset(&q->line);
	format_reject(&q->line, r);
	if (fwrite(q->line.s, 1, q->line.len, q->fp) != q->line.len)
		return bf_err_set(e, BF_EXIT_IO, "cannot write to the DLQ "
		    "'%s': %s", q->name, strerror(errno));
	q->count++;
	return 0;
}

int
bf_dlq_sync(struct bf_dlq *q, struct bf_err *e)
{
	if (fflush(q->fp) != 0 || ferror(q->fp))
		return bf_err_set(e, BF_EXIT_IO, "cannot write to the DLQ "
		    "'%s': %s", q->name, strerror(errno != 0 ? errno : EIO));
	if (q->is_file && fsync(fileno(q->fp)) != 0)
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
	if (q->is_file && fclose(q->fp) != 0 && rc == 0)
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
