/*
 * tenants.h: the tenant map (bf-aggregate(1), "TENANT MAP"): who owns an
 * instance when.
 *
 * A tenant map is a CSV file with the header
 *
 *   instance_id,tenant,cost_center,effective_from,effective_to
 *
 * One row says that tenant (with cost_center, which may be empty) owns the
 * instance over [effective_from, effective_to); empty dates are open. Two
 * rows of one instance must not overlap. Time in which an instance has no
 * owner, and every instance when there is no map, belongs to the tenant
 * BF_UNALLOCATED with an empty cost center, so that no cost is ever dropped;
 * a map may not name that tenant itself.
 */
#ifndef BF_TENANTS_H
#define BF_TENANTS_H

#include <stddef.h>

#include "err.h"
#include "rates.h"
#include "timeutil.h"

#define BF_UNALLOCATED "unallocated"

struct bf_owner {
	struct bf_eff eff;  /* key: the instance_id */
	char *tenant;       /* owned */
	char *cost_center;  /* owned; "" when none */
};

struct bf_tenants {
	struct bf_owner *o;  /* owned; n rows sorted by instance, then from */
	size_t n, cap;
};

/* Loads the tenant map at path into t (initialised by this call; free it
 * with bf_tenants_free, also after an error). Returns 0, or -1 with e set
 * (BF_EXIT_USAGE) naming the file and line. */
int bf_tenants_load(struct bf_tenants *t, const char *path,
    struct bf_err *e);
void bf_tenants_free(struct bf_tenants *t);

/* One owner's part of a window. tenant and cost_center are borrowed from the
 * map (or are static strings for BF_UNALLOCATED). */
struct bf_share {
	const char *tenant;
	const char *cost_center;
	bf_time from, to;   /* the part of the window, [from, to) */
};

/* Splits the window [from, to) of instance[0..ilen) between its owners, in
 * time order: the time no row covers goes to BF_UNALLOCATED, and adjacent
 * parts of the same tenant and cost center are merged. t may be NULL (no
 * map: one unallocated share). The shares are stored in *sh (grown with
 * bf_xrealloc, *cap its allocated count; the caller frees it) and their
 * count, at least 1, is returned. */
size_t bf_tenants_split(const struct bf_tenants *t, const char *instance,
    size_t ilen, bf_time from, bf_time to, struct bf_share **sh,
    size_t *cap);

#endif
