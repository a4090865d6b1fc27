/*
 * fuzz-contract: the contract loader and checker of bf-validate
 * (contract.h) on any bytes. The input is a contract (up to the first NUL
 * byte) and, after it, instance lines. The contract is compiled in plain
 * mode and in contract mode; each compiled contract checks each line (as
 * any JSON value) twice, with the same answer; a refusal comes with a code
 * of the documented taxonomy, a JSON pointer into the line and one into the
 * contract, and a message. A contract that does not compile says why, with
 * BF_EXIT_USAGE. The bytes are also tried as an ECMA-262 pattern (a
 * translation must compile as a POSIX extended expression) and as a
 * date-time (which RFC 3339 parsing must agree with).
 */
#include <locale.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "contract.h"
#include "ecma-regex.h"
#include "format.h"
#include "err.h"
#include "json.h"
#include "timeutil.h"

#include "fuzz.h"

static const char *const codes[] = {
	"wrong_type", "missing_field", "unexpected_field", "bad_field_name",
	"bad_size", "not_allowed", "out_of_range", "not_multiple",
	"bad_length", "pattern_mismatch", "bad_format", "not_unique",
	"no_match", "multiple_match", NULL,
};

static int
known_code(const char *c)
{
	for (int i = 0; codes[i]; i++)
		if (strcmp(c, codes[i]) == 0)
			return 1;
	return 0;
}

static int
is_pointer(const struct bf_buf *b)
{
	return b->len == 0 || b->s[0] == '/';
}

static void
check_lines(struct bf_contract *c, const char *p, size_t n)
{
	struct bf_json j = BF_JSON_INIT;
	struct bf_verror ve = { NULL, BF_BUF_INIT, BF_BUF_INIT, BF_BUF_INIT };
	struct bf_verror ve2 = { NULL, BF_BUF_INIT, BF_BUF_INIT, BF_BUF_INIT };
	const char *e = p + n, *nl;
	int lines = 0, r, r2;

	while (p < e && lines++ < 8) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			nl = e;
		if (bf_json_parse(&j, p, (size_t)(nl - p), 0, NULL) ==
		    BF_JSON_OK) {
			r = bf_contract_check(c, &j, &ve);
			r2 = bf_contract_check(c, &j, &ve2);
			FUZZ_CHECK(r == 0 || r == 1);
			FUZZ_CHECK(r == r2);
			if (r == 0) {
				FUZZ_CHECK(ve.code != NULL &&
				    known_code(ve.code));
				FUZZ_CHECK(ve2.code != NULL &&
				    strcmp(ve.code, ve2.code) == 0);
				FUZZ_CHECK(is_pointer(&ve.pointer) &&
				    is_pointer(&ve.rule));
				FUZZ_CHECK(ve.message.len > 0);
				FUZZ_CHECK(bf_utf8_valid(ve.message.s,
				    ve.message.len));
			}
		}
		p = nl + 1;
	}
	bf_json_free(&j);
	bf_buf_free(&ve.rule);
	bf_buf_free(&ve.pointer);
	bf_buf_free(&ve.message);
	bf_buf_free(&ve2.rule);
	bf_buf_free(&ve2.pointer);
	bf_buf_free(&ve2.message);
}

/*
 * glibc's regcomp expands repetition by copying trees: a pattern with
 * stacked quantifiers ("a++++", which ECMA-262 refuses but the translation
 * passes on) or nested counted repetition ("((a{99}){99}){99}") takes
 * exponential memory. That is a known limit, reported; texts that look
 * like it are skipped so that the fuzzer keeps looking for other bugs.
 */
static int
regex_bomb(const char *d, size_t n)
{
	size_t i, counted = 0;
	int prevq = 0, q;

	for (i = 0; i < n; i++) {
		q = d[i] == '*' || d[i] == '+' || d[i] == '?' || d[i] == '}';
		if (q && prevq)
			return 1;
		prevq = q;
		if (d[i] == '{' && i + 1 < n && d[i + 1] >= '0' &&
		    d[i + 1] <= '9')
			counted++;
	}
	return counted > 2;
}

/* regex_bomb over every string (key or value) of a JSON text. */
static int
contract_bomb(const char *s, size_t n)
{
	struct bf_json j = BF_JSON_INIT;
	const char *r;
	size_t rn;
	int i, bomb = 0;

	if (bf_json_parse(&j, s, n, 0, NULL) == BF_JSON_OK)
		for (i = 0; i < j.ntok && !bomb; i++)
			if (j.tok[i].type == BF_JSON_STRING) {
				r = bf_json_raw(&j, i, &rn);
				bomb = regex_bomb(r, rn);
			}
	bf_json_free(&j);
	return bomb;
}

static void
check_regex(const uint8_t *data, size_t size)
{
	struct bf_buf out = BF_BUF_INIT;
	const char *why = NULL;
	regex_t re;
	locale_t u, old;

	if (size > 256 || regex_bomb((const char *)data, size))
		return;
	if (bf_regex_translate((const char *)data, size, &out, &why) != 0) {
		FUZZ_CHECK(why != NULL);
		bf_buf_free(&out);
		return;
	}
	u = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (u != (locale_t)0 && bf_utf8_valid((const char *)data, size) &&
	    memchr(data, '\0', size) == NULL) {
		old = uselocale(u);
		if (regcomp(&re, bf_buf_str(&out), REG_EXTENDED | REG_NOSUB) ==
		    0)
			regfree(&re);
		uselocale(old);
	}
	if (u != (locale_t)0)
		freelocale(u);
	bf_buf_free(&out);
}

static void
check_date_time(const uint8_t *data, size_t size)
{
	bf_time t;
	int ok = bf_format_date_time((const char *)data, size);

	/* RFC 3339 date-times are what bf_time_parse reads, less the date
	 * alone; but the format takes a leap second on any day (as JSON
	 * Schema's suite does), bf_time_parse only on a month's last. */
	if (ok) {
		if (!(data[17] == '6' && data[18] == '0'))
			FUZZ_CHECK(bf_time_parse((const char *)data, size, &t,
			    NULL) == 0);
	} else if (size > 10)
		FUZZ_CHECK(bf_time_parse((const char *)data, size, &t, NULL) !=
		    0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t clen = nul ? (size_t)(nul - data) : size;
	const char *rest = nul ? (const char *)nul + 1 : NULL;
	size_t rlen = nul ? size - clen - 1 : 0;
	struct bf_contract *c;
	struct bf_err e;
	int flags;

	if (contract_bomb((const char *)data, clen))
		return 0;
	for (flags = 0; flags < 3; flags++) {
		bf_err_clear(&e);
		c = bf_contract_parse((const char *)data, clen, "fuzz.json",
		    flags, &e);
		if (c == NULL) {
			FUZZ_CHECK(e.code == BF_EXIT_USAGE && e.msg[0] != '\0');
			continue;
		}
		/* NUL-terminated, as bf_input's lines are: the sanitizers'
		 * regexec interceptor ignores REG_STARTEND and reads the
		 * subject up to a NUL. */
		if (rest != NULL) {
			char *z = fuzz_strndup((const uint8_t *)rest, rlen);

			check_lines(c, z, rlen);
			free(z);
		}
		bf_contract_free(c);
	}
	check_regex(data, size);
	check_date_time(data, size);
	return 0;
}
