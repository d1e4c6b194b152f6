/* report/escape.c — context escaping of program-controlled text (escape.h). */
#include "report/escape.h"

#include <stdint.h>
#include <string.h>

size_t esc_utf8_next(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	if (len > n)
		goto bad;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		v = (v << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and values past Unicode are not
	 * characters: browsers and XML parsers would disagree about them. */
	if (v < min || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		goto bad;
	*cp = v;
	return len;
bad:
	*cp = 0xfffd;
	return 1;
}

void esc_put_utf8(struct buf *b, uint32_t cp)
{
	char o[4];
	if (cp < 0x80) {
		o[0] = (char)cp;
		buf_put(b, o, 1);
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		buf_put(b, o, 2);
	} else if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		buf_put(b, o, 3);
	} else {
		o[0] = (char)(0xf0 | (cp >> 18));
		o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (char)(0x80 | (cp & 0x3f));
		buf_put(b, o, 4);
	}
}

/* The contexts, and the ASCII bytes each must look at (bytes >= 0x80 always
 * go through the decoder). */
enum { CTX_MARKUP, CTX_JSON, CTX_SCRIPT, CTX_FOLDED, CTX_TERM };

#define SP_MARKUP(c)                                                                    \
	(((c) < 0x20 && (c) != '\t' && (c) != '\n' && (c) != '\r') || (c) == 0x7f || (c) == '&' || \
	 (c) == '<' || (c) == '>' || (c) == '"' || (c) == '\'')
#define SP_JSON(c) ((c) < 0x20 || (c) == '"' || (c) == '\\')
#define SP_SCRIPT(c) (SP_JSON(c) || (c) == '<' || (c) == '>' || (c) == '&')
#define SP_FOLDED(c) ((c) < 0x20 || (c) == 0x7f || (c) == ';')
#define SP_TERM(c) ((c) < 0x20 || (c) == 0x7f)
/* One bit per context (1 << CTX_*) for each byte it must look at; every
 * byte >= 0x80 has them all (the decoder's).  A table, not a chain of
 * compares: the report escapes every label and line it writes, a few
 * instructions a byte. */
#define SP(c)                                                                          \
	(uint8_t)((c) >= 0x80 ? 0x1f                                                   \
			      : (SP_MARKUP(c) << CTX_MARKUP) | (SP_JSON(c) << CTX_JSON) |  \
					(SP_SCRIPT(c) << CTX_SCRIPT) |                     \
					(SP_FOLDED(c) << CTX_FOLDED) | (SP_TERM(c) << CTX_TERM))
#define SP4(c) SP(c), SP((c) + 1), SP((c) + 2), SP((c) + 3)
#define SP16(c) SP4(c), SP4((c) + 4), SP4((c) + 8), SP4((c) + 12)
#define SP64(c) SP16(c), SP16((c) + 16), SP16((c) + 32), SP16((c) + 48)
static const uint8_t special_tab[256] = {SP64(0u), SP64(64u), SP64(128u), SP64(192u)};

static inline int special(int ctx, unsigned c)
{
	return special_tab[c & 0xff] >> ctx & 1;
}

/* One walker for every context: `each` decides what a code point becomes.
 * Runs of plain ASCII are copied in one put (the common case).  Inlined
 * into each context's function, so that special() is that context's test
 * alone (a report escapes every label and line it writes). */
typedef void (*esc_fn)(struct buf *b, uint32_t cp, unsigned flags);

/* Whether any of the eight bytes of x might be special in ctx (a
 * superset: special() decides), for the contexts with few special
 * bytes: JSON's and the folded format's.  Byte tricks: a byte below c,
 * a byte equal to c, a byte >= 0x80 (never a false "no"). */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
#define BELOW(x, c) (((x) - ONES * (c)) & ~(x) & HIGHS)
#define EQ(x, c) BELOW((x) ^ (ONES * (c)), 1)
static inline int word_maybe(int ctx, uint64_t x)
{
	switch (ctx) {
	case CTX_JSON:
		return ((x & HIGHS) | BELOW(x, 0x20) | EQ(x, '"') | EQ(x, '\\')) != 0;
	case CTX_FOLDED:
		return ((x & HIGHS) | BELOW(x, 0x20) | EQ(x, 0x7f) | EQ(x, ';')) != 0;
	default:
		return 1;
	}
}

static inline __attribute__((always_inline)) void walk(struct buf *b, const char *s, esc_fn each, int ctx, unsigned flags)
{
	size_t n = strlen(s), i = 0;
	while (i < n) {
		size_t run = i;
		/* eight plain bytes a step while a word has no special one */
		if (ctx == CTX_JSON || ctx == CTX_FOLDED) {
			for (;;) {
				uint64_t x;
				while (run + 8 <= n && (memcpy(&x, s + run, 8), !word_maybe(ctx, x)))
					run += 8;
				size_t lim = run + 8 < n ? run + 8 : n;
				while (run < lim && !special(ctx, (unsigned char)s[run]))
					run++;
				if (run < lim || run >= n)
					break;
			}
		}
		while (run < n && !special(ctx, (unsigned char)s[run]))
			run++;
		if (run > i) {
			buf_put(b, s + i, run - i);
			i = run;
			continue;
		}
		uint32_t cp;
		i += esc_utf8_next(s + i, n - i, &cp);
		each(b, cp, flags);
	}
}

static void markup_one(struct buf *b, uint32_t cp, unsigned flags)
{
	(void)flags;
	switch (cp) {
	case '&': buf_puts(b, "&amp;"); return;
	case '<': buf_puts(b, "&lt;"); return;
	case '>': buf_puts(b, "&gt;"); return;
	case '"': buf_puts(b, "&quot;"); return;
	case '\'': buf_puts(b, "&#39;"); return; /* &apos; is not HTML 4 */
	default: break;
	}
	/* Not allowed in XML 1.0 at all (not even as a character reference),
	 * and meaningless in HTML text: show the replacement character.  DEL
	 * is legal but invisible; it goes the same way. */
	if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7f ||
	    cp == 0xfffe || cp == 0xffff)
		cp = 0xfffd;
	esc_put_utf8(b, cp);
}

