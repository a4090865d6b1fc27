/*
 * contract.c: what loading and checking the data contract (see contract.h
 * and contract-internal.h) both need: the name tables of object schemas,
 * token and message helpers, and freeing a contract.
 *
 * The contract document stays in memory, parsed once (struct bf_json); the
 * compiled schema nodes point into it for enum and const values. Instances
 * are checked directly on their tokens: nothing is copied or re-serialised
 * except strings with escapes, which are unescaped when a keyword needs
 * their value.
 */

#include <stdlib.h>
#include <string.h>

#include "contract-internal.h"

/* Appends s[0..n), cut to at most max bytes on a character boundary, with
 * "..." when cut. */
void
bf_ct_put_trunc(struct bf_buf *b, const char *s, size_t n, size_t max)
{
	size_t k = n;

	if (n > max) {
		k = max;
		while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
	}
	bf_buf_add(b, s, k);
	if (k < n)
		bf_buf_puts(b, "...");
}

/* Appends a JSON pointer segment (with ~0 and ~1). */
void
bf_ct_put_ptr_seg(struct bf_buf *b, const char *s, size_t n)
{
	size_t i;

	bf_buf_putc(b, '/');
	for (i = 0; i < n; i++) {
		if (s[i] == '~')
			bf_buf_puts(b, "~0");
		else if (s[i] == '/')
			bf_buf_puts(b, "~1");
		else
			bf_buf_putc(b, s[i]);
	}
}

int
bf_ct_tok_str(const struct bf_json *j, int t, struct bf_buf *b)
{
	bf_buf_reset(b);
	if (j->tok[t].type != BF_JSON_STRING)
		return -1;
	if (!j->tok[t].esc) {
		bf_buf_add(b, j->s + j->tok[t].start + 1,
		    (size_t)(j->tok[t].end - j->tok[t].start - 2));
		if (b->s == NULL)
			bf_buf_puts(b, "");
		return 0;
	}
	if (bf_json_str(j, t, b) < 0)
		return -1;
	if (b->s == NULL)
		bf_buf_puts(b, "");
	return 0;
}

/* Adds name s[0..n) to the node's table (once); returns its entry. */
static int
name_add(struct snode *sn, const char *s, size_t n)
{
	size_t h, mask = (size_t)sn->nslot - 1;
	int i;

	if ((i = name_find(sn, s, n)) >= 0)
		return i;
	sn->names[sn->nnames].s = s;
	sn->names[sn->nnames].len = n;
	sn->names[sn->nnames].prop = -1;
	h = name_hash(s, n) & mask;
	while (sn->slots[h] >= 0)
		h = (h + 1) & mask;
	sn->slots[h] = sn->nnames;
	return sn->nnames++;
}

/* Which C_* checks node sn has. */
unsigned
bf_ct_node_checks(const struct snode *sn)
{
	unsigned m = 0;

	if (sn->has_enum)
		m |= C_ENUM;
	if (sn->consttok >= 0)
		m |= C_CONST;
	if (sn->numflags)
		m |= C_NUM;
	if (sn->minlen >= 0 || sn->maxlen >= 0 || sn->pattern ||
	    sn->format == FMT_DATE_TIME || sn->format == FMT_DATE)
		m |= C_STR;
	if (sn->nprops || sn->npprops || sn->addl || sn->propnames ||
	    sn->nreq || sn->ndepreq || sn->ndepsch || sn->minprops >= 0 ||
	    sn->maxprops >= 0)
		m |= C_OBJ;
	if (sn->minitems >= 0 || sn->maxitems >= 0 || sn->nprefix ||
	    sn->items || sn->contains || sn->unique)
		m |= C_ARR;
	if (sn->nallof || sn->nanyof || sn->noneof || sn->not || sn->if_)
		m |= C_APPL;
	return m;
}

