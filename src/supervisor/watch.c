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
#include "supervisor/snapshot.h"
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
	/* Swap-ins and outs of the program's own cgroup where its memory.stat
	 * counts them (newer v2 kernels), else of the whole machine. */
	struct memstat ms;
	w->rates_own = cfg->stat_path && memstat_read(cfg->stat_path, &ms) == 0 &&
		       ms.pswpin != STALL_UNKNOWN && ms.pswpout != STALL_UNKNOWN;
	snprintf(w->vmstat_path, sizeof w->vmstat_path, "%s",
		 w->rates_own ? "" : "/proc/vmstat");
	w->det.swapin_own = w->rates_own;
	w->clk_tck = sysconf(_SC_CLK_TCK);
	w->first_in = w->first_out = w->last_in = w->last_out = STALL_UNKNOWN;
	w->swap_warned_t = -1;
	char buf[4096];
	int64_t total, free_bytes;
	w->machine_swap = read_text_file("/proc/meminfo", buf, sizeof buf) > 0 &&
				  meminfo_swap_parse(buf, &total, &free_bytes) == 0
			  ? total
			  : -1;
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
		/* writable: the snapshot answers go into the header */
		int writable = 1;
		int fd = openat(dirfd(d), e->d_name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			writable = 0;
			fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		}
		if (fd < 0)
			continue;
		struct stat st;
		void *m = MAP_FAILED;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size >= HEADER_MAP)
			m = mmap(NULL, HEADER_MAP, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED,
				 fd, 0);
		close(fd);
		if (m == MAP_FAILED)
			continue; /* not sized yet: next scan */
		struct watch_file *f = &w->files[w->nfiles++];
		memset(f, 0, sizeof *f);
		memcpy(f->name, e->d_name, strlen(e->d_name) + 1);
		f->map = m;
		f->len = HEADER_MAP;
		f->writable = writable;
		f->uid = (unsigned)st.st_uid;
	}
	closedir(d);
}

static int64_t vmswap_of(pid_t pid)
{
	char path[64], buf[4096];
	int64_t v;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	return read_text_file(path, buf, sizeof buf) > 0 && proc_vmswap_parse(buf, &v) == 0 ? v : 0;
}

static void bytes_text(char *out, size_t cap, int64_t v)
{
	text_bytes(out, cap, v);
}

