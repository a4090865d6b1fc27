/*
 * fuzz-validate: bf-validate's per-line work (validate.h) on any input
 * lines, with a contract like the manual's (contract mode) or a small plain
 * schema (plain mode, when the first byte is odd; the lines follow that
 * byte). Invariants: every line
 * is accounted for exactly once (empty, accepted, rejected, passed through,
 * or a window line written); every line written is one JSON object (any
 * JSON value in plain mode), and
 * their count is accepted + passed + windows; the DLQ holds one valid JSON
 * record per reject, whose raw member (or raw_base64) is an input line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "contract.h"
#include "decimal.h"
#include "dlq.h"
#include "err.h"
#include "json.h"
#include "validate.h"

#include "fuzz.h"

static const char contract_text[] =
    "{\"type\":\"object\",\"required\":[\"type\",\"partition\",\"window_start\","
    "\"window_end\",\"instance_id\",\"metric\",\"ts\",\"value\",\"unit\"],"
    "\"properties\":{\"type\":{\"const\":\"sample\"},"
    "\"partition\":{\"type\":\"string\",\"minLength\":1},"
    "\"instance_id\":{\"type\":\"string\",\"pattern\":\"^[a-z][a-z0-9-]{0,62}$\"},"
    "\"ts\":{\"type\":\"string\",\"format\":\"date-time\"},"
    "\"value\":{\"type\":\"number\"},\"unit\":{\"type\":\"string\"},"
    "\"resolution\":{\"type\":\"integer\",\"minimum\":1}},"
    "\"x-bf-metrics\":{"
    "\"cpu_utilization\":{\"unit\":\"Percent\",\"minimum\":0,\"maximum\":100},"
    "\"connection_count\":{\"unit\":\"Count\",\"integer\":true,\"minimum\":0},"
    "\"storage_bytes\":{\"unit\":\"Bytes\",\"minimum\":0},"
    "\"memory_gib\":{\"unit\":\"GiB\",\"units\":{\"MiB\":\"1/1024\","
    "\"Bytes\":\"1/1073741824\"},\"minimum\":0}}}";

static const char plain_text[] =
    "{\"type\":[\"object\",\"array\",\"number\"],\"properties\":"
    "{\"a\":{\"type\":\"string\",\"maxLength\":8}},\"items\":{\"type\":\"integer\"}}";

/* 1 when needle[0..nn) occurs in hay[0..hn) (memmem is not C11). */
static int
contains(const uint8_t *hay, size_t hn, const char *needle, size_t nn)
{
	size_t i;

	for (i = 0; i + nn <= hn; i++)
		if (hay[i] == (uint8_t)needle[0] &&
		    memcmp(hay + i, needle, nn) == 0)
			return 1;
	return 0;
}

