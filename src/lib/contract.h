/*
 * contract.h: the data contract of bf-validate(1): a JSON Schema (draft
 * 2020-12 subset) and the per-metric rules under "x-bf-metrics".
 *
 * Loading compiles the whole document once. Every keyword the compiler does
 * not support is an error at load time, never silently ignored: supported
 * are type, properties, required, additionalProperties, patternProperties,
 * propertyNames, minProperties, maxProperties, dependentRequired,
 * dependentSchemas, enum, const, minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum, multipleOf, minLength, maxLength, pattern, format,
 * items, prefixItems, contains, minContains, maxContains, minItems, maxItems,
 * uniqueItems, allOf, anyOf, oneOf, not, if, then, else, $ref, $defs,
 * $anchor, $id, and the annotations ($schema, $comment, title, description,
 * default, examples, deprecated, readOnly, writeOnly, contentEncoding,
 * contentMediaType, contentSchema). $ref resolves within the document only
 * (JSON pointers, anchors, and the URIs of its own $id resources).
 *
 * Numbers are compared exactly, on their decimal text: no binary floating
 * point, no overflow (1e400 is a number like any other).
 *
 * "pattern" and "patternProperties" are ECMA-262 regular expressions
 * translated to POSIX extended expressions (regcomp(3), matched in a UTF-8
 * locale, unanchored as JSON Schema says). \d \D \w \W \s \S, \b \B, the
 * character escapes (\t \n \xHH \uHHHH \cX, \. \/ ...), (?:...) and named
 * groups are translated; lookaround, backreferences, lazy quantifiers and
 * \p{...} property classes are refused when the contract is loaded.
 *
 * A struct bf_contract is owned by the caller of bf_contract_load and freed
 * with bf_contract_free. Checking uses scratch space inside the contract, so
 * one contract serves one thread at a time.
 */
#ifndef BF_CONTRACT_H
#define BF_CONTRACT_H

#include <stddef.h>

#include "buf.h"
#include "decimal.h"
#include "err.h"
#include "json.h"

/* Flags for bf_contract_load and bf_contract_parse. */
#define BF_CONTRACT_PLAIN 1  /* a plain JSON Schema: any root (true, false,
                                an object), no x-bf-* keywords */
#define BF_CONTRACT_FORMAT_ASSERT 2 /* "format" asserts (always so without
                                       BF_CONTRACT_PLAIN) */

struct bf_contract;

/* Reads and compiles the contract in file path. Returns the contract, or
 * NULL with e set: BF_EXIT_USAGE for a contract that is not valid (the
 * message names the file, the line and the keyword), BF_EXIT_IO when the
 * file cannot be read. */
struct bf_contract *bf_contract_load(const char *path, int flags,
    struct bf_err *e);
/* The same from text[0..len); name is used in messages. */
struct bf_contract *bf_contract_parse(const char *text, size_t len,
    const char *name, int flags, struct bf_err *e);
void bf_contract_free(struct bf_contract *c);

/* Why an instance failed. The caller initialises the buffers (BF_BUF_INIT)
 * and frees them; bf_contract_check resets them. */
struct bf_verror {
	const char *code;        /* taxonomy code (static string) */
	struct bf_buf rule;      /* JSON pointer of the failed keyword in the
	                            contract: "/properties/value/maximum" */
	struct bf_buf pointer;   /* JSON pointer of the value in the line,
	                            "" for the whole line */
	struct bf_buf message;   /* lowercase, human-readable */
};

/* Validates the root value of j (parsed by the caller) against the schema.
 * Returns 1 when it is valid, 0 when not (ve filled with the first error
 * found, in keyword order). Schema codes: wrong_type, missing_field,
 * unexpected_field, bad_field_name, bad_size, not_allowed, out_of_range,
 * not_multiple, bad_length, pattern_mismatch, bad_format, not_unique,
 * no_match, multiple_match. */
int bf_contract_check(struct bf_contract *c, const struct bf_json *j,
    struct bf_verror *ve);

/* The rules of one metric under "x-bf-metrics". */
struct bf_metric_unit {
	char *name;          /* an accepted source unit; owned */
	size_t len;
	bf_dec num, den;     /* value in this unit * num / den = canonical */
};
struct bf_metric_rule {
	char *name;          /* the metric; owned */
	size_t len;
	char *unit;          /* the canonical unit; owned */
	size_t unitlen;
	struct bf_metric_unit *units; /* accepted units, canonical first */
	int nunits;
	int explicit_units;  /* "units" was given (else the built-in table) */
	int has_min, has_max, integer;
	bf_dec min, max;     /* applied after conversion */
	char *loc;           /* "/x-bf-metrics/<name>" (escaped); owned */
};

/* The rule of metric name[0..n), or NULL when the contract has none. */
const struct bf_metric_rule *bf_contract_metric(const struct bf_contract *c,
    const char *name, size_t n);
/* The accepted unit u[0..n) of rule r, or NULL. */
const struct bf_metric_unit *bf_metric_unit(const struct bf_metric_rule *r,
    const char *u, size_t n);
/* 1 when "x-bf-allow-unknown-metrics" is true. */
int bf_contract_allow_unknown(const struct bf_contract *c);

#endif
