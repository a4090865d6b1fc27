/*
 * rates.h: the rate card (bf-aggregate(1), "RATE CARD"), and the
 * effective-dated rows it shares with the tenant map (tenants.h).
 *
 * A rate card is a CSV file with the header
 *
 *   metric,unit,aggregate,usage_unit,multiplier,divisor,unit_price,currency,
 *   effective_from,effective_to
 *
 * One row prices one metric over [effective_from, effective_to): the samples
 * of the metric must carry unit, the aggregate (one of count, min, max, sum,
 * avg, last, p95, integral, increase) of a window's samples times multiplier
 * divided by divisor (empty means 1) is the quantity in usage_unit, and
 * quantity times unit_price is the cost in currency. bf_rates_load refuses,
 * naming file and line: a bad date, effective_to not after effective_from,
 * an unknown aggregate, a negative unit_price, a multiplier or divisor that
 * is not positive, a number with more than 9 decimal places, two rows of one
 * metric whose intervals overlap, and a second currency (a card has one).
 */
#ifndef BF_RATES_H
#define BF_RATES_H

#include <stddef.h>
#include <stdint.h>

#include "decimal.h"
#include "err.h"
#include "samples.h"
#include "timeutil.h"

/* The open ends of an effective interval (an empty date in the CSV). */
#define BF_TIME_MIN INT64_MIN
#define BF_TIME_MAX INT64_MAX

/*
 * An effective-dated row: every row type of an effective-dated table (a rate,
 * an owner) starts with this header, so that the functions below can sort,
 * check and search arrays of either.
 */
struct bf_eff {
	char *key;       /* metric or instance_id; owned by the row */
	bf_time from;    /* [from, to); BF_TIME_MIN when open */
	bf_time to;      /* BF_TIME_MAX when open */
	long line;       /* line of the row in its file */
};

/* Fills the header of the row read from line of its file: the interval
 * from the effective_from and effective_to fields (RFC 3339 or a date alone,
 * midnight UTC; whole seconds; empty means open), then a copy of key (owned
 * by the row) and line. Returns 0, or -1 with e set (BF_EXIT_USAGE, message
 * without position) for a bad date or an empty interval, key not copied. */
int bf_eff_set(struct bf_eff *eff, const char *key, const char *from,
    const char *to, long line, struct bf_err *e);

/* Sorts n rows of size bytes (each starting with struct bf_eff) by key, then
 * from. Returns 0, or -1 with e set (BF_EXIT_USAGE) when two rows of one key
 * overlap: "path:LINE: WHAT 'key' from A overlaps line N". */
int bf_eff_sort(void *rows, size_t n, size_t size, const char *path,
    const char *what, struct bf_err *e);

/* In rows sorted by bf_eff_sort: the rows of key[0..klen) whose intervals
 * meet [from, to), which are consecutive and in time order. Returns their
 * count and sets *first to the index of the first; *any (if not NULL) is set
 * to 1 when the key has rows at all. */
size_t bf_eff_find(const void *rows, size_t n, size_t size, const char *key,
    size_t klen, bf_time from, bf_time to, size_t *first, int *any);

/* The name of fn (enum bf_aggfn, samples.h: "integral"), and back: -1
 * for an unknown name. */
const char *bf_aggfn_name(int fn);
int bf_aggfn_parse(const char *s);

struct bf_rate {
	struct bf_eff eff;   /* key: the metric */
	char *unit;          /* owned; the unit samples must carry ("" none) */
	char *usage_unit;    /* owned */
	char *currency;      /* owned */
	int aggregate;       /* enum bf_aggfn */
	bf_dec multiplier;   /* > 0; 1 when the field was empty */
	bf_dec divisor;      /* > 0; 1 when the field was empty */
	bf_dec unit_price;   /* >= 0 */
};

struct bf_rates {
	char *path;          /* owned; the file, for messages */
	struct bf_rate *r;   /* owned; n rows sorted by metric, then from */
	size_t n, cap;
	const char *currency; /* the card's currency (in r[0]); NULL if empty */
};

/* Loads the rate card at path into rc (initialised by this call; free it
 * with bf_rates_free, also after an error). Returns 0, or -1 with e set
 * (BF_EXIT_USAGE) and the file and line in the message. */
int bf_rates_load(struct bf_rates *rc, const char *path, struct bf_err *e);
void bf_rates_free(struct bf_rates *rc);

/* The rates of metric[0..mlen) in effect over the window [from, to): on
 * success returns their count n >= 1 and sets *first (rc->r[*first] to
 * rc->r[*first + n - 1], in time order). They cover the window without a gap
 * and agree on unit, aggregate, usage_unit, multiplier and divisor, so one
 * quantity can be split between their prices. Otherwise returns 0, sets
 * *code to the window error code ("missing_rate" for a metric without a rate
 * over all or part of the window, "rate_changes_in_window" when the rates
 * disagree) and e to a message (BF_EXIT_FAILED). */
size_t bf_rates_window(const struct bf_rates *rc, const char *metric,
    size_t mlen, bf_time from, bf_time to, size_t *first, const char **code,
    struct bf_err *e);

#endif
