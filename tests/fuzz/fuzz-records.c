/*
 * fuzz-records: bf-fetch's readers of exported telemetry (records.h,
 * bf_records_parse): NDJSON samples, the JSON of aws cloudwatch
 * get-metric-data and get-metric-statistics, and CSV exports, on any
 * bytes. The first byte picks the format (auto-detected, or each one
 * forced) and the options (a fallback instance, a routing key, the label as
 * instance); the rest is the data. Invariants: a refusal names the input,
 * carries BF_EXIT_FAILED or BF_EXIT_UNAVAILABLE and leaves the records as
 * they were (a record parsed before stays, nothing half-added); accepted
 * records sort by (key, time, input order); emitting them into a window
 * that spans all representable times writes one sample line per record,
 * each a JSON object of type "sample" with the window's fields whenever the
 * input was valid UTF-8 (an export in another encoding can only be refused
 * downstream, by bf-validate). Parsed again with borrow (records pointing
 * into the data, as the file source keeps them), the records emit the same
 * bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "records.h"
#include "stream.h"
#include "timeutil.h"

#include "fuzz.h"

static const char seed[] =
    "{\"instance_id\":\"db-0\",\"metric\":\"m\",\"ts\":\"2026-01-01T00:00:00Z\","
    "\"value\":1,\"unit\":\"Count\"}\n";

/* Emits rs's records into one window over all text times. */
static long
emit_all(struct bf_source *s, const struct bf_recs *rs, struct bf_job *job)
{
	memset(job, 0, sizeof(*job));
	job->w.partition = bf_xstrdup("part-1");
	job->w.start = -62167219200LL;
	job->w.end = 253402300799LL;
	bf_time_format(job->w.start, job->w.ws);
	bf_time_format(job->w.end, job->w.we);
	return bf_recs_emit(s, rs, 0, rs->n, job, 300);
}

static void
job_done(struct bf_job *job)
{
	bf_buf_free(&job->out);
	bf_buf_free(&job->prefix);
	bf_window_free(&job->w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bf_fetch_opts o;
	struct bf_source s;
	struct bf_recopts ro;
	struct bf_recs rs, rs2;
	struct bf_job job, job2;
	struct bf_err e;
	struct bf_json j = BF_JSON_INIT;
	char *next = NULL, *copy;
	const char *p, *end, *nl;
	size_t n0, len0, i, lines;
	long emitted;
	int fmt, rc;

	if (size < 1)
		return 0;
	memset(&o, 0, sizeof(o));
	o.kind = BF_SRC_FILE;
	o.statistic = data[0] & 0x40 ? "Maximum" : "Average";
	o.col_ts = "ts";
	o.col_value = "value";
	o.col_metric = "metric";
	o.col_instance = "instance_id";
	o.col_unit = "unit";
	o.now = 1767225600;
	memset(&s, 0, sizeof(s));
	s.ops = &bf_source_file;
	s.o = &o;
	memset(&ro, 0, sizeof(ro));
	ro.instance = data[0] & 0x08 ? "db-fallback" : NULL;
	ro.use_label = (data[0] & 0x10) != 0;
	ro.key = data[0] & 0x20 ? "part-1" : NULL;
	fmt = data[0] % 8;
	if (fmt > BF_FMT_CSV)
		fmt = BF_FMT_AUTO;
	memset(&rs, 0, sizeof(rs));

	/* One good record first: a refusal must leave it alone. */
	bf_err_clear(&e);
	FUZZ_CHECK(bf_records_parse(&s, &ro, "seed", seed, strlen(seed),
	    BF_FMT_NDJSON, &rs, NULL, &e) == 0 && rs.n == 1);
	n0 = rs.n;
	len0 = rs.arena.len;

	/* The data in a buffer of its own size (ASan sees any overread). */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, data + 1, size - 1);
	rc = bf_records_parse(&s, &ro, "fuzz-input", copy, size - 1, fmt, &rs,
	    &next, &e);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(e.code == BF_EXIT_FAILED ||
		    e.code == BF_EXIT_UNAVAILABLE);
		FUZZ_CHECK(strstr(e.msg, "fuzz-input") != NULL);
		FUZZ_CHECK(rs.n == n0 && rs.arena.len == len0);
		FUZZ_CHECK(next == NULL);
	}
	free(next);
	for (i = 0; i < rs.n; i++) {
		const struct bf_rec *r = &rs.r[i];

		FUZZ_CHECK(r->key < rs.nkeys);
		if (r->kind == BF_REC_FIELDS)
			FUZZ_CHECK(bf_recs_str(&rs, r->f.instance) != NULL &&
			    bf_recs_str(&rs, r->f.metric) != NULL &&
			    bf_recs_str(&rs, r->f.value) != NULL &&
			    bf_recs_str(&rs, r->f.unit) != NULL);
		else
			FUZZ_CHECK(bf_recs_str(&rs, r->b.body) != NULL);
	}
	bf_recs_sort(&rs);
	for (i = 1; i < rs.n; i++) {
		const struct bf_rec *a = bf_recs_at(&rs, i - 1),
		    *b = bf_recs_at(&rs, i);
		int c = strcmp(bf_recs_str(&rs, rs.keys[a->key]),
		    bf_recs_str(&rs, rs.keys[b->key]));

		FUZZ_CHECK(c <= 0);
		if (c == 0)
			FUZZ_CHECK(a->ts < b->ts || (a->ts == b->ts &&
			    a < b));
	}

	/* Emit everything into one window over all text times. */
	emitted = emit_all(&s, &rs, &job);
	FUZZ_CHECK(emitted >= 0 && (size_t)emitted <= rs.n);
	FUZZ_CHECK(job.fetched == emitted);
	lines = 0;
	p = job.out.s;
	end = p + job.out.len;
	while (p != NULL && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		FUZZ_CHECK(nl != NULL);
		lines++;
		if (bf_utf8_valid((const char *)data + 1, size - 1)) {
			FUZZ_CHECK(bf_json_parse(&j, p, (size_t)(nl - p),
			    BF_JSON_WANT_OBJECT, NULL) == BF_JSON_OK);
			FUZZ_CHECK(bf_json_streq(&j, bf_json_get(&j, 0,
			    "type"), "sample"));
			FUZZ_CHECK(bf_json_streq(&j, bf_json_get(&j, 0,
			    "partition"), "part-1"));
		}
		p = nl + 1;
	}
	FUZZ_CHECK(lines == (size_t)emitted);

	/* The same with borrowed records: the same outcome, the same bytes. */
	memset(&rs2, 0, sizeof(rs2));
	FUZZ_CHECK(bf_records_parse(&s, &ro, "seed", seed, strlen(seed),
	    BF_FMT_NDJSON, &rs2, NULL, &e) == 0 && rs2.n == 1);
	ro.borrow = 1;
	FUZZ_CHECK(bf_records_parse(&s, &ro, "fuzz-input", copy, size - 1, fmt,
	    &rs2, &next, &e) == rc);
	free(next);
	FUZZ_CHECK(rs2.n == rs.n);
	bf_recs_sort(&rs2);
	FUZZ_CHECK(emit_all(&s, &rs2, &job2) == emitted);
	FUZZ_CHECK(job2.out.len == job.out.len && (job.out.len == 0 ||
	    memcmp(job2.out.s, job.out.s, job.out.len) == 0));
	job_done(&job2);
	bf_recs_free(&rs2);

	free(copy);
	bf_json_free(&j);
	job_done(&job);
	bf_recs_free(&rs);
	return 0;
}
