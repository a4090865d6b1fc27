/* Unit tests for contract.c: loading, refusals, checking, regex
 * translation, date-time, the x-bf-metrics rules. */
#include <stdio.h>
#include <string.h>

#include "contract.h"
#include "ecma-regex.h"
#include "format.h"
#include "tap.h"
#include "units.h"

static struct bf_err e;
static char result[2048];

static struct bf_contract *
load(const char *text, int flags)
{
	bf_err_clear(&e);
	return bf_contract_parse(text, strlen(text), "c.json", flags, &e);
}

/* The error message of loading text, or "loaded". */
static const char *
load_err(const char *text, int flags)
{
	struct bf_contract *c = load(text, flags);

	if (c != NULL) {
		bf_contract_free(c);
		return "loaded";
	}
	snprintf(result, sizeof(result), "%s", e.msg);
	return result;
}

static int
refused_with(const char *text, int flags, const char *needle)
{
	const char *m = load_err(text, flags);

	if (strstr(m, needle) != NULL)
		return 1;
	fprintf(stderr, "#   message: %s\n", m);
	return 0;
}

/* "ok", or "code pointer rule" for instance line under schema. */
static const char *
check(const char *schema, int flags, const char *line)
{
	struct bf_contract *c = load(schema, flags);
	struct bf_json j = BF_JSON_INIT;
	struct bf_verror ve = { NULL, BF_BUF_INIT, BF_BUF_INIT, BF_BUF_INIT };

	if (c == NULL) {
		snprintf(result, sizeof(result), "load: %s", e.msg);
		return result;
	}
	if (bf_json_parse(&j, line, strlen(line), 0, NULL) != BF_JSON_OK)
		snprintf(result, sizeof(result), "bad test line");
	else if (bf_contract_check(c, &j, &ve))
		snprintf(result, sizeof(result), "ok");
	else
		snprintf(result, sizeof(result), "%s %s %s", ve.code,
		    bf_buf_str(&ve.pointer), bf_buf_str(&ve.rule));
	bf_json_free(&j);
	bf_buf_free(&ve.rule);
	bf_buf_free(&ve.pointer);
	bf_buf_free(&ve.message);
	bf_contract_free(c);
	return result;
}

static const char *
message(const char *schema, const char *line)
{
	struct bf_contract *c = load(schema, BF_CONTRACT_PLAIN);
	struct bf_json j = BF_JSON_INIT;
	struct bf_verror ve = { NULL, BF_BUF_INIT, BF_BUF_INIT, BF_BUF_INIT };

	snprintf(result, sizeof(result), "?");
	if (c && bf_json_parse(&j, line, strlen(line), 0, NULL) == 0 &&
	    !bf_contract_check(c, &j, &ve))
		snprintf(result, sizeof(result), "%s", bf_buf_str(&ve.message));
	bf_json_free(&j);
	bf_buf_free(&ve.rule);
	bf_buf_free(&ve.pointer);
	bf_buf_free(&ve.message);
	bf_contract_free(c);
	return result;
}

static const char *
ere(const char *ecma)
{
	struct bf_buf b = BF_BUF_INIT;
	const char *why;

	if (bf_regex_translate(ecma, strlen(ecma), &b, &why) < 0)
		snprintf(result, sizeof(result), "refused: %s", why);
	else
		snprintf(result, sizeof(result), "%s", bf_buf_str(&b));
	bf_buf_free(&b);
	return result;
}

#define P BF_CONTRACT_PLAIN

