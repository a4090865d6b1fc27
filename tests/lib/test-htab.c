/*
 * test-htab.c: unit tests for htab.c, against keys and expectations
 * computed here: thousands of keys holding NUL bytes, keys that share a
 * hash, removal in the middle of a probe run (wrapping around the end of
 * the slots), growth over several doublings, iteration, find_by; and
 * keymap.h, the table's dense-index face. Run it under ASan (make
 * SANITIZE=1) for leaks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "htab.h"
#include "keymap.h"
#include "tap.h"

struct ent {
	struct bf_hent h;
	int id;
	int seen;
	char k[24];
};

/* Key i: "k", NUL, then i in decimal, so that every key holds a NUL and
 * strcmp would take them all for "k". */
static void
make(struct ent *e, int i, uint64_t (*hash)(const void *, size_t))
{
	int n = snprintf(e->k + 2, sizeof(e->k) - 2, "%d", i);

	e->k[0] = 'k';
	e->k[1] = '\0';
	e->h.key = e->k;
	e->h.klen = (size_t)n + 2;
	e->h.hash = hash(e->k, e->h.klen);
	e->id = i;
}

static uint64_t
fnv(const void *p, size_t n)
{
	return bf_fnv1a64(p, n);
}

/* A poor hash: 61 homes for all keys, for long probe runs. */
static uint64_t
poor(const void *p, size_t n)
{
	return bf_fnv1a64(p, n) % 61;
}

static struct ent *
find(const struct bf_htab *h, struct ent *probe)
{
	return (struct ent *)bf_htab_find(h, probe->h.hash, probe->h.key,
	    probe->h.klen);
}

/* 1 when every entry of v whose present[i] is set is found as itself and
 * no other is found. */
static int
all_found(const struct bf_htab *h, struct ent *v, const char *present,
    int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (find(h, &v[i]) != (present[i] ? &v[i] : NULL))
			return 0;
	return 1;
}

/* 1 when no entry has a free slot between its home and its slot (the
 * invariant that removal by backward shift keeps). */
static int
runs_whole(const struct bf_htab *h)
{
	size_t i, j, mask = h->cap - 1, n = 0;

	for (i = 0; i < h->cap; i++) {
		if (h->slot[i] == NULL)
			continue;
		n++;
		for (j = (size_t)h->slot[i]->hash & mask; j != i;
		    j = (j + 1) & mask)
			if (h->slot[j] == NULL)
				return 0;
	}
	return n == h->n;
}

static void
many(uint64_t (*hash)(const void *, size_t), const char *name, int n)
{
	struct bf_htab h = BF_HTAB_INIT;
	struct ent *v = bf_xcalloc((size_t)n * 2, sizeof(*v));
	char *present = bf_xcalloc((size_t)n * 2, 1);
	size_t caps[32], ncaps = 0, it = 0;
	struct bf_hent *e;
	int i, ok_ = 1, visited = 0, dup = 0;

	for (i = 0; i < 2 * n; i++)
		make(&v[i], i, hash);
	for (i = 0; i < n; i++) {
		bf_htab_insert(&h, &v[i].h);
		present[i] = 1;
		if (ncaps == 0 || caps[ncaps - 1] != h.cap)
			caps[ncaps++] = h.cap;
		ok_ &= 2 * h.n <= h.cap;
	}
	is_int(h.n, n, "%s: %d keys in", name, n);
	ok(ok_, "%s: never over half full", name);
	for (i = 1; i < (int)ncaps; i++)
		ok_ &= caps[i] == 2 * caps[i - 1];
	ok(ok_ && caps[0] == 16 && ncaps >= 8, "%s: grew by doubling from 16 "
	    "to %zu (%zu sizes)", name, h.cap, ncaps);
	ok(all_found(&h, v, present, 2 * n), "%s: each key found as itself, "
	    "the %d absent ones not", name, n);
	while ((e = bf_htab_next(&h, &it)) != NULL) {
		dup += ((struct ent *)e)->seen++ != 0;
		visited++;
	}
	ok(visited == n && dup == 0, "%s: iteration visits each entry once",
	    name);
	for (i = 0; i < n; i += 3) {
		bf_htab_remove(&h, &v[i].h);
		present[i] = 0;
	}
	is_int(h.n, n - (n + 2) / 3, "%s: a third removed", name);
	ok(all_found(&h, v, present, 2 * n) && runs_whole(&h),
	    "%s: the others still found after removals", name);
	for (i = 0; i < n; i += 3) {
		bf_htab_insert(&h, &v[i].h);
		present[i] = 1;
	}
	ok(all_found(&h, v, present, 2 * n) && runs_whole(&h),
	    "%s: the removed ones found again once put back", name);
	bf_htab_clear(&h);
	ok(h.n == 0 && find(&h, &v[1]) == NULL && h.cap != 0,
	    "%s: clear forgets the entries, keeps the slots", name);
	bf_htab_free(&h);
	ok(h.slot == NULL && h.cap == 0 && find(&h, &v[1]) == NULL,
	    "%s: free leaves an empty table", name);
	free(v);
	free(present);
}

