/* report/source.c — cached source lines (source.h). */
#include "report/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/escape.h"

struct src_file {
	char *name;       /* as given (the key) */
	char *text;       /* lines, each NUL-terminated in place; NULL: unreadable */
	uint32_t *line;   /* offset of line i+1 in text */
	uint32_t nlines;
};

struct src_cache {
	char *cwd;
	struct src_file *slot; /* open addressing; name == NULL: empty */
	size_t cap, used;
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
	}
	free(c->slot);
	free(c->cwd);
	free(c);
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

/* Cut each line in place: NUL at its end, white space trimmed on both
 * sides (the start offset moves past leading blanks), long lines shortened
 * to SRC_MAX_LINE bytes ending in "...". */
static int index_lines(struct src_file *f, size_t len)
{
	uint32_t cap = 64, n = 0;
	uint32_t *line = malloc(cap * sizeof(*line));
	if (!line)
		return -ENOMEM;
	size_t i = 0;
	while (i < len) {
		size_t end = i;
		while (end < len && f->text[end] != '\n')
			end++;
		f->text[end] = 0; /* the buffer has len + 1 bytes */
		size_t a = i, z = end;
		while (a < z && is_space(f->text[a]))
			a++;
		while (z > a && is_space(f->text[z - 1]))
			z--;
		if (z - a > SRC_MAX_LINE) {
			size_t keep = 0;
			for (;;) { /* whole code points only */
				uint32_t cp;
				size_t k = esc_utf8_next(f->text + a + keep, z - a - keep, &cp);
				if (keep + k > SRC_MAX_LINE - 3)
					break;
				keep += k;
			}
			memcpy(f->text + a + keep, "...", 3);
			z = a + keep + 3;
		}
		f->text[z] = 0;
		if (n == cap) {
			uint32_t *q = realloc(line, (size_t)cap * 2 * sizeof(*line));
			if (!q) {
				free(line);
				return -ENOMEM;
			}
			line = q;
			cap *= 2;
		}
		line[n++] = (uint32_t)a;
		i = end + 1;
	}
	f->line = line;
	f->nlines = n;
	return 0;
}

static void load(struct src_cache *c, struct src_file *f)
{
	const char *name = f->name;
	size_t nl = strlen(name);
	/* "<string>", "<stdin>", "<frozen importlib._bootstrap>": no file,
	 * and a file of that name in the cwd would be a different text. */
	if (nl == 0 || (name[0] == '<' && name[nl - 1] == '>'))
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
	size_t want = st.st_size > (off_t)SRC_MAX_FILE ? SRC_MAX_FILE : (size_t)st.st_size;
	char *text = malloc(want + 1);
	size_t got = 0;
	while (text && got < want) {
		ssize_t r = read(fd, text + got, want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!text)
		return;
	text[got] = 0;
	f->text = text;
	if (index_lines(f, got) != 0) {
		free(f->text);
		f->text = NULL;
	}
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

const char *src_line(struct src_cache *c, const char *file, uint32_t line)
{
	if (!c || !file || line == 0)
		return "";
	if ((c->used + 1) * 2 > c->cap && grow(c) != 0)
		return "";
	size_t j = hash(file) & (c->cap - 1);
	while (c->slot[j].name && strcmp(c->slot[j].name, file))
		j = (j + 1) & (c->cap - 1);
	struct src_file *f = &c->slot[j];
	if (!f->name) {
		f->name = strdup(file);
		if (!f->name)
			return "";
		c->used++;
		load(c, f);
	}
	if (!f->text || line > f->nlines)
		return "";
	return f->text + f->line[line - 1];
}