static void
count_lines(const char *s, size_t n, long *lines, long *valid,
    const uint8_t *in, size_t insize, int dlq, int anyroot)
{
	struct bf_json j = BF_JSON_INIT;
	struct bf_buf raw = BF_BUF_INIT;
	const char *p = s, *e = s + n, *nl;
	int t;

	*lines = *valid = 0;
	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		FUZZ_CHECK(nl != NULL);
		(*lines)++;
		if (bf_json_parse(&j, p, (size_t)(nl - p), anyroot ? 0 :
		    BF_JSON_WANT_OBJECT, NULL) == BF_JSON_OK) {
			(*valid)++;
			if (dlq && (t = bf_json_get(&j, 0, "raw")) >= 0) {
				/* The raw line is one of the input's. */
				bf_buf_reset(&raw);
				FUZZ_CHECK(bf_json_str(&j, t, &raw) == 0);
				FUZZ_CHECK(raw.len <= insize);
				if (raw.len > 0)
					FUZZ_CHECK(contains(in, insize, raw.s,
					    raw.len));
			}
		}
		p = nl + 1;
	}
	bf_json_free(&j);
	bf_buf_free(&raw);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bf_contract *cc, *pc;
	struct bf_validate_opts o;
	struct bf_validate_stats stats, *st = &stats;
	struct bf_validator *v;
	struct bf_dlq *q;
	struct bf_err e;
	struct bf_buf dl = BF_BUF_INIT;
	char *obuf = NULL, *copy, buf[4096];
	size_t olen = 0, k;
	const char *p, *end, *nl, *path;
	FILE *out, *fp;
	long lineno = 0, nout, nvalid, ndlq, ndvalid;
	int plain = size > 0 && (data[0] & 1);

	if (cc == NULL) {
		cc = bf_contract_parse(contract_text, strlen(contract_text),
		    "contract", 0, &e);
		pc = bf_contract_parse(plain_text, strlen(plain_text), "plain",
		    BF_CONTRACT_PLAIN, &e);
		FUZZ_CHECK(cc != NULL && pc != NULL);
	}
	memset(&o, 0, sizeof(o));
	o.plain = plain;
	o.now = 1780272000; /* 2026-06-01 */
	FUZZ_CHECK(bf_dec_parse("0.5", 3, &o.max_reject_rate) == BF_DEC_OK);
	path = fuzz_file("", 0);
	FUZZ_CHECK((q = bf_dlq_open(path, &e)) != NULL);
	FUZZ_CHECK((out = open_memstream(&obuf, &olen)) != NULL);
	v = bf_validator_new(plain ? pc : cc, &o, out, q);

	/* The first byte picks the mode; the lines follow it. They are read
	 * from a NUL-terminated copy, as bf_input's lines are: the
	 * sanitizers' regexec interceptor ignores REG_STARTEND and reads the
	 * subject up to a NUL. */
	copy = fuzz_strndup(data, size);
	p = copy + (size > 0);
	end = copy + size;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		lineno++;
		/* Lines over 512 bytes come cut, with the whole line in a
		 * spill file, as bf_input gives them. */
		if ((size_t)(nl - p) > 512) {
			struct bf_spill sp;
			FILE *sf = tmpfile();

			FUZZ_CHECK(sf != NULL && fwrite(p, 1, (size_t)(nl - p),
			    sf) == (size_t)(nl - p) && fflush(sf) == 0);
			sp.fd = fileno(sf);
			sp.len = (long long)(nl - p);
			sp.err = 0;
			FUZZ_CHECK(bf_validator_line(v, "<fuzz>", lineno, p,
			    512, &sp, &e) == 0);
			fclose(sf);
		} else
			FUZZ_CHECK(bf_validator_line(v, "<fuzz>", lineno, p,
			    (size_t)(nl - p), NULL, &e) == 0);
		p = nl + 1;
	}
	FUZZ_CHECK(bf_validator_finish(v, &e) == 0);
	stats = *bf_validator_stats(v); /* a copy: v is freed below */
	FUZZ_CHECK(st->lines == lineno);
	FUZZ_CHECK(st->empty + st->accepted + st->rejected + st->passed +
	    st->windows == st->lines);
	/* Plain mode has no window lines: the whole input may fail. */
	FUZZ_CHECK(st->converted <= st->accepted &&
	    st->failed <= st->windows + plain &&
	    st->unattributed <= st->rejected);
	bf_validator_free(v);
	free(copy);
	FUZZ_CHECK(fclose(out) == 0);
	FUZZ_CHECK(bf_dlq_close(q, &e) == 0);

	/* Plain mode passes any JSON value the schema accepts. */
	count_lines(obuf, olen, &nout, &nvalid, data, size, 0, plain);
	FUZZ_CHECK(nout == st->accepted + st->passed + st->windows);
	FUZZ_CHECK(nvalid == nout);
	if ((fp = fopen(path, "rb")) == NULL)
		abort();
	while ((k = fread(buf, 1, sizeof(buf), fp)) > 0)
		bf_buf_add(&dl, buf, k);
	fclose(fp);
	count_lines(bf_buf_str(&dl), dl.len, &ndlq, &ndvalid, data, size, 1,
	    0);
	FUZZ_CHECK(ndlq == st->rejected && ndvalid == ndlq);
	bf_buf_free(&dl);
	free(obuf);
	return 0;
}