static void
test_load(void)
{
	ok(refused_with("{\"type\":\"object\",\"foo\":1}", P,
	    "unknown keyword 'foo' at '/'"), "unknown keyword refused");
	ok(refused_with("{\"properties\":{\"a\":{\"minimun\":1}}}", P,
	    "unknown keyword 'minimun' at '/properties/a'"),
	    "a typo deep inside is refused with its location");
	ok(refused_with("{\n\"type\":\"object\",\n\"unevaluatedProperties\":"
	    "false}", P, "c.json:3: unsupported keyword "
	    "'unevaluatedProperties'"), "unsupported keyword, with its line");
	ok(refused_with("{\"$dynamicRef\":\"#x\"}", P, "unsupported keyword"),
	    "$dynamicRef refused");
	ok(refused_with("{\"type\":\"int\"}", P, "unknown type 'int'"),
	    "unknown type name");
	ok(refused_with("{\"minLength\":-1}", P, "non-negative integer"),
	    "negative minLength");
	ok(refused_with("{\"minLength\":1.5}", P, "non-negative integer"),
	    "fractional minLength");
	ok(strcmp(load_err("{\"minLength\":2.0}", P), "loaded") == 0,
	    "2.0 is an integer");
	ok(refused_with("{\"multipleOf\":0}", P, "above 0"), "multipleOf 0");
	ok(refused_with("{\"required\":[\"a\",\"a\"]}", P, "twice"),
	    "duplicate required names");
	ok(refused_with("{\"allOf\":[]}", P, "non-empty array"),
	    "empty allOf");
	ok(refused_with("{\"$ref\":\"http://example.com/s.json\"}", P,
	    "unsupported $ref"), "remote $ref refused");
	ok(refused_with("{\"$ref\":\"#/$defs/nope\"}", P, "unresolvable"),
	    "dangling $ref refused");
	ok(refused_with("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/b\"},"
	    "\"b\":{\"allOf\":[{\"$ref\":\"#/$defs/a\"}]}},"
	    "\"$ref\":\"#/$defs/a\"}", P, "schema loop"),
	    "a $ref loop that never reaches into the data is refused");
	ok(strcmp(load_err("{\"properties\":{\"next\":{\"$ref\":\"#\"}}}", P),
	    "loaded") == 0, "a recursive $ref through properties is fine");
	ok(refused_with("{\"pattern\":\"a(?=b)\"}", P, "lookahead"),
	    "lookahead refused");
	ok(refused_with("{\"pattern\":\"(?<!a)b\"}", P, "lookbehind"),
	    "lookbehind refused");
	ok(refused_with("{\"pattern\":\"(a)\\\\1\"}", P, "backreference"),
	    "backreference refused");
	ok(refused_with("{\"pattern\":\"a+?\"}", P, "lazy quantifier"),
	    "lazy quantifier refused");
	ok(refused_with("{\"pattern\":\"a{2,3}?\"}", P, "lazy quantifier"),
	    "lazy counted quantifier refused");
	ok(refused_with("{\"pattern\":\"a++\"}", P, "nothing to repeat"),
	    "a quantifier after a quantifier refused (ECMA-262 too)");
	ok(refused_with("{\"pattern\":\"*a\"}", P, "nothing to repeat"),
	    "a quantifier at the start refused");
	ok(refused_with("{\"pattern\":\"((a{1,100}){1,100}){1,50}\"}", P,
	    "too large"), "nested counted repetitions over 1000 copies "
	    "refused (regcomp would take gigabytes)");
	is_str(check("{\"pattern\":\"^[a-z]{1,63}(\\\\.[a-z]{1,63}){0,10}$\"}",
	    P, "\"db.example.org\""), "ok",
	    "nested counted repetitions within 1000 copies accepted");
	ok(refused_with("{\"pattern\":\"\\\\p{L}\"}", P, "\\p{"),
	    "Unicode property class refused");
	ok(refused_with("{\"pattern\":\"(\"}", P, "regular expression"),
	    "a pattern regcomp refuses is refused");
	ok(refused_with("{\"format\":\"email\"}", 0, "unsupported format"),
	    "a format that cannot be asserted is refused in contract mode");
	ok(strcmp(load_err("{\"format\":\"email\"}", P), "loaded") == 0,
	    "any format is an annotation in plain mode");
	ok(refused_with("{\"format\":\"email\"}", P |
	    BF_CONTRACT_FORMAT_ASSERT, "unsupported format"),
	    "--format-assert refuses what it cannot assert");
	ok(refused_with("[1]", 0, "must be a JSON object"),
	    "a contract is an object");
	ok(strcmp(load_err("true", P), "loaded") == 0,
	    "a plain schema may be true");
	ok(refused_with("{\"type\":", P, "c.json:1:"), "invalid JSON");
	ok(refused_with("{\"x-bf-metrics\":{}}", P, "not in --plain mode"),
	    "x-bf-metrics needs contract mode");
	ok(refused_with("{\"properties\":{\"a\":{\"x-bf-metrics\":{}}}}", 0,
	    "belongs at the top"), "x-bf-metrics only at the top");
	ok(refused_with("{\"$id\":\"s.json#frag\"}", P, "fragment"),
	    "an $id with a fragment is refused");
	ok(refused_with("{\"$anchor\":\"1x\"}", P, "plain name"),
	    "a bad anchor name");
	ok(refused_with("{\"$schema\":\"http://json-schema.org/draft-07/"
	    "schema#\"}", P, "unsupported $schema"),
	    "another draft is refused");
	ok(strcmp(load_err("{\"$schema\":\"https://json-schema.org/draft/"
	    "2020-12/schema\"}", P), "loaded") == 0, "draft 2020-12 loads");
}

