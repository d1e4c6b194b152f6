/* tests/unit/minijson.h — a strict little JSON parser for the report tests:
 * parse a writer's output back and look values up, so a test checks what a
 * JSON reader would see, not the bytes.  Header-only (static inline), with
 * no limits a test would hit; mj_parse returns NULL on any syntax error or
 * trailing garbage.  Strings are decoded to UTF-8 (\uXXXX pairs too). */
#ifndef OOMPH_MINIJSON_H
#define OOMPH_MINIJSON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum mj_type { MJ_NULL, MJ_BOOL, MJ_NUM, MJ_STR, MJ_ARR, MJ_OBJ };

struct mj {
	enum mj_type type;
	double num;         /* MJ_NUM, MJ_BOOL (0/1) */
	char *str;          /* MJ_STR */
	size_t n;           /* MJ_ARR / MJ_OBJ: elements */
	struct mj **items;  /* values */
	char **keys;        /* MJ_OBJ */
};

static inline void mj_free(struct mj *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		mj_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
}

static inline void mj_ws(const char **s)
{
	while (**s == ' ' || **s == '\t' || **s == '\n' || **s == '\r')
		(*s)++;
}

static inline int mj_hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static inline char *mj_string(const char **s)
{
	if (**s != '"')
		return NULL;
	(*s)++;
	size_t cap = 64, n = 0;
	char *o = malloc(cap);
	while (o) {
		if (n + 8 > cap) {
			char *q = realloc(o, cap *= 2);
			if (!q)
				break;
			o = q;
		}
		unsigned char c = (unsigned char)**s;
		if (c == '"') {
			(*s)++;
			o[n] = 0;
			return o;
		}
		if (c < 0x20)
			break; /* raw control character: not JSON */
		if (c != '\\') {
			o[n++] = (char)c;
			(*s)++;
			continue;
		}
		(*s)++;
		char e = **s;
		(*s)++;
		unsigned cp;
		switch (e) {
		case '"': o[n++] = '"'; continue;
		case '\\': o[n++] = '\\'; continue;
		case '/': o[n++] = '/'; continue;
		case 'b': o[n++] = '\b'; continue;
		case 'f': o[n++] = '\f'; continue;
		case 'n': o[n++] = '\n'; continue;
		case 'r': o[n++] = '\r'; continue;
		case 't': o[n++] = '\t'; continue;
		case 'u':
			if (mj_hex4(*s, &cp))
				goto bad;
			*s += 4;
			if (cp >= 0xd800 && cp < 0xdc00) {
				unsigned lo;
				if ((*s)[0] != '\\' || (*s)[1] != 'u' || mj_hex4(*s + 2, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					goto bad;
				*s += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp < 0x80) {
				o[n++] = (char)cp;
			} else if (cp < 0x800) {
				o[n++] = (char)(0xc0 | (cp >> 6));
				o[n++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				o[n++] = (char)(0xe0 | (cp >> 12));
				o[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				o[n++] = (char)(0x80 | (cp & 0x3f));
			} else {
				o[n++] = (char)(0xf0 | (cp >> 18));
				o[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
				o[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				o[n++] = (char)(0x80 | (cp & 0x3f));
			}
			continue;
		default:
			goto bad;
		}
	}
bad:
	free(o);
	return NULL;
}

static inline struct mj *mj_value(const char **s, int depth);

static inline int mj_push(struct mj *v, struct mj *item, char *key)
{
	struct mj **q = realloc(v->items, (v->n + 1) * sizeof(*q));
	if (!q)
		return -1;
	v->items = q;
	if (v->type == MJ_OBJ) {
		char **k = realloc(v->keys, (v->n + 1) * sizeof(*k));
		if (!k)
			return -1;
		v->keys = k;
		k[v->n] = key;
	}
	q[v->n++] = item;
	return 0;
}

static inline struct mj *mj_value(const char **s, int depth)
{
	if (depth > 64)
		return NULL;
	mj_ws(s);
	struct mj *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	char c = **s;
	if (c == '{' || c == '[') {
		v->type = c == '{' ? MJ_OBJ : MJ_ARR;
		char close = c == '{' ? '}' : ']';
		(*s)++;
		mj_ws(s);
		if (**s == close) {
			(*s)++;
			return v;
		}
		for (;;) {
			char *key = NULL;
			if (v->type == MJ_OBJ) {
				mj_ws(s);
				key = mj_string(s);
				mj_ws(s);
				if (!key || **s != ':') {
					free(key);
					goto bad;
				}
				(*s)++;
			}
			struct mj *item = mj_value(s, depth + 1);
			if (!item || mj_push(v, item, key)) {
				mj_free(item);
				free(key);
				goto bad;
			}
			mj_ws(s);
			if (**s == ',') {
				(*s)++;
				continue;
			}
			if (**s == close) {
				(*s)++;
				return v;
			}
			goto bad;
		}
	} else if (c == '"') {
		v->type = MJ_STR;
		if (!(v->str = mj_string(s)))
			goto bad;
		return v;
	} else if (!strncmp(*s, "true", 4) || !strncmp(*s, "false", 5)) {
		v->type = MJ_BOOL;
		v->num = c == 't';
		*s += c == 't' ? 4 : 5;
		return v;
	} else if (!strncmp(*s, "null", 4)) {
		*s += 4;
		return v;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		/* JSON's grammar: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE][+-]?[0-9]+)? */
		const char *p = *s;
		if (*p == '-')
			p++;
		if (*p == '0')
			p++;
		else if (*p >= '1' && *p <= '9')
			while (*p >= '0' && *p <= '9')
				p++;
		else
			goto bad;
		if (*p == '.') {
			p++;
			if (!(*p >= '0' && *p <= '9'))
				goto bad;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		if (*p == 'e' || *p == 'E') {
			p++;
			if (*p == '+' || *p == '-')
				p++;
			if (!(*p >= '0' && *p <= '9'))
				goto bad;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		v->type = MJ_NUM;
		v->num = strtod(*s, NULL);
		*s = p;
		return v;
	}
bad:
	mj_free(v);
	return NULL;
}

static inline struct mj *mj_parse(const char *text)
{
	const char *s = text;
	struct mj *v = mj_value(&s, 0);
	if (!v)
		return NULL;
	mj_ws(&s);
	if (*s) {
		mj_free(v);
		return NULL;
	}
	return v;
}

/* Member `key` of an object, element i of an array; NULL if absent. */
static inline const struct mj *mj_get(const struct mj *v, const char *key)
{
	if (!v || v->type != MJ_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return v->items[i];
	return NULL;
}

static inline const struct mj *mj_at(const struct mj *v, size_t i)
{
	if (!v || v->type != MJ_ARR || i >= v->n)
		return NULL;
	return v->items[i];
}

static inline const char *mj_str(const struct mj *v)
{
	return v && v->type == MJ_STR ? v->str : NULL;
}

static inline double mj_num(const struct mj *v)
{
	return v && (v->type == MJ_NUM || v->type == MJ_BOOL) ? v->num : -1e300;
}

static inline int mj_is_null(const struct mj *v)
{
	return v && v->type == MJ_NULL;
}

#endif