void watch_swap_warning(char *out, size_t cap, const struct watch_swap_news *n)
{
	char swap[32], in[32], outr[32], lim[32], allowed[32], machine[32], share[96] = "";
	bytes_text(swap, sizeof swap, n->swap_bytes > 0 ? n->swap_bytes : 0);
	bytes_text(in, sizeof in, n->in_per_s > 0 ? (int64_t)n->in_per_s : 0);
	bytes_text(outr, sizeof outr, n->out_per_s > 0 ? (int64_t)n->out_per_s : 0);
	bytes_text(lim, sizeof lim, n->limit_bytes);
	bytes_text(allowed, sizeof allowed, n->swap_allowed_bytes > 0 ? n->swap_allowed_bytes : 0);
	bytes_text(machine, sizeof machine, n->machine_swap_bytes > 0 ? n->machine_swap_bytes : 0);
	if (n->share_pct >= 0)
		snprintf(share, sizeof share, ", stalled on memory %.0f%% of the time (PSI of %s)",
			 n->share_pct, n->own_cgroup ? "its own cgroup" : "the whole machine");
	if (n->sys_share_pct >= 0 && n->thrashing)
		snprintf(share + strlen(share), sizeof share - strlen(share),
			 ", %.0f%% of it in the kernel", n->sys_share_pct);
	char limit[400];
	if (n->own_cgroup && n->swap_allowed_bytes >= 0)
		snprintf(limit, sizeof limit, "its limit: %s of memory + %s of swap (the machine has %s of swap)",
			 lim, allowed, machine);
	else if (n->own_cgroup)
		snprintf(limit, sizeof limit, "its limit: %s of memory, swap not bounded (the machine has %s of swap)",
			 lim, machine);
	else if (n->limit_bytes > 0)
		snprintf(limit, sizeof limit, "no cgroup of oomph's limits it: its limit is %s (%s); the machine has %s of swap",
			 lim, n->limit_source ? n->limit_source : "?", machine);
	else
		snprintf(limit, sizeof limit, "no cgroup of oomph's limits it; the machine has %s of swap", machine);
	snprintf(out, cap,
		 "oomph: warning: %s swapping (for %.1f s now)%s: %s of the program in swap, %s/s swapped in and %s/s out (%s)%s; %s\n",
		 n->own_cgroup ? "the program is" : "the machine is", n->for_s,
		 n->thrashing ? " and thrashing" : "", swap, in, outr,
		 n->rates_own ? "its cgroup" : "the whole machine's counters", share, limit);
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

/* A cumulative counter minus its first value, in bytes. */
static int64_t counted(uint64_t last, uint64_t first, long page)
{
	int64_t b;
	if (last == STALL_UNKNOWN || first == STALL_UNKNOWN || last < first ||
	    last - first > (uint64_t)OOMPH_BYTES_MAX || ck_mul_i64((int64_t)(last - first), page, &b))
		return 0;
	return b;
}

/* The per-interval rate of a page counter, bytes/s (0 when unknown). */
static double interval_rate(uint64_t now, uint64_t before, double dt, long page)
{
	return now != STALL_UNKNOWN && before != STALL_UNKNOWN && now >= before && dt > 0
		       ? (double)(now - before) * (double)page / dt
		       : 0;
}

static void warn_swap(struct watch *w, double t, int64_t swap_bytes)
{
	const struct stall_detector *d = &w->det;
	struct watch_swap_news n = {
		.own_cgroup = w->cfg.stat_path != NULL,
		.rates_own = w->rates_own,
		.for_s = d->swapping_for_s,
		.swap_bytes = swap_bytes,
		.in_per_s = d->swapin_rate,
		.out_per_s = d->swapout_rate,
		.share_pct = d->share_pct,
		.sys_share_pct = d->sys_share_pct,
		.thrashing = d->thrashing_now,
		.limit_bytes = w->limit_bytes,
		.limit_source = w->limit_source,
		.swap_allowed_bytes = w->cfg.swap_allowed_bytes,
		.machine_swap_bytes = w->machine_swap,
	};
	char line[1400];
	watch_swap_warning(line, sizeof line, &n);
	fputs(line, w->cfg.warn);
	w->swap_warned_t = t;
}

/* PSI, refaults, swap and major faults; warns while it thrashes or swaps;
 * 1 if --max-stall says stop. */
static int pressure(struct watch *w, pid_t main_pid, double t, int64_t vmswap,
		    struct timeline_point *pt)
{
	char buf[1024];
	char path[64];
	uint64_t majflt = 0, stime = STALL_UNKNOWN;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)main_pid);
	if (read_text_file(path, buf, sizeof buf) > 0 && proc_stat_parse(buf, &majflt, &stime) == 0) {
		if (w->last_t >= 0 && t > w->last_t && majflt >= w->last_majflt) {
			pt->majflt_per_s = (double)(majflt - w->last_majflt) / (t - w->last_t);
			if (pt->majflt_per_s > w->majflt_max)
				w->majflt_max = pt->majflt_per_s;
		}
		w->last_majflt = majflt;
	} else {
		stime = STALL_UNKNOWN;
	}
	struct stall_sample s = {
		.t_s = t, .some_us = STALL_UNKNOWN, .refaults = STALL_UNKNOWN,
		.swapin = STALL_UNKNOWN, .swapout = STALL_UNKNOWN, .sys_us = STALL_UNKNOWN,
		.swap_bytes = -1,
	};
	if (stime != STALL_UNKNOWN && w->clk_tck > 0)
		s.sys_us = stime * (1000000 / (uint64_t)w->clk_tck);
	struct psi psi;
	if (w->psi_ok && psi_read(w->psi_path, &psi) == 0) {
		s.some_us = psi.some.total_us;
		pt->psi_full = psi.full.avg10;
	}
	struct memstat ms, vm;
	int64_t cg_swap = -1;
	if (w->cfg.stat_path && memstat_read(w->cfg.stat_path, &ms) == 0) {
		s.refaults = ms.refaults;
		if (w->rates_own) {
			s.swapin = ms.pswpin;
			s.swapout = ms.pswpout;
		}
		if (!w->cfg.swap_path && ms.swap_bytes <= (uint64_t)OOMPH_BYTES_MAX)
			cg_swap = (int64_t)ms.swap_bytes;
	}
	if (w->cfg.swap_path && read_text_file(w->cfg.swap_path, buf, sizeof buf) > 0) {
		long long v = strtoll(buf, NULL, 10);
		cg_swap = in_range_i64(v, 0, OOMPH_BYTES_MAX) ? v : -1;
	}
	if (w->vmstat_path[0] && memstat_read(w->vmstat_path, &vm) == 0) {
		s.swapin = vm.pswpin;
		s.swapout = vm.pswpout;
	}
	/* the program's swap: its cgroup's count, else what its processes say */
	s.swap_bytes = cg_swap >= 0 ? cg_swap : vmswap;
	long page = w->det.page_size;
	double dt = w->last_t >= 0 ? t - w->last_t : 0;
	pt->vmswap_bytes = vmswap;
	pt->cgroup_swap_bytes = cg_swap;
	pt->swapin_per_s = interval_rate(s.swapin, w->last_in, dt, page);
	pt->swapout_per_s = interval_rate(s.swapout, w->last_out, dt, page);
	if (w->first_in == STALL_UNKNOWN)
		w->first_in = s.swapin;
	if (w->first_out == STALL_UNKNOWN)
		w->first_out = s.swapout;
	w->last_in = s.swapin;
	w->last_out = s.swapout;
	if (s.swap_bytes > w->swap_peak)
		w->swap_peak = s.swap_bytes;
	if (vmswap > w->vmswap_peak)
		w->vmswap_peak = vmswap;

	stall_feed_sample(&w->det, &s);
	const struct stall_detector *d = &w->det;
	pt->psi_some = d->share_pct;
	if (d->thrashing_now && !w->warned && w->cfg.warn) {
		char rtext[96] = "";
		if (d->refault_rate >= 0)
			snprintf(rtext, sizeof rtext,
				 "; %.0f pages/s of its working set read back from swap or disk",
				 d->readback_rate);
		char stext[96] = "";
		if (d->share_pct >= 0)
			snprintf(stext, sizeof stext, ": stalled on memory %.0f%% of the time (PSI of %s)",
				 d->share_pct, w->psi_own ? "its own cgroup" : "the whole machine");
		fprintf(w->cfg.warn, "oomph: warning: the program is thrashing (for %.1f s now)%s%s\n",
			t - d->above_since, stext, rtext);
		w->warned = 1;
	}
	if (!d->thrashing_now)
		w->warned = 0; /* warn again if it comes back */
	if (d->swapping_now && w->cfg.warn &&
	    (w->swap_warned_t < 0 || t - w->swap_warned_t >= WATCH_SWAP_WARN_EVERY_S))
		warn_swap(w, t, s.swap_bytes);
	if (d->over_limit && !w->stopped_for_stall) {
		w->stopped_for_stall = 1;
		w->stop = (struct runmeta_stop){
			.t_s = t, .share_pct = d->over_share_pct,
			.readback_per_s = d->readback_rate > 0 ? d->readback_rate : 0,
			.swap_bytes = s.swap_bytes > 0 ? s.swap_bytes : 0,
			.in_per_s = d->swapin_rate > 0 ? d->swapin_rate : 0,
			.out_per_s = d->swapout_rate > 0 ? d->swapout_rate : 0,
		};
		snprintf(w->stop.by, sizeof w->stop.by, "%s",
			 d->over_by == STALL_OVER_KERNEL_TIME ? "kernel-time" : "psi");
		if (w->cfg.warn)
			fprintf(w->cfg.warn,
				"oomph: stopping the program: %s %.0f%% of the time for %.0f s (--max-stall %.0f%%)\n",
				d->over_by == STALL_OVER_KERNEL_TIME
					? "its working set read back from swap or disk, it spent in the kernel"
					: "stalled on memory",
				d->over_share_pct, STALL_SUSTAIN_S, w->cfg.max_stall_pct);
		return 1;
	}
	return 0;
}

