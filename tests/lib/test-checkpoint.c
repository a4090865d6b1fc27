/*
 * test-checkpoint.c: unit tests for checkpoint.c.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "tap.h"

/* Midnight UTC of day d of January 2026. */
#define D(d) ((bf_time)1767225600 + ((bf_time)(d) - 1) * 86400)

static char dir[] = "/tmp/bf-test-ckpt.XXXXXX";

static const char *
ranges(const struct bf_ckpt *c)
{
	static char out[1024];
	size_t i, k = 0;

	out[0] = '\0';
	for (i = 0; i < c->n && k < sizeof(out) - 40; i++)
		k += (size_t)snprintf(out + k, sizeof(out) - k, "%s[%lld,%lld)",
		    i ? " " : "", (long long)((c->r[i].from - D(1)) / 86400 + 1),
		    (long long)((c->r[i].to - D(1)) / 86400 + 1));
	return out;
}

static void
gap_cb(void *ctx, bf_time from, bf_time to)
{
	struct bf_buf *b = ctx;

	bf_buf_printf(b, "[%lld,%lld)", (long long)((from - D(1)) / 86400 + 1),
	    (long long)((to - D(1)) / 86400 + 1));
}

static const char *
gaps(const struct bf_ckpt *c, bf_time from, bf_time to)
{
	static struct bf_buf b;

	bf_buf_reset(&b);
	bf_buf_puts(&b, "");
	bf_ckpt_gaps(c, from, to, gap_cb, &b);
	return b.s;
}

static char *
slurp(const char *path, size_t *n)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");

	*n = 0;
	if (fp == NULL)
		return NULL;
	*n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[*n] = '\0';
	fclose(fp);
	return buf;
}

static void
put(const char *name, const char *data)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	fputs(data, fp);
	fclose(fp);
}

static void
unlink_ckpt(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/db-1.ckpt", dir);
	unlink(path);
}

static int
count_entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *de;
	int n = 0;

	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

/* Loads a checkpoint for "db-1" written as text; returns the error
 * message (with the directory replaced by DIR) or "OK". */
static const char *
load_text(const char *text, int *code)
{
	static char out[2048];
	struct bf_ckpt c;
	struct bf_err e;
	size_t dl = strlen(dir);

	put("db-1.ckpt", text);
	bf_err_clear(&e);
	if (bf_ckpt_load(dir, "db-1", &c, &e) == 0) {
		bf_ckpt_free(&c);
		*code = 0;
		return "OK";
	}
	*code = e.code;
	if (c.n != 0 || c.grid != NULL || c.windows != 0 ||
	    strcmp(c.partition, "db-1") != 0)
		snprintf(out, sizeof(out), "checkpoint not left empty");
	else if (strncmp(e.msg, dir, dl) == 0)
		snprintf(out, sizeof(out), "DIR%s", e.msg + dl);
	else
		snprintf(out, sizeof(out), "%s", e.msg);
	bf_ckpt_free(&c);
	return out;
}

#define HA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HC "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