static void
test_metrics_load(void)
{
	struct bf_contract *c;
	const struct bf_metric_rule *r;
	const struct bf_metric_unit *u;
	char buf[BF_DEC_LEN];

	ok(refused_with("{\"x-bf-metrics\":{\"m\":{}}}", 0, "needs a 'unit'"),
	    "metric without unit");
	ok(refused_with("{\"x-bf-metrics\":{\"m\":{\"unit\":\"GiB\"}}}", 0,
	    "not a known unit"), "unknown canonical unit without units");
	ok(refused_with("{\"x-bf-metrics\":{\"m\":{\"unit\":\"Bytes\","
	    "\"max\":1}}}", 0, "unknown key 'max'"), "unknown metric key");
	ok(refused_with("{\"x-bf-metrics\":{\"m\":{\"unit\":\"GiB\","
	    "\"units\":{\"MiB\":\"0.0009765625\"}}}}", 0, "exact decimal"),
	    "a factor with more than 9 places is refused");
	ok(refused_with("{\"x-bf-metrics\":{\"m\":{\"unit\":\"GiB\","
	    "\"units\":{\"MiB\":1024}}}}", 0, "must be a string"),
	    "a factor is a string");
	ok(refused_with("{\"x-bf-metrics\":{\"m\":{\"unit\":\"GiB\","
	    "\"units\":{\"GiB\":\"2\"}}}}", 0, "factor \"1\""),
	    "the canonical unit has factor 1");
	ok(refused_with("{\"x-bf-metrics\":{\"m\":{\"unit\":\"GiB\","
	    "\"units\":{\"MiB\":\"-1\"}}}}", 0, "above 0"),
	    "negative factor");
	ok(refused_with("{\"x-bf-metrics\":{\"m\":{\"unit\":\"Count\","
	    "\"integer\":1}}}", 0, "boolean"), "integer is a boolean");

	c = load("{\"x-bf-metrics\":{"
	    "\"disk\":{\"unit\":\"GiB\",\"units\":{\"MiB\":\"1/1024\","
	    "\"Bytes\":\"1/1073741824\"},\"minimum\":\"0\"},"
	    "\"storage_bytes\":{\"unit\":\"Bytes\"},"
	    "\"cpu\":{\"unit\":\"Percent\",\"minimum\":0,\"maximum\":100}},"
	    "\"x-bf-allow-unknown-metrics\":false}", 0);
	ok(c != NULL, "a contract with metrics loads");
	if (c == NULL) {
		fprintf(stderr, "# %s\n", e.msg);
		return;
	}
	r = bf_contract_metric(c, "disk", 4);
	ok(r && strcmp(r->unit, "GiB") == 0 && r->nunits == 3,
	    "disk: canonical GiB and two more units");
	u = r ? bf_metric_unit(r, "MiB", 3) : NULL;
	if (u) {
		bf_dec v;

		bf_unit_convert(bf_dec_from_int(512), u->num, u->den, &v);
		bf_unit_format_number(v, buf);
	}
	is_str(u ? buf : NULL, "0.5", "512 MiB is 0.5 GiB (fraction factor)");
	ok(r && bf_metric_unit(r, "Kilobytes", 9) == NULL,
	    "explicit units: only those listed");
	r = bf_contract_metric(c, "storage_bytes", 13);
	ok(r && bf_metric_unit(r, "Kilobytes", 9) != NULL &&
	    bf_metric_unit(r, "bytes", 5) != NULL &&
	    bf_metric_unit(r, "Seconds", 7) == NULL,
	    "built-in units: every unit of the dimension, no other");
	r = bf_contract_metric(c, "cpu", 3);
	ok(r && r->has_min && r->has_max && bf_metric_unit(r, "ratio", 5),
	    "cpu: bounds and ratio");
	ok(bf_contract_metric(c, "nope", 4) == NULL, "unknown metric");
	ok(!bf_contract_allow_unknown(c), "allow-unknown false");
	bf_contract_free(c);
}