/* Entries that all share a few hashes, their runs wrapping past the last
 * slot; each removed in turn from the middle of its run. */
static void
collisions(void)
{
	struct bf_htab h = BF_HTAB_INIT;
	struct ent v[40];
	char present[40];
	int i, j, ok_ = 1;

	memset(v, 0, sizeof(v));
	for (i = 0; i < 40; i++) {
		make(&v[i], i, fnv);
		/* 127 is the last slot of 128: the runs wrap to slot 0. */
		v[i].h.hash = i % 3 == 0 ? 127 : i % 3 == 1 ? 1 : 128 + 127;
		bf_htab_insert(&h, &v[i].h);
		present[i] = 1;
	}
	is_int(h.cap, 128, "40 entries in 128 slots");
	ok(h.slot[127] != NULL && (h.slot[127]->hash & 127) == 127 &&
	    h.slot[0] != NULL && (h.slot[0]->hash & 127) == 127,
	    "the run of hash 127 fills the last slot and wraps to the first");
	ok(all_found(&h, v, present, 40), "colliding keys each found");
	for (i = 20, j = 0; j < 39; i = (i + 7) % 40, j++) {
		bf_htab_remove(&h, &v[i].h);
		present[i] = 0;
		ok_ &= all_found(&h, v, present, 40) && runs_whole(&h);
	}
	ok(ok_, "removals in the middle of runs leave the others found");
	ok(h.n == 1 && present[(20 + 39 * 7) % 40] &&
	    find(&h, &v[(20 + 39 * 7) % 40]) != NULL, "one left, found");
	bf_htab_free(&h);
}

/* Random inserts and removals against a reference, with the poor hash. */
static void
churn(void)
{
	enum { N = 3000, OPS = 30000 };
	struct bf_htab h = BF_HTAB_INIT;
	struct ent *v = bf_xcalloc(N, sizeof(*v));
	char present[N];
	unsigned long x = 12345;
	int i, k, n = 0, ok_ = 1;

	memset(present, 0, sizeof(present));
	for (i = 0; i < N; i++)
		make(&v[i], i, poor);
	for (i = 0; i < OPS; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		k = (int)((x >> 33) % N);
		if (present[k]) {
			bf_htab_remove(&h, &v[k].h);
			n--;
		} else {
			bf_htab_insert(&h, &v[k].h);
			n++;
		}
		present[k] ^= 1;
		if (i % 1000 == 0)
			ok_ &= all_found(&h, v, present, N) && runs_whole(&h);
	}
	ok(ok_ && (int)h.n == n && all_found(&h, v, present, N),
	    "%d random inserts and removals agree with a reference", OPS);
	bf_htab_free(&h);
	free(v);
}

/* find_by: a key of two fields, (a, b), where the concatenation of
 * their decimal forms is ambiguous ("1","23" and "12","3"). */
struct pair {
	struct bf_hent h;
	const char *a, *b;
};

static int
pair_eq(const struct bf_hent *e, const void *arg)
{
	const struct pair *p = (const struct pair *)e, *q = arg;

	return strcmp(p->a, q->a) == 0 && strcmp(p->b, q->b) == 0;
}

static uint64_t
pair_hash(const char *a, const char *b)
{
	return bf_fnv1a64_more(bf_fnv1a64(a, strlen(a)), b, strlen(b));
}

static void
by_fields(void)
{
	struct bf_htab h = BF_HTAB_INIT;
	struct pair p[3] = { { { 0 }, "1", "23" }, { { 0 }, "12", "3" },
	    { { 0 }, "", "123" } };
	struct pair q = { { 0 }, "12", "3" }, r = { { 0 }, "123", "" };
	int i;

	for (i = 0; i < 3; i++) {
		p[i].h.hash = pair_hash(p[i].a, p[i].b);
		bf_htab_insert(&h, &p[i].h);
	}
	ok(p[0].h.hash == p[1].h.hash && p[1].h.hash == bf_fnv1a64("123", 3),
	    "the pairs share the hash of \"123\" (fnv1a64_more)");
	ok(bf_htab_find_by(&h, q.h.hash = pair_hash(q.a, q.b), pair_eq, &q) ==
	    &p[1].h, "find_by tells (12, 3) from (1, 23) and (, 123)");
	ok(bf_htab_find_by(&h, pair_hash(r.a, r.b), pair_eq, &r) == NULL,
	    "find_by: (123, ) is absent");
	bf_htab_remove(&h, &p[0].h);
	ok(bf_htab_find_by(&h, q.h.hash, pair_eq, &p[0]) == NULL &&
	    bf_htab_find_by(&h, q.h.hash, pair_eq, &p[2]) == &p[2].h,
	    "find_by after a removal");
	bf_htab_free(&h);
}

