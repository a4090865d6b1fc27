/*
 * test-files.c: unit tests for files.c.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "tap.h"

static char dir[] = "/tmp/bf-test-files.XXXXXX";

/* Checks that name encodes to something safe and decodes back. */
static int
roundtrip(const char *name, size_t n, struct bf_buf *enc)
{
	struct bf_buf dec = BF_BUF_INIT;
	int good;

	bf_buf_reset(enc);
	if (bf_name_encode(name, n, enc) != 0)
		return 0;
	good = enc->len > 0 && strchr(enc->s, '/') == NULL &&
	    enc->s[0] != '.' && strlen(enc->s) == enc->len &&
	    bf_name_decode(enc->s, &dec) == 0 && dec.len == n &&
	    memcmp(dec.s, name, n) == 0;
	bf_buf_free(&dec);
	return good;
}

static int
count_entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *de;
	int n = 0;

	if (dp == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}

static char *
slurp(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

int
main(void)
{
	static const char *hostile[] = {
		"../../etc", "a/b", ".hidden", ".", "..", "/", "%", "%41",
		"a%2Fb", "line\nbreak", "tab\there", "space name", "caf\xc3\xa9",
		"\xff\xfe", "db-1", "db_1.prod", "-rf", "*", "a..b", "x.",
		"%2E", "%2e", "CON", "\r\n", "\"quoted\"", "back\\slash",
	};
	struct bf_buf enc = BF_BUF_INIT, dec = BF_BUF_INIT;
	struct bf_buf path = BF_BUF_INIT;
	struct bf_err e;
	char all[255], *encs[256], name[2], twob[2];
	size_t i, j;
	int good, distinct;
	FILE *fp;

	if (mkdtemp(dir) == NULL)
		return 1;

	/* Name encoding. */
	is_int(bf_name_encode("", 0, &enc), -1, "empty name refused");
	bf_name_encode("db-1_x.Y9", 9, &enc);
	is_str(enc.s, "db-1_x.Y9", "safe names stay as they are");
	bf_buf_reset(&enc);
	bf_name_encode("../../etc", 9, &enc);
	is_str(enc.s, "%2E.%2F..%2Fetc", "../../etc encoded");
	bf_buf_reset(&enc);
	bf_name_encode("a/b", 3, &enc);
	is_str(enc.s, "a%2Fb", "a/b encoded");
	bf_buf_reset(&enc);
	bf_name_encode(".hidden", 7, &enc);
	is_str(enc.s, "%2Ehidden", "leading dot encoded");
	bf_buf_reset(&enc);
	bf_name_encode("100%", 4, &enc);
	is_str(enc.s, "100%25", "percent encoded");
	bf_buf_reset(&enc);
	bf_name_encode("caf\xc3\xa9", 5, &enc);
	is_str(enc.s, "caf%C3%A9", "non-ASCII bytes encoded, uppercase hex");
	bf_buf_reset(&enc);
	bf_name_encode("a\0b", 3, &enc);
	is_str(enc.s, "a%00b", "NUL byte encoded");
	bf_buf_reset(&enc);
	bf_buf_puts(&enc, "pre-");
	bf_name_encode("x", 1, &enc);
	is_str(enc.s, "pre-x", "encode appends");

	good = 1;
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		if (!roundtrip(hostile[i], strlen(hostile[i]), &enc)) {
			good = 0;
			fprintf(stderr, "# round trip failed: %s\n", hostile[i]);
		}
	ok(good, "hostile names encode safely and round-trip");

	/* Every single byte 0x01..0xff: safe, round-trips, distinct. */
	good = 1;
	for (i = 1; i < 256; i++) {
		name[0] = (char)i;
		if (!roundtrip(name, 1, &enc))
			good = 0;
		encs[i] = bf_xstrdup(enc.s);
	}
	ok(good, "each byte 0x01..0xff alone round-trips");
	distinct = 1;
	for (i = 1; i < 256; i++)
		for (j = i + 1; j < 256; j++)
			if (strcmp(encs[i], encs[j]) == 0)
				distinct = 0;
	ok(distinct, "each byte alone has a distinct encoding");
	for (i = 1; i < 256; i++)
		free(encs[i]);

	/* All two-byte names (as second position differs for '.'). */
	good = 1;
	for (i = 0; i < 256 && good; i++)
		for (j = 0; j < 256 && good; j++) {
			twob[0] = (char)i;
			twob[1] = (char)j;
			if (!roundtrip(twob, 2, &enc))
				good = 0;
		}
	ok(good, "all 65536 two-byte names round-trip (so distinct)");

	for (i = 0; i < sizeof(all); i++)
		all[i] = (char)(i + 1);
	ok(roundtrip(all, sizeof(all), &enc), "bytes 0x01..0xff in one name");

	/* Decoding refuses anything but the canonical encoding. */
	{
		static const char *bad[] = { "", ".x", ".", "..", "a/b",
		    "%2e", "%41", "%4", "%", "%G0", "a b", "%2F%", "x%zz",
		    "\xc3\xa9" };

		good = 1;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			bf_buf_reset(&dec);
			if (bf_name_decode(bad[i], &dec) != -1 ||
			    dec.len != 0) {
				good = 0;
				fprintf(stderr, "# decoded: '%s'\n", bad[i]);
			}
		}
		ok(good, "non-canonical or invalid encodings are refused");
	}
	bf_buf_reset(&dec);
	ok(bf_name_decode("x.%2E", &dec) == -1,
	    "an escaped dot after the first position is not canonical");
	bf_buf_reset(&dec);
	ok(bf_name_decode("%2E.", &dec) == 0 && strcmp(dec.s, "..") == 0,
	    "%%2E. decodes to ..");

	/* Atomic write. */
	bf_buf_printf(&path, "%s/state.ckpt", dir);
	umask(022);
	ok(bf_atomic_write(path.s, "hello\n", 6, 0600, &e) == 0,
	    "atomic write of a new file");
	is_str(slurp(path.s), "hello\n", "content written");
	is_int(mode_of(path.s), 0600, "mode 0600");
	is_int(count_entries(dir), 1, "no temporary file left");
	ok(bf_atomic_write(path.s, "bye\n", 4, 0600, &e) == 0,
	    "atomic replace of an existing file");
	is_str(slurp(path.s), "bye\n", "replaced content");
	is_int(count_entries(dir), 1, "still no temporary file left");
	ok(bf_atomic_write(path.s, "", 0, 0644, &e) == 0, "empty content");
	is_str(slurp(path.s), "", "empty file");
	is_int(mode_of(path.s), 0644, "the mode asked for, exactly");
	umask(077);
	ok(bf_atomic_write(path.s, "x", 1, 0600, &e) == 0 &&
	    mode_of(path.s) == 0600, "mode 0600 under umask 077");
	umask(022);

	bf_buf_reset(&path);
	bf_buf_printf(&path, "%s/missing/f", dir);
	ok(bf_atomic_write(path.s, "x", 1, 0600, &e) == -1,
	    "atomic write into a missing directory fails");
	is_int(e.code, BF_EXIT_IO, "with BF_EXIT_IO");
	ok(strstr(e.msg, path.s) != NULL, "naming the file: %s", e.msg);
	is_int(count_entries(dir), 1, "and leaves nothing behind");
	bf_buf_reset(&path);
	bf_buf_printf(&path, "%s/", dir);
	ok(bf_atomic_write(path.s, "x", 1, 0600, &e) == -1,
	    "a path ending in / is refused");
	bf_buf_reset(&path);
	bf_buf_printf(&path, "%s/adir", dir);
	mkdir(path.s, 0700);
	ok(bf_atomic_write(path.s, "x", 1, 0600, &e) == -1,
	    "replacing a directory fails");
	is_int(count_entries(dir), 2, "no temporary file left after failure");
	rmdir(path.s);

	/* A relative path without slash. */
	{
		char cwd[4096];

		if (getcwd(cwd, sizeof(cwd)) != NULL && chdir(dir) == 0) {
			ok(bf_atomic_write("rel", "r", 1, 0600, &e) == 0,
			    "relative name in the current directory");
			is_str(slurp("rel"), "r", "its content");
			unlink("rel");
			chdir(cwd);
		}
	}

	/* fsync of directories. */
	ok(bf_fsync_dir(dir, &e) == 0, "fsync a directory");
	bf_buf_reset(&path);
	bf_buf_printf(&path, "%s/state.ckpt", dir);
	ok(bf_fsync_dir(path.s, &e) == 0, "fsync the directory of a file");
	ok(bf_fsync_dir("/nonexistent-bf/x/y", &e) == -1 &&
	    e.code == BF_EXIT_IO, "fsync of a missing directory fails");

	/* Private files. */
	bf_buf_reset(&path);
	bf_buf_printf(&path, "%s/dlq.ndjson", dir);
	umask(0);
	fp = bf_fopen_private(path.s, "a", &e);
	ok(fp != NULL, "fopen_private creates");
	fputs("one\n", fp);
	fclose(fp);
	is_int(mode_of(path.s), 0600, "created 0600 even under umask 0");
	fp = bf_fopen_private(path.s, "a", &e);
	fputs("two\n", fp);
	fclose(fp);
	is_str(slurp(path.s), "one\ntwo\n", "\"a\" appends");
	chmod(path.s, 0640);
	fp = bf_fopen_private(path.s, "w", &e);
	fputs("three\n", fp);
	fclose(fp);
	is_str(slurp(path.s), "three\n", "\"w\" truncates");
	is_int(mode_of(path.s), 0640, "an existing file keeps its mode");
	umask(022);
	bf_buf_reset(&path);
	bf_buf_printf(&path, "%s/no/such/file", dir);
	ok(bf_fopen_private(path.s, "a", &e) == NULL && e.code == BF_EXIT_IO &&
	    strstr(e.msg, path.s) != NULL, "open failure names the file");
	ok(bf_fopen_private(path.s, "r", &e) == NULL,
	    "read mode is not what it is for");

	/* mkdir -p. */
	bf_buf_reset(&path);
	bf_buf_printf(&path, "%s/s/t/u/", dir);
	ok(bf_mkdir_p(path.s, 0700, &e) == 0, "mkdir -p nested");
	is_int(mode_of(path.s), 0700, "with its mode");
	ok(bf_mkdir_p(path.s, 0700, &e) == 0, "mkdir -p of an existing dir");
	bf_buf_reset(&path);
	bf_buf_printf(&path, "%s/dlq.ndjson/x", dir);
	ok(bf_mkdir_p(path.s, 0700, &e) == -1 && e.code == BF_EXIT_IO,
	    "a file in the way is an error");
	bf_buf_reset(&path);
	bf_buf_printf(&path, "%s/dlq.ndjson", dir);
	ok(bf_mkdir_p(path.s, 0700, &e) == -1 &&
	    strstr(e.msg, "Not a directory") != NULL,
	    "an existing file is not a directory: %s", e.msg);
	ok(bf_mkdir_p("", 0700, &e) == -1, "empty name refused");

	bf_buf_free(&enc);
	bf_buf_free(&dec);
	bf_buf_free(&path);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		system(cmd);
	}
	return done_testing();
}