static void
test_check(void)
{
	is_str(check("{\"type\":\"integer\"}", P, "1.0"), "ok",
	    "1.0 is an integer");
	is_str(check("{\"type\":\"integer\"}", P, "1e2"), "ok",
	    "1e2 is an integer");
	is_str(check("{\"type\":\"integer\"}", P, "1.5"),
	    "wrong_type  /type", "1.5 is not");
	is_str(check("{\"maximum\":1e399}", P, "1e400"),
	    "out_of_range  /maximum", "exact compare past double range");
	is_str(check("{\"minimum\":-0.3}", P, "-0.30000000000000000001"),
	    "out_of_range  /minimum", "exact compare past double precision");
	is_str(check("{\"exclusiveMaximum\":100}", P, "100"),
	    "out_of_range  /exclusiveMaximum", "exclusiveMaximum");
	is_str(check("{\"multipleOf\":0.01}", P, "19.99"), "ok",
	    "19.99 is a multiple of 0.01 (exactly)");
	is_str(check("{\"multipleOf\":0.01}", P, "19.999"),
	    "not_multiple  /multipleOf", "19.999 is not");
	is_str(check("{\"multipleOf\":3}", P, "1e30"),
	    "not_multiple  /multipleOf", "1e30 is not a multiple of 3");
	is_str(check("{\"multipleOf\":7}", P, "7e300"), "ok",
	    "7e300 is a multiple of 7");
	is_str(check("{\"properties\":{\"a\":{\"items\":{\"properties\":"
	    "{\"b\":{\"type\":\"string\"}}}}}}", P,
	    "{\"a\":[{\"b\":\"x\"},{\"b\":2}]}"),
	    "wrong_type /a/1/b /properties/a/items/properties/b/type",
	    "pointer and rule of a nested error");
	is_str(check("{\"properties\":{\"a/b~c\":{\"type\":\"string\"}}}", P,
	    "{\"a/b~c\":1}"), "wrong_type /a~1b~0c /properties/a~1b~0c/type",
	    "pointer segments are escaped");
	is_str(check("{\"required\":[\"x\",\"y\"]}", P, "{\"x\":1}"),
	    "missing_field /y /required", "missing field points at it");
	is_str(check("{\"properties\":{\"a\":{}},\"additionalProperties\":"
	    "false}", P, "{\"a\":1,\"zz\":2}"),
	    "unexpected_field /zz /additionalProperties", "unexpected field");
	is_str(check("{\"additionalProperties\":{\"type\":\"number\"}}", P,
	    "{\"k\":\"v\"}"), "wrong_type /k /additionalProperties/type",
	    "additionalProperties as a schema");
	is_str(check("{\"enum\":[1,\"a\",{\"b\":[1,2]}]}", P,
	    "{\"b\":[1.0,2e0]}"), "ok", "enum compares numbers by value");
	is_str(check("{\"const\":{\"a\":1,\"b\":2}}", P, "{\"b\":2,\"a\":1}"),
	    "ok", "const ignores member order");
	is_str(check("{\"const\":\"\\u00e9\"}", P, "\"\\u00e9\""), "ok",
	    "const with escapes on both sides");
	is_str(check("{\"const\":\"\\u00e9\"}", P, "\"\xc3\xa9\""), "ok",
	    "const: an escape equals the raw character");
	is_str(check("{\"enum\":[\"a\"]}", P, "\"b\""), "not_allowed  /enum",
	    "enum miss");
	is_str(check("{\"maxLength\":2}", P, "\"\xc3\xa9\xc3\xa9\""), "ok",
	    "lengths count characters, not bytes");
	is_str(check("{\"maxLength\":1}", P, "\"\\ud83d\\ude00\""), "ok",
	    "a surrogate pair is one character");
	is_str(check("{\"pattern\":\"^\\\\d{3}$\"}", P, "\"123\""), "ok",
	    "\\d translated");
	is_str(check("{\"pattern\":\"\\\\d\"}", P, "\"ab1\""), "ok",
	    "patterns are not anchored");
	is_str(check("{\"pattern\":\"^\\\\d+$\"}", P, "\"12a\""),
	    "pattern_mismatch  /pattern", "pattern mismatch");
	is_str(check("{\"pattern\":\"^.$\"}", P, "\"\xc3\xa9\""), "ok",
	    ". matches one character (UTF-8)");
	is_str(check("{\"pattern\":\"^.$\"}", P, "\"\\n\""),
	    "pattern_mismatch  /pattern", ". does not match a newline");
	is_str(check("{\"pattern\":\"a\\\\u0000?b\"}", P, "\"ab\""), "load: "
	    "c.json:1: regular expression 'a\\u0000?b': unsupported ECMA-262 "
	    "feature: NUL character", "NUL in a pattern refused");
	is_str(check("{\"pattern\":\"^a.c$\"}", P, "\"a\\u0000c\""), "ok",
	    "a NUL in the data is matched (REG_STARTEND)");
	is_str(check("{\"format\":\"date-time\"}", 0,
	    "\"2026-01-01T00:00:00Z\""), "ok", "date-time asserted: valid");
	is_str(check("{\"format\":\"date-time\"}", 0, "\"2026-01-01\""),
	    "bad_format  /format", "date-time asserted: a date alone");
	is_str(check("{\"format\":\"date-time\"}", P, "\"2026-01-01\""), "ok",
	    "date-time is an annotation in plain mode");
	is_str(check("{\"format\":\"date\"}", 0, "\"2026-02-29\""),
	    "bad_format  /format", "no Feb 29 in 2026");
	is_str(check("{\"uniqueItems\":true}", P, "[1,{\"a\":1},1.0]"),
	    "not_unique  /uniqueItems", "uniqueItems by value");
	is_str(check("{\"contains\":{\"const\":1},\"maxContains\":1}", P,
	    "[1,1]"), "no_match  /maxContains", "maxContains");
	is_str(check("{\"oneOf\":[{\"type\":\"number\"},{\"minimum\":0}]}", P,
	    "1"), "multiple_match  /oneOf", "oneOf: two match");
	is_str(check("{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}",
	    P, "1"), "no_match  /anyOf", "anyOf: none match");
	is_str(check("{\"not\":{\"type\":\"string\"}}", P, "\"s\""),
	    "no_match  /not", "not");
	is_str(check("{\"if\":{\"minimum\":10},\"then\":{\"multipleOf\":10},"
	    "\"else\":{\"maximum\":5}}", P, "7"), "out_of_range  /else/maximum",
	    "if/else reports the else error");
	is_str(check("{\"$defs\":{\"pos\":{\"minimum\":0}},\"properties\":"
	    "{\"v\":{\"$ref\":\"#/$defs/pos\"}}}", P, "{\"v\":-1}"),
	    "out_of_range /v /$defs/pos/minimum", "$ref: rule at the target");
	is_str(check("{\"$id\":\"http://x.test/root.json\",\"$defs\":{\"a\":{"
	    "\"$id\":\"a.json\",\"type\":\"string\"}},\"$ref\":"
	    "\"http://x.test/a.json\"}", P, "1"),
	    "wrong_type  /$defs/a/type", "$ref to an embedded $id resource");
	is_str(check("{\"$defs\":{\"x\":{\"$anchor\":\"pos\",\"minimum\":0}},"
	    "\"$ref\":\"#pos\"}", P, "-1"),
	    "out_of_range  /$defs/x/minimum", "$ref to an $anchor");
	is_str(check("false", P, "1"), "not_allowed  /", "the schema false");
	is_str(check("{\"propertyNames\":{\"maxLength\":3}}", P,
	    "{\"abcd\":1}"), "bad_field_name /abcd /propertyNames",
	    "propertyNames");
	is_str(check("{\"dependentRequired\":{\"a\":[\"b\"]}}", P,
	    "{\"a\":1}"), "missing_field /b /dependentRequired",
	    "dependentRequired");
	is_str(message("{\"maximum\":100}", "120"),
	    "120 is above the maximum 100", "message of maximum");
	is_str(message("{\"type\":[\"string\",\"null\"]}", "1"),
	    "expected null or string, got a number", "message of type");
	is_str(message("{\"required\":[\"ts\"]}", "{}"),
	    "required field 'ts' is missing", "message of required");
}