void
bf_ct_build_names(struct snode *sn)
{
	int i, m, max = sn->nprops + sn->nreq + sn->ndepsch;

	for (i = 0; i < sn->ndepreq; i++)
		max += 1 + sn->depreq[i].n;
	if (max == 0)
		return;
	sn->nslot = 8;
	while (sn->nslot < 2 * max)
		sn->nslot *= 2;
	sn->slots = bf_xmalloc(sizeof(int) * (size_t)sn->nslot);
	for (i = 0; i < sn->nslot; i++)
		sn->slots[i] = -1;
	sn->names = bf_xcalloc((size_t)max, sizeof(*sn->names));
	for (i = 0; i < sn->nprops; i++)
		sn->names[name_add(sn, sn->props[i].key,
		    sn->props[i].len)].prop = i;
	sn->reqid = bf_xcalloc((size_t)sn->nreq + 1, sizeof(int));
	for (i = 0; i < sn->nreq; i++)
		sn->reqid[i] = name_add(sn, sn->req[i], sn->reqlen[i]);
	for (i = 0; i < sn->ndepreq; i++) {
		struct dep *d = &sn->depreq[i];

		d->keyid = name_add(sn, d->key, d->len);
		d->ids = bf_xcalloc((size_t)d->n + 1, sizeof(int));
		for (m = 0; m < d->n; m++)
			d->ids[m] = name_add(sn, d->names[m], d->lens[m]);
	}
	for (i = 0; i < sn->ndepsch; i++)
		sn->depsch[i].keyid = name_add(sn, sn->depsch[i].key,
		    sn->depsch[i].len);
}

static void
free_re(struct re *re)
{
	if (re->ok)
		regfree(&re->re);
	free(re->src);
	free(re->cache);
}

static void
num_free(struct num *n)
{
	free((char *)n->d);
}

static void
bf_ct_free_node(struct snode *s)
{
	int i;

	for (i = 0; i < s->nprops; i++)
		free(s->props[i].key);
	for (i = 0; i < s->npprops; i++)
		free_re(&s->pprops[i].re);
	bf_strv_free(s->req, (size_t)s->nreq);
	for (i = 0; i < s->ndepreq; i++) {
		struct dep *d = &s->depreq[i];

		bf_strv_free(d->names, (size_t)d->n);
		BF_EACH(free, void, d->key, d->lens, d->ids);
	}
	for (i = 0; i < s->ndepsch; i++)
		free(s->depsch[i].key);
	BF_EACH(num_free, struct num, &s->min, &s->max, &s->xmin, &s->xmax,
	    &s->mult);
	if (s->pattern)
		free_re(s->pattern);
	BF_EACH(free, void, s->loc, s->props, s->pprops, s->reqlen, s->depreq,
	    s->depsch, s->memo, s->names, s->slots, s->reqid, s->enumtok,
	    s->pattern, s->prefix, s->allof, s->anyof, s->oneof, s);
}

void
bf_contract_free(struct bf_contract *c)
{
	int i, u;

	if (c == NULL)
		return;
	for (i = 0; i < c->nall; i++)
		bf_ct_free_node(c->all[i]);
	for (i = 0; i < c->nres; i++)
		free(c->res[i].uri);
	for (i = 0; i < c->nanchors; i++)
		BF_EACH(free, void, c->anchors[i].uri, c->anchors[i].name);
	for (i = 0; i < c->nrefs; i++)
		free(c->refs[i].uri);
	for (i = 0; i < c->nmetrics; i++) {
		struct bf_metric_rule *m = &c->metrics[i];

		for (u = 0; u < m->nunits; u++)
			free(m->units[u].name);
		BF_EACH(free, void, m->name, m->unit, m->loc, m->units);
	}
	if (c->utf8 != (locale_t)0)
		freelocale(c->utf8);
	bf_json_free(&c->doc);
	BF_EACH(bf_buf_free, struct bf_buf, &c->sn1, &c->sn2, &c->ss, &c->st,
	    &c->sm, &c->sm2, &c->se1, &c->se2);
	BF_EACH(free, void, c->all, c->node_at, c->res, c->anchors, c->refs,
	    c->metrics, c->mhash, c->text, c->name, c);
}

