/* gen.c: seeded generator of realistic telemetry (gen.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gen.h"

enum { M_CPU, M_IOPS, M_THROUGHPUT, M_CONN, M_BACKUP, NMETRIC };

static const char *const metric_name[NMETRIC] = {
	"cpu_utilization", "provisioned_iops", "storage_throughput",
	"connection_count", "backup_storage",
};
static const char *const metric_unit[NMETRIC] = {
	"Percent", "Count", "Bytes/Second", "Count", "Bytes",
};

/* Load over the day, in percent of the peak, one value per UTC hour. */
static const int daily[24] = {
	35, 30, 28, 27, 27, 30, 40, 55, 70, 85, 95, 100,
	98, 96, 97, 95, 90, 82, 72, 62, 55, 48, 42, 38,
};

/* splitmix64: small, fast, and the same on every platform. */
static uint64_t
next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
bf_gen_defaults(struct bf_gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->from = bf_days_from_civil(2026, 1, 1) * 86400;
	o->days = 30;
	o->instances = 20;
	o->resolution = 300;
	o->fine_from_day = -1;
	o->malformed_ppm = 50;
	o->duplicate_ppm = 100;
}

/* The value of metric m of instance i at t, as JSON number text. */
static void
value(int m, int i, bf_time t, const struct bf_gen_opts *o, uint64_t *rng,
    char *out, size_t n)
{
	int64_t day = (t - o->from) / 86400;
	int hour = (int)(((t % 86400) + 86400) % 86400 / 3600);
	int64_t v;

	switch (m) {
	case M_CPU: /* hundredths of a percent */
		v = (1000 + (i * 337) % 5000) * daily[hour] / 100 +
		    (int64_t)(next(rng) % 800);
		if (v > 10000)
			v = 10000;
		snprintf(out, n, "%" PRId64 ".%02" PRId64, v / 100, v % 100);
		return;
	case M_IOPS: /* provisioned: steps, one instance scales up on day 10 */
		v = 3000 * (1 + i % 4);
		if (i == 4 && day >= 10)
			v *= 2;
		break;
	case M_THROUGHPUT: /* bytes per second */
		v = (int64_t)(20 + (i * 7) % 60) * 1048576 * daily[hour] / 100 +
		    (int64_t)(next(rng) % 1048576);
		break;
	case M_CONN:
		v = (10 + i * 3) * daily[hour] / 100 + (int64_t)(next(rng) % 6);
		break;
	default: /* backup volume grows about 1 GiB a day */
		v = (int64_t)(50 + 25 * (i % 5)) * 1073741824 +
		    (t - o->from) * 1073741824 / 86400;
		break;
	}
	snprintf(out, n, "%" PRId64, v);
}

static int
sample_line(char *buf, size_t n, const char *inst, int m, const char *ts,
    const char *val, const char *unit, int64_t res)
{
	return snprintf(buf, n,
	    "{\"type\":\"sample\",\"instance_id\":\"%s\",\"metric\":\"%s\","
	    "\"ts\":\"%s\",\"value\":%s,\"unit\":\"%s\",\"source\":\"bf-gen\","
	    "\"resolution\":%" PRId64 "}\n",
	    inst, metric_name[m], ts, val, unit, res);
}

/* A malformed variant of a sample; kinds cycle so every kind appears. Each
 * stays routable (instance_id and ts are good) so that it reaches the
 * validation gate of its window. */
static void
malformed(char *buf, size_t n, unsigned kind, const char *inst, const char *ts,
    int64_t res)
{
	switch (kind % 7) {
	case 0: sample_line(buf, n, inst, M_CPU, ts, "\"NaN\"", "Percent", res); break;
	case 1: sample_line(buf, n, inst, M_CPU, ts, "250", "Percent", res); break;
	case 2: sample_line(buf, n, inst, M_CONN, ts, "-3", "Count", res); break;
	case 3: sample_line(buf, n, inst, M_BACKUP, ts, "42", "Furlongs", res); break;
	case 4: sample_line(buf, n, inst, M_IOPS, ts, "true", "Count", res); break;
	case 5: sample_line(buf, n, inst, M_CONN, ts, "1e400", "Count", res); break;
	default:
		snprintf(buf, n,
		    "{\"type\":\"sample\",\"instance_id\":\"%s\","
		    "\"metric\":\"cpu_utilization\",\"ts\":\"%s\","
		    "\"unit\":\"Percent\",\"source\":\"bf-gen\","
		    "\"resolution\":%" PRId64 "}\n", inst, ts, res);
		break;
	}
}

int
bf_gen_run(const struct bf_gen_opts *o, FILE *out, struct bf_err *e)
{
	uint64_t rng = o->seed, pick = o->seed ^ 0x5bd1e995ULL;
	bf_time end = o->from + o->days * 86400, t;
	int64_t step = o->fine_from_day >= 0 && o->resolution > 60 ? 60 :
	    o->resolution;
	int64_t lines = 0;
	unsigned kind = 0;
	char ts[BF_TIME_LEN], inst[32], val[64], line[512];

	for (t = o->from; t < end; t += step) {
		bf_time_format(t, ts);
		for (int i = 0; i < o->instances; i++) {
			int64_t res = o->resolution;

			if (o->fine_from_day >= 0 && i % 4 == 3 &&
			    t >= o->from + o->fine_from_day * 86400)
				res = 60;
			if ((t - o->from) % res != 0)
				continue;
			snprintf(inst, sizeof(inst), "db-%02d", i + 1);
			for (int m = 0; m < NMETRIC; m++) {
				value(m, i, t, o, &rng, val, sizeof(val));
				sample_line(line, sizeof(line), inst, m, ts, val,
				    metric_unit[m], res);
				fputs(line, out);
				if (next(&pick) % 1000000 < o->duplicate_ppm)
					fputs(line, out);
				if (next(&pick) % 1000000 < o->malformed_ppm) {
					malformed(line, sizeof(line), kind++, inst,
					    ts, res);
					fputs(line, out);
				}
				if (o->limit > 0 && ++lines >= o->limit)
					goto done;
			}
		}
	}
done:
	if (fflush(out) != 0 || ferror(out))
		return bf_err_set(e, BF_EXIT_IO, "write error: %s",
		    strerror(errno));
	return 0;
}
