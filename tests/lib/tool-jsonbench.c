/*
 * tool-jsonbench: times JSON readers over the lines of stdin (read into
 * memory first, so that only parsing is timed). Prints
 * "<mode> <lines> <seconds> <lines/s>" on stdout. Modes:
 *   bf      bf_json_parse (strict, object root) + bf_json_get of type,
 *           metric, ts and value, and bf_json_streq on type
 *   bfparse bf_json_parse alone
 *   jsmn    jsmn_parse alone (JSMN_STRICT, JSMN_PARENT_LINKS), no checks
 *   none    only the line splitting (the baseline to subtract when counting
 *           instructions with perf stat)
 * Used by tests/bench/json.sh; not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include "buf.h"
#include "json.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct bf_buf all = BF_BUF_INIT;
	struct bf_json j = BF_JSON_INIT;
	char rd[65536], *p, *e, *nl;
	size_t n, sink = 0;
	long lines = 0, bad = 0;
	const char *mode = argc > 1 ? argv[1] : "bf";
	static jsmntok_t toks[4096];
	jsmn_parser jp;
	double t0, t1;
	int r, t;

	while ((n = fread(rd, 1, sizeof(rd), stdin)) > 0)
		bf_buf_add(&all, rd, n);
	p = all.s;
	e = all.s + all.len;
	t0 = now();
	while (p < e) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		n = (size_t)(nl - p);
		if (strcmp(mode, "none") == 0)
			sink += n;
		else if (strcmp(mode, "jsmn") == 0) {
			jsmn_init(&jp);
			r = jsmn_parse(&jp, p, n, toks, 4096);
			if (r < 1)
				bad++;
			else
				sink += (size_t)toks[r - 1].end;
		} else {
			r = bf_json_parse(&j, p, n, BF_JSON_WANT_OBJECT, NULL);
			if (r != 0)
				bad++;
			else if (strcmp(mode, "bf") == 0) {
				size_t k;

				t = bf_json_get(&j, 0, "type");
				sink += (size_t)bf_json_streq(&j, t, "sample");
				t = bf_json_get(&j, 0, "metric");
				sink += (size_t)t;
				t = bf_json_get(&j, 0, "ts");
				sink += (size_t)t;
				t = bf_json_get(&j, 0, "value");
				bf_json_raw(&j, t, &k);
				sink += k;
			}
		}
		lines++;
		p = nl + 1;
	}
	t1 = now();
	printf("%s %ld %.3f %.0f\n", mode, lines, t1 - t0,
	    (t1 - t0) > 0 ? lines / (t1 - t0) : 0);
	fprintf(stderr, "invalid %ld sink %zu\n", bad, sink);
	bf_buf_free(&all);
	bf_json_free(&j);
	return 0;
}
