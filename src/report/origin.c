/* report/origin.c — whose code a frame is (origin.h). */
#include "report/origin.h"

#include <stdio.h>
#include <string.h>

static size_t trimmed(const char *p)
{
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	return n;
}

static void add_dir(struct origin *o, const char *path, enum origin_kind kind)
{
	if (!path || path[0] != '/' || o->ndirs >= ORIGIN_MAX_DIRS)
		return;
	o->dirs[o->ndirs++] = (struct origin_dir){path, trimmed(path), kind};
}

void origin_init_cwd(struct origin *o, const char *cwd)
{
	memset(o, 0, sizeof(*o));
	o->cwd = cwd ? cwd : "";
	/* the working directory is the program's unless a longer directory
	 * (a virtual environment inside it) says otherwise */
	if (o->cwd[0] == '/' && strcmp(o->cwd, "/"))
		add_dir(o, o->cwd, ORIGIN_PROGRAM);
}

void origin_init(struct origin *o, const struct runmeta *m)
{
	origin_init_cwd(o, m ? m->cwd : "");
	if (!m)
		return;
	for (int i = 0; i < m->npydirs; i++) {
		const char *e = m->pydirs[i], *sp = strchr(e, ' ');
		if (!sp)
			continue;
		size_t k = (size_t)(sp - e);
		if ((k == 6 && !strncmp(e, "stdlib", 6)))
			add_dir(o, sp + 1, ORIGIN_STDLIB);
		else if ((k == 4 && !strncmp(e, "site", 4)) || (k == 8 && !strncmp(e, "usersite", 8)))
			add_dir(o, sp + 1, ORIGIN_PACKAGE);
	}
	/* `python3 script.py`: the script's directory is the program's too
	 * (argv is python, then the script, unless -m or -c). */
	if (m->python[0] && m->argc >= 2 && m->argv[1][0] != '-' && m->argv[1][0]) {
		const char *s = m->argv[1], *slash = strrchr(s, '/');
		int n;
		if (!slash)
			n = snprintf(o->script_dir, sizeof o->script_dir, "%s", o->cwd);
		else if (s[0] == '/')
			n = snprintf(o->script_dir, sizeof o->script_dir, "%.*s", (int)(slash - s), s);
		else
			n = snprintf(o->script_dir, sizeof o->script_dir, "%s/%.*s", o->cwd,
				     (int)(slash - s), s);
		if (n < 0 || (size_t)n >= sizeof o->script_dir || o->script_dir[0] != '/' ||
		    !strcmp(o->script_dir, "/"))
			o->script_dir[0] = 0;
		else
			add_dir(o, o->script_dir, ORIGIN_PROGRAM);
	}
}

/* The spellings of every CPython install: the length of the directory
 * part ("/usr/lib/python3.11/", ".../site-packages/") and its kind, or 0.
 * The last "/site-packages/" or "/dist-packages/" wins, else the first
 * "/lib/pythonX.Y[t]/".  One pass over the name's slashes (every
 * spelling starts with one), not a search per spelling: each frame of each
 * picture is classified. */
static size_t by_spelling(const char *file, enum origin_kind *kind)
{
	const char *pkg = NULL, *lib = NULL;
	for (const char *p = strchr(file, '/'); p; p = strchr(p + 1, '/')) {
		if ((p[1] == 's' && !strncmp(p + 1, "site-packages/", 14)) ||
		    (p[1] == 'd' && !strncmp(p + 1, "dist-packages/", 14))) {
			pkg = p;
		} else if (!lib && !pkg && p[1] == 'l' && !strncmp(p + 1, "lib/python", 10)) {
			/* .../lib/python3.11/ or .../lib/python3.14t/ */
			const char *q = p + 11;
			if (*q < '0' || *q > '9')
				continue;
			while ((*q >= '0' && *q <= '9') || *q == '.')
				q++;
			while (*q >= 'a' && *q <= 'z')
				q++;
			if (*q == '/')
				lib = q;
		}
	}
	if (pkg) {
		*kind = ORIGIN_PACKAGE;
		return (size_t)(pkg - file) + 15;
	}
	if (lib) {
		*kind = ORIGIN_STDLIB;
		return (size_t)(lib + 1 - file);
	}
	return 0;
}

enum origin_kind origin_of(const struct origin *o, const char *file, size_t *rest)
{
	if (rest)
		*rest = 0;
	if (!file || !file[0])
		return ORIGIN_PROGRAM;
	if (file[0] == '<')
		return strncmp(file, "<frozen ", 8) ? ORIGIN_PROGRAM : ORIGIN_INTERPRETER;
	enum origin_kind kind = ORIGIN_PROGRAM;
	size_t best = 0;
	if (file[0] == '/') {
		size_t n = strlen(file);
		for (size_t i = 0; i < o->ndirs; i++) {
			const struct origin_dir *d = &o->dirs[i];
			/* the slash after the directory first: one byte rules out
			 * most directories without a compare */
			if (d->len + 1 > best && d->len + 1 < n && file[d->len] == '/' &&
			    !strncmp(file, d->path, d->len)) {
				best = d->len + 1;
				kind = d->kind;
			}
		}
	}
	enum origin_kind sk = ORIGIN_PROGRAM;
	size_t s = by_spelling(file, &sk);
	/* a directory the probe named wins over a spelling inside it
	 * (a stdlib dir ".../lib/python3.11" vs its ".../site-packages/") only
	 * when it is the longer match */
	if (s > best) {
		best = s;
		kind = sk;
	}
	if (kind == ORIGIN_PROGRAM) {
		/* the program's files are named relative to the working directory
		 * when under it (as everywhere in the report) */
		size_t n = trimmed(o->cwd);
		if (rest && file[0] == '/' && o->cwd[0] == '/') {
			if (n == 1)
				*rest = file[1] ? 1 : 0;
			else if (!strncmp(file, o->cwd, n) && file[n] == '/' && file[n + 1])
				*rest = n + 1;
		}
		/* a script run from elsewhere (`oomph run ../jobs/etl.py`): its
		 * directory is sys.path[0], so its files are known by their
		 * names below it */
		n = trimmed(o->script_dir);
		if (rest && !*rest && file[0] == '/' && o->script_dir[0] == '/' && n > 1 &&
		    !strncmp(file, o->script_dir, n) && file[n] == '/' && file[n + 1])
			*rest = n + 1;
		return ORIGIN_PROGRAM;
	}
	if (rest)
		*rest = best;
	return kind;
}

