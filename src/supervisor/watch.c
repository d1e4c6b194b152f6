/* supervisor/watch.c — the live view of a run (watch.h). */
#include "supervisor/watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bounds.h"
#include "common/errmsg.h"
#include "common/readfile.h"
#include "report/text.h"
#include "state/format.h"

#define HEADER_MAP ((sizeof(struct oomph_state_header) + 4095) & ~(size_t)4095)
#define RESCAN_S 0.5

int watch_start(struct watch *w, const struct watch_config *cfg, char *err, size_t errlen)
{
	memset(w, 0, sizeof *w);
	w->cfg = *cfg;
	snprintf(w->state_dir, sizeof w->state_dir, "%s", cfg->state_dir);
	w->last_scan = -1;
	w->last_t = -1;
	w->psi_own = cfg->psi_path && cfg->psi_path[0];
	snprintf(w->psi_path, sizeof w->psi_path, "%s",
		 w->psi_own ? cfg->psi_path : "/proc/pressure/memory");
	struct psi probe;
	w->psi_ok = psi_read(w->psi_path, &probe) == 0;
	stall_init(&w->det, cfg->max_stall_pct);
	return timeline_writer_open(&w->tl, cfg->run_dir, err, errlen);
}

static const struct oomph_state_header *hdr(const struct watch_file *f)
{
	return (const struct oomph_state_header *)f->map;
}

