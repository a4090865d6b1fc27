/*
 * replay.c: runs a libFuzzer harness without libFuzzer.
 *
 * Linked with one tests/fuzz/fuzz-NAME.c into replay-NAME (see the
 * Makefile), it calls LLVMFuzzerTestOneInput once on the contents of each
 * file named on the command line; a directory argument stands for the
 * regular files in it (not recursively, in name order, hidden files
 * skipped). A missing directory is no error (a harness may have no
 * regression inputs yet); a missing file is. A crash in the harness (an
 * abort() on a broken invariant, or a sanitizer report when built with
 * SANITIZE=1) ends the process with the offending file named on stderr just
 * before when -v is given; otherwise it prints how many inputs ran and
 * exits 0.
 *
 * -v names each input on stderr as it starts (so that the last name before
 *    a crash report is the input that caused it).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *prog = "replay";
static int verbose;

static int
run_file(const char *path)
{
	FILE *fp;
	uint8_t *data = NULL, *p;
	size_t len = 0, cap = 0, n;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: cannot open '%s': %s\n", prog, path,
		    strerror(errno));
		return -1;
	}
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			if ((p = realloc(data, cap)) == NULL) {
				fprintf(stderr, "%s: out of memory\n", prog);
				abort();
			}
			data = p;
		}
		n = fread(data + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		fprintf(stderr, "%s: cannot read '%s': %s\n", prog, path,
		    strerror(errno));
		fclose(fp);
		free(data);
		return -1;
	}
	fclose(fp);
	/* Exactly len bytes, so that ASan sees any read past the input. */
	if ((p = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(p, data, len);
	free(data);
	if (verbose) {
		fprintf(stderr, "%s: %s\n", prog, path);
		fflush(stderr);
	}
	LLVMFuzzerTestOneInput(p, len);
	free(p);
	return 0;
}

static int
hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int
main(int argc, char **argv)
{
	struct dirent **ents;
	struct stat st;
	char *path;
	long runs = 0;
	int i, k, n, errors = 0;

	if (argc > 0 && argv[0] != NULL) {
		const char *s = strrchr(argv[0], '/');

		prog = s ? s + 1 : argv[0];
	}
	i = 1;
	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		verbose = 1;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [-v] FILE|DIR...\n", prog);
		return 2;
	}
	for (; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			if (errno == ENOENT && argv[i][0] != '\0' &&
			    argv[i][strlen(argv[i]) - 1] == '/')
				continue; /* "dir/": an absent directory */
			fprintf(stderr, "%s: cannot open '%s': %s\n", prog,
			    argv[i], strerror(errno));
			errors++;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) == 0)
				runs++;
			else
				errors++;
			continue;
		}
		if ((n = scandir(argv[i], &ents, hidden, alphasort)) < 0) {
			fprintf(stderr, "%s: cannot read '%s': %s\n", prog,
			    argv[i], strerror(errno));
			errors++;
			continue;
		}
		for (k = 0; k < n; k++) {
			size_t len = strlen(argv[i]) + strlen(ents[k]->d_name)
			    + 2;

			if ((path = malloc(len)) == NULL)
				abort();
			snprintf(path, len, "%s%s%s", argv[i],
			    argv[i][strlen(argv[i]) - 1] == '/' ? "" : "/",
			    ents[k]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				if (run_file(path) == 0)
					runs++;
				else
					errors++;
			}
			free(path);
			free(ents[k]);
		}
		free(ents);
	}
	fprintf(stderr, "%s: %ld inputs, %d errors\n", prog, runs, errors);
	return errors ? 1 : 0;
}