void origin_short(struct buf *b, const struct origin *o, const char *file)
{
	size_t rest = 0;
	(void)origin_of(o, file, &rest);
	buf_puts(b, file + rest);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* Whether a name can be plumbing at all: <frozen runpy>, or one of the
 * kinds below, each a name right after a directory, so after a slash.
 * One pass over the slashes rules out nearly every frame before origin_of
 * (every frame of every derived picture is asked). */
int origin_may_be_plumbing(const char *file)
{
	if (!strcmp(file, "<frozen runpy>"))
		return 1;
	for (const char *p = strchr(file, '/'); p; p = strchr(p + 1, '/')) {
		const char *s = p + 1;
		switch (s[0]) {
		case 'r':
			if (!strncmp(s, "runpy.py", 8))
				return 1;
			break;
		case 't':
			if (!strncmp(s, "threading.py", 12))
				return 1;
			break;
		case 'm':
			if (!strncmp(s, "multiprocessing/", 16))
				return 1;
			break;
		case 'c':
			if (!strncmp(s, "concurrent/futures/", 19))
				return 1;
			break;
		case '_':
			if (!strncmp(s, "_pytest/", 8))
				return 1;
			break;
		case 'p':
			if (!strncmp(s, "pluggy/", 7) || !strncmp(s, "pytest/__main__.py", 18))
				return 1;
			break;
		default:
			break;
		}
	}
	return 0;
}

int origin_plumbing(const struct origin *o, const char *file, const char *func)
{
	if (!file)
		return 0;
	if (!strcmp(file, "<frozen runpy>"))
		return 1;
	if (!origin_may_be_plumbing(file))
		return 0;
	size_t rest = 0;
	enum origin_kind k = origin_of(o, file, &rest);
	const char *s = file + rest;
	func = func ? func : "";
	if (k == ORIGIN_STDLIB) {
		if (!strcmp(s, "runpy.py"))
			return 1;
		if (!strcmp(s, "threading.py"))
			return !strcmp(func, "Thread._bootstrap") || !strcmp(func, "Thread._bootstrap_inner") ||
			       !strcmp(func, "Thread.run") || !strcmp(func, "_bootstrap") ||
			       !strcmp(func, "_bootstrap_inner") || !strcmp(func, "run");
		if (!strncmp(s, "multiprocessing/", 16)) {
			const char *m = s + 16;
			return !strncmp(m, "popen_", 6) || !strcmp(m, "context.py") ||
			       !strcmp(m, "spawn.py") || !strcmp(m, "forkserver.py") ||
			       (!strcmp(m, "process.py") &&
				(ends_with(func, "_bootstrap") || ends_with(func, "start") ||
				 ends_with(func, "run"))) ||
			       (!strcmp(m, "pool.py") &&
				(!strcmp(func, "worker") || ends_with(func, "mapstar") ||
				 ends_with(func, "starmapstar")));
		}
		if (!strcmp(s, "concurrent/futures/thread.py"))
			return !strcmp(func, "_worker") || ends_with(func, "_WorkItem.run") ||
			       !strcmp(func, "run");
		if (!strcmp(s, "concurrent/futures/process.py"))
			return !strcmp(func, "_process_worker");
		return 0;
	}
	if (k == ORIGIN_PACKAGE)
		return !strncmp(s, "_pytest/", 8) || !strncmp(s, "pluggy/", 7) ||
		       !strcmp(s, "pytest/__main__.py");
	return 0;
}

void origin_module(struct buf *b, const struct origin *o, const char *file)
{
	size_t rest = 0;
	(void)origin_of(o, file, &rest);
	const char *s = file + rest;
	if (!strncmp(s, "<frozen ", 8) && ends_with(s, ">")) { /* <frozen site> */
		buf_put(b, s + 8, strlen(s) - 9);
		return;
	}
	if (s[0] == '/' || s[0] == '<') { /* no package directory: its file's name */
		const char *slash = strrchr(s, '/');
		s = slash ? slash + 1 : s;
	}
	size_t n = strlen(s);
	if (ends_with(s, "/__init__.py"))
		n -= 12;
	else if (ends_with(s, ".py"))
		n -= 3;
	for (size_t i = 0; i < n; i++)
		buf_putc(b, s[i] == '/' ? '.' : s[i]);
}

const char *origin_kind_name(enum origin_kind k)
{
	switch (k) {
	case ORIGIN_PROGRAM:
		return "program";
	case ORIGIN_STDLIB:
		return "stdlib";
	case ORIGIN_PACKAGE:
		return "package";
	case ORIGIN_INTERPRETER:
		return "interpreter";
	}
	return "program";
}
