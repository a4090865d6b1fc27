/*
 * keymap.h: a hash map from byte strings to dense indexes 0, 1, 2, ...
 * (bf-ledger's groupings: windows, ledger keys, report groups; the file
 * source's strings and series). The values live in the caller's arrays,
 * indexed by what bf_keymap_put returns, so that one map serves any value
 * type. It is htab.h's table over an array of entries.
 *
 * Ownership: the map copies every key into chunks it owns (key pointers
 * stay valid until bf_keymap_free). Keys may hold any bytes, NUL included.
 */
#ifndef BF_KEYMAP_H
#define BF_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

#include "htab.h"
#include "warehouse.h"

/* An entry: h is what the table holds; key and len are the same fields
 * under the names readers use (a union of two structs with a common
 * initial sequence, C11 6.5.2.3). */
struct bf_keymap_ent {
	union {
		struct bf_hent h;
		struct {
			uint64_t hash;
			char *key;  /* a copy, NUL-terminated after len bytes;
			               not to be written */
			size_t len;
		};
	};
};

struct bf_keymap {
	struct bf_keymap_ent *v; /* n used of cap, in insertion order */
	size_t n, cap;
	struct bf_htab tab;      /* of &v[i]; filled again when v moves */
	struct bf_rowset mem;    /* holds the key copies */
};
#define BF_KEYMAP_INIT { NULL, 0, 0, BF_HTAB_INIT, BF_ROWSET_INIT }

/* The index of key[0..len), or -1 when absent. */
long bf_keymap_get(const struct bf_keymap *m, const void *key, size_t len);
/* The index of key[0..len), added (as index n - 1) when absent; *added
 * (if not NULL) says which. */
size_t bf_keymap_put(struct bf_keymap *m, const void *key, size_t len,
    int *added);
void bf_keymap_free(struct bf_keymap *m);

/* Compares two keys bytewise (memcmp; a key that is a prefix of the other
 * first): <0, 0 or >0. */
int bf_keymap_entcmp(const struct bf_keymap_ent *a,
    const struct bf_keymap_ent *b);
/* The indexes of m's keys in bf_keymap_entcmp order: an array of m->n + 1
 * (never NULL), the caller frees it. */
size_t *bf_keymap_sorted(const struct bf_keymap *m);

#endif