/* The earlier heads: kept in order, each once, saved, read back, cut. */
static void
test_heads(void)
{
	struct bf_ckpt c, c2;
	struct bf_buf b = BF_BUF_INIT;
	struct bf_err e;
	int code;

	bf_ckpt_init(&c, "db-1");
	bf_ckpt_set_head(&c, HA);
	is_int((long)c.nheads, 0, "the first head has nothing before it");
	bf_ckpt_set_head(&c, HA);
	is_int((long)c.nheads, 0, "the same head again changes nothing");
	bf_ckpt_set_head(&c, HB);
	bf_ckpt_set_head(&c, HC);
	ok(c.nheads == 2 && strcmp(c.heads[0], HA) == 0 &&
	    strcmp(c.heads[1], HB) == 0 && strcmp(c.chain_head, HC) == 0,
	    "earlier heads kept oldest first");
	is_int(bf_ckpt_head_index(&c, HB), 1, "an earlier head is found");
	is_int(bf_ckpt_head_index(&c, HC), -1, "the current head is not earlier");
	bf_ckpt_format(&c, D(1), &b, &e);
	ok(strstr(b.s, ",\"chain_head\":\"" HC "\",\"heads\":[\"" HA "\",\""
	    HB "\"],\"updated\"") != NULL, "heads written after chain_head");
	ok(bf_ckpt_save(dir, &c, &e) == 0 &&
	    bf_ckpt_load(dir, "db-1", &c2, &e) == 0 && c2.nheads == 2 &&
	    strcmp(c2.heads[0], HA) == 0 && strcmp(c2.heads[1], HB) == 0 &&
	    strcmp(c2.chain_head, HC) == 0, "heads read back");
	bf_ckpt_free(&c2);
	bf_ckpt_cut_heads(&c, 0);
	ok(c.nheads == 0 && strcmp(c.chain_head, HA) == 0,
	    "cut back to the oldest head");
	bf_ckpt_set_head(&c, HB);
	bf_ckpt_cut_heads(&c, -1);
	ok(c.nheads == 0 && c.chain_head[0] == '\0',
	    "cut back to the empty chain");
	bf_ckpt_free(&c);
	bf_buf_free(&b);

	is_str(load_text("{\"partition\":\"db-1\",\"chain_head\":\"" HA
	    "\"}\n", &code), "OK", "a checkpoint without heads (older bf-load)");
	is_str(load_text("{\"partition\":\"db-1\",\"chain_head\":\"" HA
	    "\",\"heads\":[\"" HB "\",\"" HB "\"]}\n", &code),
	    "DIR/db-1.ckpt: not a valid checkpoint: head 2 of 'heads' is "
	    "empty, repeated or the chain head", "a repeated head refused");
	is_str(load_text("{\"partition\":\"db-1\",\"chain_head\":\"" HA
	    "\",\"heads\":[\"" HA "\"]}\n", &code),
	    "DIR/db-1.ckpt: not a valid checkpoint: head 1 of 'heads' is "
	    "empty, repeated or the chain head", "the chain head among heads");
	is_str(load_text("{\"partition\":\"db-1\",\"heads\":[\"xyz\"]}\n",
	    &code), "DIR/db-1.ckpt: not a valid checkpoint: 'heads' is not a "
	    "SHA-256 hex digest", "a head that is no digest");
	is_str(load_text("{\"partition\":\"db-1\",\"heads\":{}}\n", &code),
	    "DIR/db-1.ckpt: not a valid checkpoint: 'heads' is not an array",
	    "heads that are no array");
	unlink_ckpt();
}

