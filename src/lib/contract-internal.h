/*
 * contract-internal.h: the insides of a compiled contract, shared by its
 * three files and by no one else (contract.h is the interface):
 *   contract-compile.c  loading: the document compiled into schema nodes,
 *                       $ref resolved, x-bf-metrics compiled;
 *   contract-check.c    checking an instance against the nodes, and the
 *                       exact numbers both sides use;
 *   contract.c          what both need: the object name tables, token and
 *                       message helpers, freeing.
 */
#ifndef BF_CONTRACT_INTERNAL_H
#define BF_CONTRACT_INTERNAL_H

#include <locale.h>
#include <regex.h>
#include <stdint.h>
#include <string.h>

#include "contract.h"


/* Instance types as a bit set. */
enum {
	T_NULL = 1,
	T_BOOL = 2,
	T_OBJECT = 4,
	T_ARRAY = 8,
	T_NUMBER = 16,
	T_STRING = 32,
	T_INTEGER = 64,
};

/* An exact number: (neg ? -1 : 1) * 0.d[0]d[1]...d[nd-1] * 10^e, with no
 * leading or trailing zero digit; nd == 0 for zero. */
struct num {
	int neg;
	long e;
	size_t nd;
	const char *d;
};

enum { FMT_NONE, FMT_ANNOTATION, FMT_DATE_TIME, FMT_DATE };

/* Which numeric keywords a node has. */
enum { N_MIN = 1, N_MAX = 2, N_XMIN = 4, N_XMAX = 8, N_MULT = 16 };

/* Which checks a node has besides $ref and type (struct snode's checks),
 * set when the contract is loaded: a node without them, such as
 * {"type": "string"}, is done after its type. */
enum {
	C_ENUM = 1,   /* enum */
	C_CONST = 2,  /* const */
	C_NUM = 4,    /* a numeric keyword */
	C_STR = 8,    /* minLength, maxLength, pattern, an asserted format */
	C_OBJ = 16,   /* an object keyword */
	C_ARR = 32,   /* an array keyword */
	C_APPL = 64,  /* allOf, anyOf, oneOf, not, if */
};

/* Results of recent matches: telemetry strings (instance ids, sources)
 * repeat, and regexec in a UTF-8 locale is slow. Exact strings only. */
#define RC_SLOTS 256
#define RC_MAXLEN 56
struct rcache {
	unsigned char len;  /* 0: empty slot (the empty string is not cached) */
	signed char match;
	char s[RC_MAXLEN];
};

struct re {
	regex_t re;
	char *src;          /* the ECMA-262 source, for messages; owned */
	int ok;             /* re was compiled (regfree needed) */
	struct rcache *cache; /* RC_SLOTS entries; owned */
};

/* The raw text of the last value that passed a node's value checks
 * (enum, const, numeric and string keywords): they depend on nothing else,
 * and telemetry repeats values (a window's bounds, the instance, the
 * source), which then cost a comparison. Written while checking, like a
 * regex's cache. */
struct vmemo {
	size_t len;         /* 0: empty (no value has empty text) */
	char s[48];
};

struct prop {
	char *key;          /* unescaped; owned */
	size_t len;
	struct snode *s;
};

struct pprop {
	struct re re;
	struct snode *s;
};

struct dep {
	char *key;
	size_t len;
	char **names;       /* dependentRequired */
	size_t *lens;
	int n;
	struct snode *s;    /* dependentSchemas */
	int keyid;          /* key's entry in the node's name table */
	int *ids;           /* names' entries (dependentRequired) */
};

/* One name an object schema looks members up by. */
struct oname {
	const char *s;      /* borrowed from the node's lists */
	size_t len;
	int prop;           /* its index in props, or -1 */
};

struct snode {
	int tok;            /* its token in the contract document */
	int boolval;        /* -1, or 0/1 for the schemas false/true */
	char *loc;          /* JSON pointer in the contract; owned */
	unsigned types;     /* 0: no "type" keyword */
	struct prop *props;
	int nprops;
	struct pprop *pprops;
	int npprops;
	struct snode *addl, *propnames;
	char **req;
	size_t *reqlen;
	int nreq;
	struct dep *depreq, *depsch;
	int ndepreq, ndepsch;
	long minprops, maxprops;
	int has_enum, nenum;
	int *enumtok;
	int consttok;       /* -1 when no const */
	unsigned numflags;
	struct num min, max, xmin, xmax, mult;
	long minlen, maxlen;
	struct re *pattern;
	int format;
	struct snode *items, **prefix;
	int nprefix;
	struct snode *contains;
	long mincontains, maxcontains;
	long minitems, maxitems;
	int unique;
	struct snode **allof, **anyof, **oneof;
	int nallof, nanyof, noneof;
	struct snode *not, *if_, *then_, *else_;
	struct snode *ref;
	int color;          /* for the loop check */
	/* Every name of properties, required, dependentRequired and
	 * dependentSchemas once, and a hash table of them (nslot entries,
	 * a power of two; -1 empty), built when the contract is loaded:
	 * v_object reads an instance's members once and finds each one's
	 * name here instead of searching the object for every name. */
	struct oname *names;
	int nnames;
	int *slots;
	int nslot;
	int *reqid;         /* required[i]'s entry in names */
	unsigned checks;    /* C_* */
	struct vmemo *memo; /* when checks are only value checks; owned */
};