/* Checks lines[0..n) in turn with contract c (then freed): each outcome,
 * "ok" or "code pointer rule", must be want[i]. */
static void
check_in_turn(struct bf_contract *c, const char *const *lines,
    const char *const *want, size_t n, const char *label)
{
	struct bf_json j = BF_JSON_INIT;
	struct bf_verror ve = { NULL, BF_BUF_INIT, BF_BUF_INIT, BF_BUF_INIT };
	size_t i;

	ok(c != NULL, "the contract loads");
	for (i = 0; c && i < n; i++) {
		if (bf_json_parse(&j, lines[i], strlen(lines[i]), 0, NULL) !=
		    BF_JSON_OK)
			snprintf(result, sizeof(result), "bad test line");
		else if (bf_contract_check(c, &j, &ve))
			snprintf(result, sizeof(result), "ok");
		else
			snprintf(result, sizeof(result), "%s %s %s", ve.code,
			    bf_buf_str(&ve.pointer), bf_buf_str(&ve.rule));
		is_str(result, want[i], "%sline %zu in turn", label, i + 1);
	}
	bf_json_free(&j);
	bf_buf_free(&ve.rule);
	bf_buf_free(&ve.pointer);
	bf_buf_free(&ve.message);
	bf_contract_free(c);
}

/* One contract checks several lines in turn: what a check remembers (the
 * last valid date-time of a node) must not change the next outcome. */
static void
test_sequence(void)
{
	static const char *const lines[] = {
		"{\"d\":\"\"}",
		"{\"a\":\"2026-01-01T00:00:00Z\",\"d\":\"2026-01-01\"}",
		"{\"a\":\"2026-01-01T00:00:00Z\",\"d\":\"2026-01-01\"}",
		"{\"a\":\"\",\"d\":\"2026-01-01\"}",
		"{\"a\":\"2026-01-01T00:00:00Z\",\"d\":\"\"}",
		"{\"a\":\"2026-01-01T00:00:00\",\"d\":\"2026-01-01\"}",
		"{\"a\":\"2026-01-01T00:00:00Z\",\"d\":\"2026-01-01\"}",
		"{\"a\":\"2026-02-29T00:00:00Z\",\"d\":\"2026-01-01\"}",
		"{\"a\":\"2026-01-01T00:00:00.123456789012345678901234567Z\","
		"\"d\":\"2026-01-02\"}",
		"{\"a\":\"2026-01-01T00:00:00.123456789012345678901234567Z\","
		"\"d\":\"2026-02-30\"}",
		"{\"a\":\"2026-01-01T00:00:00Z\",\"d\":\"2026-01-01\"}",
	};
	static const char *const want[] = {
		"bad_format /d /properties/d/format",
		"ok", "ok",
		"bad_format /a /properties/a/format",
		"bad_format /d /properties/d/format",
		"bad_format /a /properties/a/format",
		"ok",
		"bad_format /a /properties/a/format",
		"ok",
		"bad_format /d /properties/d/format",
		"ok",
	};
	struct bf_contract *c = load("{\"properties\":{\"a\":{\"format\":"
	    "\"date-time\"},\"d\":{\"format\":\"date\"}}}", 0);
	check_in_turn(c, lines, want, sizeof(lines) / sizeof(lines[0]), "");
}

/* The same for every value keyword: each node remembers the last value
 * that passed; the same text under another node is checked there. */
