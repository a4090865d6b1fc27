/*
 * sample-line.c: the one writer of bf-fetch's sample lines, which every
 * source uses (source-internal.h): the Prometheus and PostgreSQL sources
 * with a sample's fields, the file and exec sources also with the members
 * of the records they read (records.c).
 */
#include <string.h>

#include "decimal.h"
#include "json.h"
#include "source-internal.h"

int
bf_is_json_number(const char *s, size_t n)
{
	struct bf_numtok t;

	return bf_num_scan(s, n, &t) == 0;
}

void
bf_job_prefix(struct bf_job *job)
{
	if (job->prefix.len > 0)
		return;
	bf_buf_puts(&job->prefix, "{\"type\":\"sample\",\"partition\":");
	bf_json_put_str(&job->prefix, job->w.partition,
	    strlen(job->w.partition));
	bf_json_put_kv_str(&job->prefix, "window_start", job->w.ws);
	bf_json_put_kv_str(&job->prefix, "window_end", job->w.we);
}

/* The members of f, each after a ','. */
static void
put_fields(struct bf_buf *b, const struct bf_sample_fields *f)
{
	char t[BF_TIME_LEN];

	bf_buf_puts(b, ",\"instance_id\":");
	bf_json_put_str(b, f->instance, f->ilen);
	bf_buf_puts(b, ",\"metric\":");
	bf_json_put_str(b, f->metric, f->mlen);
	bf_time_format(f->ts, t);
	bf_json_put_kv_str(b, "ts", t);
	bf_buf_puts(b, ",\"value\":");
	if (f->valkind == BF_VAL_RAW || bf_is_json_number(f->value, f->vlen))
		bf_buf_add(b, f->value, f->vlen);
	else
		bf_json_put_str(b, f->value, f->vlen);
	bf_json_put_kv_str(b, "unit", f->unit);
	bf_json_put_kv_str(b, "source", f->source);
}

void
bf_job_put_sample(struct bf_job *job, const struct bf_sample_fields *f,
    const struct bf_member *m, int nm, int64_t resolution)
{
	struct bf_buf *b = &job->out;
	size_t need;
	char *p;
	int i;

	bf_job_prefix(job);
	if (f != NULL) {
		bf_buf_add(b, job->prefix.s, job->prefix.len);
		put_fields(b, f);
		need = 2;
	} else {
		need = job->prefix.len + 2;
	}
	/* the rest in one growth: the file source's records are mostly
	 * members only, and this is its inner loop */
	for (i = 0; i < nm; i++)
		need += 1 + m[i].n;
	bf_buf_grow(b, need);
	p = b->s + b->len;
	if (f == NULL) {
		memcpy(p, job->prefix.s, job->prefix.len);
		p += job->prefix.len;
	}
	for (i = 0; i < nm; i++) {
		if (m[i].n == 0)
			continue;
		*p++ = ',';
		memcpy(p, m[i].s, m[i].n);
		p += m[i].n;
	}
	*p = '\0';
	b->len = (size_t)(p - b->s);
	if (resolution > 0)
		bf_buf_printf(b, ",\"resolution\":%lld", (long long)resolution);
	bf_buf_add(b, "}\n", 2);
	job->fetched++;
}

void
bf_job_sample(struct bf_job *job, const char *instance, size_t ilen,
    const char *metric, size_t mlen, const char *unit, bf_time ts,
    const char *value, size_t vlen, int valkind, const char *source,
    int64_t resolution)
{
	const struct bf_sample_fields f = { instance, metric, unit, value,
		source, ilen, mlen, vlen, ts, valkind };

	bf_job_put_sample(job, &f, NULL, 0, resolution);
}

void
bf_job_lookback(struct bf_job *job, size_t mark)
{
	struct bf_buf *b = &job->out;

	if (b->len < mark + 2 || b->s[b->len - 1] != '\n' ||
	    b->s[b->len - 2] != '}')
		return;
	b->len -= 2;
	bf_buf_puts(b, ",\"lookback\":true}\n");
	job->fetched--;
	job->lookback++;
}
