/* live/top.c — `oomph top DIR` and `oomph run --live` (top.h). */
#include "live/top.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/exitcodes.h"
#include "common/limits.h"
#include "common/readfile.h"
#include "common/safefs.h"
#include "live/frame.h"
#include "live/ring.h"
#include "profile/profile.h"
#include "profile/runmeta.h"
#include "report/source.h"
#include "report/text.h"
#include "report/view.h"
#include "state/format.h"
#include "supervisor/cgroup.h"
#include "supervisor/pressure.h"
#include "supervisor/rerender.h"
#include "supervisor/run.h"
#include "supervisor/rundir.h"

/* At most this many processes are read per frame (the watch's bound). */
#define TOP_MAX_PROCS 512
/* Source text is looked up for the largest lines of each process only. */
#define TOP_SOURCE_LINES 12

enum top_mode {
	TOP_PLAIN,  /* a frame after another, no escape sequence */
	TOP_SCREEN, /* oomph top on a terminal: the alternate screen */
	TOP_PANEL,  /* oomph run --live on a terminal: the bottom rows */
};

static volatile sig_atomic_t top_quit, top_resized;

static void on_quit(int sig)
{
	(void)sig;
	top_quit = 1;
}

static void on_winch(int sig)
{
	(void)sig;
	top_resized = 1;
}

static double now_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One line of the frame being gathered: its label owned here. */
struct merged {
	char *label;
	int64_t bytes;
	const char *source;
};

struct gather {
	struct runmeta meta;
	int meta_ok;
	int running;       /* the run goes on (status running, its oomph alive) */
	int orphaned;      /* status running, its oomph gone */
	struct profile procs[TOP_MAX_PROCS];
	size_t nprocs;
	struct live_proc lp[TOP_MAX_PROCS];
	struct buf cmds;   /* the processes' command lines, NUL-separated */
	struct merged *m;
	size_t nm, mcap;
	struct live_line *lines, *grew;
	size_t ngrew;
	struct live_growth *g;
	struct buf command;
};

static void gather_free(struct gather *g)
{
	if (g->meta_ok)
		runmeta_free(&g->meta);
	for (size_t i = 0; i < g->nprocs; i++)
		profile_free(&g->procs[i]);
	for (size_t i = 0; i < g->nm; i++)
		free(g->m[i].label);
	free(g->m);
	free(g->lines);
	free(g->grew);
	free(g->g);
	buf_free(&g->cmds);
	buf_free(&g->command);
	memset(g, 0, sizeof *g);
}

static int add_line(struct gather *g, const char *label, int64_t bytes, const char *source)
{
	if (g->nm == g->mcap) {
		size_t cap = g->mcap ? g->mcap * 2 : 256;
		struct merged *m = realloc(g->m, cap * sizeof *m);
		if (!m)
			return -ENOMEM;
		g->m = m;
		g->mcap = cap;
	}
	char *copy = strdup(label);
	if (!copy)
		return -ENOMEM;
	g->m[g->nm++] = (struct merged){copy, bytes, source ? source : ""};
	return 0;
}

static int merged_label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct merged *)a)->label, ((const struct merged *)b)->label);
}

static int merged_bytes_cmp(const void *a, const void *b)
{
	const struct merged *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return strcmp(x->label, y->label);
}

/* The lines of every process, one entry per label (a line run by several
 * processes is their sum), largest first. */
static void merge_lines(struct gather *g)
{
	if (!g->nm)
		return;
	qsort(g->m, g->nm, sizeof *g->m, merged_label_cmp);
	size_t k = 0;
	for (size_t i = 0; i < g->nm; i++) {
		if (k && !strcmp(g->m[k - 1].label, g->m[i].label)) {
			g->m[k - 1].bytes += g->m[i].bytes;
			if (!g->m[k - 1].source[0])
				g->m[k - 1].source = g->m[i].source;
			free(g->m[i].label);
		} else {
			g->m[k++] = g->m[i];
		}
	}
	g->nm = k;
	qsort(g->m, g->nm, sizeof *g->m, merged_bytes_cmp);
}

