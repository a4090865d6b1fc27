/*
 * ecma-regex.h: ECMA-262 regular expressions (JSON Schema's "pattern")
 * translated to POSIX extended ones for regcomp(3), matched in a UTF-8
 * locale. \d \D \w \W \s \S, \b \B, the character escapes (\t \n \xHH
 * \uHHHH \cX, \. \/ ...), (?:...) and named groups are translated;
 * lookaround, backreferences, lazy quantifiers and \p{...} property classes
 * are refused.
 */
#ifndef BF_ECMA_REGEX_H
#define BF_ECMA_REGEX_H

#include <stddef.h>

#include "buf.h"

/* Translates the ECMA-262 regular expression src[0..n) into a POSIX
 * extended one appended to out. Returns 0, or -1 with a reason (static
 * text) in *why for a feature that cannot be translated. */
int bf_regex_translate(const char *src, size_t n, struct bf_buf *out,
    const char **why);

#endif
