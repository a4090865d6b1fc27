/*
 * contract-compile.c: loading the data contract: the document compiled into
 * schema nodes, $ref resolved, x-bf-metrics compiled (see
 * contract-internal.h).
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <locale.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contract-internal.h"
#include "ecma-regex.h"
#include "hash.h"
#include "timeutil.h"
#include "units.h"
#include "uri.h"

struct comp {
	struct bf_contract *c;
	const struct bf_json *j;
	struct bf_err *e;
	struct bf_buf key;  /* scratch: the current key, unescaped */
};

static long
line_of(const struct bf_contract *c, int tok)
{
	long line = 1;
	int i, end = tok >= 0 ? c->doc.tok[tok].start : 0;

	for (i = 0; i < end; i++)
		if (c->text[i] == '\n')
			line++;
	return line;
}

static int
cerr(struct comp *k, int tok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
cerr(struct comp *k, int tok, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bf_err_set(k->e, BF_EXIT_USAGE, "%s:%ld: %s", k->c->name,
	    line_of(k->c, tok), msg);
}

static char *
loc_join(const char *loc, const char *seg, size_t n)
{
	struct bf_buf b = BF_BUF_INIT;

	bf_buf_puts(&b, loc);
	bf_ct_put_ptr_seg(&b, seg, n);
	return bf_buf_detach(&b);
}

static char *
loc_idx(const char *loc, const char *kw, int idx)
{
	struct bf_buf b = BF_BUF_INIT;

	bf_buf_printf(&b, "%s/%s/%d", loc, kw, idx);
	return bf_buf_detach(&b);
}
static char *
tok_strdup(const struct bf_json *j, int t, size_t *len)
{
	struct bf_buf b = BF_BUF_INIT;

	bf_ct_tok_str(j, t, &b);
	if (len)
		*len = b.len;
	if (b.s == NULL)
		return bf_xstrdup("");
	return bf_buf_detach(&b);
}

static struct snode *
new_node(struct bf_contract *c, int tok, char *loc)
{
	struct snode *s = bf_xcalloc(1, sizeof(*s));

	s->tok = tok;
	s->boolval = -1;
	s->loc = loc;
	s->consttok = -1;
	s->minprops = s->maxprops = -1;
	s->minlen = s->maxlen = -1;
	s->minitems = s->maxitems = -1;
	s->mincontains = -1;
	s->maxcontains = -1;
	if (c->nall == c->capall) {
		c->capall = c->capall ? c->capall * 2 : 64;
		c->all = bf_xrealloc(c->all, sizeof(*c->all) *
		    (size_t)c->capall);
	}
	c->all[c->nall++] = s;
	if (tok >= 0)
		c->node_at[tok] = s;
	return s;
}

static struct snode *compile(struct comp *k, int tok, char *loc,
    const char *base);

/* A non-negative integer keyword value. */
static int
get_count(struct comp *k, int v, const char *kw, long *out)
{
	struct bf_buf b = BF_BUF_INIT;
	struct num x;
	size_t n;
	const char *raw;
	long val = 0;
	size_t i;
	int rc = -1;

	if (k->j->tok[v].type == BF_JSON_NUMBER) {
		raw = bf_json_raw(k->j, v, &n);
		if (bf_ct_num_parse(raw, n, &b, &x) == 0 &&
		    bf_ct_num_is_int(&x) && !x.neg) {
			rc = 0;
			if (x.e > 18)
				val = LONG_MAX;
			else {
				for (i = 0; i < (size_t)x.e; i++)
					val = val * 10 +
					    (i < x.nd ? x.d[i] - '0' : 0);
			}
		}
	}
	bf_buf_free(&b);
	if (rc < 0)
		return cerr(k, v, "'%s' must be a non-negative integer", kw);
	*out = val;
	return 0;
}

static int
get_num(struct comp *k, int v, const char *kw, struct num *out)
{
	struct bf_buf b = BF_BUF_INIT;
	const char *raw;
	size_t n;

	if (k->j->tok[v].type != BF_JSON_NUMBER)
		return cerr(k, v, "'%s' must be a number", kw);
	raw = bf_json_raw(k->j, v, &n);
	if (bf_ct_num_parse(raw, n, &b, out) < 0) {
		bf_buf_free(&b);
		return cerr(k, v, "'%s' must be a number", kw);
	}
	/* The digits move into memory of their own. */
	out->d = out->nd ? bf_xstrndup(out->d, out->nd) : NULL;
	bf_buf_free(&b);
	return 0;
}

static int
compile_re(struct comp *k, int tok, const char *src, size_t n, struct re *re)
{
	struct bf_buf ere = BF_BUF_INIT;
	const char *why;
	locale_t old;
	char msg[256];
	int rc;

	re->src = bf_xstrndup(src, n);
	if (memchr(src, '\0', n) != NULL)
		return cerr(k, tok, "regular expression '%s': NUL character",
		    re->src);
	if (bf_regex_translate(src, n, &ere, &why) < 0) {
		bf_buf_free(&ere);
		return cerr(k, tok, "regular expression '%s': "
		    "unsupported ECMA-262 feature: %s", re->src, why);
	}
	if (k->c->utf8 == (locale_t)0) {
		bf_buf_free(&ere);
		return cerr(k, tok, "regular expression '%s': no UTF-8 locale "
		    "(C.UTF-8) to match in", re->src);
	}
	old = uselocale(k->c->utf8);
	rc = regcomp(&re->re, bf_buf_str(&ere), REG_EXTENDED | REG_NOSUB);
	uselocale(old);
	bf_buf_free(&ere);
	if (rc != 0) {
		regerror(rc, &re->re, msg, sizeof(msg));
		return cerr(k, tok, "regular expression '%s': %s", re->src,
		    msg);
	}
	re->ok = 1;
	return 0;
}

static int
schema_array(struct comp *k, int v, const char *kw, struct snode *s,
    const char *base, struct snode ***out, int *nout)
{
	const struct bf_json *j = k->j;
	int t, i, n;

	if (j->tok[v].type != BF_JSON_ARRAY || j->tok[v].size == 0)
		return cerr(k, v, "'%s' must be a non-empty array of schemas",
		    kw);
	n = j->tok[v].size;
	*out = bf_xcalloc((size_t)n, sizeof(**out));
	*nout = n;
	for (i = 0, t = v + 1; i < n; i++, t = bf_json_skip(j, t))
		if (((*out)[i] = compile(k, t, loc_idx(s->loc, kw, i),
		    base)) == NULL)
			return -1;
	return 0;
}

static int
string_list(struct comp *k, int v, const char *kw, char ***names,
    size_t **lens, int *count)
{
	const struct bf_json *j = k->j;
	int t, i, a, n;

	if (j->tok[v].type != BF_JSON_ARRAY)
		return cerr(k, v, "'%s' must be an array of strings", kw);
	n = j->tok[v].size;
	*names = bf_xcalloc((size_t)n + 1, sizeof(**names));
	*lens = bf_xcalloc((size_t)n + 1, sizeof(**lens));
	*count = n;
	for (i = 0, t = v + 1; i < n; i++, t = bf_json_skip(j, t)) {
		if (j->tok[t].type != BF_JSON_STRING)
			return cerr(k, t, "'%s' must be an array of strings",
			    kw);
		(*names)[i] = tok_strdup(j, t, &(*lens)[i]);
		for (a = 0; a < i; a++)
			if ((*lens)[a] == (*lens)[i] &&
			    memcmp((*names)[a], (*names)[i], (*lens)[i]) == 0)
				return cerr(k, t, "'%s' lists '%s' twice", kw,
				    (*names)[i]);
	}
	return 0;
}

static void
add_ref(struct bf_contract *c, struct snode *s, const char *uri, int tok)
{
	c->refs = bf_xrealloc(c->refs, sizeof(*c->refs) *
	    (size_t)(c->nrefs + 1));
	c->refs[c->nrefs].s = s;
	c->refs[c->nrefs].uri = bf_xstrdup(uri);
	c->refs[c->nrefs].tok = tok;
	c->nrefs++;
}

static int
is_anchor_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	    *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.'))
			return 0;
	return 1;
}