/* The lines of one process: what is live now (running), or at its peak. */
static int process_lines(struct gather *g, const struct profile *p, int now, const char *cwd,
			 struct src_cache *src)
{
	struct profile q = *p;
	if (now) {
		q.peak_self = p->live_self;
		q.peak_bytes = p->end_bytes;
	}
	struct view v;
	int rc = view_build(&v, &q, cwd, src);
	if (rc)
		return rc == -ENOMEM ? rc : 0; /* a trie not made yet: no lines */
	struct view_top *t;
	size_t n;
	if ((rc = view_lines(&v, &t, &n)) != 0) {
		view_free(&v);
		return rc;
	}
	struct buf lab;
	buf_init(&lab);
	for (size_t i = 0; i < n && !rc; i++) {
		buf_reset(&lab);
		if (t[i].synthetic)
			buf_puts(&lab, t[i].file);
		else
			buf_printf(&lab, "%s:%u (%s)", t[i].file, (unsigned)t[i].line, t[i].func);
		const char *source = i < TOP_SOURCE_LINES ? view_source(&v, t[i].frame) : "";
		rc = lab.oom ? -ENOMEM : add_line(g, buf_str(&lab), t[i].bytes, source);
	}
	buf_free(&lab);
	free(t);
	view_free(&v);
	return rc;
}

static int64_t rss_of(int pid)
{
	char path[64], buf[4096];
	int64_t v;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	return read_text_file(path, buf, sizeof buf) > 0 && proc_vmrss_parse(buf, &v) == 0 ? v : -1;
}

static int alive(const struct profile *p)
{
	return !p->exited_cleanly && (kill(p->pid, 0) == 0 || errno == EPERM);
}

/* The main process first (the one oomph started, or its exec'd image),
 * then the others by pid.  main_first: qsort's comparison has no context
 * argument, and the viewer is single-threaded. */
static int main_first;
static int proc_cmp(const void *a, const void *b)
{
	const struct profile *x = a, *y = b;
	int mx = x->pid == main_first, my = y->pid == main_first;
	if (mx != my)
		return my - mx;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->generation > y->generation ? -1 : x->generation < y->generation;
}

static void load_procs(struct gather *g, const char *state_dir)
{
	DIR *d = opendir(state_dir);
	if (!d)
		return;
	struct dirent *e;
	while (g->nprocs < TOP_MAX_PROCS && (e = readdir(d)) != NULL) {
		long pid;
		unsigned gen;
		if (!oomph_state_name_parse(e->d_name, &pid, &gen))
			continue;
		char path[PATH_MAX + 256], err[256];
		snprintf(path, sizeof path, "%s/%s", state_dir, e->d_name);
		struct profile *p = &g->procs[g->nprocs];
		memset(p, 0, sizeof *p);
		if (profile_load(path, p, err, sizeof err) == 0)
			g->nprocs++;
	}
	closedir(d);
	main_first = g->meta.child_pid;
	qsort(g->procs, g->nprocs, sizeof g->procs[0], proc_cmp);
	/* An exec'd pid keeps only its newest image among the rows. */
	size_t k = 0;
	for (size_t i = 0; i < g->nprocs; i++) {
		if (k && g->procs[k - 1].pid == g->procs[i].pid)
			profile_free(&g->procs[i]);
		else
			g->procs[k++] = g->procs[i];
	}
	g->nprocs = k;
}

/* What counts against the limit now, or -1.  A private cgroup (--limit)
 * is read where run.meta names it; otherwise the main process's own limit
 * (its state says which kind) the way limits_usage() reads it. */