static void
test_sequence_values(void)
{
	static const char *const lines[] = {
		"{\"c\":\"x\",\"e\":1,\"p\":\"ab\",\"m\":5,\"l\":\"abc\"}",
		"{\"c\":\"x\",\"e\":1,\"p\":\"ab\",\"m\":5,\"l\":\"abc\"}",
		"{\"c\":\"y\",\"e\":1,\"p\":\"ab\",\"m\":5,\"l\":\"abc\"}",
		"{\"c\":\"x\",\"e\":2,\"p\":\"ab\",\"m\":5,\"l\":\"abc\"}",
		"{\"c\":\"x\",\"e\":1,\"p\":\"b\",\"m\":5,\"l\":\"abc\"}",
		"{\"c\":\"x\",\"e\":1,\"p\":\"ab\",\"m\":4,\"l\":\"abc\"}",
		"{\"c\":\"x\",\"e\":1,\"p\":\"ab\",\"m\":5,\"l\":\"abcd\"}",
		"{\"c\":\"x\",\"e\":1.0,\"p\":\"ab\",\"m\":5.0,\"l\":\"abc\"}",
		"{\"c\":\"x\",\"e\":1.0,\"p\":\"ab\",\"m\":5,\"l\":\"abc\"}",
		"{\"c\":\"\\u0078\",\"e\":1,\"p\":\"ab\",\"m\":5,"
		"\"l\":\"abc\"}",
		"{\"c\":\"x\",\"e\":1,\"p\":\"ab\",\"m\":5,\"l\":\"ab\"}",
		"{\"c\":\"x\",\"e\":1,\"p\":\"ab\",\"m\":5,\"l\":\"x\"}",
		"{\"c\":5,\"e\":1,\"p\":\"ab\",\"m\":5,\"l\":\"abc\"}",
		"{\"c\":\"x\",\"e\":1,\"p\":\"ab\",\"m\":\"ab\",\"l\":\"abc\"}",
		"{\"c\":\"x\",\"e\":1,\"p\":\"ab\",\"m\":5,\"l\":\"abc\"}",
	};
	static const char *const want[] = {
		"ok", "ok",
		"not_allowed /c /properties/c/const",
		"not_allowed /e /properties/e/enum",
		"pattern_mismatch /p /properties/p/pattern",
		"out_of_range /m /properties/m/minimum",
		"bad_length /l /properties/l/maxLength",
		"ok", "ok", "ok", "ok",
		"bad_length /l /properties/l/minLength",
		"not_allowed /c /properties/c/const",
		"wrong_type /m /properties/m/type",
		"ok",
	};
	struct bf_contract *c = load("{\"properties\":{\"c\":{\"const\":\"x\"},"
	    "\"e\":{\"enum\":[1,3]},\"p\":{\"pattern\":\"^a\"},\"m\":{\"type\":"
	    "\"number\",\"minimum\":5},\"l\":{\"minLength\":2,"
	    "\"maxLength\":3}}}", P);
	check_in_turn(c, lines, want, sizeof(lines) / sizeof(lines[0]),
	    "values: ");
}

/* Numbers: digits are read in place when there is no fraction, copied
 * otherwise; both must compare exactly. */
