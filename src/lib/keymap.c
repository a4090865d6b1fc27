/*
 * keymap.c: byte strings to dense indexes (keymap.h); open addressing with
 * linear probing, FNV-1a 64 hashes, at most half full.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "keymap.h"

static long
find(const struct bf_keymap *m, const void *key, size_t len, uint64_t h,
    size_t *slot)
{
	size_t mask = m->tabcap - 1, i = (size_t)h & mask;

	for (; m->tab[i] != 0; i = (i + 1) & mask) {
		const struct bf_keymap_ent *x = &m->v[m->tab[i] - 1];

		if (x->hash == h && x->len == len &&
		    (len == 0 || memcmp(x->key, key, len) == 0))
			return (long)(m->tab[i] - 1);
	}
	*slot = i;
	return -1;
}

long
bf_keymap_get(const struct bf_keymap *m, const void *key, size_t len)
{
	size_t slot;

	if (m->tabcap == 0)
		return -1;
	return find(m, key, len, bf_fnv1a64(key, len), &slot);
}

static void
grow(struct bf_keymap *m)
{
	size_t cap = m->tabcap ? 2 * m->tabcap : 64, mask = cap - 1, i, j;

	free(m->tab);
	m->tab = bf_xcalloc(cap, sizeof(*m->tab));
	m->tabcap = cap;
	for (i = 0; i < m->n; i++) {
		for (j = (size_t)m->v[i].hash & mask; m->tab[j] != 0;
		    j = (j + 1) & mask)
			;
		m->tab[j] = i + 1;
	}
}

size_t
bf_keymap_put(struct bf_keymap *m, const void *key, size_t len, int *added)
{
	uint64_t h = bf_fnv1a64(key, len);
	size_t slot;
	long i;

	if (2 * (m->n + 1) > m->tabcap)
		grow(m);
	if ((i = find(m, key, len, h, &slot)) != -1) {
		if (added != NULL)
			*added = 0;
		return (size_t)i;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->v = bf_xrealloc(m->v, m->cap * sizeof(*m->v));
	}
	m->v[m->n].key = bf_rowset_strn(&m->mem, key, len);
	m->v[m->n].len = len;
	m->v[m->n].hash = h;
	m->tab[slot] = ++m->n;
	if (added != NULL)
		*added = 1;
	return m->n - 1;
}

void
bf_keymap_free(struct bf_keymap *m)
{
	free(m->v);
	free(m->tab);
	bf_rowset_free(&m->mem);
	memset(m, 0, sizeof(*m));
}

int
bf_keymap_entcmp(const struct bf_keymap_ent *a, const struct bf_keymap_ent *b)
{
	int c = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);

	return c != 0 ? c : (a->len > b->len) - (a->len < b->len);
}

static int
cmp_entp(const void *a, const void *b)
{
	return bf_keymap_entcmp(*(const struct bf_keymap_ent *const *)a,
	    *(const struct bf_keymap_ent *const *)b);
}

size_t *
bf_keymap_sorted(const struct bf_keymap *m)
{
	const struct bf_keymap_ent **p = bf_xcalloc(m->n + 1, sizeof(*p));
	size_t *o = bf_xcalloc(m->n + 1, sizeof(*o)), i;

	for (i = 0; i < m->n; i++)
		p[i] = &m->v[i];
	if (m->n > 1)
		qsort(p, m->n, sizeof(*p), cmp_entp);
	for (i = 0; i < m->n; i++)
		o[i] = (size_t)(p[i] - m->v);
	free(p);
	return o;
}
