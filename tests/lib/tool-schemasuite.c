/*
 * tool-schemasuite: splits a file of the JSON-Schema-Test-Suite into what
 * bf-validate --plain reads, keeping every value's bytes as they are in the
 * file (no re-rendering of numbers or strings).
 *
 *   tool-schemasuite SUITEFILE OUTDIR
 *
 * For each test group G (0-based) it writes OUTDIR/G.schema (the schema),
 * OUTDIR/G.data (one test's data per line) and OUTDIR/G.expect ("1" for a
 * valid test, "0" for an invalid one, per line), and prints one index line
 * "G<TAB>number of tests<TAB>group description" on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

static void
put_flat(FILE *fp, const struct bf_json *j, int t)
{
	int i;

	/* A value's text on one line: raw newlines only occur between
	 * tokens (a JSON string cannot hold one), so they become spaces. */
	for (i = j->tok[t].start; i < j->tok[t].end; i++)
		putc(j->s[i] == '\n' || j->s[i] == '\r' ? ' ' : j->s[i], fp);
	putc('\n', fp);
}

static FILE *
open_out(const char *dir, int g, const char *ext)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%d.%s", dir, g, ext);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(2);
	}
	return fp;
}

int
main(int argc, char *argv[])
{
	struct bf_buf text = BF_BUF_INIT, desc = BF_BUF_INIT;
	struct bf_json j = BF_JSON_INIT;
	char chunk[65536];
	size_t n, errpos = 0;
	FILE *fp, *sf, *df, *ef;
	int g, t, gt, tests, k, tt, data, valid, rc, ntests;

	if (argc != 3) {
		fprintf(stderr, "usage: tool-schemasuite SUITEFILE OUTDIR\n");
		return 2;
	}
	if ((fp = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 2;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		bf_buf_add(&text, chunk, n);
	fclose(fp);
	n = text.len;
	while (n > 0 && strchr(" \t\r\n", text.s[n - 1]) != NULL)
		n--;
	if ((rc = bf_json_parse(&j, text.s, n, 0, &errpos)) != BF_JSON_OK ||
	    j.tok[0].type != BF_JSON_ARRAY) {
		fprintf(stderr, "%s: not a suite file (%s at %zu)\n", argv[1],
		    bf_json_strerror(rc), errpos);
		return 2;
	}
	for (g = 0, gt = 1; g < j.tok[0].size; g++, gt = bf_json_skip(&j, gt)) {
		if ((t = bf_json_get(&j, gt, "schema")) < 0 ||
		    (tests = bf_json_get(&j, gt, "tests")) < 0) {
			fprintf(stderr, "%s: group %d lacks schema or tests\n",
			    argv[1], g);
			return 2;
		}
		sf = open_out(argv[2], g, "schema");
		put_flat(sf, &j, t);
		fclose(sf);
		df = open_out(argv[2], g, "data");
		ef = open_out(argv[2], g, "expect");
		ntests = j.tok[tests].size;
		for (k = 0, tt = tests + 1; k < ntests;
		    k++, tt = bf_json_skip(&j, tt)) {
			data = bf_json_get(&j, tt, "data");
			valid = bf_json_get(&j, tt, "valid");
			if (data < 0 || valid < 0) {
				fprintf(stderr, "%s: group %d test %d lacks "
				    "data or valid\n", argv[1], g, k);
				return 2;
			}
			put_flat(df, &j, data);
			fprintf(ef, "%d\n", j.tok[valid].type == BF_JSON_TRUE);
		}
		fclose(df);
		fclose(ef);
		bf_buf_reset(&desc);
		if ((t = bf_json_get(&j, gt, "description")) >= 0)
			bf_json_str(&j, t, &desc);
		for (n = 0; n < desc.len; n++)
			if (desc.s[n] == '\t' || desc.s[n] == '\n')
				desc.s[n] = ' ';
		printf("%d\t%d\t%s\n", g, ntests, bf_buf_str(&desc));
	}
	bf_json_free(&j);
	bf_buf_free(&text);
	bf_buf_free(&desc);
	return 0;
}
