/*
 * uri.h: RFC 3986 URI references: splitting one into its parts and
 * resolving a reference against a base (section 5.2), as the contract's
 * $id and $ref need. Pure string work: no network, no normalisation beyond
 * removing dot segments.
 */
#ifndef BF_URI_H
#define BF_URI_H

#include "buf.h"

/* The parts of a URI reference; pointers into the parsed string. */
struct bf_uri {
	const char *scheme, *auth, *path, *query, *frag;
	size_t sl, al, pl, ql, fl;
	int has_scheme, has_auth, has_query, has_frag;
};

/* Splits s into its parts (every string is a URI reference). */
void bf_uri_parse(const char *s, struct bf_uri *u);
/* Resolves reference ref against the absolute URI base into out. */
void bf_uri_resolve(const char *base, const char *ref, struct bf_buf *out);

#endif