struct resource {
	char *uri;          /* absolute, without fragment; owned */
	int tok;
};

struct anchor {
	char *uri;          /* of the resource it belongs to; owned */
	char *name;
	int tok;
};

struct pendref {
	struct snode *s;
	char *uri;          /* absolute, with fragment; owned */
	int tok;            /* the $ref value's token, for messages */
};

struct pathel {
	int key;            /* key token, or -1 for an array index */
	long idx;
};

struct bf_contract {
	char *name;
	char *text;
	size_t len;
	struct bf_json doc;
	int flags;
	int assert_format;
	struct snode *root;
	struct snode **node_at;   /* per token of doc; borrowed pointers */
	struct snode **all;       /* every node, owned */
	int nall, capall;
	struct resource *res;
	int nres;
	struct anchor *anchors;
	int nanchors;
	struct pendref *refs;
	int nrefs;
	struct bf_metric_rule *metrics;
	int nmetrics;
	int *mhash;               /* open addressing, -1 empty */
	int mhcap;
	int allow_unknown;
	locale_t utf8;
	/* Scratch for checking, reset (not freed) per use so that a line
	 * costs no allocation; each is used only by leaf code that runs no
	 * v_node while it holds data. Trimmed after each check when one grew
	 * beyond SCRATCH_KEEP. sn1: v_number's value; sn2: v_node's integer
	 * test; ss: v_string's value; st: v_object's member names; sm, sm2:
	 * failure message parts; se1, se2: json_eq's operands. */
	struct bf_buf sn1, sn2, ss, st, sm, sm2, se1, se2;
	struct pathel path[BF_JSON_MAXDEPTH * 2 + 8];
	int depth;
};

#define DEFAULT_BASE "urn:bf:contract"

/* For the tables of names (metrics, an object schema's names). Cheap:
 * the length and the first and last bytes, mixed by a multiplication whose
 * high half is returned (the callers keep the low bits). Names that
 * collide are told apart by comparing them: a poor spread costs probes. */
static inline size_t
name_hash(const char *s, size_t n)
{
	size_t h = n;

	if (n > 0)
		h = (h << 16) ^ ((size_t)(unsigned char)s[0] << 8) ^
		    (unsigned char)s[n - 1];
	return (size_t)(((uint64_t)h * 0x9e3779b97f4a7c15u) >> 32);
}

/* The entry of name s[0..n) in node sn's table, or -1. */
static inline int
name_find(const struct snode *sn, const char *s, size_t n)
{
	size_t h, mask = (size_t)sn->nslot - 1;
	int i;

	h = name_hash(s, n) & mask;
	while ((i = sn->slots[h]) >= 0) {
		if (sn->names[i].len == n &&
		    (n == 0 || memcmp(sn->names[i].s, s, n) == 0))
			return i;
		h = (h + 1) & mask;
	}
	return -1;
}

/* contract-check.c: exact numbers. */
/* Parses the JSON number s[0..n) into x (digits borrowed from s, or kept in
 * buf when the text needs normalising); 0, or -1 when it is not a number. */
int bf_ct_num_parse(const char *s, size_t n, struct bf_buf *buf,
    struct num *x);
/* 1 when x is an integer. */
int bf_ct_num_is_int(const struct num *x);

/* contract.c */
/* Appends s[0..n), cut to at most max bytes on a character boundary, with
 * "..." when cut. */
void bf_ct_put_trunc(struct bf_buf *b, const char *s, size_t n, size_t max);
/* Appends a JSON pointer segment (with ~0 and ~1). */
void bf_ct_put_ptr_seg(struct bf_buf *b, const char *s, size_t n);
/* The unescaped text of string token t into b (reset first); 0 or -1. */
int bf_ct_tok_str(const struct bf_json *j, int t, struct bf_buf *b);
/* The checks node sn has (C_*), and its name table, built once loaded. */
unsigned bf_ct_node_checks(const struct snode *sn);
void bf_ct_build_names(struct snode *sn);

#endif