/* Say where snapshot n went, in the process's ring of paths. */
static void note_path(struct oomph_state_header *h, int n, const char *path)
{
	struct oomph_state_snap_path *sp = &h->snap_paths[(unsigned)n % OOMPH_SNAP_PATHS];
	atomic_store_explicit(&sp->n, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	snprintf(sp->path, sizeof sp->path, "%.4000s", path);
	atomic_store_explicit(&sp->n, (uint32_t)n, memory_order_release);
}

static int snap(struct watch *w, const char *dir, double t, const struct oomph_state_header *h,
		const char *why, char *path, size_t pathlen)
{
	char err[1024] = "";
	int n = snapshot_write(w->cfg.run_dir, w->state_dir, w->cfg.meta, dir, t, w->snapshots + 1,
			       path, pathlen, err, sizeof err);
	if (n > 0)
		w->snapshots = n;
	if (w->cfg.warn) {
		if (n > 0)
			fprintf(w->cfg.warn, "oomph: snapshot %d (%s pid %d) written to %s/index.html\n", n,
				why, (int)h->pid, path);
		else
			fprintf(w->cfg.warn, "oomph: no snapshot for pid %d: %s\n", (int)h->pid, err);
	}
	return n;
}

/* Snapshots the process asked for (its signal, or oomph_snapshot()). */
static void serve_snapshots(struct watch *w, struct watch_file *f, double t)
{
	struct oomph_state_header *h = f->map;
	char path[4096];
	uint32_t asked = atomic_load_explicit(&h->snap_asked, memory_order_acquire);
	if (f->writable && asked != atomic_load_explicit(&h->snap_done, memory_order_relaxed)) {
		char dir[OOMPH_SNAP_PATH_MAX];
		memcpy(dir, h->snap_dir, sizeof dir);
		dir[sizeof dir - 1] = 0;
		int n;
		if (dir[0] && f->uid != (unsigned)geteuid()) {
			n = -EPERM; /* never write where another user's process says */
			if (w->cfg.warn)
				fprintf(w->cfg.warn,
					"oomph: no snapshot into %s: pid %d runs as another user\n",
					dir, (int)h->pid);
		} else {
			n = snap(w, dir, t, h, "asked by", path, sizeof path);
		}
		if (n > 0)
			note_path(h, n, path);
		h->snap_result = n;
		atomic_store_explicit(&h->snap_done, asked, memory_order_release);
	}
	uint32_t sig = atomic_load_explicit(&h->snap_signals, memory_order_relaxed);
	if (sig != f->signals_seen) {
		/* several signals within one tick are one snapshot */
		f->signals_seen = sig;
		char why[48];
		const char *name = text_signal_name(h->snap_signal);
		if (name)
			snprintf(why, sizeof why, "%s to", name);
		else
			snprintf(why, sizeof why, "signal %d to", h->snap_signal);
		int n = snap(w, NULL, t, h, why, path, sizeof path);
		if (n > 0 && f->writable)
			note_path(h, n, path);
	}
}

int watch_tick(struct watch *w, pid_t main_pid, double t, int stopped)
{
	(void)main_pid;
	if (w->nfiles == 0 || t - w->last_scan >= RESCAN_S || stopped) {
		scan(w);
		w->last_scan = t;
	}
	int64_t tracked = 0, rss = 0, vmswap = 0;
	int kill_it = 0;
	for (int i = 0; i < w->nfiles; i++) {
		const struct oomph_state_header *h = hdr(&w->files[i]);
		if (atomic_load_explicit(&h->ready, memory_order_acquire) != 1 ||
		    atomic_load_explicit(&h->end_state, memory_order_relaxed) != OOMPH_END_RUNNING)
			continue;
		if (kill(h->pid, 0) != 0)
			continue; /* gone without a word (SIGKILL) */
		serve_snapshots(w, &w->files[i], t);
		/* the program writes its own state: a figure no process can
		 * hold is not added (and the sums cannot wrap) */
		int64_t cur = atomic_load_explicit(&h->cur_bytes, memory_order_relaxed);
		if (in_range_i64(cur, -OOMPH_BYTES_MAX, OOMPH_BYTES_MAX))
			(void)ck_acc_i64(&tracked, cur);
		(void)ck_acc_i64(&rss, rss_of(h->pid));
		(void)ck_acc_i64(&vmswap, vmswap_of(h->pid));
		if (h->pid == main_pid && w->limit_bytes == 0 &&
		    in_range_i64(h->limit_bytes, 1, OOMPH_BYTES_MAX)) {
			w->limit_bytes = h->limit_bytes;
			memcpy(w->limit_source, h->limit_source, sizeof w->limit_source);
			w->limit_source[sizeof w->limit_source - 1] = 0;
		}
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
		.psi_some = -1, .psi_full = -1, .majflt_per_s = 0, .cgroup_swap_bytes = -1,
	};
	if (pressure(w, main_pid, t, vmswap, &pt))
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
	m->swap.machine_bytes = w->machine_swap;
	m->swap.peak_bytes = w->swap_peak;
	m->swap.vmswap_peak_bytes = w->vmswap_peak;
	m->swap.in_max_per_s = w->det.max_swapin_rate;
	m->swap.out_max_per_s = w->det.max_swapout_rate;
	long page = w->det.page_size;
	m->swap.in_bytes = counted(w->last_in, w->first_in, page);
	m->swap.out_bytes = counted(w->last_out, w->first_out, page);
	m->swap.seconds = w->det.swap_seconds;
	snprintf(m->swap.scope, sizeof m->swap.scope, "%s",
		 w->first_in == STALL_UNKNOWN ? "" : w->rates_own ? "cgroup" : "machine");
	if (w->stopped_for_stall)
		m->stop = w->stop;
}
