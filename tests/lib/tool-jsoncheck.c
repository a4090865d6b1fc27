/*
 * tool-jsoncheck: reads lines from stdin and prints, per line, "valid" or
 * "invalid <code>" (bf_json_code) as bf_json_parse judges it. Used by
 * tests/t/json-differential.t and tests/bench/json.sh.
 *
 * -o  the root must be an object (BF_JSON_WANT_OBJECT)
 * -p  append the error position: "invalid <code> <offset>"
 * -q  print nothing; count valid and invalid lines on stderr
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "json.h"

int
main(int argc, char **argv)
{
	struct bf_json j = BF_JSON_INIT;
	char *line = NULL;
	size_t cap = 0, pos;
	ssize_t n;
	long nvalid = 0, ninvalid = 0;
	int c, r, flags = 0, showpos = 0, quiet = 0;

	while ((c = getopt(argc, argv, "opq")) != -1)
		switch (c) {
		case 'o':
			flags |= BF_JSON_WANT_OBJECT;
			break;
		case 'p':
			showpos = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		default:
			fprintf(stderr, "usage: tool-jsoncheck [-opq]\n");
			return 2;
		}
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		r = bf_json_parse(&j, line, (size_t)n, flags, &pos);
		if (r == BF_JSON_OK)
			nvalid++;
		else
			ninvalid++;
		if (quiet)
			continue;
		if (r == BF_JSON_OK)
			puts("valid");
		else if (showpos)
			printf("invalid %s %zu\n", bf_json_code(r), pos);
		else
			printf("invalid %s\n", bf_json_code(r));
	}
	if (quiet)
		fprintf(stderr, "%ld valid %ld invalid\n", nvalid, ninvalid);
	free(line);
	bf_json_free(&j);
	if (fflush(stdout) != 0 || ferror(stdout))
		return 74;
	return 0;
}