static void
test_numbers(void)
{
	static const struct {
		const char *schema, *line, *want;
	} t[] = {
		{ "{\"type\":\"integer\"}", "-0", "ok" },
		{ "{\"type\":\"integer\"}", "0.0", "ok" },
		{ "{\"type\":\"integer\"}", "1.5e1", "ok" },
		{ "{\"type\":\"integer\"}", "100e-2", "ok" },
		{ "{\"type\":\"integer\"}", "1.25e1", "wrong_type  /type" },
		{ "{\"type\":\"integer\"}", "1000e-4", "wrong_type  /type" },
		{ "{\"type\":\"integer\"}", "12345678901234567890123", "ok" },
		{ "{\"minimum\":1}", "0.999", "out_of_range  /minimum" },
		{ "{\"minimum\":1}", "1.000", "ok" },
		{ "{\"minimum\":1}", "10", "ok" },
		{ "{\"minimum\":1}", "0", "out_of_range  /minimum" },
		{ "{\"minimum\":1.5}", "1", "out_of_range  /minimum" },
		{ "{\"minimum\":1.5}", "2", "ok" },
		{ "{\"minimum\":-2}", "-3", "out_of_range  /minimum" },
		{ "{\"minimum\":-2}", "-1.99", "ok" },
		{ "{\"maximum\":100}", "100.0000", "ok" },
		{ "{\"maximum\":100}", "1e2", "ok" },
		{ "{\"maximum\":100}", "100.1", "out_of_range  /maximum" },
		{ "{\"maximum\":100}", "1000", "out_of_range  /maximum" },
		{ "{\"maximum\":0.5}", "0.50", "ok" },
		{ "{\"maximum\":0.5}", "1", "out_of_range  /maximum" },
		{ "{\"exclusiveMinimum\":0}", "0.000",
		    "out_of_range  /exclusiveMinimum" },
		{ "{\"exclusiveMinimum\":0}", "-0",
		    "out_of_range  /exclusiveMinimum" },
		{ "{\"exclusiveMinimum\":0}", "1e-400", "ok" },
		{ "{\"multipleOf\":0.5}", "2.50", "ok" },
		{ "{\"multipleOf\":0.5}", "1e-1", "not_multiple  /multipleOf" },
		{ "{\"multipleOf\":100}", "12300", "ok" },
		{ "{\"multipleOf\":100}", "12310",
		    "not_multiple  /multipleOf" },
		{ "{\"const\":10}", "1e1", "ok" },
		{ "{\"const\":10}", "10.0", "ok" },
		{ "{\"const\":10}", "100", "not_allowed  /const" },
		{ "{\"enum\":[1.50,20]}", "1.5", "ok" },
		{ "{\"enum\":[1.50,20]}", "2e1", "ok" },
		{ "{\"enum\":[1.50,20]}", "2", "not_allowed  /enum" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_str(check(t[i].schema, P, t[i].line), t[i].want, "%s: %s",
		    t[i].schema, t[i].line);
}

/* Objects: each member's name is found in a table built at load time;
 * these compare the outcome with what the keywords say, for names with
 * escapes, NULs, the empty name, many names and many members. */
static void
test_object_names(void)
{
	char schema[4096], line[4096];
	size_t n;
	int i;

	is_str(check("{\"properties\":{\"ab\":{\"type\":\"string\"}}}", P,
	    "{\"\\u0061b\":1}"), "wrong_type /ab /properties/ab/type",
	    "an escaped member name finds its property");
	is_str(check("{\"required\":[\"ab\"]}", P, "{\"\\u0061\\u0062\":1}"),
	    "ok", "an escaped member name satisfies required");
	is_str(check("{\"required\":[\"a\\u0000b\"]}", P,
	    "{\"a\\u0000b\":1}"), "ok", "a name with a NUL");
	is_str(check("{\"required\":[\"a\\u0000b\"]}", P,
	    "{\"a\":1,\"b\":2}"), "missing_field /a /required",
	    "a name with a NUL is not its prefix");
	is_str(check("{\"properties\":{\"\":{\"type\":\"string\"}}}", P,
	    "{\"\":1}"), "wrong_type / /properties//type", "the empty name");
	is_str(check("{\"required\":[\"\"]}", P, "{\"a\":1}"),
	    "missing_field / /required", "the empty name required");
	is_str(check("{\"required\":[\"z\"],\"properties\":{\"a\":{\"type\":"
	    "\"string\"}}}", P, "{\"a\":1}"), "missing_field /z /required",
	    "required is checked before properties");
	is_str(check("{\"required\":[\"a\",\"z\",\"y\"]}", P, "{\"y\":1}"),
	    "missing_field /a /required", "the first missing name in order");
	is_str(check("{\"properties\":{\"a\":{\"type\":\"string\"},\"b\":"
	    "{\"type\":\"string\"}}}", P, "{\"b\":1,\"a\":2}"),
	    "wrong_type /b /properties/b/type", "members in their order");
	is_str(check("{\"properties\":{\"a\":{\"type\":\"string\"}},"
	    "\"patternProperties\":{\"^a\":{\"type\":\"number\"}}}", P,
	    "{\"a\":\"x\"}"), "wrong_type /a /patternProperties/^a/type",
	    "a member checked by properties and patternProperties");
	is_str(check("{\"dependentSchemas\":{\"a\":{\"required\":[\"b\"]}}}",
	    P, "{\"a\":1}"), "missing_field /b /dependentSchemas/a/required",
	    "dependentSchemas");
	is_str(check("{\"dependentSchemas\":{\"a\":{\"required\":[\"b\"]}}}",
	    P, "{\"c\":1}"), "ok", "dependentSchemas without its name");
	is_str(check("{\"dependentRequired\":{\"a\":[\"b\",\"c\"]},"
	    "\"required\":[\"a\"]}", P, "{\"a\":1,\"b\":1}"),
	    "missing_field /c /dependentRequired",
	    "dependentRequired names shared with required");
	is_str(check("{\"properties\":{\"a\":{\"properties\":{\"a\":{\"type\":"
	    "\"string\"}},\"required\":[\"b\"]}}}", P,
	    "{\"a\":{\"a\":1,\"b\":2}}"),
	    "wrong_type /a/a /properties/a/properties/a/type",
	    "nested objects with the same names");
	is_str(check("{\"properties\":{\"k\":{\"type\":\"string\"}},"
	    "\"additionalProperties\":false}", P,
	    "{\"k\":\"v\",\"\\u006b2\":1}"),
	    "unexpected_field /k2 /additionalProperties",
	    "an escaped name not in properties");

	/* More names and more members than fit the local arrays. */
	n = (size_t)snprintf(schema, sizeof(schema), "{\"required\":[");
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(schema + n, sizeof(schema) - n,
		    "%s\"r%d\"", i ? "," : "", i);
	n += (size_t)snprintf(schema + n, sizeof(schema) - n,
	    "],\"properties\":{\"r39\":{\"type\":\"string\"}},"
	    "\"additionalProperties\":{\"type\":\"number\"}}");
	n = (size_t)snprintf(line, sizeof(line), "{");
	for (i = 0; i < 40; i++)
		if (i != 37)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
			    "\"r%d\":%d,", i, i);
	snprintf(line + n, sizeof(line) - n, "\"x\":1}");
	is_str(check(schema, P, line), "missing_field /r37 /required",
	    "40 names, one missing");
	n = (size_t)snprintf(line, sizeof(line), "{");
	for (i = 0; i < 39; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n,
		    "\"r%d\":%d,", i, i);
	snprintf(line + n, sizeof(line) - n, "\"r39\":1,\"x\":1}");
	is_str(check(schema, P, line), "wrong_type /r39 /properties/r39/type",
	    "41 members: a property's error");
	snprintf(line + n, sizeof(line) - n, "\"x\":\"s\",\"r39\":\"s\"}");
	is_str(check(schema, P, line),
	    "wrong_type /x /additionalProperties/type",
	    "41 members: an additional member's error");
	snprintf(line + n, sizeof(line) - n, "\"x\":2,\"r39\":\"s\"}");
	is_str(check(schema, P, line), "ok", "41 members: valid");
}

static void
test_regex(void)
{
	is_str(ere("\\d+\\.\\d*"), "[0-9]+\\.[0-9]*", "\\d and \\.");
	is_str(ere("\\w"), "[A-Za-z0-9_]", "\\w is ASCII");
	is_str(ere("\\W"), "[^A-Za-z0-9_]", "\\W");
	is_str(ere("a{"), "a\\{", "a lone { is literal");
	is_str(ere("a{2,}"), "a{2,}", "a counted quantifier stays");
	is_str(ere("(?:ab)+"), "(ab)+", "non-capturing group");
	is_str(ere("(?<year>\\d{4})"), "([0-9]{4})", "named group");
	is_str(ere("[\\]a-]"), "[]a-]",
	    "] and - inside a class");
	is_str(ere("[^^]"), "[^^]", "negated caret");
	is_str(ere("[\\^]"), "\\^", "a class of just ^");
	is_str(ere("[\\d.]"), "[0-9.]", "\\d inside a class");
	is_str(ere("[a\\-z]"), "[az-]", "escaped - in a class is literal");
	is_str(ere("\\x41\\u0042"), "AB", "\\x and \\u escapes");
	is_str(ere("\\/"), "/", "\\/ is a slash");
	is_str(ere("\\$"), "\\$", "\\$ stays escaped");
	is_str(ere("\\t"), "\t", "\\t is a tab");
	is_str(ere("[^]"), ".", "[^] is any character");
	ok(strncmp(ere("[]"), "refused", 7) == 0, "[] refused");
	ok(strncmp(ere("[\\D]"), "refused", 7) == 0,
	    "negated class escape inside a class refused");
	ok(strncmp(ere("\\k<a>"), "refused", 7) == 0,
	    "named backreference refused");
	ok(strncmp(ere("a\\"), "refused", 7) == 0, "trailing backslash");
	ok(strncmp(ere("[z-a]"), "refused", 7) == 0, "range out of order");
}

static void
test_date_time(void)
{
	static const struct {
		const char *s;
		int valid;
	} dt[] = {
		{ "2026-01-01T00:00:00Z", 1 },
		{ "2026-01-01t00:00:00z", 1 },
		{ "2026-01-01T00:00:00.123456789Z", 1 },
		{ "2026-01-01T00:00:00+05:30", 1 },
		{ "1998-12-31T23:59:60Z", 1 },
		{ "1998-12-31T15:59:60-08:00", 1 },
		{ "1998-12-31T23:58:60Z", 0 },
		{ "2026-01-01T00:00:00", 0 },
		{ "2026-01-01 00:00:00Z", 0 },
		{ "2026-02-29T00:00:00Z", 0 },
		{ "2024-02-29T00:00:00Z", 1 },
		{ "2026-01-01T24:00:00Z", 0 },
		{ "2026-01-01T00:00:00.Z", 0 },
		{ "2026-01-01T00:00:00+25:00", 0 },
		{ "2026-1-01T00:00:00Z", 0 },
		{ "2026-04-31T00:00:00Z", 0 },
		{ "2026-04-30T00:00:00Z", 1 },
		{ "2026-12-31T00:00:00Z", 1 },
		{ "2026-13-01T00:00:00Z", 0 },
		{ "2026-00-10T00:00:00Z", 0 },
		{ "2026-01-00T00:00:00Z", 0 },
		{ "2026-01-32T00:00:00Z", 0 },
		{ "2a26-01-01T00:00:00Z", 0 },
		{ "202/-01-01T00:00:00Z", 0 },
		{ "2026-01-0:T00:00:00Z", 0 },
		{ "2026-01-01T0:00:00Z", 0 },
		{ "2026-01-01T00:0a:00Z", 0 },
		{ "2026-01-01T00:00:6 Z", 0 },
		{ "2026-01-01T00:60:00Z", 0 },
		{ "2026-01-01T00:00:60Z", 0 },
		{ "2026/01/01T00:00:00Z", 0 },
		{ "2026-01-01T00-00-00Z", 0 },
		{ "0000-02-29T00:00:00Z", 1 },
		{ "1900-02-29T00:00:00Z", 0 },
		{ "2000-02-29T00:00:00Z", 1 },
		{ "2026-01-01T00:00:00.5+01:00", 1 },
		{ "2026-01-01T00:00:00.5Zx", 0 },
		{ "2026-01-01T00:00:00+05:3a", 0 },
		{ "2026-01-01T00:00:00+0a:30", 0 },
		{ "2026-01-01T00:00:00+05-30", 0 },
		{ "2026-01-01T00:00:00+05:60", 0 },
		{ "2026-01-01T00:00:00+05:30x", 0 },
		{ "2026-01-01T00:00:00 05:30", 0 },
		{ "1998-12-31T23:59:60+00:00", 1 },
		{ "1999-01-01T00:59:60+01:00", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(dt) / sizeof(dt[0]); i++)
		is_int(bf_format_date_time(dt[i].s, strlen(dt[i].s)),
		    dt[i].valid, "date-time '%s'", dt[i].s);
}

int
main(void)
{
	test_load();
	test_metrics_load();
	test_check();
	test_numbers();
	test_sequence();
	test_sequence_values();
	test_object_names();
	test_regex();
	test_date_time();
	return done_testing();
}
