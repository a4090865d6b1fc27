/*
 * keymap.c: byte strings to dense indexes (keymap.h), on htab.h's table
 * with FNV-1a 64 hashes.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "keymap.h"

/* The index of the entry e of m. */
static size_t
index_of(const struct bf_keymap *m, const struct bf_hent *e)
{
	return (size_t)((const struct bf_keymap_ent *)e - m->v);
}

long
bf_keymap_get(const struct bf_keymap *m, const void *key, size_t len)
{
	const struct bf_hent *e;

	e = bf_htab_find(&m->tab, bf_fnv1a64(key, len), key, len);
	return e != NULL ? (long)index_of(m, e) : -1;
}

size_t
bf_keymap_put(struct bf_keymap *m, const void *key, size_t len, int *added)
{
	uint64_t h = bf_fnv1a64(key, len);
	const struct bf_hent *e = bf_htab_find(&m->tab, h, key, len);
	struct bf_keymap_ent *x;

	if (added != NULL)
		*added = e == NULL;
	if (e != NULL)
		return index_of(m, e);
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->v = bf_xrealloc(m->v, m->cap * sizeof(*m->v));
		bf_htab_refill(&m->tab, m->v, m->n, sizeof(*m->v));
	}
	x = &m->v[m->n];
	x->h.key = (char *)bf_rowset_strn(&m->mem, key, len);
	x->h.klen = len;
	x->h.hash = h;
	bf_htab_insert(&m->tab, &x->h);
	return m->n++;
}

void
bf_keymap_free(struct bf_keymap *m)
{
	free(m->v);
	bf_htab_free(&m->tab);
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