static int compile_metrics(struct comp *k, int v);

/* One keyword of a schema object: its compiler, and where in struct snode
 * it puts what it reads (offsetof; off2 the count of an array, flag a
 * N_* bit). The table below is the whole list of what a contract may
 * say: a keyword not in it is unknown. */
struct kwdef {
	const char *name;
	int (*fn)(struct comp *, struct snode *, const struct kwdef *, int,
	    const char *);
	size_t off, off2;
	unsigned flag;
};

#define FIELD(s, off, type) ((type *)(void *)((char *)(s) + (off)))

static int
kw_type(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	static const char *names[] = { "null", "boolean", "object", "array",
		"number", "string", "integer" };
	const struct bf_json *j = k->j;
	int type = j->tok[v].type, i, m, t;
	int cnt = type == BF_JSON_ARRAY ? j->tok[v].size : 1;
	struct bf_buf b = BF_BUF_INIT;

	if (type != BF_JSON_ARRAY && type != BF_JSON_STRING)
		return cerr(k, v, "'type' must be a string or an array");
	t = type == BF_JSON_ARRAY ? v + 1 : v;
	for (i = 0; i < cnt; i++, t = bf_json_skip(j, t)) {
		for (m = 0; m < 7; m++)
			if (bf_json_streq(j, t, names[m]))
				break;
		if (m == 7) {
			bf_ct_tok_str(j, t, &b);
			cerr(k, t, "unknown type '%s'", bf_buf_str(&b));
			bf_buf_free(&b);
			return -1;
		}
		s->types |= 1u << m;
	}
	if (s->types == 0)
		s->types = 1u << 7; /* an empty list: nothing */
	return 0;
}

/* One member of properties, patternProperties or dependentSchemas: the
 * i-th, named key[0..klen) (owned: taken or freed), compiled into sub. */
static int
put_member(struct comp *k, struct snode *s, const char *kw, int i, int t,
    char *key, size_t klen, struct snode *sub)
{
	if (kw[0] == 'd') {
		s->depsch = bf_xrealloc(s->depsch,
		    sizeof(*s->depsch) * (size_t)(i + 1));
		memset(&s->depsch[i], 0, sizeof(s->depsch[i]));
		s->depsch[i].key = key;
		s->depsch[i].len = klen;
		s->depsch[i].s = sub;
		s->ndepsch = i + 1;
	} else if (kw[0] == 'p' && kw[1] == 'a') {
		s->pprops = bf_xrealloc(s->pprops,
		    sizeof(*s->pprops) * (size_t)(i + 1));
		memset(&s->pprops[i], 0, sizeof(s->pprops[i]));
		s->pprops[i].s = sub;
		s->npprops = i + 1;
		i = compile_re(k, t, key, klen, &s->pprops[i].re);
		free(key);
		return i;
	} else if (kw[0] == 'p') {
		s->props = bf_xrealloc(s->props,
		    sizeof(*s->props) * (size_t)(i + 1));
		s->props[i].key = key;
		s->props[i].len = klen;
		s->props[i].s = sub;
		s->nprops = i + 1;
	} else
		free(key); /* $defs: compiled for $ref, nothing to keep */
	return 0;
}

/* properties, patternProperties, $defs, dependentSchemas: an object of
 * schemas. */
