/* Unit tests of report/escape.c: each context's escaping on hostile input
 * (markup, control characters, broken UTF-8), checked byte for byte and,
 * for JSON, by parsing the result back. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "minijson.h"
#include "report/buf.h"
#include "report/escape.h"
#include "report/flamegraph.h"

#define FFFD "\xef\xbf\xbd"

typedef void (*esc_fn)(struct buf *, const char *);

static void check_esc(esc_fn f, const char *in, const char *want, int line)
{
	struct buf b;
	buf_init(&b);
	f(&b, in);
	if (strcmp(buf_str(&b), want)) {
		check_failed++;
		fprintf(stderr, "test_escape.c:%d: got \"%s\", want \"%s\"\n", line, buf_str(&b), want);
	} else {
		check_passed++;
	}
	buf_free(&b);
}
#define ESC(f, in, want) check_esc(f, in, want, __LINE__)

static void json_plain(struct buf *b, const char *s) { esc_json(b, s, 0); }
static void json_script(struct buf *b, const char *s) { esc_json(b, s, ESC_JSON_SCRIPT); }

static void test_markup(void)
{
	ESC(esc_html, "<b>&\"'.py", "&lt;b&gt;&amp;&quot;&#39;.py");
	ESC(esc_html, "</script><svg onload=alert(1)>",
	    "&lt;/script&gt;&lt;svg onload=alert(1)&gt;");
	ESC(esc_xml, "a=\"1\" b='2' & c", "a=&quot;1&quot; b=&#39;2&#39; &amp; c");
	/* tab, LF, CR are allowed in XML text; other C0 controls and DEL are
	 * not, not even as character references */
	ESC(esc_xml, "a\tb\nc\rd", "a\tb\nc\rd");
	ESC(esc_xml, "a\x01" "b\x1f" "c\x7f", "a" FFFD "b" FFFD "c" FFFD);
	ESC(esc_xml, "\xef\xbf\xbe\xef\xbf\xbf", FFFD FFFD); /* U+FFFE, U+FFFF */
	/* an entity in the input is text, not an entity */
	ESC(esc_html, "&lt;", "&amp;lt;");
	ESC(esc_html, "", "");
}

