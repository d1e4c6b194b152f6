/* tests/unit/report_fixture.h — what the report writers' tests share: a
 * hand-built profile whose every number is known, a hostile one, file and
 * directory helpers, and a checker that markup is balanced.  Header-only
 * (static inline): each test is its own program. */
#ifndef OOMPH_REPORT_FIXTURE_H
#define OOMPH_REPORT_FIXTURE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "profile/profile.h"

/* The fixture profile (cwd /home/u/proj):
 *
 *   node  parent  frame                                         peak self
 *   n1    root    app.py:10 (main)                                      0
 *   n2    n1      app.py:20 (load)                                   1000
 *   n3    n2      /nonexistent/py/json/decoder.py:337 (decode)  3000
 *   n4    n1      app.py:30 (build)                                  6000
 *   n5    root    [no Python stack]                                   500
 *   n6    n1      "we;ird\nname.py":5 ("f;n")                           7
 *   n7    n4      decoder.py:337 (decode)                               0
 *   n8    n1      app.py:20 (load), a second frame with the same key   11
 *   n9    n4      [C thread]                                           50
 *   exact peak 10668 = 10568 in stacks + 100 unattributed
 */
#define FX_CWD "/home/u/proj"
#define FX_PEAK 10668

enum { FX_N1 = 1, FX_N2, FX_N3, FX_N4, FX_N5, FX_N6, FX_N7, FX_N8, FX_N9 };

static inline char **fx_argv(int argc, const char *const *words)
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));
	for (int i = 0; v && i < argc; i++)
		v[i] = strdup(words[i]);
	return v;
}

static inline void fx_profile(struct profile *p)
{
	uint32_t fmain, fload, fdec, fnopy, fweird, fbuild, fload2, fcth;
	profile_init(p);
	profile_add_frame(p, FX_CWD "/app.py", "main", 10, PROFILE_FRAME_PYTHON, &fmain);
	profile_add_frame(p, FX_CWD "/app.py", "load", 20, PROFILE_FRAME_PYTHON, &fload);
	profile_add_frame(p, "/nonexistent/py/json/decoder.py", "decode", 337,
			  PROFILE_FRAME_PYTHON, &fdec);
	profile_add_frame(p, "[no Python stack]", "", 0, PROFILE_FRAME_SYNTHETIC, &fnopy);
	profile_add_frame(p, FX_CWD "/we;ird\nname.py", "f;n", 5, PROFILE_FRAME_PYTHON, &fweird);
	profile_add_frame(p, FX_CWD "/app.py", "build", 30, PROFILE_FRAME_PYTHON, &fbuild);
	profile_add_frame(p, FX_CWD "/app.py", "load", 20, PROFILE_FRAME_PYTHON, &fload2);
	profile_add_frame(p, "[C thread]", "", 0, PROFILE_FRAME_SYNTHETIC, &fcth);
	profile_add_node(p, 0, fmain, 0, 0, NULL);           /* n1 */
	profile_add_node(p, FX_N1, fload, 1000, 0, NULL);    /* n2 */
	profile_add_node(p, FX_N2, fdec, 3000, 0, NULL);     /* n3 */
	profile_add_node(p, FX_N1, fbuild, 6000, 0, NULL);   /* n4 */
	profile_add_node(p, 0, fnopy, 500, 0, NULL);         /* n5 */
	profile_add_node(p, FX_N1, fweird, 7, 0, NULL);      /* n6 */
	profile_add_node(p, FX_N4, fdec, 0, 0, NULL);        /* n7 */
	profile_add_node(p, FX_N1, fload2, 11, 0, NULL);     /* n8 */
	profile_add_node(p, FX_N4, fcth, 50, 0, NULL);       /* n9 */
	p->peak_bytes += 100; /* exact peak above what the stacks hold */
	static const char *const argv[] = {"python3", "app.py"};
	p->argc = 2;
	p->argv = fx_argv(2, argv);
	p->pid = 4242;
	p->ppid = 1;
	snprintf(p->python_version, sizeof(p->python_version), "3.11.7");
	p->start_unix_s = 1700000000.5;
	p->duration_s = 2.5;
	p->peak_time_s = 1.3;
	p->max_rss_bytes = 20 << 20;
	p->sample_rate = 1;
	p->exact = 1;
	p->exited_cleanly = 1;
	p->exit_code = 0;
}

/* A profile whose one frame's file name and function are markup, and whose
 * source line (a real file in `dir`) is markup too.  Line 2 of the file:
 *     x = 1  # </script><svg onload=alert(1)>
 */
#define FX_HOSTILE_FILE "<b>&\"'.py"
#define FX_HOSTILE_FUNC "<img src=x onerror=alert(2)>"
#define FX_HOSTILE_SRC "x = 1  # </script><svg onload=alert(1)>"

static inline int fx_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static inline void fx_hostile(struct profile *p, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, FX_HOSTILE_FILE);
	fx_write(path, "import os\n   " FX_HOSTILE_SRC "   \nprint(x)\n");
	uint32_t fa, fb;
	profile_init(p);
	profile_add_frame(p, path, FX_HOSTILE_FUNC, 2, PROFILE_FRAME_PYTHON, &fa);
	profile_add_frame(p, path, "<module>", 3, PROFILE_FRAME_PYTHON, &fb);
	uint32_t n1;
	profile_add_node(p, 0, fb, 1 << 20, 0, &n1);
	profile_add_node(p, n1, fa, 40 << 20, 0, NULL);
	static const char *const argv[] = {"python3", FX_HOSTILE_FILE, "</script><svg onload=alert(3)>"};
	p->argc = 3;
	p->argv = fx_argv(3, argv);
	p->pid = 777;
	p->peak_time_s = 0.5;
	p->duration_s = 1;
	p->exited_cleanly = 1;
}