static int
kw_schema_map(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	const struct bf_json *j = k->j;
	int i, t, n;

	if (j->tok[v].type != BF_JSON_OBJECT)
		return cerr(k, v, "'%s' must be an object", d->name);
	n = j->tok[v].size;
	for (i = 0, t = v + 1; i < n; i++, t = bf_json_skip(j, t + 1)) {
		size_t klen;
		char *key = tok_strdup(j, t, &klen);
		char *l1 = loc_join(s->loc, d->name, strlen(d->name));
		char *loc = loc_join(l1, key, klen);
		struct snode *sub;

		free(l1);
		if ((sub = compile(k, t + 1, loc, base)) == NULL) {
			free(key);
			return -1;
		}
		if (put_member(k, s, d->name, i, t, key, klen, sub) < 0)
			return -1;
	}
	return 0;
}

/* One subschema, kept at d->off (contentSchema: only compiled, so that its
 * keywords are checked; it is an annotation). */
static int
kw_sub(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	struct snode *sub = compile(k, v, loc_join(s->loc, d->name,
	    strlen(d->name)), base);

	if (sub == NULL)
		return -1;
	if (d->off != 0)
		*FIELD(s, d->off, struct snode *) = sub;
	return 0;
}

static int
kw_schema_array(struct comp *k, struct snode *s, const struct kwdef *d,
    int v, const char *base)
{
	return schema_array(k, v, d->name, s, base,
	    FIELD(s, d->off, struct snode **), FIELD(s, d->off2, int));
}

static int
kw_required(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	return string_list(k, v, d->name, &s->req, &s->reqlen, &s->nreq);
}

static int
kw_dependent_required(struct comp *k, struct snode *s,
    const struct kwdef *d, int v, const char *base)
{
	const struct bf_json *j = k->j;
	int i, t, n;

	if (j->tok[v].type != BF_JSON_OBJECT)
		return cerr(k, v, "'%s' must be an object", d->name);
	n = j->tok[v].size;
	s->depreq = bf_xcalloc((size_t)n + 1, sizeof(*s->depreq));
	s->ndepreq = n;
	for (i = 0, t = v + 1; i < n; i++, t = bf_json_skip(j, t + 1)) {
		s->depreq[i].key = tok_strdup(j, t, &s->depreq[i].len);
		if (string_list(k, t + 1, d->name, &s->depreq[i].names,
		    &s->depreq[i].lens, &s->depreq[i].n) < 0)
			return -1;
	}
	return 0;
}

static int
kw_count(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	return get_count(k, v, d->name, FIELD(s, d->off, long));
}

static int
kw_unique(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	int type = k->j->tok[v].type;

	if (type != BF_JSON_TRUE && type != BF_JSON_FALSE)
		return cerr(k, v, "'uniqueItems' must be a boolean");
	s->unique = type == BF_JSON_TRUE;
	return 0;
}

static int
kw_enum(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	const struct bf_json *j = k->j;
	int i, t;

	if (j->tok[v].type != BF_JSON_ARRAY)
		return cerr(k, v, "'enum' must be an array");
	s->has_enum = 1;
	s->nenum = j->tok[v].size;
	s->enumtok = bf_xcalloc((size_t)s->nenum + 1, sizeof(int));
	for (i = 0, t = v + 1; i < s->nenum; i++, t = bf_json_skip(j, t))
		s->enumtok[i] = t;
	return 0;
}

static int
kw_const(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	s->consttok = v;
	return 0;
}

/* minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf. */
static int
kw_num(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	struct num *x = FIELD(s, d->off, struct num);

	s->numflags |= d->flag;
	if (get_num(k, v, d->name, x) < 0)
		return -1;
	if (d->flag != N_MULT)
		return 0;
	if (x->nd == 0 || x->neg)
		return cerr(k, v, "'multipleOf' must be above 0");
	if (x->nd > 36)
		return cerr(k, v, "'multipleOf' with more than 36 "
		    "significant digits is not supported");
	return 0;
}

static int
kw_pattern(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	struct bf_buf b = BF_BUF_INIT;
	int rc;

	if (bf_ct_tok_str(k->j, v, &b) < 0)
		return cerr(k, v, "'pattern' must be a string");
	s->pattern = bf_xcalloc(1, sizeof(*s->pattern));
	rc = compile_re(k, v, b.s, b.len, s->pattern);
	bf_buf_free(&b);
	return rc;
}

static int
kw_format(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	struct bf_buf b = BF_BUF_INIT;
	int assert_format = k->c->assert_format;

	if (bf_ct_tok_str(k->j, v, &b) < 0)
		return cerr(k, v, "'format' must be a string");
	if (strcmp(b.s, "date-time") == 0)
		s->format = FMT_DATE_TIME;
	else if (strcmp(b.s, "date") == 0)
		s->format = FMT_DATE;
	else if (assert_format) {
		cerr(k, v, "unsupported format '%s': only 'date-time' and "
		    "'date' are asserted", b.s);
		bf_buf_free(&b);
		return -1;
	}
	bf_buf_free(&b);
	if (!assert_format)
		s->format = FMT_ANNOTATION;
	return 0;
}

static int
kw_ref(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	struct bf_buf b = BF_BUF_INIT, abs = BF_BUF_INIT;

	if (bf_ct_tok_str(k->j, v, &b) < 0)
		return cerr(k, v, "'$ref' must be a string");
	bf_uri_resolve(base, b.s, &abs);
	add_ref(k->c, s, bf_buf_str(&abs), v);
	bf_buf_free(&abs);
	bf_buf_free(&b);
	return 0;
}

