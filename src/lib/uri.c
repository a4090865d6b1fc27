/* uri.c: see uri.h. */
#include <stddef.h>
#include <string.h>

#include "uri.h"

void
bf_uri_parse(const char *s, struct bf_uri *u)
{
	size_t i = 0, n = strlen(s), k;

	memset(u, 0, sizeof(*u));
	for (k = 0; k < n; k++) {
		char c = s[k];

		if (c == ':') {
			if (k > 0 && ((s[0] >= 'a' && s[0] <= 'z') ||
			    (s[0] >= 'A' && s[0] <= 'Z'))) {
				u->has_scheme = 1;
				u->scheme = s;
				u->sl = k;
				i = k + 1;
			}
			break;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '-' ||
		    c == '.'))
			break;
	}
	if (i + 1 < n && s[i] == '/' && s[i + 1] == '/') {
		u->has_auth = 1;
		i += 2;
		u->auth = s + i;
		while (i < n && s[i] != '/' && s[i] != '?' && s[i] != '#')
			i++;
		u->al = (size_t)(s + i - u->auth);
	}
	u->path = s + i;
	while (i < n && s[i] != '?' && s[i] != '#')
		i++;
	u->pl = (size_t)(s + i - u->path);
	if (i < n && s[i] == '?') {
		u->has_query = 1;
		u->query = s + ++i;
		while (i < n && s[i] != '#')
			i++;
		u->ql = (size_t)(s + i - u->query);
	}
	if (i < n && s[i] == '#') {
		u->has_frag = 1;
		u->frag = s + i + 1;
		u->fl = n - i - 1;
	}
}

/* RFC 3986 5.2.4. */
static void
remove_dots(const char *p, size_t n, struct bf_buf *out)
{
	struct bf_buf in = BF_BUF_INIT;
	size_t i = 0, k;

	bf_buf_add(&in, p, n);
	bf_buf_putc(&in, '\0');
	in.len--;
	while (i < in.len) {
		const char *s = in.s + i;
		size_t left = in.len - i;

		if (left >= 3 && strncmp(s, "../", 3) == 0)
			i += 3;
		else if (left >= 2 && strncmp(s, "./", 2) == 0)
			i += 2;
		else if (left >= 3 && strncmp(s, "/./", 3) == 0)
			i += 2;
		else if (left == 2 && strncmp(s, "/.", 2) == 0) {
			in.s[i + 1] = '/';
			i += 1;
		} else if ((left >= 4 && strncmp(s, "/../", 4) == 0) ||
		    (left == 3 && strncmp(s, "/..", 3) == 0)) {
			if (left == 3) {
				in.s[i + 2] = '/';
				i += 2;
			} else
				i += 3;
			while (out->len > 0 && out->s[out->len - 1] != '/')
				out->len--;
			if (out->len > 0)
				out->len--;
		} else if ((left == 1 && s[0] == '.') ||
		    (left == 2 && strncmp(s, "..", 2) == 0))
			i += left;
		else {
			k = s[0] == '/' ? 1 : 0;
			while (k < left && s[k] != '/')
				k++;
			bf_buf_add(out, s, k);
			i += k;
		}
	}
	bf_buf_free(&in);
}

void
bf_uri_resolve(const char *base, const char *ref, struct bf_buf *out)
{
	struct bf_uri b, r;
	struct bf_buf path = BF_BUF_INIT, m = BF_BUF_INIT;
	const struct bf_uri *auth;
	const char *q = NULL;
	size_t ql = 0, k;
	int hq = 0;

	bf_uri_parse(base, &b);
	bf_uri_parse(ref, &r);
	bf_buf_reset(out);
	if (r.has_scheme) {
		bf_buf_add(out, r.scheme, r.sl);
		bf_buf_putc(out, ':');
		auth = &r;
		remove_dots(r.path, r.pl, &path);
		hq = r.has_query, q = r.query, ql = r.ql;
	} else {
		bf_buf_add(out, b.scheme, b.sl);
		if (b.has_scheme)
			bf_buf_putc(out, ':');
		if (r.has_auth) {
			auth = &r;
			remove_dots(r.path, r.pl, &path);
			hq = r.has_query, q = r.query, ql = r.ql;
		} else {
			auth = &b;
			if (r.pl == 0) {
				bf_buf_add(&path, b.path, b.pl);
				if (r.has_query)
					hq = 1, q = r.query, ql = r.ql;
				else
					hq = b.has_query, q = b.query,
					ql = b.ql;
			} else {
				if (r.path[0] == '/')
					remove_dots(r.path, r.pl, &path);
				else {
					if (b.has_auth && b.pl == 0)
						bf_buf_putc(&m, '/');
					else {
						k = b.pl;
						while (k > 0 &&
						    b.path[k - 1] != '/')
							k--;
						bf_buf_add(&m, b.path, k);
					}
					bf_buf_add(&m, r.path, r.pl);
					remove_dots(m.s, m.len, &path);
				}
				hq = r.has_query, q = r.query, ql = r.ql;
			}
		}
	}
	if (auth->has_auth) {
		bf_buf_puts(out, "//");
		bf_buf_add(out, auth->auth, auth->al);
	}
	bf_buf_add(out, path.s ? path.s : "", path.len);
	if (hq) {
		bf_buf_putc(out, '?');
		bf_buf_add(out, q, ql);
	}
	if (r.has_frag) {
		bf_buf_putc(out, '#');
		bf_buf_add(out, r.frag, r.fl);
	}
	bf_buf_free(&path);
	bf_buf_free(&m);
}