void esc_html(struct buf *b, const char *s)
{
	walk(b, s, markup_one, CTX_MARKUP, 0);
}

void esc_xml(struct buf *b, const char *s)
{
	/* The HTML rules above already produce valid XML: one implementation,
	 * two names, so each call site says which context it is in. */
	esc_html(b, s);
}

static void json_one(struct buf *b, uint32_t cp, unsigned flags)
{
	if (cp == '"') {
		buf_puts(b, "\\\"");
	} else if (cp == '\\') {
		buf_puts(b, "\\\\");
	} else if (cp < 0x20 ||
		   ((flags & ESC_JSON_SCRIPT) &&
		    (cp == '<' || cp == '>' || cp == '&' || cp == 0x2028 || cp == 0x2029))) {
		/* \uXXXX (cp < 0x10000 here), without printf: labels such as
		 * "<module>" meet this twice in every page's script data */
		static const char hex[] = "0123456789abcdef";
		char u[6] = {'\\', 'u', hex[cp >> 12 & 15], hex[cp >> 8 & 15], hex[cp >> 4 & 15],
			     hex[cp & 15]};
		buf_put(b, u, sizeof u);
	} else {
		esc_put_utf8(b, cp);
	}
}

void esc_json(struct buf *b, const char *s, unsigned flags)
{
	buf_putc(b, '"');
	walk(b, s, json_one, (flags & ESC_JSON_SCRIPT) ? CTX_SCRIPT : CTX_JSON, flags);
	buf_putc(b, '"');
}

static void folded_one(struct buf *b, uint32_t cp, unsigned flags)
{
	(void)flags;
	if (cp == ';')
		buf_putc(b, ':');
	else if (cp < 0x20 || cp == 0x7f)
		buf_putc(b, '?');
	else
		esc_put_utf8(b, cp);
}

void esc_folded(struct buf *b, const char *s)
{
	walk(b, s, folded_one, CTX_FOLDED, 0);
}

static void term_one(struct buf *b, uint32_t cp, unsigned flags)
{
	(void)flags;
	/* C1 controls (U+0080..U+009F) included: some terminals treat U+009B
	 * as CSI even when it arrives UTF-8 encoded. */
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		buf_putc(b, '?');
	else
		esc_put_utf8(b, cp);
}

void esc_term(struct buf *b, const char *s)
{
	walk(b, s, term_one, CTX_TERM, 0);
}

size_t esc_utf8_prefix(const char *s, size_t max_cp, size_t *ncp)
{
	size_t n = strlen(s), i = 0, k = 0;
	while (i < n && k < max_cp) {
		uint32_t cp;
		i += esc_utf8_next(s + i, n - i, &cp);
		k++;
	}
	if (ncp)
		*ncp = k;
	return i;
}