static int
kw_anchor(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	struct bf_contract *c = k->c;
	struct bf_buf b = BF_BUF_INIT;

	if (bf_ct_tok_str(k->j, v, &b) < 0 || !is_anchor_name(b.s)) {
		bf_buf_free(&b);
		return cerr(k, v, "'$anchor' must be a plain name");
	}
	c->anchors = bf_xrealloc(c->anchors, sizeof(*c->anchors) *
	    (size_t)(c->nanchors + 1));
	c->anchors[c->nanchors].uri = bf_xstrdup(base);
	c->anchors[c->nanchors].name = bf_buf_detach(&b);
	c->anchors[c->nanchors].tok = s->tok;
	c->nanchors++;
	return 0;
}

/* x-bf-metrics and x-bf-allow-unknown-metrics: bf's own, at the top. */
static int
kw_xbf(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	int type = k->j->tok[v].type;

	if ((k->c->flags & BF_CONTRACT_PLAIN) || s->tok != 0)
		return cerr(k, v, "'%s' belongs at the top of a contract (not "
		    "in --plain mode)", d->name);
	if (d->name[5] == 'm')
		return compile_metrics(k, v);
	if (type != BF_JSON_TRUE && type != BF_JSON_FALSE)
		return cerr(k, v, "'%s' must be a boolean", d->name);
	k->c->allow_unknown = type == BF_JSON_TRUE;
	return 0;
}

/* $schema: another dialect would be read with the wrong meanings. */
#define DIALECT "https://json-schema.org/draft/2020-12/schema"
static int
kw_dialect(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	struct bf_buf b = BF_BUF_INIT;

	if (bf_ct_tok_str(k->j, v, &b) < 0 ||
	    (strcmp(b.s, DIALECT) != 0 && strcmp(b.s, DIALECT "#") != 0)) {
		cerr(k, v, "unsupported $schema '%s': the contract is read as "
		    "JSON Schema draft 2020-12", bf_buf_str(&b));
		bf_buf_free(&b);
		return -1;
	}
	bf_buf_free(&b);
	return 0;
}

/* Accepted, no effect on validation ($id is read by compile). */
static int
kw_annotation(struct comp *k, struct snode *s, const struct kwdef *d, int v,
    const char *base)
{
	return 0;
}

/* Keywords of JSON Schema that bf-validate knows and refuses. */
static int
kw_unsupported(struct comp *k, struct snode *s, const struct kwdef *d,
    int v, const char *base)
{
	return cerr(k, v, "unsupported keyword '%s' at '%s'", d->name,
	    *s->loc ? s->loc : "/");
}

#define SN(f) offsetof(struct snode, f)
/* minX and maxX, the bounds on a count, kept in the fields lo and hi. */
#define COUNTS(x, lo, hi)						\
	{ "min" x, kw_count, SN(lo), 0, 0 },				\
	{ "max" x, kw_count, SN(hi), 0, 0 }
static const struct kwdef keywords[] = {
	{ "type", kw_type, 0, 0, 0 },
	{ "properties", kw_schema_map, 0, 0, 0 },
	{ "patternProperties", kw_schema_map, 0, 0, 0 },
	{ "$defs", kw_schema_map, 0, 0, 0 },
	{ "dependentSchemas", kw_schema_map, 0, 0, 0 },
	{ "additionalProperties", kw_sub, SN(addl), 0, 0 },
	{ "propertyNames", kw_sub, SN(propnames), 0, 0 },
	{ "items", kw_sub, SN(items), 0, 0 },
	{ "contains", kw_sub, SN(contains), 0, 0 },
	{ "not", kw_sub, SN(not), 0, 0 },
	{ "if", kw_sub, SN(if_), 0, 0 },
	{ "then", kw_sub, SN(then_), 0, 0 },
	{ "else", kw_sub, SN(else_), 0, 0 },
	{ "contentSchema", kw_sub, 0, 0, 0 },
	{ "prefixItems", kw_schema_array, SN(prefix), SN(nprefix), 0 },
	{ "allOf", kw_schema_array, SN(allof), SN(nallof), 0 },
	{ "anyOf", kw_schema_array, SN(anyof), SN(nanyof), 0 },
	{ "oneOf", kw_schema_array, SN(oneof), SN(noneof), 0 },
	{ "required", kw_required, 0, 0, 0 },
	{ "dependentRequired", kw_dependent_required, 0, 0, 0 },
	COUNTS("Properties", minprops, maxprops),
	COUNTS("Length", minlen, maxlen),
	COUNTS("Items", minitems, maxitems),
	COUNTS("Contains", mincontains, maxcontains),
	{ "uniqueItems", kw_unique, 0, 0, 0 },
	{ "enum", kw_enum, 0, 0, 0 },
	{ "const", kw_const, 0, 0, 0 },
	{ "minimum", kw_num, SN(min), 0, N_MIN },
	{ "maximum", kw_num, SN(max), 0, N_MAX },
	{ "exclusiveMinimum", kw_num, SN(xmin), 0, N_XMIN },
	{ "exclusiveMaximum", kw_num, SN(xmax), 0, N_XMAX },
	{ "multipleOf", kw_num, SN(mult), 0, N_MULT },
	{ "pattern", kw_pattern, 0, 0, 0 },
	{ "format", kw_format, 0, 0, 0 },
	{ "$ref", kw_ref, 0, 0, 0 },
	{ "$anchor", kw_anchor, 0, 0, 0 },
	{ "x-bf-metrics", kw_xbf, 0, 0, 0 },
	{ "x-bf-allow-unknown-metrics", kw_xbf, 0, 0, 0 },
	{ "$schema", kw_dialect, 0, 0, 0 },
	{ "$comment", kw_annotation, 0, 0, 0 },
	{ "title", kw_annotation, 0, 0, 0 },
	{ "description", kw_annotation, 0, 0, 0 },
	{ "default", kw_annotation, 0, 0, 0 },
	{ "examples", kw_annotation, 0, 0, 0 },
	{ "deprecated", kw_annotation, 0, 0, 0 },
	{ "readOnly", kw_annotation, 0, 0, 0 },
	{ "writeOnly", kw_annotation, 0, 0, 0 },
	{ "contentEncoding", kw_annotation, 0, 0, 0 },
	{ "contentMediaType", kw_annotation, 0, 0, 0 },
	{ "$id", kw_annotation, 0, 0, 0 },
	{ "unevaluatedProperties", kw_unsupported, 0, 0, 0 },
	{ "unevaluatedItems", kw_unsupported, 0, 0, 0 },
	{ "$dynamicRef", kw_unsupported, 0, 0, 0 },
	{ "$dynamicAnchor", kw_unsupported, 0, 0, 0 },
	{ "$vocabulary", kw_unsupported, 0, 0, 0 },
	{ "$recursiveRef", kw_unsupported, 0, 0, 0 },
	{ "$recursiveAnchor", kw_unsupported, 0, 0, 0 },
	{ "dependencies", kw_unsupported, 0, 0, 0 },
	{ "definitions", kw_unsupported, 0, 0, 0 },
	{ "additionalItems", kw_unsupported, 0, 0, 0 },
};
#undef COUNTS
#undef SN

