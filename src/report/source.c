/* report/source.c — cached source lines (source.h). */
#include "report/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/readfile.h"
#include "profile/runmeta.h"
#include "report/escape.h"

struct src_file {
	char *name;       /* as given (the key) */
	char *text;       /* lines, each NUL-terminated in place; NULL: unreadable */
	uint32_t *line;   /* offset of line i+1 in text */
	uint32_t nlines;
	uint8_t *served;  /* nlines flags: handed out (src_save keeps those) */
	int raw;          /* read from the file: a line is cut when first served */
	size_t len, scan; /* a raw file's length, and how far its lines are indexed */
	uint32_t lcap;    /* room in line (and served, once made) */
	int changed;      /* modified after the run started: not shown */
};

struct src_cache {
	char *cwd;
	struct src_file *slot; /* open addressing; name == NULL: empty */
	size_t cap, used;
	double since;     /* files modified after this (unix s) changed; 0: no check */
	char *script;     /* the run's script: allowed whatever its name */
	int stored_only;  /* lines come from src_load only, never the disk */
	void *memo;       /* src_set_memo's, released with the cache */
	void (*release)(void *);
};

struct src_cache *src_new(const char *cwd)
{
	struct src_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cwd = strdup(cwd ? cwd : "");
	c->cap = 64;
	c->slot = calloc(c->cap, sizeof(*c->slot));
	if (!c->cwd || !c->slot) {
		src_free(c);
		return NULL;
	}
	return c;
}

void src_free(struct src_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap && c->slot; i++) {
		free(c->slot[i].name);
		free(c->slot[i].text);
		free(c->slot[i].line);
		free(c->slot[i].served);
	}
	free(c->slot);
	free(c->cwd);
	free(c->script);
	if (c->memo && c->release)
		c->release(c->memo);
	free(c);
}

void *src_memo(const struct src_cache *c)
{
	return c ? c->memo : NULL;
}

void src_set_memo(struct src_cache *c, void *memo, void (*release)(void *))
{
	if (c->memo && c->release)
		c->release(c->memo);
	c->memo = memo;
	c->release = release;
}

int src_set_run(struct src_cache *c, double start_unix_s, const char *script)
{
	c->since = start_unix_s;
	free(c->script);
	c->script = script && *script ? strdup(script) : NULL;
	return script && *script && !c->script ? -ENOMEM : 0;
}

/* Only Python source is read: a code object may name any file (compile()
 * takes any name), and a report must not quote /etc/shadow because a
 * program said its code came from there.  The run's own script is read
 * whatever its name. */