static int64_t usage_now(const struct gather *g, const struct profile *mp)
{
	struct limits l;
	memset(&l, 0, sizeof l);
	const struct runmeta *m = &g->meta;
	int64_t u;
	if (m->cgroup_dir[0]) {
		int v2 = !strcmp(m->limit_mode, "cgroup-v2");
		l.kind = v2 ? LIMIT_CGROUP_V2 : LIMIT_CGROUP_V1;
		int n1 = snprintf(l.usage_path, sizeof l.usage_path, "%.*s/%s", LIMITS_PATH_MAX - 32,
				  m->cgroup_dir, v2 ? "memory.current" : "memory.usage_in_bytes");
		int n2 = snprintf(l.stat_path, sizeof l.stat_path, "%.*s/memory.stat",
				  LIMITS_PATH_MAX - 32, m->cgroup_dir);
		if (strlen(m->cgroup_dir) > LIMITS_PATH_MAX - 32 || n1 < 0 || n2 < 0)
			return -1; /* a name longer than the limits module reads */
		return limits_usage(&l, &u) == 0 ? u : -1;
	}
	if (!mp)
		return -1;
	if (!strcmp(mp->limit_kind, "system")) {
		l.kind = LIMIT_SYSTEM;
		snprintf(l.usage_path, sizeof l.usage_path, "/proc/meminfo");
	} else if (!strcmp(mp->limit_kind, "rlimit-as") || !strcmp(mp->limit_kind, "rlimit-data")) {
		l.kind = mp->limit_kind[7] == 'a' ? LIMIT_RLIMIT_AS : LIMIT_RLIMIT_DATA;
		snprintf(l.usage_path, sizeof l.usage_path, "/proc/%d/status", mp->pid);
	} else {
		/* a cgroup oomph did not make: ours, when it is the same one */
		if (limits_detect("", NULL, NULL, &l) != 0 || l.limit_bytes != mp->limit_bytes ||
		    strcmp(limits_kind_name(l.kind), mp->limit_kind))
			return -1;
	}
	return limits_usage(&l, &u) == 0 ? u : -1;
}

static void pressure_now(const struct gather *g, struct live_frame *f)
{
	struct ocgroup cg;
	char path[PATH_MAX + 32] = "";
	memset(&cg, 0, sizeof cg);
	snprintf(cg.mode, sizeof cg.mode, "%s", g->meta.limit_mode);
	snprintf(cg.mem_dir, sizeof cg.mem_dir, "%s", g->meta.cgroup_dir);
	snprintf(cg.psi_dir, sizeof cg.psi_dir, "%s", g->meta.cgroup_psi_dir);
	if (cg.mem_dir[0] || cg.psi_dir[0])
		cgroup_pressure_path(&cg, path, sizeof path);
	struct psi psi;
	f->psi_some = f->psi_full = -1;
	f->psi_scope = "the machine";
	if (path[0] && psi_read(path, &psi) == 0) {
		f->psi_scope = "its cgroup";
	} else if (psi_read("/proc/pressure/memory", &psi) != 0) {
		return;
	}
	f->psi_some = psi.some.avg10;
	f->psi_full = psi.full.avg10;
}

struct top {
	const char *dir;
	enum top_mode mode;
	int fd;              /* where frames go */
	int once;
	struct live_ring ring;
	struct src_cache *src;
	char cwd[4096];
	int seen_running;    /* the run was seen running */
	int had_procs;
	/* the panel (TOP_PANEL) */
	int rows, cols, panel;
	struct buf out;
};

/* Gathers one moment and renders it into t->out; 1 if there is something
 * to draw, 0 to keep the last frame (a moment between two states), or
 * -errno when the directory cannot be read as a run. */