static int
compile_keyword(struct comp *k, struct snode *s, const char *kw, int v,
    const char *base)
{
	size_t i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcmp(kw, keywords[i].name) == 0)
			return keywords[i].fn(k, s, &keywords[i], v, base);
	return cerr(k, v, "unknown keyword '%s' at '%s'", kw,
	    *s->loc ? s->loc : "/");
}

/* Compiles the schema at token tok; takes ownership of loc. */
static struct snode *
compile(struct comp *k, int tok, char *loc, const char *base)
{
	struct bf_contract *c = k->c;
	const struct bf_json *j = k->j;
	struct snode *s;
	struct bf_buf nb = BF_BUF_INIT;
	int i, n, t, type = j->tok[tok].type;

	if (c->node_at[tok] != NULL) {
		free(loc);
		return c->node_at[tok];
	}
	if (type == BF_JSON_TRUE || type == BF_JSON_FALSE) {
		s = new_node(c, tok, loc);
		s->boolval = type == BF_JSON_TRUE;
		return s;
	}
	if (type != BF_JSON_OBJECT) {
		cerr(k, tok, "a schema must be an object or a boolean at '%s'",
		    *loc ? loc : "/");
		free(loc);
		return NULL;
	}
	s = new_node(c, tok, loc);
	n = j->tok[tok].size;
	/* $id first: it sets the base URI of the keywords beside it. */
	if ((t = bf_json_get(j, tok, "$id")) >= 0) {
		struct bf_buf id = BF_BUF_INIT;
		struct bf_uri u;

		if (bf_ct_tok_str(j, t, &id) < 0) {
			cerr(k, t, "'$id' must be a string");
			bf_buf_free(&id);
			return NULL;
		}
		bf_uri_resolve(base, id.s, &nb);
		bf_uri_parse(nb.s, &u);
		if (u.has_frag) {
			if (u.fl != 0) {
				cerr(k, t, "'$id' must not have a fragment");
				bf_buf_free(&id);
				bf_buf_free(&nb);
				return NULL;
			}
			nb.len -= 1;
			nb.s[nb.len] = '\0';
		}
		bf_buf_free(&id);
		c->res = bf_xrealloc(c->res, sizeof(*c->res) *
		    (size_t)(c->nres + 1));
		c->res[c->nres].uri = bf_xstrdup(nb.s);
		c->res[c->nres].tok = tok;
		c->nres++;
		base = c->res[c->nres - 1].uri;
	}
	for (i = 0, t = tok + 1; i < n; i++, t = bf_json_skip(j, t + 1)) {
		if (bf_ct_tok_str(j, t, &k->key) < 0 ||
		    memchr(k->key.s, '\0', k->key.len) != NULL) {
			cerr(k, t, "unknown keyword at '%s'", *loc ? loc : "/");
			bf_buf_free(&nb);
			return NULL;
		}
		{
			char *kw = bf_xstrdup(k->key.s);
			int rc = compile_keyword(k, s, kw, t + 1, base);

			free(kw);
			if (rc < 0) {
				bf_buf_free(&nb);
				return NULL;
			}
		}
	}
	bf_buf_free(&nb);
	return s;
}

/* Percent-decodes a URI fragment. */
static void
pct_decode(const char *s, size_t n, struct bf_buf *out)
{
	size_t i;

	bf_buf_reset(out);
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    bf_hexval((unsigned char)s[i + 1]) >= 0 &&
		    bf_hexval((unsigned char)s[i + 2]) >= 0) {
			bf_buf_putc(out,
			    bf_hexval((unsigned char)s[i + 1]) * 16 +
			    bf_hexval((unsigned char)s[i + 2]));
			i += 2;
		} else
			bf_buf_putc(out, s[i]);
	}
	if (out->s == NULL)
		bf_buf_puts(out, "");
}

/* Walks JSON pointer p from token t; returns the token or -1. */
static int
pointer_walk(const struct bf_json *j, int t, const char *p, size_t n)
{
	struct bf_buf seg = BF_BUF_INIT, key = BF_BUF_INIT;
	size_t i = 0;
	int m, c, found;

	while (i < n && t >= 0) {
		if (p[i] != '/') {
			t = -1;
			break;
		}
		i++;
		bf_buf_reset(&seg);
		while (i < n && p[i] != '/') {
			if (p[i] == '~' && i + 1 < n &&
			    (p[i + 1] == '0' || p[i + 1] == '1')) {
				bf_buf_putc(&seg, p[i + 1] == '0' ? '~' : '/');
				i += 2;
			} else
				bf_buf_putc(&seg, p[i++]);
		}
		if (seg.s == NULL)
			bf_buf_puts(&seg, "");
		found = -1;
		if (j->tok[t].type == BF_JSON_OBJECT) {
			c = t + 1;
			for (m = 0; m < j->tok[t].size; m++) {
				bf_ct_tok_str(j, c, &key);
				if (key.len == seg.len &&
				    memcmp(key.s, seg.s, seg.len) == 0) {
					found = c + 1;
					break;
				}
				c = bf_json_skip(j, c + 1);
			}
		} else if (j->tok[t].type == BF_JSON_ARRAY) {
			char *end;
			long idx = strtol(seg.s, &end, 10);

			if (seg.len > 0 && *end == '\0' && idx >= 0 &&
			    idx < j->tok[t].size &&
			    (seg.s[0] != '0' || seg.len == 1)) {
				c = t + 1;
				while (idx-- > 0)
					c = bf_json_skip(j, c);
				found = c;
			}
		}
		t = found;
	}
	bf_buf_free(&seg);
	bf_buf_free(&key);
	return t;
}

