/*
 * tenants.c: the tenant map (see tenants.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "table.h"
#include "tenants.h"

enum { F_INSTANCE, F_TENANT, F_COST_CENTER, F_FROM, F_TO, F_NCOLS };

static const char *const header[F_NCOLS] = {
	"instance_id", "tenant", "cost_center", "effective_from",
	"effective_to",
};

static int
owner_row(void *ctx, char **f, size_t nf, long line, struct bf_err *e)
{
	struct bf_tenants *t = ctx;
	struct bf_owner o = { 0 };

	if (*f[F_INSTANCE] == '\0')
		return bf_err_set(e, BF_EXIT_USAGE, "empty instance_id");
	if (*f[F_TENANT] == '\0')
		return bf_err_set(e, BF_EXIT_USAGE, "empty tenant");
	if (strcmp(f[F_TENANT], BF_UNALLOCATED) == 0)
		return bf_err_set(e, BF_EXIT_USAGE,
		    "tenant '%s' is reserved for time without an owner",
		    BF_UNALLOCATED);
	if (bf_eff_set(&o.eff, f[F_INSTANCE], f[F_FROM], f[F_TO], line, e) ==
	    -1)
		return -1;
	o.tenant = bf_xstrdup(f[F_TENANT]);
	o.cost_center = bf_xstrdup(f[F_COST_CENTER]);
	t->o = bf_grow(t->o, &t->cap, t->n, sizeof(*t->o), 16);
	t->o[t->n++] = o;
	return 0;
}

int
bf_tenants_load(struct bf_tenants *t, const char *path, struct bf_err *e)
{
	*t = (struct bf_tenants){ 0 };
	if (bf_table_read(path, header, F_NCOLS, owner_row, t, e) == -1)
		return -1;
	return bf_eff_sort(t->o, t->n, sizeof(*t->o), path, "owner of instance",
	    e);
}

void
bf_tenants_free(struct bf_tenants *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		BF_EACH(free, void, t->o[i].eff.key, t->o[i].tenant,
		    t->o[i].cost_center);
	free(t->o);
	memset(t, 0, sizeof(*t));
}

static void
add_share(struct bf_share **sh, size_t *cap, size_t *n, const char *tenant,
    const char *cc, bf_time from, bf_time to)
{
	struct bf_share *p;

	if (from >= to)
		return;
	if (*n > 0) {
		p = &(*sh)[*n - 1];
		if (p->to == from && strcmp(p->tenant, tenant) == 0 &&
		    strcmp(p->cost_center, cc) == 0) {
			p->to = to;
			return;
		}
	}
	*sh = bf_grow(*sh, cap, *n, sizeof(**sh), 4);
	p = &(*sh)[(*n)++];
	p->tenant = tenant;
	p->cost_center = cc;
	p->from = from;
	p->to = to;
}

size_t
bf_tenants_split(const struct bf_tenants *t, const char *instance,
    size_t ilen, bf_time from, bf_time to, struct bf_share **sh, size_t *cap)
{
	size_t n = 0, k = 0, first = 0, i;
	bf_time at = from;

	if (t)
		k = bf_eff_find(t->o, t->n, sizeof(*t->o), instance, ilen, from,
		    to, &first, NULL);
	for (i = first; i < first + k; i++) {
		const struct bf_owner *o = &t->o[i];
		bf_time a = o->eff.from > from ? o->eff.from : from;
		bf_time b = o->eff.to < to ? o->eff.to : to;

		add_share(sh, cap, &n, BF_UNALLOCATED, "", at, a);
		add_share(sh, cap, &n, o->tenant, o->cost_center, a, b);
		at = b;
	}
	add_share(sh, cap, &n, BF_UNALLOCATED, "", at, to);
	return n;
}
