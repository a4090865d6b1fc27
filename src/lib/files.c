/*
 * files.c: atomic replace, private creation, name encoding (files.h).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"

static int
name_safe(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

int
bf_name_encode(const char *name, size_t n, struct bf_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)name;
	char pct[3];
	size_t i;

	if (n == 0)
		return -1;
	bf_buf_grow(out, n);
	for (i = 0; i < n; i++) {
		if (name_safe(s[i]) && !(i == 0 && s[i] == '.')) {
			bf_buf_putc(out, s[i]);
			continue;
		}
		pct[0] = '%';
		pct[1] = hex[s[i] >> 4];
		pct[2] = hex[s[i] & 15];
		bf_buf_add(out, pct, 3);
	}
	return 0;
}

/* An uppercase hex digit's value, or -1: bf_name_encode writes uppercase,
 * and a lowercase %2f is no encoding of anything (else two file names
 * would decode to one partition). */
static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
bf_name_decode(const char *enc, struct bf_buf *out)
{
	const unsigned char *s = (const unsigned char *)enc;
	size_t start = out->len, i;
	int hi, lo, c;

	if (*s == '\0')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] != '%') {
			/* Only the canonical form decodes: a byte that would
			 * have been escaped must not appear literally. */
			if (!name_safe(s[i]) || (i == 0 && s[i] == '.'))
				goto bad;
			bf_buf_putc(out, s[i]);
			continue;
		}
		if ((hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
			goto bad;
		c = hi << 4 | lo;
		if (name_safe((unsigned char)c) && !(i == 0 && c == '.'))
			goto bad;
		bf_buf_putc(out, c);
		i += 2;
	}
	return 0;
bad:
	out->len = start;
	if (out->s != NULL)
		out->s[start] = '\0';
	return -1;
}

/* Splits path into its directory (appended to dir) and returns its last
 * component, or NULL when path ends in '/' or is empty. */
static const char *
split_path(const char *path, struct bf_buf *dir)
{
	const char *slash = strrchr(path, '/');

	if (*path == '\0')
		return NULL;
	if (slash == NULL) {
		bf_buf_puts(dir, ".");
		return path;
	}
	if (slash[1] == '\0')
		return NULL;
	if (slash == path)
		bf_buf_puts(dir, "/");
	else
		bf_buf_add(dir, path, (size_t)(slash - path));
	return slash + 1;
}

static int
fsync_dirpath(const char *dir, struct bf_err *e)
{
	int fd, r;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bf_err_set(e, BF_EXIT_IO, "cannot open directory "
		    "'%s': %s", dir, strerror(errno));
	r = fsync(fd);
	/* Some file systems cannot fsync a directory: nothing to do then. */
	if (r != 0 && errno != EINVAL && errno != ENOTSUP) {
		bf_err_set(e, BF_EXIT_IO, "cannot sync directory '%s': %s",
		    dir, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
bf_fsync_dir(const char *dir, struct bf_err *e)
{
	struct bf_buf d = BF_BUF_INIT;
	struct stat st;
	int r;

	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return fsync_dirpath(dir, e);
	if (split_path(dir, &d) == NULL) {
		bf_buf_free(&d);
		return bf_err_set(e, BF_EXIT_IO, "cannot sync directory of "
		    "'%s': no such directory", dir);
	}
	r = fsync_dirpath(d.s, e);
	bf_buf_free(&d);
	return r;
}

int
bf_atomic_write(const char *path, const void *data, size_t n, mode_t mode,
    struct bf_err *e)
{
	struct bf_buf dir = BF_BUF_INIT, tmp = BF_BUF_INIT;
	const char *base, *p = data;
	ssize_t w;
	int fd, saved;

	base = split_path(path, &dir);
	if (base == NULL) {
		bf_buf_free(&dir);
		return bf_err_set(e, BF_EXIT_IO, "cannot write '%s': not a "
		    "file name", path);
	}
	/* A fixed name: the caller serialises the writers of path, so a file
	 * left by a killed writer is simply taken over by the next one.
	 * O_NOFOLLOW: a symlink planted there is refused, not written. */
	bf_buf_printf(&tmp, "%s/.%s.tmp", dir.s, base);
	fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd < 0) {
		bf_err_set(e, BF_EXIT_IO, "cannot create a temporary file "
		    "for '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) != 0)
		goto fail;
	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += w;
		n -= (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp.s, path) != 0)
		goto fail;
	if (fsync_dirpath(dir.s, e) != 0)
		goto out;
	bf_buf_free(&dir);
	bf_buf_free(&tmp);
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp.s);
	bf_err_set(e, BF_EXIT_IO, "cannot write '%s': %s", path,
	    strerror(saved));
out:
	bf_buf_free(&dir);
	bf_buf_free(&tmp);
	return -1;
}

FILE *
bf_fopen_private(const char *path, const char *mode, struct bf_err *e)
{
	int flags, fd;
	FILE *fp;

	if (mode[0] == 'a')
		flags = O_WRONLY | O_CREAT | O_APPEND;
	else if (mode[0] == 'w')
		flags = O_WRONLY | O_CREAT | O_TRUNC;
	else {
		bf_err_set(e, BF_EXIT_USAGE, "cannot open '%s': bad mode "
		    "'%s'", path, mode);
		return NULL;
	}
	if (strchr(mode, '+') != NULL)
		flags = (flags & ~O_WRONLY) | O_RDWR;
	fd = open(path, flags | O_CLOEXEC, 0600);
	if (fd < 0) {
		bf_err_set(e, BF_EXIT_IO, "cannot open '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	fp = fdopen(fd, mode);
	if (fp == NULL) {
		bf_err_set(e, BF_EXIT_IO, "cannot open '%s': %s", path,
		    strerror(errno));
		close(fd);
	}
	return fp;
}

int
bf_mkdir_p(const char *dir, mode_t mode, struct bf_err *e)
{
	struct bf_buf b = BF_BUF_INIT;
	struct stat st;
	size_t i;
	int err;
	char c;

	if (*dir == '\0')
		return bf_err_set(e, BF_EXIT_IO, "cannot create directory '': "
		    "empty name");
	bf_buf_puts(&b, dir);
	for (i = 1; i <= b.len; i++) {
		if (i < b.len && b.s[i] != '/')
			continue;
		c = b.s[i];
		b.s[i] = '\0';
		if (mkdir(b.s, mode) != 0 && errno != EEXIST) {
			bf_err_set(e, BF_EXIT_IO, "cannot create directory "
			    "'%s': %s", b.s, strerror(errno));
			bf_buf_free(&b);
			return -1;
		}
		b.s[i] = c;
	}
	err = stat(dir, &st) != 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : 0;
	if (err != 0) {
		bf_err_set(e, BF_EXIT_IO, "cannot create directory '%s': %s",
		    dir, strerror(err));
		bf_buf_free(&b);
		return -1;
	}
	bf_buf_free(&b);
	return 0;
}