static int
resolve_refs(struct comp *k)
{
	struct bf_contract *c = k->c;
	struct bf_buf frag = BF_BUF_INIT, doc = BF_BUF_INIT;
	int i, r, target;

	for (i = 0; i < c->nrefs; i++) {
		const char *u = c->refs[i].uri, *h = strchr(u, '#');
		size_t dl = h ? (size_t)(h - u) : strlen(u);
		struct snode *node;

		bf_buf_reset(&doc);
		bf_buf_add(&doc, u, dl);
		pct_decode(h ? h + 1 : "", h ? strlen(h + 1) : 0, &frag);
		for (r = 0; r < c->nres; r++)
			if (strcmp(c->res[r].uri, bf_buf_str(&doc)) == 0)
				break;
		if (r == c->nres) {
			cerr(k, c->refs[i].tok, "unsupported $ref '%s': only "
			    "references within the contract are resolved", u);
			goto fail;
		}
		target = -1;
		if (frag.len == 0)
			target = c->res[r].tok;
		else if (frag.s[0] == '/')
			target = pointer_walk(k->j, c->res[r].tok, frag.s,
			    frag.len);
		else {
			int a;

			for (a = 0; a < c->nanchors; a++)
				if (strcmp(c->anchors[a].uri,
				    c->res[r].uri) == 0 &&
				    strcmp(c->anchors[a].name, frag.s) == 0)
					target = c->anchors[a].tok;
		}
		if (target < 0) {
			cerr(k, c->refs[i].tok, "unresolvable $ref '%s'", u);
			goto fail;
		}
		node = c->node_at[target];
		if (node == NULL) {
			struct bf_buf l = BF_BUF_INIT;

			bf_buf_puts(&l, bf_buf_str(&frag));
			node = compile(k, target, bf_buf_detach(&l),
			    c->res[r].uri);
			if (node == NULL)
				goto fail;
		}
		c->refs[i].s->ref = node;
	}
	bf_buf_free(&frag);
	bf_buf_free(&doc);
	return 0;
fail:
	bf_buf_free(&frag);
	bf_buf_free(&doc);
	return -1;
}

/* A loop of keywords that apply to the same value (a $ref to itself, an
 * allOf holding its parent...) would never end: refused at load time. */
static int
loop_check(struct comp *k, struct snode *s)
{
	int i;

	if (s == NULL || s->color == 2)
		return 0;
	if (s->color == 1)
		return cerr(k, s->tok, "schema loop at '%s': a $ref that "
		    "comes back to itself without reaching into the data",
		    *s->loc ? s->loc : "/");
	s->color = 1;
	if (loop_check(k, s->ref) < 0 || loop_check(k, s->not) < 0 ||
	    loop_check(k, s->if_) < 0 || loop_check(k, s->then_) < 0 ||
	    loop_check(k, s->else_) < 0)
		return -1;
	for (i = 0; i < s->nallof; i++)
		if (loop_check(k, s->allof[i]) < 0)
			return -1;
	for (i = 0; i < s->nanyof; i++)
		if (loop_check(k, s->anyof[i]) < 0)
			return -1;
	for (i = 0; i < s->noneof; i++)
		if (loop_check(k, s->oneof[i]) < 0)
			return -1;
	for (i = 0; i < s->ndepsch; i++)
		if (loop_check(k, s->depsch[i].s) < 0)
			return -1;
	s->color = 2;
	return 0;
}

/* ---- x-bf-metrics ----------------------------------------------------- */

static int
get_dec(struct comp *k, int v, const char *what, bf_dec *out)
{
	struct bf_buf b = BF_BUF_INIT;
	const char *raw;
	size_t n;
	int rc;

	if (k->j->tok[v].type == BF_JSON_NUMBER) {
		raw = bf_json_raw(k->j, v, &n);
		rc = bf_dec_parse(raw, n, out);
	} else if (bf_ct_tok_str(k->j, v, &b) == 0) {
		rc = bf_dec_parse(b.s, b.len, out);
	} else
		rc = -1;
	bf_buf_free(&b);
	if (rc != BF_DEC_OK)
		return cerr(k, v, "%s must be an exact decimal number", what);
	return 0;
}

/* A unit factor: an exact decimal string ("1024", "0.125") or an exact
 * fraction of two ("1/1024"), above 0. */