static void test_utf8(void)
{
	/* valid: kept as is, in every context */
	ESC(esc_html, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* invalid: one U+FFFD per bad byte */
	ESC(esc_html, "a\xff" "b", "a" FFFD "b");
	ESC(esc_html, "\xc0\xaf", FFFD FFFD);                 /* overlong '/' */
	ESC(esc_html, "\xe0\x80\xbc", FFFD FFFD FFFD);        /* overlong '<' */
	ESC(esc_html, "\xed\xa0\x80", FFFD FFFD FFFD);        /* surrogate */
	ESC(esc_html, "\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* > U+10FFFF */
	ESC(esc_html, "x\xe2\x82", "x" FFFD FFFD);            /* truncated */
	ESC(json_plain, "\xc0\xbc", "\"" FFFD FFFD "\"");
	ESC(esc_folded, "\xfe;", FFFD ":");

	uint32_t cp;
	CHECK_EQ_INT(esc_utf8_next("\xe2\x82\xac", 3, &cp), 3);
	CHECK_EQ_INT(cp, 0x20ac);
	CHECK_EQ_INT(esc_utf8_next("\xe2\x82\xac", 2, &cp), 1); /* not enough bytes */
	CHECK_EQ_INT(cp, 0xfffd);
	size_t ncp;
	CHECK_EQ_INT(esc_utf8_prefix("a\xc3\xa9" "b\xe2\x82\xac", 3, &ncp), 4);
	CHECK_EQ_INT(ncp, 3);
	CHECK_EQ_INT(esc_utf8_prefix("ab", 10, &ncp), 2);
	CHECK_EQ_INT(ncp, 2);
}

static void test_json(void)
{
	ESC(json_plain, "a\"b\\c", "\"a\\\"b\\\\c\"");
	ESC(json_plain, "l1\nl2\t\x01\x1f", "\"l1\\u000al2\\u0009\\u0001\\u001f\"");
	ESC(json_plain, "</script>", "\"</script>\"");
	ESC(json_script, "</script><!--&", "\"\\u003c/script\\u003e\\u003c!--\\u0026\"");
	/* U+2028/2029 end a line in older JavaScript: escaped in a script */
	ESC(json_plain, "a\xe2\x80\xa8" "b", "\"a\xe2\x80\xa8" "b\"");
	ESC(json_script, "a\xe2\x80\xa8" "b\xe2\x80\xa9", "\"a\\u2028b\\u2029\"");

	/* Whatever goes in comes back out of a JSON parser unchanged. */
	static const char *const hostile[] = {
		"</script><svg onload=alert(1)>", "<b>&\"'.py", "back\\slash \"q\"",
		"ctl \x01\x02\x1b[31m\n\r\t", "\xe2\x80\xa8\xe2\x80\xa9 \xf0\x9f\x98\x80 caf\xc3\xa9", ""};
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		for (unsigned flags = 0; flags <= ESC_JSON_SCRIPT; flags++) {
			struct buf b;
			buf_init(&b);
			esc_json(&b, hostile[i], flags);
			if (flags)
				CHECK(!strchr(buf_str(&b), '<') && !strchr(buf_str(&b), '>') &&
				      !strchr(buf_str(&b), '&'));
			struct mj *v = mj_parse(buf_str(&b));
			CHECK(v != NULL);
			CHECK_STR_EQ(mj_str(v), hostile[i]);
			mj_free(v);
			buf_free(&b);
		}
	}
}

static void test_folded_and_term(void)
{
	ESC(esc_folded, "a;b\nc\td\x7f" "e", "a:b?c?d?e");
	ESC(esc_folded, "file.py:12 (f)", "file.py:12 (f)");
	ESC(esc_term, "\x1b[2Jred\x07", "?[2Jred?");
	ESC(esc_term, "c1 \xc2\x9b" "31m", "c1 ?31m"); /* U+009B: 8-bit CSI */
	ESC(esc_term, "tab\there", "tab?here");
	ESC(esc_term, "ok \xc3\xa9", "ok \xc3\xa9");
}

static void test_script_constant_is_safe_to_embed(void)
{
	/* The flame graph's script goes inside <![CDATA[ ]]> (SVG) and inside
	 * <script> (HTML): it must contain neither terminator. */
	const char *js = flame_script();
	CHECK(strlen(js) > 1000);
	CHECK_STR_NOT_CONTAINS(js, "]]>");
	CHECK_STR_NOT_CONTAINS(js, "</");
	CHECK_STR_NOT_CONTAINS(js, "<!--");
}

static void test_buf(void)
{
	struct buf b;
	buf_init(&b);
	CHECK_STR_EQ(buf_str(&b), "");
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	CHECK_EQ_INT(b.len, 10 * 2 + 90 * 3 + 900 * 4);
	CHECK(!strncmp(buf_str(&b), "0,1,2,", 6));
	CHECK_STR_CONTAINS(buf_str(&b), ",998,999,");
	buf_reset(&b);
	char big[1000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	buf_printf(&b, "[%s]", big); /* longer than the formatter's first try */
	CHECK_EQ_INT(b.len, 1001);
	CHECK_EQ_INT(b.p[1000], ']');
	buf_free(&b);
}

/* Every ASCII byte, in every context, against the rules written out: the
 * escapers look bytes up in a table, this says what the table must be. */
static void test_every_ascii_byte(void)
{
	int bad = 0;
	for (unsigned c = 1; c < 0x80; c++) {
		char in[4] = {'a', (char)c, 'b', 0};
		char want[32];
		int ctl = c < 0x20 || c == 0x7f;
		/* markup */
		const char *m = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;"
			      : c == '"' ? "&quot;" : c == '\'' ? "&#39;"
			      : (ctl && c != '\t' && c != '\n' && c != '\r') ? FFFD : NULL;
		snprintf(want, sizeof want, "a%s%sb", m ? m : "", m ? "" : (char[2]){(char)c, 0});
		struct buf b;
		buf_init(&b);
		esc_html(&b, in);
		bad += strcmp(buf_str(&b), want) != 0;
		/* folded */
		buf_reset(&b);
		esc_folded(&b, in);
		snprintf(want, sizeof want, "a%cb", c == ';' ? ':' : ctl ? '?' : (char)c);
		bad += strcmp(buf_str(&b), want) != 0;
		/* terminal */
		buf_reset(&b);
		esc_term(&b, in);
		snprintf(want, sizeof want, "a%cb", ctl ? '?' : (char)c);
		bad += strcmp(buf_str(&b), want) != 0;
		/* JSON, plain and in a script */
		for (int sc = 0; sc < 2; sc++) {
			buf_reset(&b);
			esc_json(&b, in, sc ? ESC_JSON_SCRIPT : 0);
			if (c == '"' || c == '\\')
				snprintf(want, sizeof want, "\"a\\%cb\"", (char)c);
			else if (c < 0x20 || (sc && (c == '<' || c == '>' || c == '&')))
				snprintf(want, sizeof want, "\"a\\u%04xb\"", c);
			else
				snprintf(want, sizeof want, "\"a%cb\"", (char)c);
			bad += strcmp(buf_str(&b), want) != 0;
		}
		buf_free(&b);
	}
	CHECK_EQ_INT(bad, 0);
}

/* JSON and folded text look at eight bytes a step while none of them
 * can be special: every byte at every place of a longer string must
 * come out as it does alone (a string under eight bytes goes a byte at
 * a time). */
static void test_every_byte_every_place(void)
{
	int bad = 0;
	for (unsigned c = 1; c < 0x100; c++) {
		char one[2] = {(char)c, 0};
		struct buf alone, b, want;
		buf_init(&alone);
		buf_init(&b);
		buf_init(&want);
		for (int json = 0; json < 2; json++) {
			buf_reset(&alone);
			if (json)
				esc_json(&alone, one, 0);
			else
				esc_folded(&alone, one);
			for (size_t k = 0; k < 24; k++) {
				char in[25];
				memset(in, 'a', 24);
				in[24] = 0;
				in[k] = (char)c;
				buf_reset(&want);
				if (json)
					buf_putc(&want, '"');
				buf_put(&want, in, k);
				/* alone's text without its quotes */
				buf_put(&want, buf_str(&alone) + json, alone.len - 2 * (size_t)json);
				buf_put(&want, in + k + 1, 23 - k);
				if (json)
					buf_putc(&want, '"');
				buf_reset(&b);
				if (json)
					esc_json(&b, in, 0);
				else
					esc_folded(&b, in);
				bad += strcmp(buf_str(&b), buf_str(&want)) != 0;
			}
		}
		buf_free(&alone);
		buf_free(&b);
		buf_free(&want);
	}
	CHECK_EQ_INT(bad, 0);
}

int main(void)
{
	test_every_ascii_byte();
	test_every_byte_every_place();
	test_markup();
	test_utf8();
	test_json();
	test_folded_and_term();
	test_script_constant_is_safe_to_embed();
	test_buf();
	return check_summary();
}
