/*
 * test-sample-line.c: unit tests for the one sample-line writer
 * (sample-line.c): the line bf_job_put_sample writes from a sample's
 * fields, from members (empty ones skipped), with and without the
 * resolution, and the lookback mark, each against the line written out
 * here by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "source-internal.h"
#include "stream.h"
#include "timeutil.h"
#include "tap.h"

#define PFX "{\"type\":\"sample\",\"partition\":\"db \\\"1\\\"\"," \
    "\"window_start\":\"2026-01-01T00:00:00Z\"," \
    "\"window_end\":\"2026-01-01T01:00:00Z\""

static void
job_init(struct bf_job *job)
{
	memset(job, 0, sizeof(*job));
	job->w.partition = bf_xstrdup("db \"1\"");
	job->w.start = 1767225600;
	job->w.end = job->w.start + 3600;
	strcpy(job->w.ws, "2026-01-01T00:00:00Z");
	strcpy(job->w.we, "2026-01-01T01:00:00Z");
}

static void
job_free(struct bf_job *job)
{
	free(job->w.partition);
	bf_buf_free(&job->out);
	bf_buf_free(&job->prefix);
}

static void
test_fields(void)
{
	struct bf_job job;

	job_init(&job);
	bf_job_sample(&job, "i-1\n", 4, "cpu", 3, "Percent",
	    job.w.start + 60, "12.5e3", 6, BF_VAL_TEXT, "prometheus", 60);
	is_str(bf_buf_str(&job.out), PFX ",\"instance_id\":\"i-1\\n\","
	    "\"metric\":\"cpu\",\"ts\":\"2026-01-01T00:01:00Z\","
	    "\"value\":12.5e3,\"unit\":\"Percent\",\"source\":\"prometheus\","
	    "\"resolution\":60}\n", "fields: a number stays a number");
	is_int(job.fetched, 1, "fields: counted");
	bf_buf_reset(&job.out);
	bf_job_sample(&job, "i-1", 3, "cpu", 3, "Percent", job.w.start,
	    "NaN", 3, BF_VAL_TEXT, "postgres", 0);
	is_str(bf_buf_str(&job.out), PFX ",\"instance_id\":\"i-1\","
	    "\"metric\":\"cpu\",\"ts\":\"2026-01-01T00:00:00Z\","
	    "\"value\":\"NaN\",\"unit\":\"Percent\",\"source\":\"postgres\"}\n",
	    "fields: text not a number is a string, resolution 0 left out");
	bf_buf_reset(&job.out);
	bf_job_sample(&job, "i-1", 3, "cpu", 3, "Percent", job.w.start,
	    "\"x\"", 3, BF_VAL_RAW, "file", 0);
	ok(strstr(bf_buf_str(&job.out), ",\"value\":\"x\",") != NULL,
	    "fields: a raw value is written as it is");
	is_int(job.fetched, 3, "fields: three lines counted");
	job_free(&job);
}

static void
test_members(void)
{
	struct bf_job job;
	struct bf_member m[4] = {
		{ "\"instance_id\":\"a\"", 0 },
		{ "", 0 },
		{ "\"value\":1", 0 },
		{ "\"ts\":\"2026-01-01T00:00:00Z\",\"x\":[1,2]", 0 },
	};
	int i;

	for (i = 0; i < 4; i++)
		m[i].n = strlen(m[i].s);
	job_init(&job);
	bf_job_put_sample(&job, NULL, m, 4, 300);
	is_str(bf_buf_str(&job.out), PFX ",\"instance_id\":\"a\","
	    "\"value\":1,\"ts\":\"2026-01-01T00:00:00Z\",\"x\":[1,2],"
	    "\"resolution\":300}\n",
	    "members: joined by commas, empty skipped");
	bf_buf_reset(&job.out);
	bf_job_put_sample(&job, NULL, m, 0, 0);
	is_str(bf_buf_str(&job.out), PFX "}\n", "no member: the prefix alone");
	is_int(job.fetched, 2, "members: counted");
	job_free(&job);
}

static void
test_lookback(void)
{
	struct bf_job job;
	struct bf_member m = { "\"value\":2", 0 };
	size_t mark;

	m.n = strlen(m.s);
	job_init(&job);
	bf_job_put_sample(&job, NULL, &m, 1, 0);
	mark = job.out.len;
	bf_job_put_sample(&job, NULL, &m, 1, 60);
	bf_job_lookback(&job, mark);
	is_str(bf_buf_str(&job.out) + mark, PFX ",\"value\":2,"
	    "\"resolution\":60,\"lookback\":true}\n", "lookback: marked last");
	is_int(job.fetched, 1, "lookback: not counted as fetched");
	is_int(job.lookback, 1, "lookback: counted as lookback");
	is_int(strncmp(job.out.s, PFX ",\"value\":2}\n", mark), 0,
	    "lookback: the line before unchanged");
	job_free(&job);
}

static void
test_json_number(void)
{
	static const struct {
		const char *s;
		int want;
	} v[] = {
		{ "0", 1 }, { "-0.5", 1 }, { "1e9", 1 }, { "2E-3", 1 },
		{ "01", 0 }, { "1.", 0 }, { ".5", 0 }, { "-", 0 }, { "", 0 },
		{ "1e", 0 }, { "NaN", 0 }, { "+1", 0 }, { "12a", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is_int(bf_is_json_number(v[i].s, strlen(v[i].s)), v[i].want,
		    "json number '%s'", v[i].s);
}

int
main(void)
{
	test_fields();
	test_members();
	test_lookback();
	test_json_number();
	return done_testing();
}