static int
lock_in_child(const char *partition, const char *file, int *pid_out)
{
	int p[2], fd, r;
	pid_t pid;
	char c;
	struct bf_err e;

	if (pipe(p) != 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (partition != NULL)
			r = bf_lock_partition(dir, partition, &fd, &e);
		else
			r = bf_lock_file(dir, file, &fd, &e);
		write(p[1], r == 0 ? "y" : "n", 1);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		c = 'n';
	close(p[0]);
	*pid_out = pid;
	return c == 'y' ? 0 : -1;
}

static void
stop_child(int pid)
{
	int st;

	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}

int
main(void)
{
	struct bf_ckpt c, c2;
	struct bf_buf b = BF_BUF_INIT;
	struct bf_err e;
	struct stat st;
	const char *s;
	char path[512], digest[BF_SHA256_HEX], head[BF_SHA256_HEX];
	size_t n;
	int code, fd, fd2, pid;

	if (mkdtemp(dir) == NULL)
		return 1;

	/* Paths. */
	ok(bf_ckpt_path("state", "db-1", NULL, &b) == 0 &&
	    strcmp(b.s, "state/db-1.ckpt") == 0, "path of a checkpoint");
	bf_buf_reset(&b);
	bf_ckpt_path("state/", "db-1", ".lock", &b);
	is_str(b.s, "state/db-1.lock", "lock path, no double slash");
	bf_buf_reset(&b);
	bf_ckpt_path("st", "../../etc", NULL, &b);
	is_str(b.s, "st/%2E.%2F..%2Fetc.ckpt", "hostile partition stays inside");
	bf_buf_reset(&b);
	bf_ckpt_path("st", "a/b\n", NULL, &b);
	is_str(b.s, "st/a%2Fb%0A.ckpt", "slash and newline encoded");
	bf_buf_reset(&b);
	is_int(bf_ckpt_path("st", "", NULL, &b), -1, "empty partition refused");
	is_int(b.len, 0, "and nothing appended");
	{
		char name[300];

		/* 238 bytes encoded is the most a state directory holds. */
		memset(name, 'a', 238);
		name[238] = '\0';
		is_int(bf_partition_check(name, &e), 0, "238 bytes: accepted");
		name[238] = 'a';
		name[239] = '\0';
		is_int(bf_partition_check(name, &e), -1, "239 bytes: refused");
		is_int(e.code, BF_EXIT_USAGE, "as a usage error");
		ok(strstr(e.msg, "239 bytes encoded, at most 238") != NULL,
		    "the message says how long");
		/* 79 slashes are 237 bytes encoded, 80 are 240. */
		memset(name, '/', 80);
		name[79] = '\0';
		is_int(bf_partition_check(name, &e), 0, "79 slashes: accepted");
		name[79] = '/';
		name[80] = '\0';
		is_int(bf_partition_check(name, &e), -1,
		    "80 slashes (240 bytes encoded): refused");
		bf_buf_reset(&b);
		is_int(bf_ckpt_path("st", name, NULL, &b), -1,
		    "and it has no checkpoint path");
		is_int(bf_partition_check("", &e), -1, "empty: refused");
	}

	/* Ranges. */
	bf_ckpt_init(&c, "db-1");
	is_str(ranges(&c), "", "empty");
	ok(!bf_ckpt_covers(&c, D(1), D(2)), "empty covers nothing");
	ok(!bf_ckpt_overlaps(&c, D(1), D(2)), "empty overlaps nothing");
	is_str(gaps(&c, D(1), D(5)), "[1,5)", "empty: one gap");
	bf_ckpt_add(&c, D(3), D(4));
	bf_ckpt_add(&c, D(1), D(2));
	is_str(ranges(&c), "[1,2) [3,4)", "out of order, kept sorted");
	bf_ckpt_add(&c, D(2), D(3));
	is_str(ranges(&c), "[1,4)", "adjacent on both sides: merged");
	bf_ckpt_add(&c, D(4), D(5));
	is_str(ranges(&c), "[1,5)", "adjacent after: merged");
	bf_ckpt_add(&c, D(8), D(9));
	bf_ckpt_add(&c, D(11), D(12));
	bf_ckpt_add(&c, D(14), D(15));
	is_str(ranges(&c), "[1,5) [8,9) [11,12) [14,15)", "disjoint ranges");
	bf_ckpt_add(&c, D(7), D(12));
	is_str(ranges(&c), "[1,5) [7,12) [14,15)",
	    "one range swallowing two");
	bf_ckpt_add(&c, D(3), D(8));
	is_str(ranges(&c), "[1,12) [14,15)", "overlapping two: merged");
	bf_ckpt_add(&c, D(2), D(3));
	is_str(ranges(&c), "[1,12) [14,15)", "inside: nothing changes");
	bf_ckpt_add(&c, D(20), D(20));
	bf_ckpt_add(&c, D(21), D(20));
	is_str(ranges(&c), "[1,12) [14,15)", "empty intervals ignored");
	bf_ckpt_add(&c, D(13), D(14));
	is_str(ranges(&c), "[1,12) [13,15)", "adjacent before: merged");
	bf_ckpt_add(&c, D(0), D(1));
	is_str(ranges(&c), "[0,12) [13,15)", "new first range, adjacent");
	bf_ckpt_add(&c, D(-5), D(-3));
	is_str(ranges(&c), "[-5,-3) [0,12) [13,15)", "new first range");
	bf_ckpt_add(&c, D(-10), D(30));
	is_str(ranges(&c), "[-10,30)", "one range covering all");
	bf_ckpt_free(&c);

	bf_ckpt_init(&c, "db-1");
	bf_ckpt_add(&c, D(1), D(5));
	bf_ckpt_add(&c, D(8), D(10));
	ok(bf_ckpt_covers(&c, D(1), D(5)), "covers the exact range");
	ok(bf_ckpt_covers(&c, D(2), D(3)), "covers inside");
	ok(bf_ckpt_covers(&c, D(4), D(5)), "covers at the end");
	ok(!bf_ckpt_covers(&c, D(4), D(6)), "not past the end");
	ok(!bf_ckpt_covers(&c, D(0), D(2)), "not before the start");
	ok(!bf_ckpt_covers(&c, D(4), D(9)), "not across a gap");
	ok(!bf_ckpt_covers(&c, D(5), D(6)), "not in a gap");
	ok(bf_ckpt_covers(&c, D(9), D(10)), "second range");
	ok(!bf_ckpt_covers(&c, D(3), D(3)), "empty interval: 0");
	ok(bf_ckpt_overlaps(&c, D(4), D(6)), "overlaps the end");
	ok(bf_ckpt_overlaps(&c, D(0), D(2)), "overlaps the start");
	ok(bf_ckpt_overlaps(&c, D(0), D(20)), "overlaps by containing");
	ok(bf_ckpt_overlaps(&c, D(2) + 3600, D(2) + 7200), "overlaps inside");
	ok(!bf_ckpt_overlaps(&c, D(5), D(8)), "the exact gap: no overlap");
	ok(!bf_ckpt_overlaps(&c, D(0), D(1)), "touching the start: none");
	ok(!bf_ckpt_overlaps(&c, D(10), D(11)), "touching the end: none");
	ok(bf_ckpt_overlaps(&c, D(7), D(8) + 1), "one second overlap");
	ok(!bf_ckpt_overlaps(&c, D(3), D(3)), "empty interval: 0");
	is_str(gaps(&c, D(1), D(12)), "[5,8)[10,12)", "gaps after ranges");
	is_str(gaps(&c, D(0), D(12)), "[0,1)[5,8)[10,12)", "gap before");
	is_str(gaps(&c, D(2), D(9)), "[5,8)", "gaps inside a range");
	is_str(gaps(&c, D(2), D(4)), "", "no gap in a covered interval");
	is_str(gaps(&c, D(6), D(7)), "[6,7)", "inside a gap");
	is_str(gaps(&c, D(5), D(5)), "", "empty interval: no gaps");
	bf_ckpt_free(&c);

	/* Save and load. */
	memset(digest, 'a', 64);
	digest[64] = '\0';
	memset(head, '0', 64);
	head[64] = '\0';
	head[63] = 'f';
	bf_ckpt_init(&c, "db-1");
	c.grid = bf_xstrdup("size=86400 phase=0 billing_day=1");
	bf_ckpt_commit(&c, D(3), D(4), "bb");
	bf_ckpt_commit(&c, D(1), D(2), NULL);
	bf_ckpt_commit(&c, D(2), D(3), digest);
	memcpy(c.chain_head, head, sizeof(head));
	is_int(c.windows, 3, "commit counts windows");
	ok(c.last_from == D(2) && c.last_to == D(3), "commit sets last window");
	is_str(c.last_digest, digest, "commit sets the digest");
	bf_buf_reset(&b);
	ok(bf_ckpt_format(&c, D(25) + 36000, &b, &e) == 0, "format");
	{
		char want[1024];

		snprintf(want, sizeof(want), "{\"partition\":\"db-1\","
		    "\"grid\":\"size=86400 phase=0 billing_day=1\","
		    "\"committed\":[[\"2026-01-01T00:00:00Z\","
		    "\"2026-01-04T00:00:00Z\"]],\"windows\":3,"
		    "\"last_window\":[\"2026-01-02T00:00:00Z\","
		    "\"2026-01-03T00:00:00Z\"],\"last_digest\":\"%s\","
		    "\"chain_head\":\"%s\",\"updated\":"
		    "\"2026-01-25T10:00:00Z\"}\n", digest, head);
		is_str(b.s, want, "the file format, exactly");
	}
	ok(bf_ckpt_save(dir, &c, &e) == 0, "save");
	snprintf(path, sizeof(path), "%s/db-1.ckpt", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "checkpoint file is mode 0600");
	s = slurp(path, &n);
	ok(s != NULL && n > 0 && s[n - 1] == '\n' &&
	    strchr(s, '\n') == s + n - 1, "one line ending with a newline");
	is_int(count_entries(dir), 1, "no temporary file left");
	ok(bf_ckpt_load(dir, "db-1", &c2, &e) == 0, "load");
	is_str(c2.partition, "db-1", "partition loaded");
	is_str(c2.grid, "size=86400 phase=0 billing_day=1", "grid loaded");
	is_str(ranges(&c2), "[1,4)", "ranges loaded");
	is_int(c2.windows, 3, "windows loaded");
	ok(c2.last_from == D(2) && c2.last_to == D(3), "last window loaded");
	is_str(c2.last_digest, digest, "digest loaded");
	is_str(c2.chain_head, head, "chain head loaded");
	bf_ckpt_free(&c2);
	bf_ckpt_add(&c, D(10), D(12));
	ok(bf_ckpt_save(dir, &c, &e) == 0, "save again (replace)");
	ok(bf_ckpt_load(dir, "db-1", &c2, &e) == 0 &&
	    strcmp(ranges(&c2), "[1,4) [10,12)") == 0, "replaced content");
	bf_ckpt_free(&c2);
	is_int(count_entries(dir), 1, "still one file");
	bf_ckpt_free(&c);

	/* An empty checkpoint, and a hostile partition name. */
	bf_ckpt_init(&c, "../../etc/passwd\n\"x\"");
	ok(bf_ckpt_save(dir, &c, &e) == 0, "save an empty checkpoint");
	snprintf(path, sizeof(path), "%s/%%2E.%%2F..%%2Fetc%%2Fpasswd%%0A"
	    "%%22x%%22.ckpt", dir);
	ok(access(path, F_OK) == 0, "hostile name saved inside the dir");
	ok(bf_ckpt_load(dir, c.partition, &c2, &e) == 0 &&
	    strcmp(c2.partition, c.partition) == 0 && c2.n == 0 &&
	    c2.grid == NULL && c2.windows == 0 && c2.last_from == 0 &&
	    c2.last_digest[0] == '\0' && c2.chain_head[0] == '\0',
	    "empty checkpoint round-trips");
	bf_ckpt_free(&c2);
	s = slurp(path, &n);
	ok(s != NULL && strstr(s, "\"committed\":[],\"windows\":0,"
	    "\"updated\":") != NULL, "empty checkpoint text: %s", s);
	unlink(path);
	bf_ckpt_free(&c);

	/* Missing file: empty. */
	ok(bf_ckpt_load(dir, "db-9", &c, &e) == 0 && c.n == 0 &&
	    strcmp(c.partition, "db-9") == 0, "missing file: empty, no error");
	bf_ckpt_free(&c);
	ok(bf_ckpt_load("/nonexistent-bf-dir", "db-9", &c, &e) == 0,
	    "missing directory: empty too");
	bf_ckpt_free(&c);

	/* Corrupt files. */
	s = load_text("", &code);
	ok(strncmp(s, "DIR/db-1.ckpt: not a valid checkpoint: ", 39) == 0,
	    "empty file: %s", s);
	is_int(code, BF_EXIT_USAGE, "corrupt: usage error");
	s = load_text("{\"partition\":\"db-1\",\"committed\":[", &code);
	ok(strncmp(s, "DIR/db-1.ckpt: not a valid checkpoint: ", 39) == 0,
	    "truncated file: %s", s);
	s = load_text("garbage\n", &code);
	ok(strncmp(s, "DIR/db-1.ckpt: not a valid checkpoint: ", 39) == 0,
	    "garbage: %s", s);
	s = load_text("[1,2]\n", &code);
	ok(strncmp(s, "DIR/db-1.ckpt: not a valid checkpoint: ", 39) == 0,
	    "not an object: %s", s);
	s = load_text("{\"partition\":\"db-1\"}\n{}\n", &code);
	is_str(s, "DIR/db-1.ckpt: not a valid checkpoint: more than one line",
	    "two lines");
	s = load_text("{\"committed\":[]}\n", &code);
	is_str(s, "DIR/db-1.ckpt: not a valid checkpoint: no 'partition'",
	    "no partition");
	s = load_text("{\"partition\":\"db-2\"}\n", &code);
	is_str(s, "DIR/db-1.ckpt: checkpoint of another partition ('db-2', "
	    "expected 'db-1')", "another partition's file");
	is_int(code, BF_EXIT_USAGE, "another partition: usage error");
	s = load_text("{\"partition\":\"db-1\",\"committed\":[[\"2026-01-02"
	    "T00:00:00Z\",\"2026-01-01T00:00:00Z\"]]}\n", &code);
	is_str(s, "DIR/db-1.ckpt: not a valid checkpoint: committed range 1 "
	    "is not [start, end] with start before end", "reversed range");
	s = load_text("{\"partition\":\"db-1\",\"committed\":[[\"2026-01-02"
	    "T00:00:00Z\",\"2026-01-03T00:00:00Z\"],[\"2026-01-01T00:00:00Z\","
	    "\"2026-01-02T00:00:00Z\"]]}\n", &code);
	is_str(s, "DIR/db-1.ckpt: not a valid checkpoint: committed range 2 "
	    "is out of order or not merged", "ranges out of order");
	s = load_text("{\"partition\":\"db-1\",\"committed\":[[\"2026-01-01"
	    "T00:00:00Z\",\"bad\"]]}\n", &code);
	ok(strstr(s, "committed range 1") != NULL, "bad time: %s", s);
	s = load_text("{\"partition\":\"db-1\",\"committed\":[[\"2026-01-01"
	    "T00:00:00Z\"]]}\n", &code);
	ok(strstr(s, "committed range 1") != NULL, "one-element range: %s", s);
	s = load_text("{\"partition\":\"db-1\",\"committed\":{}}\n", &code);
	ok(strstr(s, "'committed' is not an array") != NULL,
	    "committed not an array: %s", s);
	s = load_text("{\"partition\":\"db-1\",\"windows\":-1}\n", &code);
	ok(strstr(s, "'windows' is not a count") != NULL,
	    "negative windows: %s", s);
	s = load_text("{\"partition\":\"db-1\",\"windows\":1.5}\n", &code);
	ok(strstr(s, "'windows' is not a count") != NULL,
	    "fractional windows: %s", s);
	s = load_text("{\"partition\":\"db-1\",\"last_digest\":\"abc\"}\n",
	    &code);
	ok(strstr(s, "'last_digest' is not a SHA-256") != NULL,
	    "short digest: %s", s);
	s = load_text("{\"partition\":\"db-1\",\"chain_head\":\"ABCDEF0123456789"
	    "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789\"}\n", &code);
	ok(strstr(s, "'chain_head' is not a SHA-256") != NULL,
	    "uppercase digest: %s", s);
	s = load_text("{\"partition\":\"db-1\",\"grid\":5}\n", &code);
	ok(strstr(s, "'grid' is not a string") != NULL, "grid number: %s", s);
	s = load_text("{\"partition\":\"db-1\",\"last_window\":[1,2]}\n",
	    &code);
	ok(strstr(s, "'last_window'") != NULL, "bad last window: %s", s);
	s = load_text("{\"partition\":\"db-1\",\"partition\":\"db-1\"}\n",
	    &code);
	ok(strncmp(s, "DIR/db-1.ckpt: not a valid checkpoint: ", 39) == 0,
	    "duplicate key: %s", s);
	s = load_text("{\"partition\":\"db-1\",\"grid\":null,\"last_window\":"
	    "null,\"last_digest\":null,\"chain_head\":\"\",\"future\":[1],"
	    "\"updated\":\"x\"}\r\n", &code);
	is_str(s, "OK", "nulls, empty strings, unknown keys, CRLF accepted");
	snprintf(path, sizeof(path), "%s/db-1.ckpt", dir);
	unlink(path);

	/* Saving refuses what it cannot write. */
	bf_ckpt_init(&c, "bad\xff");
	ok(bf_ckpt_save(dir, &c, &e) == -1 && e.code == BF_EXIT_USAGE,
	    "invalid UTF-8 partition refused: %s", e.msg);
	bf_ckpt_free(&c);
	bf_ckpt_init(&c, "db-1");
	c.grid = bf_xstrdup("g");
	bf_ckpt_add(&c, -100000000000LL, D(1));
	ok(bf_ckpt_save(dir, &c, &e) == -1 && e.code == BF_EXIT_USAGE,
	    "time out of range refused: %s", e.msg);
	bf_ckpt_free(&c);
	ok(bf_ckpt_save("/nonexistent-bf-dir", &c2, &e) == -1,
	    "save without partition refused");
	bf_ckpt_init(&c, "db-1");
	ok(bf_ckpt_save("/nonexistent-bf-dir", &c, &e) == -1 &&
	    e.code == BF_EXIT_IO, "save into a missing dir: I/O error");
	bf_ckpt_free(&c);
	is_int(count_entries(dir), 0, "nothing left behind");

	/* Locks. */
	ok(bf_lock_partition(dir, "db-1", &fd, &e) == 0, "lock a partition");
	snprintf(path, sizeof(path), "%s/db-1.lock", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "lock file is mode 0600");
	ok(bf_lock_partition(dir, "db-1", &fd2, &e) == -1 &&
	    e.code == BF_EXIT_TEMPFAIL,
	    "a second lock in the same process is refused");
	ok(bf_lock_partition(dir, "db-2", &fd2, &e) == 0,
	    "another partition locks independently");
	bf_unlock(fd2);
	bf_unlock(fd);
	ok(bf_lock_partition(dir, "db-1", &fd, &e) == 0, "relock after unlock");
	bf_unlock(fd);

	/* The temporary file of a save that was killed half way: the next
	 * save takes it over, and taking the lock removes it. */
	{
		FILE *fp;

		snprintf(path, sizeof(path), "%s/.db-9.ckpt.tmp", dir);
		fp = fopen(path, "w");
		fputs("{\"partial", fp);
		fclose(fp);
		bf_ckpt_init(&c, "db-9");
		ok(bf_ckpt_save(dir, &c, &e) == 0 && access(path, F_OK) != 0,
		    "a save over a stale temporary file leaves none");
		ok(bf_ckpt_load(dir, "db-9", &c2, &e) == 0,
		    "and the checkpoint reads back");
		bf_ckpt_free(&c2);
		bf_ckpt_free(&c);
		fp = fopen(path, "w");
		fputs("{\"partial", fp);
		fclose(fp);
		ok(bf_lock_partition(dir, "db-9", &fd, &e) == 0 &&
		    access(path, F_OK) != 0,
		    "taking the partition's lock removes a stale one");
		bf_unlock(fd);
		snprintf(path, sizeof(path), "%s/db-9.ckpt", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/db-9.lock", dir);
		unlink(path);
	}

	ok(lock_in_child("db-1", NULL, &pid) == 0, "a child process locks");
	ok(bf_lock_partition(dir, "db-1", &fd, &e) == -1,
	    "lock refused while another process holds it");
	is_int(e.code, BF_EXIT_TEMPFAIL, "with BF_EXIT_TEMPFAIL");
	is_str(e.msg, "partition 'db-1' is locked by another bf-load",
	    "and the message");
	stop_child(pid);
	ok(bf_lock_partition(dir, "db-1", &fd, &e) == 0,
	    "the lock goes with the process");
	bf_unlock(fd);

	ok(lock_in_child(NULL, ".bf-backfill.lock", &pid) == 0,
	    "a child takes the backfill lock");
	ok(bf_lock_file(dir, ".bf-backfill.lock", &fd, &e) == -1 &&
	    e.code == BF_EXIT_TEMPFAIL, "refused while held");
	snprintf(path, sizeof(path), "'%s/.bf-backfill.lock' is locked by "
	    "another process", dir);
	is_str(e.msg, path, "lock file message");
	ok(bf_lock_partition(dir, "db-1", &fd, &e) == 0,
	    "the state lock does not block partition locks");
	bf_unlock(fd);
	stop_child(pid);
	ok(bf_lock_file(dir, ".bf-backfill.lock", &fd, &e) == 0,
	    "free after the holder exits");
	bf_unlock(fd);
	ok(bf_lock_file(dir, "a/b", &fd, &e) == -1 && e.code == BF_EXIT_USAGE,
	    "lock name with a slash refused");
	ok(bf_lock_partition("/nonexistent-bf-dir", "db-1", &fd, &e) == -1 &&
	    e.code == BF_EXIT_IO, "lock in a missing dir: I/O error");
	ok(bf_lock_partition(dir, "", &fd, &e) == -1, "empty partition");

	test_heads();
	bf_buf_free(&b);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		system(cmd);
	}
	return done_testing();
}
