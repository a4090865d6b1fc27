/*
 * utf8.h: the few UTF-8 operations bf needs (contract checking, regular
 * expression translation). Input is taken as UTF-8 already validated by the
 * JSON parser; nothing here allocates except through bf_buf.
 */
#ifndef BF_UTF8_H
#define BF_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Appends code point cp to b as UTF-8. */
void bf_utf8_put(struct bf_buf *b, uint32_t cp);
/* Decodes one code point at s[*i] and advances *i past it (valid UTF-8
 * assumed; a stray byte is taken as itself). */
uint32_t bf_utf8_get(const char *s, size_t n, size_t *i);
/* The number of code points in s[0..n). */
size_t bf_utf8_count(const char *s, size_t n);

#endif