/* Map the header of every state file not mapped yet. */
static void scan(struct watch *w)
{
	DIR *d = opendir(w->state_dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && w->nfiles < WATCH_MAX_FILES) {
		long pid;
		unsigned gen;
		if (strlen(e->d_name) >= sizeof w->files[0].name ||
		    !oomph_state_name_parse(e->d_name, &pid, &gen))
			continue;
		int known = 0;
		for (int i = 0; i < w->nfiles && !known; i++)
			known = !strcmp(w->files[i].name, e->d_name);
		if (known)
			continue;
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		struct stat st;
		void *m = MAP_FAILED;
		if (fstat(fd, &st) == 0 && (size_t)st.st_size >= HEADER_MAP)
			m = mmap(NULL, HEADER_MAP, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (m == MAP_FAILED)
			continue; /* not sized yet: next scan */
		struct watch_file *f = &w->files[w->nfiles++];
		memcpy(f->name, e->d_name, strlen(e->d_name) + 1);
		f->map = m;
		f->len = HEADER_MAP;
	}
	closedir(d);
}

static int64_t rss_of(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
	if (read_text_file(path, buf, sizeof buf) < 0)
		return 0;
	long long size, res;
	if (sscanf(buf, "%lld %lld", &size, &res) != 2)
		return 0;
	return (int64_t)res * sysconf(_SC_PAGESIZE);
}

/* PSI and major faults; warns while thrashing; 1 if --max-stall says stop. */
static int pressure(struct watch *w, pid_t main_pid, double t, struct timeline_point *pt)
{
	uint64_t majflt;
	if (proc_majflt(main_pid, &majflt) == 0) {
		if (w->last_t >= 0 && t > w->last_t && majflt >= w->last_majflt) {
			pt->majflt_per_s = (double)(majflt - w->last_majflt) / (t - w->last_t);
			if (pt->majflt_per_s > w->majflt_max)
				w->majflt_max = pt->majflt_per_s;
		}
		w->last_majflt = majflt;
	}
	struct psi psi;
	if (!w->psi_ok || psi_read(w->psi_path, &psi) != 0)
		return 0;
	uint64_t refaults = UINT64_MAX;
	if (w->cfg.stat_path)
		refaults_read(w->cfg.stat_path, &refaults);
	stall_feed(&w->det, t, psi.some.total_us, refaults);
	pt->psi_some = w->det.share_pct;
	pt->psi_full = psi.full.avg10;
	if (w->det.thrashing_now && !w->warned && w->cfg.warn) {
		char rtext[96] = "";
		if (w->det.refault_rate >= 0)
			snprintf(rtext, sizeof rtext,
				 "; %.0f pages/s of its working set read back from disk",
				 w->det.refault_rate);
		fprintf(w->cfg.warn,
			"oomph: warning: the program is thrashing (for %.1f s now): stalled on memory %.0f%% of the time (PSI of %s)%s\n",
			t - w->det.above_since, w->det.share_pct,
			w->psi_own ? "its own cgroup" : "the whole machine", rtext);
		w->warned = 1;
	}
	if (!w->det.thrashing_now)
		w->warned = 0; /* warn again if it comes back */
	if (w->det.over_limit && !w->stopped_for_stall) {
		w->stopped_for_stall = 1;
		if (w->cfg.warn)
			fprintf(w->cfg.warn,
				"oomph: stopping the program: stalled on memory more than %.0f%% of the time (--max-stall)\n",
				w->cfg.max_stall_pct);
		return 1;
	}
	return 0;
}

int watch_tick(struct watch *w, pid_t main_pid, double t, int stopped)
{
	(void)main_pid;
	if (w->nfiles == 0 || t - w->last_scan >= RESCAN_S || stopped) {
		scan(w);
		w->last_scan = t;
	}
	int64_t tracked = 0, rss = 0;
	int kill_it = 0;
	for (int i = 0; i < w->nfiles; i++) {
		const struct oomph_state_header *h = hdr(&w->files[i]);
		if (atomic_load_explicit(&h->ready, memory_order_acquire) != 1 ||
		    atomic_load_explicit(&h->end_state, memory_order_relaxed) != OOMPH_END_RUNNING)
			continue;
		if (kill(h->pid, 0) != 0)
			continue; /* gone without a word (SIGKILL) */
		/* the program writes its own state: a figure no process can
		 * hold is not added (and the sums cannot wrap) */
		int64_t cur = atomic_load_explicit(&h->cur_bytes, memory_order_relaxed);
		if (in_range_i64(cur, -OOMPH_BYTES_MAX, OOMPH_BYTES_MAX))
			(void)ck_acc_i64(&tracked, cur);
		(void)ck_acc_i64(&rss, rss_of(h->pid));
		uint64_t mseq = atomic_load_explicit(&h->moment_seq, memory_order_acquire);
		if (mseq && !(mseq & 1) && h->moment_reason == OOMPH_MOMENT_NEAR_OOM &&
		    !w->files[i].warned_near_oom && w->cfg.warn) {
			char head[32], lim[32];
			text_bytes(head, sizeof head, h->moment_headroom);
			text_bytes(lim, sizeof lim, h->limit_bytes);
			fprintf(w->cfg.warn,
				"oomph: warning: process %d is near out of memory: %s left below its limit of %s (%s)\n",
				(int)h->pid, head, lim, h->limit_source);
			w->files[i].warned_near_oom = 1;
		}
		if (atomic_load_explicit(&h->stopped, memory_order_acquire)) {
			/* Stopped itself near OOM: end it (whole process: a stopped
			 * process holds its memory). */
			if (!w->stopped_near_oom && w->cfg.warn)
				fprintf(w->cfg.warn,
					"oomph: process %d came within its near-OOM threshold of the memory limit: stopping it (--on-oom stop)\n",
					(int)h->pid);
			w->stopped_near_oom = 1;
			if (h->pid == main_pid)
				kill_it = 1;
			else
				kill(h->pid, SIGKILL);
		}
	}
	if (tracked > w->max_tracked)
		w->max_tracked = tracked;
	struct timeline_point pt = {
		.t_s = t, .tracked_bytes = tracked, .rss_bytes = rss,
		.psi_some = -1, .psi_full = -1, .majflt_per_s = 0,
	};
	if (pressure(w, main_pid, t, &pt))
		kill_it = 1;
	timeline_writer_add(&w->tl, &pt);
	w->last_t = t;
	return kill_it ? 1 : 0;
}

void watch_end(struct watch *w, struct runmeta *m)
{
	timeline_writer_close(&w->tl);
	for (int i = 0; i < w->nfiles; i++)
		munmap(w->files[i].map, w->files[i].len);
	w->nfiles = 0;
	m->stopped_for_stall = w->stopped_for_stall;
	m->majflt_max_per_s = w->majflt_max;
	m->thrashing = w->det.thrashing;
	m->stall_max_pct = w->det.max_share_pct;
	m->stall_total_s = stall_total_s(&w->det);
	m->thrash_seconds = w->det.thrash_seconds;
	m->refault_max_per_s = w->det.max_refault_rate;
}