static inline char *fx_read(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *s = malloc(cap);
	size_t r;
	while (s && (r = fread(s + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0) {
			char *q = realloc(s, cap *= 2);
			if (!q) {
				free(s);
				s = NULL;
			}
			s = q;
		}
	}
	fclose(f);
	if (s)
		s[n] = 0;
	return s;
}

static inline void fx_tmpdir(char *out, size_t n)
{
	const char *base = getenv("TMPDIR");
	snprintf(out, n, "%s/oomph-test-XXXXXX", base && base[0] ? base : "/tmp");
	if (!mkdtemp(out)) {
		perror("mkdtemp");
		exit(2);
	}
}

static inline int fx_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void fx_rmrf(const char *dir)
{
	nftw(dir, fx_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* xmllint's verdict on a file: 0 well-formed, > 0 not, -1 no xmllint. */
static inline int fx_xmllint(const char *path)
{
	if (system("command -v xmllint >/dev/null 2>&1") != 0)
		return -1;
	char cmd[4300];
	snprintf(cmd, sizeof(cmd), "xmllint --noout '%s'", path);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static inline int fx_void_element(const char *name, size_t n)
{
	static const char *const v[] = {"meta", "br", "hr", "img", "input", "link", "wbr", NULL};
	for (int i = 0; v[i]; i++)
		if (strlen(v[i]) == n && !strncmp(v[i], name, n))
			return 1;
	return 0;
}

/* Our own markup is balanced: every element closed in order, attribute
 * values quoted and free of '<', every '&' an entity, script and CDATA
 * bodies skipped.  html: void elements need no close.  Returns 0, or -1
 * with the reason (and offset) in `why`. */
static inline int fx_balanced(const char *s, int html, char *why, size_t whylen)
{
	const char *stack[4096];
	size_t slen[4096], sp = 0;
	const char *p = s;
	while (*p) {
		if (*p == '&') {
			const char *q = p + 1;
			if (*q == '#')
				q++;
			while ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || (*q >= 'A' && *q <= 'Z'))
				q++;
			if (*q != ';' || q == p + 1) {
				snprintf(why, whylen, "bare & at %ld", (long)(p - s));
				return -1;
			}
			p = q + 1;
			continue;
		}
		if (*p == '>') {
			snprintf(why, whylen, "bare > at %ld", (long)(p - s));
			return -1;
		}
		if (*p != '<') {
			p++;
			continue;
		}
		const char *end;
		if (!strncmp(p, "<?", 2) && (end = strstr(p, "?>"))) {
			p = end + 2;
		} else if (!strncmp(p, "<!--", 4) && (end = strstr(p, "-->"))) {
			p = end + 3;
		} else if (!strncmp(p, "<![CDATA[", 9) && (end = strstr(p, "]]>"))) {
			p = end + 3;
		} else if (!strncmp(p, "<!DOCTYPE", 9) && (end = strchr(p, '>'))) {
			p = end + 1;
		} else if (p[1] == '/') {
			const char *name = p + 2;
			size_t n = strcspn(name, " >");
			if (!sp || slen[sp - 1] != n || strncmp(stack[sp - 1], name, n)) {
				snprintf(why, whylen, "unexpected </%.*s> at %ld", (int)n, name, (long)(p - s));
				return -1;
			}
			sp--;
			p = name + n;
			if (*p != '>') {
				snprintf(why, whylen, "bad close tag at %ld", (long)(p - s));
				return -1;
			}
			p++;
		} else {
			const char *name = p + 1;
			size_t n = strcspn(name, " \n/>");
			if (!n) {
				snprintf(why, whylen, "bare < at %ld", (long)(p - s));
				return -1;
			}
			const char *q = name + n;
			for (;;) { /* attributes */
				while (*q == ' ' || *q == '\n')
					q++;
				if (*q == '>' || (q[0] == '/' && q[1] == '>') || !*q)
					break;
				size_t an = strcspn(q, "= >");
				q += an;
				if (*q != '=' || (q[1] != '"' && q[1] != '\'')) {
					snprintf(why, whylen, "unquoted attribute at %ld", (long)(q - s));
					return -1;
				}
				char quote = q[1];
				const char *v = q + 2, *ve = strchr(v, quote);
				if (!ve || memchr(v, '<', (size_t)(ve - v))) {
					snprintf(why, whylen, "bad attribute value at %ld", (long)(v - s));
					return -1;
				}
				q = ve + 1;
			}
			if (!*q) {
				snprintf(why, whylen, "unterminated tag at %ld", (long)(p - s));
				return -1;
			}
			int self = *q == '/';
			p = q + (self ? 2 : 1);
			if (self || (html && fx_void_element(name, n)))
				continue;
			if (html && n == 6 && !strncmp(name, "script", 6)) {
				/* raw text: runs to the first "</script" whatever it says */
				end = strstr(p, "</script");
				if (!end) {
					snprintf(why, whylen, "unterminated script");
					return -1;
				}
				p = end;
			}
			if (sp == 4096) {
				snprintf(why, whylen, "too deep");
				return -1;
			}
			stack[sp] = name;
			slen[sp++] = n;
		}
	}
	if (sp) {
		snprintf(why, whylen, "<%.*s> never closed", (int)slen[sp - 1], stack[sp - 1]);
		return -1;
	}
	return 0;
}

static inline size_t fx_count(const char *hay, const char *needle)
{
	size_t n = 0, l = strlen(needle);
	for (const char *p = hay; (p = strstr(p, needle)); p += l)
		n++;
	return n;
}

#endif