static int top_frame(struct top *t, struct gather *g, int width, int height, char *err,
		     size_t errlen)
{
	memset(g, 0, sizeof *g);
	char msg[512];
	int rc = runmeta_load(t->dir, &g->meta, msg, sizeof msg);
	if (rc) {
		runmeta_free(&g->meta);
		snprintf(err, errlen, "cannot read %s/%s: %s", t->dir, RUNMETA_FILE, msg);
		return rc;
	}
	g->meta_ok = 1;
	int said_running = !strcmp(g->meta.status, "running");
	int watched = said_running &&
		      rundir_supervisor_alive(g->meta.supervisor_pid, g->meta.supervisor_start);
	g->running = watched;
	g->orphaned = said_running && !watched;
	if (!t->src) {
		snprintf(t->cwd, sizeof t->cwd, "%s", g->meta.cwd);
		t->src = src_new(t->cwd);
		if (!t->src)
			return -ENOMEM;
	}
	char state[PATH_MAX];
	if (runmeta_state_dir(&g->meta, t->dir, state, sizeof state) != 0)
		return 0;
	load_procs(g, state);
	if (!g->nprocs && t->had_procs && g->running)
		return 0; /* the state moving home at the end: keep the last frame */
	t->had_procs |= g->nprocs > 0;

	struct live_frame f;
	memset(&f, 0, sizeof f);
	buf_init(&g->command);
	text_shell_words(&g->command, g->meta.argc, g->meta.argv);
	f.command = buf_str(&g->command);
	f.quit_hint = t->mode == TOP_SCREEN;
	char ended[256];
	if (g->running) {
		f.elapsed_s = g->meta.start_unix_s > 0 ? now_s(CLOCK_REALTIME) - g->meta.start_unix_s : 0;
	} else if (g->orphaned) {
		snprintf(ended, sizeof ended, "is no longer watched (its oomph, pid %d, died)",
			 g->meta.supervisor_pid);
		f.ended = ended;
		f.elapsed_s = g->meta.start_unix_s > 0 ? now_s(CLOCK_REALTIME) - g->meta.start_unix_s : 0;
	} else {
		text_verdict(ended, sizeof ended, g->meta.verdict, g->meta.signal == 0,
			     g->meta.exit_code, g->meta.signal);
		f.ended = ended;
		f.elapsed_s = g->meta.duration_s;
	}

	/* processes */
	buf_init(&g->cmds);
	size_t *cmd_off = calloc(g->nprocs + 1, sizeof *cmd_off);
	if (!cmd_off)
		return -ENOMEM;
	for (size_t i = 0; i < g->nprocs; i++) {
		const struct profile *p = &g->procs[i];
		struct live_proc *lp = &g->lp[i];
		lp->pid = p->pid;
		lp->running = g->running && alive(p);
		lp->tracked_bytes = p->end_bytes;
		lp->peak_bytes = p->peak_bytes;
		lp->rss_bytes = lp->running ? rss_of(p->pid) : -1;
		cmd_off[i] = g->cmds.len;
		text_shell_words(&g->cmds, p->argc, p->argv);
		buf_putc(&g->cmds, 0);
	}
	for (size_t i = 0; i < g->nprocs; i++)
		g->lp[i].command = g->cmds.oom ? "" : g->cmds.p + cmd_off[i];
	free(cmd_off);
	f.procs = g->lp;
	f.nprocs = g->nprocs;

	/* the limit: the main process's */
	const struct profile *mp = g->nprocs ? &g->procs[0] : NULL;
	f.limit_bytes = mp ? mp->limit_bytes : 0;
	f.limit_source = mp ? mp->limit_source : "";
	f.usage_bytes = g->running ? usage_now(g, mp) : -1;
	pressure_now(g, &f);

	/* lines: live now while it runs, else at each process's peak */
	for (size_t i = 0; i < g->nprocs; i++) {
		if (g->running && !g->lp[i].running)
			continue;
		if ((rc = process_lines(g, &g->procs[i], g->running, t->cwd, t->src)) != 0)
			return rc;
	}
	merge_lines(g);
	g->lines = calloc(g->nm + 1, sizeof *g->lines);
	if (!g->lines)
		return -ENOMEM;
	for (size_t i = 0; i < g->nm; i++)
		g->lines[i] = (struct live_line){g->m[i].label, g->m[i].bytes, 0, g->m[i].source};
	f.lines = g->lines;
	f.nlines = g->nm;
	f.lines_title = g->running ? "top lines now:" : "top lines at the peak:";

	/* growth: the ring is fed only while the program runs */
	if (g->running) {
		const char **keys = malloc((g->nm + 1) * sizeof *keys);
		int64_t *bytes = malloc((g->nm + 1) * sizeof *bytes);
		if (!keys || !bytes) {
			free(keys);
			free(bytes);
			return -ENOMEM;
		}
		for (size_t i = 0; i < g->nm; i++) {
			keys[i] = g->m[i].label;
			bytes[i] = g->m[i].bytes;
		}
		rc = live_ring_push(&t->ring, now_s(CLOCK_MONOTONIC), keys, bytes, g->nm);
		free(keys);
		free(bytes);
		if (rc)
			return rc;
		if ((rc = live_ring_growth(&t->ring, &g->g, &g->ngrew, &f.span_s)) != 0)
			return rc;
		g->grew = calloc(g->ngrew + 1, sizeof *g->grew);
		if (!g->grew)
			return -ENOMEM;
		for (size_t i = 0; i < g->ngrew; i++)
			g->grew[i] = (struct live_line){g->g[i].key, g->g[i].now, g->g[i].grown, ""};
		f.grew = g->grew;
		f.ngrew = g->ngrew;
		t->seen_running = 1;
	}
	buf_reset(&t->out);
	live_frame_render(&t->out, &f, width, height);
	return t->out.oom ? -ENOMEM : 1;
}