static void
nul_keys(void)
{
	struct bf_htab h = BF_HTAB_INIT;
	struct ent a, b, c;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	memcpy(a.k, "x\0a", 3);
	memcpy(b.k, "x\0b", 3);
	a.h.key = a.k;
	b.h.key = b.k;
	c.h.key = c.k;
	a.h.klen = b.h.klen = 3;
	c.h.klen = 0;
	a.h.hash = b.h.hash = c.h.hash = 9; /* the same on purpose */
	bf_htab_insert(&h, &a.h);
	bf_htab_insert(&h, &b.h);
	bf_htab_insert(&h, &c.h);
	ok(bf_htab_find(&h, 9, "x\0b", 3) == &b.h &&
	    bf_htab_find(&h, 9, "x\0a", 3) == &a.h,
	    "keys equal up to their NUL told apart");
	ok(bf_htab_find(&h, 9, "x", 1) == NULL &&
	    bf_htab_find(&h, 9, "x\0c", 3) == NULL,
	    "a prefix up to the NUL is not the key");
	ok(bf_htab_find(&h, 9, "", 0) == &c.h, "the empty key");
	ok(bf_htab_find(&h, 10, "x\0a", 3) == NULL, "another hash, not found");
	bf_htab_free(&h);
}

/* Entries in an array that moves: refill puts the new addresses in. */
static void
refill(void)
{
	struct bf_htab h = BF_HTAB_INIT;
	struct ent *v = bf_xcalloc(100, sizeof(*v)), *w;
	char present[200];
	int i;

	memset(present, 0, sizeof(present));
	for (i = 0; i < 100; i++) {
		make(&v[i], i, fnv);
		bf_htab_insert(&h, &v[i].h);
		present[i] = 1;
	}
	w = bf_xcalloc(200, sizeof(*w));
	memcpy(w, v, 100 * sizeof(*v));
	memset(v, 0, 100 * sizeof(*v));
	free(v);
	for (i = 0; i < 200; i++) {
		w[i].h.key = w[i].k; /* the copies point into w now */
		if (i >= 100)
			make(&w[i], i, fnv);
	}
	bf_htab_refill(&h, w, 100, sizeof(*w));
	ok(h.n == 100 && all_found(&h, w, present, 200) && runs_whole(&h),
	    "refill: each entry found at its new address");
	bf_htab_free(&h);
	free(w);
}

/* keymap: indexes in order of first sight, kept while the entry array
 * moves (it doubles from 64: 4000 keys move it six times). */
static void
keymap(void)
{
	struct bf_keymap m = BF_KEYMAP_INIT;
	struct ent k;
	int i, added, ok_ = 1, ok2 = 1;

	memset(&k, 0, sizeof(k));
	for (i = 0; i < 4000; i++) {
		make(&k, i, fnv);
		ok_ &= bf_keymap_put(&m, k.k, k.h.klen, &added) == (size_t)i &&
		    added == 1;
	}
	ok(ok_ && m.n == 4000, "keymap: 4000 keys with NUL, indexes 0 to 3999");
	for (i = 0; i < 4000; i++) {
		make(&k, i, fnv);
		ok_ &= bf_keymap_put(&m, k.k, k.h.klen, &added) == (size_t)i &&
		    added == 0 && bf_keymap_get(&m, k.k, k.h.klen) == i;
		ok2 &= m.v[i].len == k.h.klen && m.v[i].hash == k.h.hash &&
		    memcmp(m.v[i].key, k.k, k.h.klen) == 0 &&
		    m.v[i].key[k.h.klen] == '\0' && m.v[i].key != k.k;
	}
	ok(ok_ && m.n == 4000, "keymap: each found again at its index, not "
	    "added twice");
	ok(ok2, "keymap: v[i] holds a NUL-terminated copy of key i");
	make(&k, 4000, fnv);
	ok(bf_keymap_get(&m, k.k, k.h.klen) == -1 &&
	    bf_keymap_get(&m, "k", 1) == -1, "keymap: absent keys are -1");
	ok(bf_keymap_put(&m, "", 0, NULL) == 4000 &&
	    bf_keymap_get(&m, "", 0) == 4000, "keymap: the empty key");
	bf_keymap_free(&m);
	ok(m.n == 0 && m.v == NULL && bf_keymap_get(&m, "", 0) == -1,
	    "keymap: free leaves an empty map");
}

int
main(void)
{
	many(fnv, "fnv1a64", 5000);
	many(poor, "61 hashes", 1500);
	collisions();
	churn();
	by_fields();
	nul_keys();
	refill();
	keymap();
	return done_testing();
}