static int allowed(const struct src_cache *c, const char *name)
{
	size_t n = strlen(name);
	if (c->script && !strcmp(name, c->script))
		return 1;
	return (n > 3 && !strcmp(name + n - 3, ".py")) || (n > 4 && !strcmp(name + n - 4, ".pyw"));
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* Index the lines up to line `want` (or the end): a NUL at each line's
 * end (memchr, not a loop per byte).  On demand, not the whole file at
 * once: the report reads whole modules, numpy's and pandas', for a few of
 * their lines, often near the top.  Each line is cut further when it is
 * first served (cut_line).  0 or -ENOMEM. */
static int index_lines(struct src_file *f, uint32_t want)
{
	while (f->nlines < want && f->scan < f->len) {
		if (f->nlines == f->lcap) {
			uint32_t cap = f->lcap ? f->lcap * 2 : 64;
			uint32_t *q = realloc(f->line, (size_t)cap * sizeof(*q));
			if (!q)
				return -ENOMEM;
			f->line = q;
			if (f->served) {
				uint8_t *sv = realloc(f->served, cap);
				if (!sv)
					return -ENOMEM;
				memset(sv + f->lcap, 0, cap - f->lcap);
				f->served = sv;
			}
			f->lcap = cap;
		}
		size_t i = f->scan;
		const char *nl = memchr(f->text + i, '\n', f->len - i);
		size_t end = nl ? (size_t)(nl - f->text) : f->len;
		f->text[end] = 0; /* the buffer has len + 1 bytes */
		f->line[f->nlines++] = (uint32_t)i;
		f->scan = end + 1;
	}
	return 0;
}

/* A line read from the file, served for the first time: white space trimmed
 * on both sides in place (its offset moves past leading blanks), a long line
 * shortened to SRC_MAX_LINE bytes ending in "...". */
static void cut_line(struct src_file *f, uint32_t k)
{
	char *t = f->text;
	size_t a = f->line[k], z = a + strlen(t + a);
	while (a < z && is_space(t[a]))
		a++;
	while (z > a && is_space(t[z - 1]))
		z--;
	if (z - a > SRC_MAX_LINE) {
		size_t keep = 0;
		for (;;) { /* whole code points only */
			uint32_t cp;
			size_t m = esc_utf8_next(t + a + keep, z - a - keep, &cp);
			if (keep + m > SRC_MAX_LINE - 3)
				break;
			keep += m;
		}
		memcpy(t + a + keep, "...", 3);
		z = a + keep + 3;
	}
	t[z] = 0;
	f->line[k] = (uint32_t)a;
}

static void load(struct src_cache *c, struct src_file *f)
{
	const char *name = f->name;
	size_t nl = strlen(name);
	/* "<string>", "<stdin>", "<frozen importlib._bootstrap>": no file,
	 * and a file of that name in the cwd would be a different text. */
	if (nl == 0 || (name[0] == '<' && name[nl - 1] == '>') || c->stored_only || !allowed(c, name))
		return;
	char path[8192];
	if (name[0] == '/' || !c->cwd[0])
		snprintf(path, sizeof(path), "%s", name);
	else if (snprintf(path, sizeof(path), "%s/%s", c->cwd, name) >= (int)sizeof(path))
		return;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	/* edited since the run: its lines are not those the run had */
	double mtime = (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9;
	if (c->since > 0 && mtime > c->since) {
		f->changed = 1;
		close(fd);
		return;
	}
	size_t want = st.st_size > (off_t)SRC_MAX_FILE ? SRC_MAX_FILE : (size_t)st.st_size;
	char *text = malloc(want + 1);
	ssize_t n = text ? read_fd_all(fd, text, want) : 0;
	close(fd);
	if (!text)
		return;
	size_t got = n > 0 ? (size_t)n : 0;
	text[got] = 0;
	f->text = text;
	f->len = got;
	f->raw = 1;
}

static int grow(struct src_cache *c)
{
	size_t ncap = c->cap * 2;
	struct src_file *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < c->cap; i++) {
		if (!c->slot[i].name)
			continue;
		size_t j = hash(c->slot[i].name) & (ncap - 1);
		while (ns[j].name)
			j = (j + 1) & (ncap - 1);
		ns[j] = c->slot[i];
	}
	free(c->slot);
	c->slot = ns;
	c->cap = ncap;
	return 0;
}

static struct src_file *slot_for(struct src_cache *c, const char *file)
{
	if ((c->used + 1) * 2 > c->cap && grow(c) != 0)
		return NULL;
	size_t j = hash(file) & (c->cap - 1);
	while (c->slot[j].name && strcmp(c->slot[j].name, file))
		j = (j + 1) & (c->cap - 1);
	return &c->slot[j];
}

const char *src_line(struct src_cache *c, const char *file, uint32_t line)
{
	if (!c || !file || line == 0)
		return "";
	struct src_file *f = slot_for(c, file);
	if (!f)
		return "";
	if (!f->name) {
		f->name = strdup(file);
		if (!f->name)
			return "";
		c->used++;
		load(c, f);
	}
	if (f->text && f->raw && index_lines(f, line) != 0)
		return "";
	if (!f->text || line > f->nlines)
		return "";
	if (!f->served) {
		f->lcap = f->raw ? f->lcap : f->nlines;
		f->served = calloc(f->lcap ? f->lcap : 1, 1);
	}
	if (!f->served)
		return "";
	if (!f->served[line - 1]) {
		if (f->raw)
			cut_line(f, line - 1);
		f->served[line - 1] = 1;
	}
	return f->text + f->line[line - 1];
}

size_t src_changed(const struct src_cache *c, const char **names, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; c && i < c->cap; i++)
		if (c->slot[i].name && c->slot[i].changed) {
			if (n < max)
				names[n] = c->slot[i].name;
			n++;
		}
	return n;
}

/* --------------------------------------------------- stored lines --- */

#define SOURCES_MARKER "# oomph sources 1"