static void put_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void put_str(int fd, const char *s)
{
	put_all(fd, s, strlen(s));
}

static void term_size(int fd, int *rows, int *cols)
{
	struct winsize ws;
	*rows = 24;
	*cols = 80;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

/* The panel of --live: the bottom rows, below a scroll region. */
static int panel_rows(int rows)
{
	int h = rows * 2 / 5;
	h = h < 6 ? 6 : h > 18 ? 18 : h;
	return rows - h < 3 ? 0 : h;
}

static void panel_open(struct top *t)
{
	term_size(t->fd, &t->rows, &t->cols);
	t->panel = panel_rows(t->rows);
	if (!t->panel)
		return;
	char s[96];
	/* make room below the cursor, then keep scrolling above the panel
	 * (DECSTBM homes the cursor: save and restore it around) */
	for (int i = 0; i < t->panel; i++)
		put_str(t->fd, "\n");
	snprintf(s, sizeof s, "\033[%dA\0337\033[1;%dr\0338", t->panel, t->rows - t->panel);
	put_str(t->fd, s);
}

static void panel_close(struct top *t)
{
	if (!t->panel)
		return;
	struct buf b;
	buf_init(&b);
	buf_puts(&b, "\0337");
	for (int r = t->rows - t->panel + 1; r <= t->rows; r++)
		buf_printf(&b, "\033[%d;1H\033[2K", r);
	buf_puts(&b, "\033[r\0338");
	if (!b.oom)
		put_all(t->fd, b.p, b.len);
	buf_free(&b);
	t->panel = 0;
}

/* Draw t->out in the mode's way. */
static void draw(struct top *t)
{
	struct buf b;
	buf_init(&b);
	const char *s = buf_str(&t->out);
	if (t->mode == TOP_PLAIN) {
		buf_puts(&b, s);
		buf_putc(&b, '\n');
	} else if (t->mode == TOP_SCREEN) {
		buf_puts(&b, "\033[H");
		for (const char *nl; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
			buf_put(&b, s, (size_t)(nl - s));
			buf_puts(&b, "\033[K\n");
		}
		buf_puts(&b, "\033[J");
	} else if (t->panel) {
		buf_puts(&b, "\0337");
		int r = t->rows - t->panel + 1;
		buf_printf(&b, "\033[%d;1H\033[2K\033[7m", r++);
		for (int i = 0; i < t->cols; i++)
			buf_putc(&b, ' ');
		buf_puts(&b, "\033[0m");
		for (const char *nl; r <= t->rows && (nl = strchr(s, '\n')) != NULL; s = nl + 1, r++) {
			buf_printf(&b, "\033[%d;1H\033[2K", r);
			buf_put(&b, s, (size_t)(nl - s));
		}
		for (; r <= t->rows; r++)
			buf_printf(&b, "\033[%d;1H\033[2K", r);
		buf_puts(&b, "\0338");
	}
	if (!b.oom)
		put_all(t->fd, b.p, b.len); /* one write: the program's output
					       rarely lands inside a frame */
	buf_free(&b);
}

static int frame_width(const struct top *t, int *height)
{
	int rows, cols;
	*height = 0;
	if (t->mode == TOP_PLAIN)
		return 0;
	term_size(t->fd, &rows, &cols);
	if (t->mode == TOP_PANEL) {
		*height = t->panel - 1;
		return t->cols;
	}
	*height = rows;
	return cols;
}

/* The loop of both commands: a frame a second until the run ends, q or a
 * signal.  `keys`: the terminal on stdin, in non-canonical mode. */
static int top_loop(struct top *t, int keys, char *err, size_t errlen)
{
	struct gather g;
	double next = now_s(CLOCK_MONOTONIC);
	int rc = 0;
	while (!top_quit) {
		if (t->mode == TOP_PANEL && top_resized) {
			top_resized = 0;
			panel_close(t);
			panel_open(t);
		}
		int height, width = frame_width(t, &height);
		rc = top_frame(t, &g, width, height, err, errlen);
		int over = g.meta_ok && !g.running;
		gather_free(&g);
		if (rc < 0)
			break;
		if (rc > 0 && (!over || t->mode == TOP_PLAIN || !t->seen_running)) {
			draw(t);
		}
		rc = 0;
		if (over || t->once)
			break;
		next += 1.0;
		for (;;) {
			double left = next - now_s(CLOCK_MONOTONIC);
			if (left <= 0 || top_quit || top_resized)
				break;
			struct pollfd pf = {.fd = STDIN_FILENO, .events = POLLIN};
			int n = poll(keys ? &pf : NULL, keys ? 1 : 0, (int)(left * 1000) + 1);
			if (n > 0) {
				char c[64];
				ssize_t r = read(STDIN_FILENO, c, sizeof c);
				for (ssize_t i = 0; i < r; i++)
					if (c[i] == 'q' || c[i] == 'Q' || c[i] == 3 /* ^C */)
						top_quit = 1;
				if (r == 0)
					keys = 0; /* end of input: no more keys */
			}
		}
		if (top_resized && t->mode == TOP_SCREEN) {
			top_resized = 0;
			next = now_s(CLOCK_MONOTONIC); /* redraw at the new size now */
		}
	}
	return rc;
}

static void top_init(struct top *t, const char *dir, enum top_mode mode, int fd, int once)
{
	memset(t, 0, sizeof *t);
	t->dir = dir;
	t->mode = mode;
	t->fd = fd;
	t->once = once;
	live_ring_init(&t->ring, LIVE_RING_WINDOW_S);
	buf_init(&t->out);
}

static void top_fini(struct top *t)
{
	live_ring_free(&t->ring);
	src_free(t->src);
	buf_free(&t->out);
}

int top_command(const char *dir, int once, struct run_outcome *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	int rc = rerender_check_dir(dir, "top", o, err, errlen);
	if (rc)
		return rc;
	int tty = !once && isatty(STDOUT_FILENO);
	struct top t;
	top_init(&t, dir, tty ? TOP_SCREEN : TOP_PLAIN, STDOUT_FILENO, once);
	struct termios saved;
	int keys = tty && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (keys) {
		struct termios raw = saved;
		raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	struct sigaction sa, old_int, old_term, old_winch;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_quit;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, &old_winch);
	if (tty)
		put_str(STDOUT_FILENO, "\033[?1049h\033[?25l\033[H\033[2J");
	rc = top_loop(&t, keys, err, errlen);
	if (tty)
		put_str(STDOUT_FILENO, "\033[?25h\033[?1049l");
	if (keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGWINCH, &old_winch, NULL);
	/* On a terminal the alternate screen is gone: the last frame, plainly,
	 * stays (a finished run's numbers, or the moment q was pressed). */
	if (rc == 0 && tty && t.out.len)
		put_all(STDOUT_FILENO, t.out.p, t.out.len);
	top_fini(&t);
	if (rc < 0)
		return run_refuse(o, rc == -ENOMEM ? OOMPH_EXIT_SOFTWARE : OOMPH_EXIT_NOINPUT, rc, err,
				  errlen, "%s", err[0] ? err : strerror(-rc));
	o->status = OOMPH_EXIT_OK;
	return 0;
}

pid_t top_live_start(const char *run_dir)
{
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid != 0)
		return pid < 0 ? -errno : pid;
	/* The viewer: dies with oomph, leaves Ctrl-C and stdin to the program. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		_exit(0);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_quit;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, NULL);
	int tty = isatty(STDERR_FILENO);
	struct top t;
	top_init(&t, run_dir, tty ? TOP_PANEL : TOP_PLAIN, STDERR_FILENO, 0);
	if (tty)
		panel_open(&t);
	char err[512];
	/* Until the run's state is there to read (run.meta is written first). */
	top_loop(&t, 0, err, sizeof err);
	if (tty)
		panel_close(&t);
	top_fini(&t);
	_exit(0);
}

void top_live_stop(pid_t viewer)
{
	if (viewer <= 0)
		return;
	kill(viewer, SIGTERM);
	while (waitpid(viewer, NULL, 0) < 0 && errno == EINTR)
		;
}