static int
get_factor(struct comp *k, int v, const char *unit, bf_dec *num, bf_dec *den)
{
	struct bf_buf b = BF_BUF_INIT;
	const char *slash;
	int inexact = 0, rc;

	if (bf_ct_tok_str(k->j, v, &b) < 0) {
		bf_buf_free(&b);
		return cerr(k, v, "the factor of unit '%s' must be a string "
		    "such as \"1024\" or \"1/1024\"", unit);
	}
	*den = bf_dec_from_int(1);
	slash = memchr(b.s, '/', b.len);
	if (slash == NULL)
		rc = bf_dec_parse_x(b.s, b.len, num, &inexact);
	else {
		int i2 = 0;

		rc = bf_dec_parse_x(b.s, (size_t)(slash - b.s), num, &inexact);
		if (rc == BF_DEC_OK)
			rc = bf_dec_parse_x(slash + 1,
			    b.len - (size_t)(slash - b.s) - 1, den, &i2);
		inexact |= i2;
	}
	if (rc != BF_DEC_OK || inexact || bf_dec_sign(*num) <= 0 ||
	    bf_dec_sign(*den) <= 0) {
		rc = cerr(k, v, "the factor '%s' of unit '%s' must be an exact "
		    "decimal above 0 with at most 9 decimal places, or a "
		    "fraction such as \"1/1024\"", b.s, unit);
		bf_buf_free(&b);
		return rc;
	}
	bf_buf_free(&b);
	return 0;
}

static void
metric_add_unit(struct bf_metric_rule *r, const char *name, size_t len,
    bf_dec num, bf_dec den)
{
	r->units = bf_xrealloc(r->units, sizeof(*r->units) *
	    (size_t)(r->nunits + 1));
	r->units[r->nunits].name = bf_xstrndup(name, len);
	r->units[r->nunits].len = len;
	r->units[r->nunits].num = num;
	r->units[r->nunits].den = den;
	r->nunits++;
}

static int
compile_metric(struct comp *k, struct bf_metric_rule *r, int v)
{
	const struct bf_json *j = k->j;
	struct bf_buf b = BF_BUF_INIT;
	int i, t, n, ut = -1, unitst = -1;
	bf_dec one = bf_dec_from_int(1);

	if (j->tok[v].type != BF_JSON_OBJECT)
		return cerr(k, v, "metric '%s' must be an object", r->name);
	n = j->tok[v].size;
	for (i = 0, t = v + 1; i < n; i++, t = bf_json_skip(j, t + 1)) {
		bf_ct_tok_str(j, t, &b);
		if (strcmp(b.s, "unit") == 0)
			ut = t + 1;
		else if (strcmp(b.s, "units") == 0)
			unitst = t + 1;
		else if (strcmp(b.s, "minimum") == 0) {
			r->has_min = 1;
			if (get_dec(k, t + 1, "'minimum'", &r->min) < 0)
				goto fail;
		} else if (strcmp(b.s, "maximum") == 0) {
			r->has_max = 1;
			if (get_dec(k, t + 1, "'maximum'", &r->max) < 0)
				goto fail;
		} else if (strcmp(b.s, "integer") == 0) {
			if (j->tok[t + 1].type != BF_JSON_TRUE &&
			    j->tok[t + 1].type != BF_JSON_FALSE) {
				cerr(k, t + 1, "'integer' must be a boolean");
				goto fail;
			}
			r->integer = j->tok[t + 1].type == BF_JSON_TRUE;
		} else if (strcmp(b.s, "description") == 0 ||
		    strcmp(b.s, "$comment") == 0) {
			;
		} else {
			cerr(k, t, "unknown key '%s' in metric '%s'", b.s,
			    r->name);
			goto fail;
		}
	}
	if (ut < 0 || bf_ct_tok_str(j, ut, &b) < 0 || b.len == 0) {
		cerr(k, ut < 0 ? v : ut, "metric '%s' needs a 'unit' string",
		    r->name);
		goto fail;
	}
	r->unit = bf_xstrndup(b.s, b.len);
	r->unitlen = b.len;
	metric_add_unit(r, r->unit, r->unitlen, one, one);
	if (unitst >= 0) {
		r->explicit_units = 1;
		if (j->tok[unitst].type != BF_JSON_OBJECT) {
			cerr(k, unitst, "'units' of metric '%s' must be an "
			    "object", r->name);
			goto fail;
		}
		n = j->tok[unitst].size;
		for (i = 0, t = unitst + 1; i < n;
		    i++, t = bf_json_skip(j, t + 1)) {
			bf_dec f;

			bf_dec d = one;

			bf_ct_tok_str(j, t, &b);
			if (get_factor(k, t + 1, b.s, &f, &d) < 0)
				goto fail;
			if (b.len == r->unitlen &&
			    memcmp(b.s, r->unit, b.len) == 0) {
				if (bf_dec_cmp(f, d) != 0) {
					cerr(k, t + 1, "the canonical unit "
					    "'%s' must have the factor \"1\"",
					    b.s);
					goto fail;
				}
				continue;
			}
			metric_add_unit(r, b.s, b.len, f, d);
		}
	} else {
		const struct bf_unit *can = bf_unit_find(r->unit, r->unitlen);
		const struct bf_unit *tab;
		size_t nt, x;

		if (can == NULL) {
			cerr(k, ut, "metric '%s': unit '%s' is not a known "
			    "unit; give its 'units' with factors", r->name,
			    r->unit);
			goto fail;
		}
		tab = bf_unit_table(&nt);
		for (x = 0; x < nt; x++) {
			bf_dec num, den;

			if (&tab[x] == can ||
			    bf_unit_conversion(&tab[x], can, &num, &den) < 0)
				continue;
			metric_add_unit(r, tab[x].name, strlen(tab[x].name),
			    num, den);
		}
	}
	bf_buf_free(&b);
	return 0;
fail:
	bf_buf_free(&b);
	return -1;
}

