/*
 * test-dlq.c: unit tests for dlq.c.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dlq.h"
#include "hash.h"
#include "json.h"
#include "tap.h"

static char dir[] = "/tmp/bf-test-dlq.XXXXXX";

static char *
slurp(const char *path, size_t *n)
{
	static char buf[65536];
	FILE *fp = fopen(path, "r");

	*n = 0;
	if (fp == NULL)
		return NULL;
	*n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[*n] = '\0';
	fclose(fp);
	return buf;
}

/* The n-th line (0-based) of text, without its newline. */
static const char *
nth_line(const char *text, int k, size_t *len)
{
	const char *p = text, *nl;

	while (k-- > 0 && p != NULL) {
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (p == NULL || *p == '\0')
		return NULL;
	nl = strchr(p, '\n');
	*len = nl != NULL ? (size_t)(nl - p) : strlen(p);
	return p;
}

static struct bf_reject
sample_reject(void)
{
	struct bf_reject r;

	memset(&r, 0, sizeof(r));
	r.stage = "bf-validate";
	r.code = "out_of_range";
	r.pointer = "/value";
	r.rule = "maximum";
	r.message = "value 120 is above the maximum 100";
	r.file = "<stdin>";
	r.line = 42;
	r.partition = "db-1";
	r.window_start = "2026-01-01T00:00:00Z";
	r.window_end = "2026-01-02T00:00:00Z";
	r.ordinal = 7;
	r.raw = "{\"type\":\"sample\",\"value\":120}";
	r.rawlen = strlen(r.raw);
	return r;
}

int
main(void)
{
	struct bf_reject r, r2;
	struct bf_dlq *q;
	struct bf_err e;
	struct bf_json j = BF_JSON_INIT;
	struct bf_buf v = BF_BUF_INIT;
	struct stat st;
	char path[512], id[33], id2[33], want[2048];
	const char *s, *ln;
	size_t n, len;
	int i, good;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/dlq.ndjson", dir);

	/* Ids. */
	r = sample_reject();
	bf_dlq_id(&r, id);
	is_int(strlen(id), 32, "id has 32 hex digits");
	ok(strspn(id, "0123456789abcdef") == 32, "lowercase hex");
	r2 = sample_reject();
	r2.message = "another message";
	r2.code = "other";
	r2.file = "other.ndjson";
	r2.line = 1;
	bf_dlq_id(&r2, id2);
	is_str(id2, id, "id ignores message, code, file and line when the "
	    "window and ordinal are known");
	r2 = sample_reject();
	r2.ordinal = 8;
	bf_dlq_id(&r2, id2);
	ok(strcmp(id, id2) != 0, "id depends on the ordinal");
	r2 = sample_reject();
	r2.raw = "{\"type\":\"sample\",\"value\":121}";
	bf_dlq_id(&r2, id2);
	ok(strcmp(id, id2) != 0, "id depends on the raw bytes");
	r2 = sample_reject();
	r2.window_end = "2026-01-03T00:00:00Z";
	bf_dlq_id(&r2, id2);
	ok(strcmp(id, id2) != 0, "id depends on the window");
	r2 = sample_reject();
	r2.partition = "db-";
	r2.window_start = "12026-01-01T00:00:00Z";
	bf_dlq_id(&r2, id2);
	ok(strcmp(id, id2) != 0, "field boundaries are part of the id");
	r2 = sample_reject();
	r2.partition = NULL;
	r2.ordinal = -1;
	bf_dlq_id(&r2, id);
	r2.line = 43;
	bf_dlq_id(&r2, id2);
	ok(strcmp(id, id2) != 0, "without a window: id depends on the line");
	r2.line = 42;
	r2.file = "x";
	bf_dlq_id(&r2, id2);
	ok(strcmp(id, id2) != 0, "without a window: id depends on the file");
	r2.file = "<stdin>";
	bf_dlq_id(&r2, id2);
	is_str(id2, id, "without a window: stable");
	{
		/* Known value: SHA-256("f\0<stdin>\0" "42\0" "x"). */
		struct bf_reject r3;
		char hex[BF_SHA256_HEX];

		memset(&r3, 0, sizeof(r3));
		r3.file = "<stdin>";
		r3.line = 42;
		r3.ordinal = -1;
		r3.raw = "x";
		r3.rawlen = 1;
		bf_dlq_id(&r3, id);
		bf_sha256_hex("f\0<stdin>\0" "42\0x", 14, hex);
		hex[32] = '\0';
		is_str(id, hex, "id as documented (no window)");
		r3 = sample_reject();
		bf_dlq_id(&r3, id);
		bf_sha256_hex("w\0db-1\0" "2026-01-01T00:00:00Z\0"
		    "2026-01-02T00:00:00Z\0o\0" "7\0"
		    "{\"type\":\"sample\",\"value\":120}", 2 + 5 + 21 + 21 + 2 +
		    2 + 29, hex);
		hex[32] = '\0';
		is_str(id, hex, "id as documented (window and ordinal)");
	}

	/* Writing: the exact line. */
	q = bf_dlq_open(path, &e);
	ok(q != NULL, "open a DLQ file");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "created 0600");
	r = sample_reject();
	ok(bf_dlq_write(q, &r, &e) == 0, "write a reject");
	is_int(bf_dlq_count(q), 1, "count 1");
	ok(bf_dlq_sync(q, &e) == 0, "sync");
	bf_dlq_id(&r, id);
	snprintf(want, sizeof(want), "{\"type\":\"reject\",\"id\":\"%s\","
	    "\"stage\":\"bf-validate\",\"error\":{\"code\":\"out_of_range\","
	    "\"pointer\":\"/value\",\"rule\":\"maximum\",\"message\":\"value "
	    "120 is above the maximum 100\"},\"file\":\"<stdin>\",\"line\":42,"
	    "\"partition\":\"db-1\",\"window_start\":\"2026-01-01T00:00:00Z\","
	    "\"window_end\":\"2026-01-02T00:00:00Z\",\"raw\":\"{\\\"type\\\":"
	    "\\\"sample\\\",\\\"value\\\":120}\"}\n", id);
	s = slurp(path, &n);
	is_str(s, want, "the line, exactly as dlq.h documents it");

	/* Optional fields left out. */
	memset(&r, 0, sizeof(r));
	r.stage = "bf-load";
	r.code = "invalid_json";
	r.pointer = "";
	r.message = "not json";
	r.file = "in.ndjson";
	r.line = 3;
	r.ordinal = -1;
	r.raw = "nope";
	r.rawlen = 4;
	ok(bf_dlq_write(q, &r, &e) == 0, "write a reject without window");
	bf_dlq_id(&r, id);
	snprintf(want, sizeof(want), "{\"type\":\"reject\",\"id\":\"%s\","
	    "\"stage\":\"bf-load\",\"error\":{\"code\":\"invalid_json\","
	    "\"pointer\":\"\",\"message\":\"not json\"},\"file\":\"in.ndjson\","
	    "\"line\":3,\"raw\":\"nope\"}", id);
	bf_dlq_sync(q, &e);
	s = slurp(path, &n);
	ln = nth_line(s, 1, &len);
	ok(ln != NULL && len == strlen(want) && memcmp(ln, want, len) == 0,
	    "rule and window fields left out when unknown");

	/* Hostile raw bytes. */
	{
		static const char hostile[] = "{\"a\":\"q\\\"b\\\\\"}\r\t\x01\x1f"
		    "\0end \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x7f";
		size_t hl = sizeof(hostile) - 1;

		r.raw = hostile;
		r.rawlen = hl;
		ok(bf_dlq_write(q, &r, &e) == 0, "write control chars, NUL, "
		    "quotes, backslashes, multibyte UTF-8");
		bf_dlq_sync(q, &e);
		s = slurp(path, &n);
		ln = nth_line(s, 2, &len);
		ok(ln != NULL && bf_json_parse(&j, ln, len,
		    BF_JSON_WANT_OBJECT, NULL) == BF_JSON_OK,
		    "the DLQ line is valid JSON");
		bf_buf_reset(&v);
		ok(bf_json_get_str(&j, "raw", &v) == 0 && v.len == hl &&
		    memcmp(v.s, hostile, hl) == 0,
		    "raw gives the bytes back exactly");
		ok(bf_json_get(&j, 0, "raw_base64") < 0, "no raw_base64");
	}

	/* Invalid UTF-8: raw_base64. */
	{
		static const char *bad[] = { "\xff", "a\xc3", "\xc0\xaf",
		    "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok\xe2\x82" };

		good = 1;
		for (i = 0; i < 6; i++) {
			r.raw = bad[i];
			r.rawlen = strlen(bad[i]);
			if (bf_dlq_write(q, &r, &e) != 0)
				good = 0;
		}
		bf_dlq_sync(q, &e);
		s = slurp(path, &n);
		for (i = 0; i < 6; i++) {
			ln = nth_line(s, 3 + i, &len);
			if (ln == NULL || bf_json_parse(&j, ln, len, 1, NULL) !=
			    BF_JSON_OK || bf_json_get(&j, 0, "raw") >= 0 ||
			    bf_json_get_str(&j, "raw_base64", &v) != 0)
				good = 0;
		}
		ok(good, "invalid UTF-8 (bad byte, cut sequence, overlong, "
		    "surrogate, > U+10FFFF) goes to raw_base64");
		ln = nth_line(s, 3, &len);
		ok(ln != NULL && strstr(ln, ",\"raw_base64\":\"/w==\"}") != NULL,
		    "base64 of 0xff is /w==");
		ln = nth_line(s, 8, &len);
		ok(ln != NULL && strstr(ln, ",\"raw_base64\":\"b2vigg==\"}") !=
		    NULL, "base64 of ok\\xe2\\x82 is b2vigg==");
	}
	{
		char raw[3] = { 'a', '\xff', 'b' };
		char out[2];

		r.raw = raw;
		r.rawlen = 3;
		bf_dlq_write(q, &r, &e);
		r.raw = out;
		r.rawlen = 0;
		ok(bf_dlq_write(q, &r, &e) == 0, "an empty raw line");
		bf_dlq_sync(q, &e);
		s = slurp(path, &n);
		ln = nth_line(s, 9, &len);
		ok(ln != NULL && strstr(ln, "\"raw_base64\":\"Yf9i\"") != NULL,
		    "base64 of a\\xffb");
		ln = nth_line(s, 10, &len);
		ok(ln != NULL && strstr(ln, ",\"raw\":\"\"}") != NULL,
		    "empty raw is \"\"");
	}

	/* Text fields with invalid UTF-8 stay valid JSON. */
	r = sample_reject();
	r.message = "bad unit '\xff\xfe' in \"x\"";
	r.partition = "db-\xc3";
	ok(bf_dlq_write(q, &r, &e) == 0, "message quoting invalid UTF-8");
	bf_dlq_sync(q, &e);
	s = slurp(path, &n);
	ln = nth_line(s, 11, &len);
	ok(ln != NULL && bf_json_parse(&j, ln, len, 1, NULL) == BF_JSON_OK,
	    "still valid JSON");
	bf_buf_reset(&v);
	{
		int err = bf_json_get(&j, 0, "error");
		int m = err >= 0 ? bf_json_get(&j, err, "message") : -1;

		ok(m >= 0 && bf_json_str(&j, m, &v) == 0 &&
		    strcmp(v.s, "bad unit '\xef\xbf\xbd\xef\xbf\xbd' in \"x\"") ==
		    0, "invalid bytes replaced by U+FFFD: %s", bf_buf_str(&v));
	}
	bf_buf_reset(&v);
	ok(bf_json_get_str(&j, "partition", &v) == 0 &&
	    strcmp(v.s, "db-\xef\xbf\xbd") == 0, "also in the partition");

	is_int(bf_dlq_count(q), 12, "count of rejects");
	ok(bf_dlq_close(q, &e) == 0, "close");
	s = slurp(path, &n);
	good = n > 0 && s[n - 1] == '\n';
	for (i = 0; (ln = nth_line(s, i, &len)) != NULL; i++)
		if (bf_json_parse(&j, ln, len, 1, NULL) != BF_JSON_OK ||
		    !bf_json_streq(&j, bf_json_get(&j, 0, "type"), "reject"))
			good = 0;
	is_int(i, 12, "12 lines in the file");
	ok(good, "every line is a reject object");

	/* Appending; the mode of an existing file is kept. */
	chmod(path, 0640);
	q = bf_dlq_open(path, &e);
	r = sample_reject();
	bf_dlq_write(q, &r, &e);
	is_int(bf_dlq_count(q), 1, "count is per handle");
	bf_dlq_close(q, &e);
	s = slurp(path, &n);
	for (i = 0; nth_line(s, i, &len) != NULL; i++)
		;
	is_int(i, 13, "reopening appends");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640,
	    "existing file keeps its mode");

	/* Standard error. */
	{
		char tmpl[512];
		int fd, saved;

		snprintf(tmpl, sizeof(tmpl), "%s/stderr", dir);
		fd = open(tmpl, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		fflush(stderr);
		saved = dup(2);
		dup2(fd, 2);
		close(fd);
		q = bf_dlq_open(NULL, &e);
		ok(q != NULL, "open on stderr");
		bf_dlq_write(q, &r, &e);
		ok(bf_dlq_close(q, &e) == 0, "close on stderr");
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		ok(fcntl(2, F_GETFD) != -1, "stderr still open");
		s = slurp(tmpl, &n);
		ok(n > 0 && strncmp(s, "{\"type\":\"reject\",", 17) == 0 &&
		    s[n - 1] == '\n', "the reject went to stderr");
	}

	/* Errors. */
	snprintf(path, sizeof(path), "%s/no/such/dlq", dir);
	ok(bf_dlq_open(path, &e) == NULL && e.code == BF_EXIT_IO &&
	    strstr(e.msg, path) != NULL, "open failure names the file");
	if (access("/dev/full", W_OK) == 0) {
		q = bf_dlq_open("/dev/full", &e);
		ok(bf_dlq_write(q, &r, &e) == -1 && e.code == BF_EXIT_IO,
		    "a lost write is reported: %s", e.msg);
		bf_dlq_close(q, &e);
	} else
		ok(1, "# SKIP no /dev/full");

	/* /dev/null and other files that cannot be synced are fine. */
	q = bf_dlq_open("/dev/null", &e);
	ok(q != NULL && bf_dlq_write(q, &r, &e) == 0 &&
	    bf_dlq_sync(q, &e) == 0 && bf_dlq_close(q, &e) == 0,
	    "a DLQ on /dev/null writes, syncs and closes");

	/* A torn record (a writer killed half way) is closed into a record
	 * of its own that keeps its bytes, and what follows appends after. */
	{
		static const char torn[] = "{\"type\":\"reject\",\"id\":\"ab";
		static const char good[] = "{\"type\":\"reject\",\"x\":1}\n";
		struct bf_buf raw = BF_BUF_INIT;
		FILE *fp;
		int k;

		snprintf(path, sizeof(path), "%s/torn.ndjson", dir);
		fp = fopen(path, "w");
		fputs(good, fp);
		fputs(torn, fp);
		fclose(fp);
		q = bf_dlq_open(path, &e);
		ok(q != NULL, "a torn DLQ opens");
		r = sample_reject();
		ok(q != NULL && bf_dlq_write(q, &r, &e) == 0 &&
		    bf_dlq_close(q, &e) == 0, "and is written to");
		s = slurp(path, &n);
		ok(n > 0 && s[n - 1] == '\n', "it ends with a newline");
		for (k = 0; (ln = nth_line(s, k, &len)) != NULL; k++)
			;
		is_int(k, 3, "the good record, the torn one, the new one");
		ln = nth_line(s, 0, &len);
		ok(ln != NULL && len + 1 == strlen(good) &&
		    memcmp(ln, good, len) == 0, "the record before is untouched");
		ln = nth_line(s, 1, &len);
		ok(ln != NULL && bf_json_parse(&j, ln, len, 1, NULL) ==
		    BF_JSON_OK, "the torn bytes are a JSON record now");
		{
			int err = bf_json_get(&j, 0, "error");
			int c = err >= 0 ? bf_json_get(&j, err, "code") : -1;

			ok(bf_json_streq(&j, c, "torn_record"),
			    "with code torn_record");
		}
		ok(bf_json_get_str(&j, "raw_base64", &raw) == 0 &&
		    raw.len == 4 * ((strlen(torn) + 2) / 3),
		    "its bytes are kept in raw_base64");
		{
			unsigned char dec[64];
			int dn = EVP_DecodeBlock(dec, (unsigned char *)raw.s,
			    (int)raw.len);

			ok(dn >= (int)strlen(torn) &&
			    memcmp(dec, torn, strlen(torn)) == 0,
			    "and decode to the torn bytes");
		}
		ln = nth_line(s, 2, &len);
		ok(ln != NULL && bf_json_parse(&j, ln, len, 1, NULL) ==
		    BF_JSON_OK && bf_json_streq(&j, bf_json_get(&j, 0,
		    "type"), "reject"), "the new record follows whole");
		q = bf_dlq_open(path, &e);
		bf_dlq_close(q, &e);
		ok(strlen(slurp(path, &len)) == n, "a whole DLQ is left as it is");
		bf_buf_free(&raw);
	}

	/* A line too long for memory: the record keeps it whole, from its
	 * spill file, as raw when it is UTF-8 (a character may straddle the
	 * pieces it is read in), else as raw_base64. */
	{
		size_t big = 200000, m, got;
		char *line = malloc(big), *back;
		struct bf_spill sp;
		struct bf_buf raw = BF_BUF_INIT;
		char tmp[300], id[33], want[33], *text;
		int pass;

		for (pass = 0; pass < 2; pass++) {
			for (m = 0; m + 2 < big; m += 3)
				memcpy(line + m, "\xe2\x82\xac", 3); /* euro */
			line[m] = '"';
			line[m + 1] = '\\';
			if (pass == 1)
				line[big / 2] = (char)0xff;
			snprintf(tmp, sizeof(tmp), "%s/spill", dir);
			sp.fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0600);
			write(sp.fd, line, big);
			sp.len = (long long)big;
			sp.err = 0;
			snprintf(path, sizeof(path), "%s/long%d.ndjson", dir,
			    pass);
			q = bf_dlq_open(path, &e);
			r = sample_reject();
			r.code = "line_too_long";
			r.raw = line;
			r.rawlen = 1000;
			r.spill = &sp;
			ok(bf_dlq_write(q, &r, &e) == 0 &&
			    bf_dlq_close(q, &e) == 0, "a spilled line is written");
			close(sp.fd);
			{
				FILE *fp = fopen(path, "r");

				text = malloc(8 * big);
				got = fread(text, 1, 8 * big - 1, fp);
				fclose(fp);
				ok(got > big && text[got - 1] == '\n' &&
				    memchr(text, '\n', got) == text + got - 1,
				    "one record, one line");
				ok(bf_json_parse(&j, text, got - 1, 1, NULL) ==
				    BF_JSON_OK, "that is JSON");
			}
			if (pass == 0) {
				ok(bf_json_get_str(&j, "raw", &raw) == 0 &&
				    raw.len == big && memcmp(raw.s, line,
				    big) == 0, "raw is the whole line");
			} else {
				ok(bf_json_get_str(&j, "raw_base64", &raw) == 0,
				    "raw_base64 for a line that is not UTF-8");
				back = malloc(raw.len);
				m = (size_t)EVP_DecodeBlock((unsigned char *)back,
				    (unsigned char *)raw.s, (int)raw.len);
				ok(m >= big && memcmp(back, line, big) == 0,
				    "and decodes to the whole line");
				free(back);
			}
			r.raw = line;
			r.rawlen = big;
			r.spill = NULL;
			bf_dlq_id(&r, want);
			bf_buf_reset(&raw);
			bf_json_get_str(&j, "id", &raw);
			memcpy(id, raw.s, 33);
			is_str(id, want, "the id is that of the whole line");
			free(text);
		}
		bf_buf_free(&raw);
		free(line);
	}

	/* A write cut short (here by RLIMIT_FSIZE, as by a full disk) is
	 * taken back: no torn record is left behind. */
	{
		struct rlimit old, lim;
		struct stat before, after;

		snprintf(path, sizeof(path), "%s/full.ndjson", dir);
		q = bf_dlq_open(path, &e);
		r = sample_reject();
		bf_dlq_write(q, &r, &e);
		stat(path, &before);
		signal(SIGXFSZ, SIG_IGN);
		getrlimit(RLIMIT_FSIZE, &old);
		lim = old;
		lim.rlim_cur = (rlim_t)before.st_size + 20;
		setrlimit(RLIMIT_FSIZE, &lim);
		ok(bf_dlq_write(q, &r, &e) == -1 && e.code == BF_EXIT_IO,
		    "a write past the limit fails: %s", e.msg);
		setrlimit(RLIMIT_FSIZE, &old);
		stat(path, &after);
		is_int((int)after.st_size, (int)before.st_size,
		    "and is cut back to the last whole record");
		ok(bf_dlq_write(q, &r, &e) == 0 && bf_dlq_close(q, &e) == 0,
		    "the next write goes on");
		s = slurp(path, &n);
		for (i = 0; (ln = nth_line(s, i, &len)) != NULL; i++)
			if (bf_json_parse(&j, ln, len, 1, NULL) != BF_JSON_OK)
				break;
		is_int(i, 2, "two whole records");
	}

	bf_json_free(&j);
	bf_buf_free(&v);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		system(cmd);
	}
	return done_testing();
}