int src_save(const struct src_cache *c, char **out, size_t *outlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "%s\n", SOURCES_MARKER);
	/* one escaped value can be 3 bytes per byte */
	char *esc = malloc(3 * SRC_MAX_FILE + 1);
	for (size_t i = 0; esc && i < c->cap; i++) {
		const struct src_file *sf = &c->slot[i];
		if (!sf->name || (!sf->changed && !sf->served))
			continue;
		if (runmeta_escape(sf->name, esc, 3 * SRC_MAX_FILE + 1) != 0)
			continue;
		fprintf(f, "file %s%s\n", esc, sf->changed ? " changed" : "");
		for (uint32_t k = 0; sf->served && k < sf->nlines; k++) {
			if (!sf->served[k])
				continue;
			if (runmeta_escape(sf->text + sf->line[k], esc, 3 * SRC_MAX_FILE + 1) == 0)
				fprintf(f, "%u %s\n", k + 1, esc);
		}
	}
	int bad = !esc || fflush(f) != 0 || ferror(f);
	free(esc);
	if (fclose(f) != 0)
		bad = 1;
	if (bad) {
		free(text);
		return -ENOMEM;
	}
	*out = text;
	*outlen = len;
	return 0;
}

/* A stored file: text holds its stored lines one after another after an
 * empty string at offset 0; line[k] is the offset of line k+1 (0, the
 * empty string, for a line not stored). */
static int store_line(struct src_file *f, size_t *len, size_t *cap, uint32_t lineno,
		      const char *s)
{
	if (lineno == 0 || lineno > 10000000u)
		return -EINVAL;
	if (lineno > f->nlines) {
		uint32_t *q = realloc(f->line, (size_t)lineno * sizeof(*q));
		if (!q)
			return -ENOMEM;
		for (uint32_t k = f->nlines; k < lineno; k++)
			q[k] = 0;
		f->line = q;
		f->nlines = lineno;
	}
	size_t n = strlen(s);
	if (n > SRC_MAX_LINE + 8 || *len + n + 1 > UINT32_MAX)
		return -EINVAL;
	if (*len + n + 1 > *cap) {
		size_t ncap = (*cap ? *cap : 256);
		while (ncap < *len + n + 1)
			ncap *= 2;
		char *q = realloc(f->text, ncap);
		if (!q)
			return -ENOMEM;
		f->text = q;
		*cap = ncap;
	}
	if (*len == 0) { /* offset 0: the empty string */
		f->text[0] = 0;
		*len = 1;
	}
	memcpy(f->text + *len, s, n + 1);
	f->line[lineno - 1] = (uint32_t)*len;
	*len += n + 1;
	return 0;
}

int src_load(struct src_cache *c, char *text, size_t len)
{
	c->stored_only = 1; /* whatever happens below: never the disk again */
	if (len < strlen(SOURCES_MARKER) || strncmp(text, SOURCES_MARKER, strlen(SOURCES_MARKER)))
		return -EINVAL;
	struct src_file *cur = NULL;
	size_t tlen = 0, tcap = 0;
	int rc = 0;
	char *save = NULL;
	for (char *ln = strtok_r(text, "\n", &save); ln && !rc; ln = strtok_r(NULL, "\n", &save)) {
		if (ln[0] == '#')
			continue;
		if (!strncmp(ln, "file ", 5)) {
			char *name = ln + 5, *sp = strchr(name, ' ');
			int changed = sp && !strcmp(sp + 1, "changed");
			if (sp)
				*sp = 0;
			if (runmeta_unescape(name) != 0 || !*name) {
				rc = -EINVAL;
				break;
			}
			cur = slot_for(c, name);
			if (!cur || cur->name) { /* out of memory, or twice */
				rc = cur ? -EINVAL : -ENOMEM;
				break;
			}
			if (!(cur->name = strdup(name))) {
				rc = -ENOMEM;
				break;
			}
			c->used++;
			cur->changed = changed;
			tlen = tcap = 0;
			continue;
		}
		char *end;
		unsigned long k = strtoul(ln, &end, 10);
		if (!cur || end == ln || *end != ' ' || k == 0 || k > 10000000ul ||
		    runmeta_unescape(end + 1) != 0) {
			rc = -EINVAL;
			break;
		}
		rc = store_line(cur, &tlen, &tcap, (uint32_t)k, end + 1);
	}
	return rc;
}