static int
compile_metrics(struct comp *k, int v)
{
	struct bf_contract *c = k->c;
	const struct bf_json *j = k->j;
	int i, t, n;
	size_t h;

	if (j->tok[v].type != BF_JSON_OBJECT)
		return cerr(k, v, "'x-bf-metrics' must be an object");
	n = j->tok[v].size;
	c->metrics = bf_xcalloc((size_t)n + 1, sizeof(*c->metrics));
	c->mhcap = 16;
	while (c->mhcap < 2 * n)
		c->mhcap *= 2;
	c->mhash = bf_xcalloc((size_t)c->mhcap, sizeof(int));
	for (i = 0; i < c->mhcap; i++)
		c->mhash[i] = -1;
	for (i = 0, t = v + 1; i < n; i++, t = bf_json_skip(j, t + 1)) {
		struct bf_metric_rule *r = &c->metrics[i];
		struct bf_buf l = BF_BUF_INIT;

		r->name = tok_strdup(j, t, &r->len);
		bf_buf_puts(&l, "/x-bf-metrics");
		bf_ct_put_ptr_seg(&l, r->name, r->len);
		r->loc = bf_buf_detach(&l);
		c->nmetrics = i + 1;
		if (compile_metric(k, r, t + 1) < 0)
			return -1;
		h = name_hash(r->name, r->len) & (size_t)(c->mhcap - 1);
		while (c->mhash[h] >= 0)
			h = (h + 1) & (size_t)(c->mhcap - 1);
		c->mhash[h] = i;
	}
	return 0;
}

const struct bf_metric_rule *
bf_contract_metric(const struct bf_contract *c, const char *name, size_t n)
{
	size_t h;
	const struct bf_metric_rule *r;

	if (c->mhash == NULL)
		return NULL;
	h = name_hash(name, n) & (size_t)(c->mhcap - 1);
	while (c->mhash[h] >= 0) {
		r = &c->metrics[c->mhash[h]];
		if (r->len == n && memcmp(r->name, name, n) == 0)
			return r;
		h = (h + 1) & (size_t)(c->mhcap - 1);
	}
	return NULL;
}

const struct bf_metric_unit *
bf_metric_unit(const struct bf_metric_rule *r, const char *u, size_t n)
{
	int i;

	for (i = 0; i < r->nunits; i++)
		if (r->units[i].len == n && memcmp(r->units[i].name, u, n) == 0)
			return &r->units[i];
	return NULL;
}

int
bf_contract_allow_unknown(const struct bf_contract *c)
{
	return c->allow_unknown;
}

struct bf_contract *
bf_contract_parse(const char *text, size_t len, const char *name, int flags,
    struct bf_err *e)
{
	struct bf_contract *c = bf_xcalloc(1, sizeof(*c));
	struct comp k;
	size_t errpos = 0, n = len;
	int rc, i;

	c->name = bf_xstrdup(name);
	c->text = bf_xmalloc(len + 1);
	memcpy(c->text, text, len);
	c->text[len] = '\0';
	c->len = len;
	c->flags = flags;
	c->assert_format = !(flags & BF_CONTRACT_PLAIN) ||
	    (flags & BF_CONTRACT_FORMAT_ASSERT);
	c->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (c->utf8 == (locale_t)0)
		c->utf8 = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
	memset(&k, 0, sizeof(k));
	k.c = c;
	k.j = &c->doc;
	k.e = e;
	while (n > 0 && strchr(" \t\r\n", c->text[n - 1]) != NULL)
		n--;
	rc = bf_json_parse(&c->doc, c->text, n,
	    (flags & BF_CONTRACT_PLAIN) ? 0 : BF_JSON_WANT_OBJECT, &errpos);
	if (rc != BF_JSON_OK) {
		long line = 1;
		size_t i;

		for (i = 0; i < errpos && i < len; i++)
			if (text[i] == '\n')
				line++;
		bf_err_set(e, BF_EXIT_USAGE, "%s:%ld: %s%s", name, line,
		    rc == BF_JSON_ENOTOBJECT ? "a contract must be a JSON "
		    "object; " : "", bf_json_strerror(rc));
		bf_contract_free(c);
		return NULL;
	}
	c->node_at = bf_xcalloc((size_t)c->doc.ntok + 1, sizeof(*c->node_at));
	/* The document itself is the first resource. */
	c->res = bf_xcalloc(1, sizeof(*c->res));
	c->res[0].uri = bf_xstrdup(DEFAULT_BASE);
	c->res[0].tok = 0;
	c->nres = 1;
	c->root = compile(&k, 0, bf_xstrdup(""), DEFAULT_BASE);
	if (c->root == NULL || resolve_refs(&k) < 0 ||
	    loop_check(&k, c->root) < 0) {
		bf_buf_free(&k.key);
		bf_contract_free(c);
		return NULL;
	}
	for (i = 0; i < c->nall; i++)
		if (c->all[i]->color == 0 && loop_check(&k, c->all[i]) < 0) {
			bf_buf_free(&k.key);
			bf_contract_free(c);
			return NULL;
		}
	bf_buf_free(&k.key);
	for (i = 0; i < c->nall; i++) {
		bf_ct_build_names(c->all[i]);
		c->all[i]->checks = bf_ct_node_checks(c->all[i]);
		if (c->all[i]->checks != 0 && !(c->all[i]->checks &
		    (C_OBJ | C_ARR | C_APPL)))
			c->all[i]->memo = bf_xcalloc(1, sizeof(struct vmemo));
	}
	return c;
}

struct bf_contract *
bf_contract_load(const char *path, int flags, struct bf_err *e)
{
	struct bf_buf b = BF_BUF_INIT;
	struct bf_contract *c;
	char chunk[65536];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		bf_err_set(e, BF_EXIT_USAGE, "cannot open contract '%s': %s",
		    path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		bf_buf_add(&b, chunk, n);
	if (ferror(fp)) {
		bf_err_set(e, BF_EXIT_IO, "cannot read contract '%s': %s",
		    path, strerror(errno));
		fclose(fp);
		bf_buf_free(&b);
		return NULL;
	}
	fclose(fp);
	c = bf_contract_parse(b.s ? b.s : "", b.len, path, flags, e);
	bf_buf_free(&b);
	return c;
}
