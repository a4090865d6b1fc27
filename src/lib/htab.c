/*
 * htab.c: an intrusive hash table (htab.h): linear probing, at most half
 * full, removal by backward shift.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "htab.h"

struct bytes {
	const void *key;
	size_t len;
};

static int
bytes_eq(const struct bf_hent *e, const void *arg)
{
	const struct bytes *b = arg;

	return e->klen == b->len && (b->len == 0 ||
	    memcmp(e->key, b->key, b->len) == 0);
}

/* The one probe loop; inlined into both finds, so that bf_htab_find calls
 * bytes_eq directly. */
static inline __attribute__((always_inline)) struct bf_hent *
probe(const struct bf_htab *h, uint64_t hash,
    int (*eq)(const struct bf_hent *, const void *), const void *arg)
{
	size_t mask = h->cap - 1, i;
	struct bf_hent *e;

	if (h->cap == 0)
		return NULL;
	for (i = (size_t)hash & mask; (e = h->slot[i]) != NULL;
	    i = (i + 1) & mask)
		if (e->hash == hash && eq(e, arg))
			return e;
	return NULL;
}

struct bf_hent *
bf_htab_find(const struct bf_htab *h, uint64_t hash, const void *key,
    size_t len)
{
	struct bytes b = { key, len };

	return probe(h, hash, bytes_eq, &b);
}

struct bf_hent *
bf_htab_find_by(const struct bf_htab *h, uint64_t hash,
    int (*eq)(const struct bf_hent *e, const void *arg), const void *arg)
{
	return probe(h, hash, eq, arg);
}

/* Puts e in the first free slot of its probe run. */
static void
put(struct bf_htab *h, struct bf_hent *e)
{
	size_t mask = h->cap - 1, i;

	for (i = (size_t)e->hash & mask; h->slot[i] != NULL;
	    i = (i + 1) & mask)
		;
	h->slot[i] = e;
}

void
bf_htab_insert(struct bf_htab *h, struct bf_hent *e)
{
	if (2 * (h->n + 1) > h->cap) {
		struct bf_hent **old = h->slot;
		size_t i, ocap = h->cap;

		h->cap = ocap ? 2 * ocap : 16;
		h->slot = bf_xcalloc(h->cap, sizeof(*h->slot));
		for (i = 0; i < ocap; i++)
			if (old[i] != NULL)
				put(h, old[i]);
		free(old);
	}
	put(h, e);
	h->n++;
}

void
bf_htab_remove(struct bf_htab *h, struct bf_hent *e)
{
	size_t mask = h->cap - 1, i, j, k;

	for (i = (size_t)e->hash & mask; h->slot[i] != e; i = (i + 1) & mask)
		;
	h->slot[i] = NULL;
	for (j = (i + 1) & mask; h->slot[j] != NULL; j = (j + 1) & mask) {
		k = (size_t)h->slot[j]->hash & mask;
		/* Move slot j to the hole i unless its home k is in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		h->slot[i] = h->slot[j];
		h->slot[j] = NULL;
		i = j;
	}
	h->n--;
}

struct bf_hent *
bf_htab_next(const struct bf_htab *h, size_t *i)
{
	while (*i < h->cap)
		if (h->slot[(*i)++] != NULL)
			return h->slot[*i - 1];
	return NULL;
}

void
bf_htab_clear(struct bf_htab *h)
{
	if (h->cap != 0)
		memset(h->slot, 0, h->cap * sizeof(*h->slot));
	h->n = 0;
}

void
bf_htab_refill(struct bf_htab *h, void *v, size_t n, size_t size)
{
	char *p = v;
	size_t i;

	bf_htab_clear(h);
	for (i = 0; i < n; i++)
		bf_htab_insert(h, (struct bf_hent *)(void *)(p + i * size));
}

void
bf_htab_free(struct bf_htab *h)
{
	free(h->slot);
	h->slot = NULL;
	h->cap = h->n = 0;
}
