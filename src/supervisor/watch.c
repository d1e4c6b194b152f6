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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/bounds.h"
#include "common/errmsg.h"
#include "common/readfile.h"
#include "report/buf.h"
#include "report/text.h"
#include "supervisor/kmsg.h"
#include "supervisor/snapshot.h"
#include "state/format.h"

#define HEADER_MAP ((sizeof(struct oomph_state_header) + 4095) & ~(size_t)4095)
#define RESCAN_S 0.5

static void job_map(struct watch *w);

int watch_start(struct watch *w, const struct watch_config *cfg, char *err, size_t errlen)
{
	memset(w, 0, sizeof *w);
	w->cfg = *cfg;
	snprintf(w->state_dir, sizeof w->state_dir, "%s", cfg->state_dir);
	job_map(w);
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

/* The job file, if the run has one of this version (made by rundir.c). */
static void job_map(struct watch *w)
{
	char path[4300];
	snprintf(path, sizeof path, "%s/%s", w->state_dir, OOMPH_JOB_FILE);
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	void *m = MAP_FAILED;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size >= sizeof(struct oomph_job_header))
		m = mmap(NULL, sizeof(struct oomph_job_header), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0);
	close(fd);
	if (m == MAP_FAILED)
		return;
	struct oomph_job_header *j = m;
	if (memcmp(j->magic, OOMPH_JOB_MAGIC, 8) || j->version != OOMPH_JOB_VERSION) {
		munmap(m, sizeof *j);
		return;
	}
	w->job = j;
}

/* A process gone without its exit path (SIGKILL, the OOM killer): the
 * kernel freed its memory, so its part leaves the job's total, once (its
 * job_state says whether it is still in).  Its picture at a job peak
 * before its death stays: it left after it. */
static void job_settle(struct watch *w, struct watch_file *f)
{
	if (!w->job || !f->writable)
		return;
	struct oomph_state_header *h = (struct oomph_state_header *)f->map;
	uint32_t in = OOMPH_JOB_STATE_IN;
	if (!atomic_compare_exchange_strong(&h->job_state, &in, OOMPH_JOB_STATE_LEFT))
		return;
	int64_t part = atomic_load(&h->cur_bytes) - atomic_load(&h->job_base);
	if (in_range_i64(part, -OOMPH_BYTES_MAX, OOMPH_BYTES_MAX))
		atomic_fetch_sub(&w->job->cur_bytes, part);
	atomic_store(&h->job_leave_gen, atomic_load(&w->job->peak_gen) + 1);
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
		/* A name seen before is the same file unless its inode changed:
		 * a fork child that execs at once removes its copy of its
		 * parent's state, and its new image makes the same name again.
		 * The old mapping would go on being read as this pid (its
		 * parent's total, and a VmHWM read before the exec). */
		int reuse = -1;
		for (int i = 0; i < w->nfiles && reuse < 0; i++)
			if (!strcmp(w->files[i].name, e->d_name))
				reuse = i;
		if (reuse >= 0) {
			struct stat cur;
			if (fstatat(dirfd(d), e->d_name, &cur, AT_SYMLINK_NOFOLLOW) != 0 ||
			    (unsigned long long)cur.st_ino == w->files[reuse].ino)
				continue;
		}
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
		struct watch_file *f;
		if (reuse >= 0) {
			f = &w->files[reuse];
			munmap(f->map, f->len);
		} else {
			f = &w->files[w->nfiles++];
		}
		memset(f, 0, sizeof *f);
		memcpy(f->name, e->d_name, strlen(e->d_name) + 1);
		f->map = m;
		f->len = HEADER_MAP;
		f->writable = writable;
		f->uid = (unsigned)st.st_uid;
		f->ino = (unsigned long long)st.st_ino;
	}
	closedir(d);
}

/* What /proc/PID/status says of a process: RSS, swap and the high-water
 * mark of its RSS since its exec (VmHWM), each 0 when unknown. */
struct proc_mem {
	int64_t rss, swap, hwm;
	char state;             /* 'R', 'S', 'Z' ...; 0: no such process */
};

static struct proc_mem proc_mem_of(pid_t pid)
{
	char path[64], buf[4096];
	struct proc_mem pm = {0, 0, 0, 0};
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (read_text_file(path, buf, sizeof buf) <= 0)
		return pm;
	const char *st = strstr(buf, "\nState:");
	if (st) {
		st += 8;
		while (*st == ' ' || *st == '\t')
			st++;
		pm.state = *st;
	}
	int64_t v;
	if (proc_vmrss_parse(buf, &v) == 0)
		pm.rss = v;
	if (proc_vmswap_parse(buf, &v) == 0)
		pm.swap = v;
	if (proc_vmhwm_parse(buf, &v) == 0)
		pm.hwm = v;
	return pm;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A process's /proc/PID/smaps_rollup, the one reading of it per tick:
 * take_split() and job_pss() both want it, and it costs up to 150 ms. */
static int rollup_of(struct watch *w, pid_t pid, double t, struct proc_rss_split *r)
{
	if (w->rollup_pid == pid && w->rollup_t == t) {
		*r = w->rollup;
		return 0;
	}
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
	if (read_text_file(path, buf, sizeof buf) <= 0 || proc_rss_split_parse(buf, r) != 0)
		return -1;
	w->rollup_pid = pid;
	w->rollup_t = t;
	w->rollup = *r;
	return 0;
}

/* What the main process's memory is made of when its tracked memory is
 * the highest a tick has seen (why RSS and tracked memory differ: the
 * report's sentence, report/doc.c).  /proc/PID/smaps_rollup says it best
 * (anonymous, file-backed, shared memory, pages shared with others) but
 * walks every page under the process's mmap lock: 70-150 ms for 400 MiB on
 * a loaded machine.  So it is read only at a new high and on a budget (the
 * next one no sooner than 10 times what the last one took); between, and
 * where it cannot be read (another user's process), /proc/PID/status
 * (RssAnon, RssFile, RssShmem: 50 us) says the same without what is
 * shared. */
#define SPLIT_BUDGET 10.0

/* The bytes the state file `name` has backed: the tracker populates its
 * pages through the process's own mapping, so they are in its RSS as
 * shared memory (tmpfs).  -1 when it cannot be told.  The directory is
 * the supervisor's own; a link there is not followed. */
static int64_t own_state_bytes(const struct watch *w, const char *name)
{
	char path[4300];
	struct stat st;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", w->state_dir, name) >= sizeof path ||
	    fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
		return -1;
	return (int64_t)st.st_blocks * 512;
}

static void take_split(struct watch *w, const struct watch_file *f, pid_t pid, int64_t tracked,
		       double t)
{
	/* the latest tick at the highest tracked memory (within 0.5%): pages
	 * are touched after they are allocated, so a plateau's last word is
	 * the one that counts */
	if (tracked > w->split_high)
		w->split_high = tracked;
	if (w->split.rss_bytes > 0 && tracked < w->split_high - w->split_high / 200)
		return;
	char path[64], buf[4096];
	struct proc_rss_split r;
	const char *how = NULL;
	if (t >= w->split_next_t) {
		double t0 = mono_s();
		if (rollup_of(w, pid, t, &r) == 0 && r.anon >= 0)
			how = "smaps_rollup";
		w->split_next_t = t + SPLIT_BUDGET * (mono_s() - t0);
	}
	if (!how) {
		snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
		if (read_text_file(path, buf, sizeof buf) <= 0 || proc_rss_split_parse(buf, &r) != 0 ||
		    r.anon < 0 || r.file < 0)
			return;
		how = "status";
	}
	if (r.rss <= 0)
		return;
	w->split = (struct runmeta_rss_split){
		.t_s = t, .tracked_bytes = tracked, .rss_bytes = r.rss, .anon_bytes = r.anon,
		.file_bytes = r.file, .shmem_bytes = r.shmem > 0 ? r.shmem : 0,
		.shared_bytes = r.shared, .swap_bytes = r.swap, .own_bytes = own_state_bytes(w, f->name),
	};
	snprintf(w->split.how, sizeof w->split.how, "%s", how);
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

/* Whether the machine's swap counters can have moved: a machine with no
 * swap at the start has none to move until swap is turned on (SwapTotal,
 * read again every WATCH_SWAP_RECHECK_S).  /proc/vmstat is some 200 lines:
 * the largest read of a tick.  Its first reading is always made. */
static int machine_may_swap(struct watch *w, double t)
{
	if (w->machine_swap != 0 || w->last_in == STALL_UNKNOWN || w->last_out == STALL_UNKNOWN)
		return 1;
	if (t - w->swap_checked_t < WATCH_SWAP_RECHECK_S)
		return 0;
	w->swap_checked_t = t;
	char buf[4096];
	int64_t total, free_bytes;
	int known = read_text_file("/proc/meminfo", buf, sizeof buf) > 0 &&
		    meminfo_swap_parse(buf, &total, &free_bytes) == 0;
	if (known && total == 0)
		return 0;
	w->machine_swap = known ? total : -1; /* it appeared, or cannot tell */
	return 1;
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
	if (w->vmstat_path[0] && machine_may_swap(w, t)) {
		if (memstat_read(w->vmstat_path, &vm) == 0) {
			s.swapin = vm.pswpin;
			s.swapout = vm.pswpout;
		}
	} else if (w->vmstat_path[0]) {
		s.swapin = w->last_in; /* what /proc/vmstat would say again */
		s.swapout = w->last_out;
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

/* The wait status of a zombie (field 52 of /proc/PID/stat, "exit_code"),
 * or -1. */
static int zombie_status(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (read_text_file(path, buf, sizeof buf) <= 0)
		return -1;
	const char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	p++;
	for (int field = 2; field < 52 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return -1;
	char *end;
	long v = strtol(p, &end, 10);
	return end != p && v >= 0 && v <= 0xffff ? (int)v : -1;
}

/* A process that ended without a word in its state: note the moment, its
 * wait status if it is a zombie, the cgroup's OOM kills around then. */
static void note_gone(struct watch *w, struct watch_file *f, pid_t pid, int zombie, double t)
{
	if (f->gone)
		return;
	f->gone = 1;
	f->gone_t = t;
	job_settle(w, f);
	f->wait_status = zombie ? zombie_status(pid) : -1;
	f->oom_rise = -1;
	if (w->oom_ok && f->oom_seen && w->oom_now >= f->oom_alive_prev)
		f->oom_rise = (long long)(w->oom_now - f->oom_alive_prev);
	else if (w->oom_ok && !f->oom_seen)
		f->oom_rise = -1;
}

static void read_oom_kills(struct watch *w)
{
	uint64_t n;
	w->oom_ok = w->cfg.cg && cgroup_oom_kills(w->cfg.cg, &n) == 0;
	if (w->oom_ok)
		w->oom_now = n;
}

/* The job's RSS at one instant, shared pages once: the sum of its
 * processes' PSS (smaps_rollup), a process whose PSS cannot be read
 * counted by its RSS (then "rss" is said).  smaps_rollup walks every page
 * of a process under its mmap lock: 70-150 ms for 400 MiB on a loaded
 * 2-core VM here, where status takes 50 us.  So each process's PSS is
 * read on a budget of its own (pss_of), and estimated between readings
 * from its RSS, which is read every tick. */
#define PSS_BUDGET 10.0
#define PSS_BUDGET_AT_HIGH 3.0

/* One process's PSS: read when due (its own schedule: 10 n times its last
 * reading's cost later for n processes, 3 n times at a new high of the
 * job's RSS sum; at once for a process not read yet), and between readings estimated as the
 * last reading plus its RSS growth since (pages it adds are its own; a
 * copy-on-write break of an inherited page is seen at the next reading).
 * Returns the figure, or -1 when PSS cannot be read (alive: then *rss_out
 * is its RSS; a zombie or a process gone holds nothing). */
static int64_t pss_of(struct watch *w, struct pss_slot *ps, pid_t pid, int64_t rss, double t,
		      int high, int n, int all)
{
	/* the budget is the job's: n processes share it */
	double wait = (high ? PSS_BUDGET_AT_HIGH : PSS_BUDGET) * n * ps->cost_s;
	if (all || ps->pid != pid || t >= ps->read_t + wait) {
		double t0 = mono_s();
		struct proc_rss_split r;
		int ok = rollup_of(w, pid, t, &r) == 0 && r.pss >= 0;
		ps->cost_s = mono_s() - t0;
		ps->read_t = t;
		ps->pid = pid;
		if (!ok) {
			ps->known = 0; /* tried again on its budget */
			return -1;
		}
		ps->known = 1;
		ps->pss = r.pss;
		/* its RSS as the same walk saw it: status was read earlier in
		 * the tick, and growth in between would be counted twice */
		ps->rss_at = r.rss > 0 ? r.rss : rss;
	}
	if (!ps->known)
		return -1;
	int64_t v = ps->pss + (rss - ps->rss_at);
	return v > 0 ? v : 0;
}

static void job_pss(struct watch *w, struct pss_slot *const *slots, const pid_t *pids,
		    const int64_t *rss, int n, double t, int64_t rss_sum)
{
	int high = rss_sum > w->rss_sum_high + w->rss_sum_high / 50;
	if (rss_sum > w->rss_sum_high)
		w->rss_sum_high = rss_sum;
	if (n == 0)
		return;
	int64_t sum = 0;
	int all_pss = 1;
	/* A new process (a fork) shares pages with the others: their PSS
	 * drops while their RSS does not move, so every one is read again
	 * (a process gone gives its share back: an estimate is low, not high,
	 * until the next reading). */
	int all = 0;
	for (int i = 0; i < n && !all; i++)
		all = slots[i]->pid != pids[i];
	for (int i = 0; i < n; i++) {
		int64_t v = pss_of(w, slots[i], pids[i], rss[i], t, high, n, all);
		if (v >= 0) {
			(void)ck_acc_i64(&sum, v);
		} else if ((v = proc_mem_of(pids[i]).rss) > 0) {
			/* alive and unreadable: its RSS, shared pages and all (a
			 * process exiting, its memory gone, holds nothing) */
			all_pss = 0;
			(void)ck_acc_i64(&sum, v);
		}
	}
	if (sum > w->job_pss_peak) {
		w->job_pss_peak = sum;
		w->job_pss_all = all_pss;
	}
}

int watch_tick(struct watch *w, pid_t main_pid, double t, int stopped)
{
	/* A process that joined the job since the last scan is scanned for
	 * at once rather than at the next RESCAN_S: killed before it was
	 * seen, its part would stay in the job's total (and in any job peak
	 * the others reach meanwhile) until then. */
	uint32_t joined = w->job ? atomic_load_explicit(&w->job->joined, memory_order_acquire) : 0;
	if (w->nfiles == 0 || t - w->last_scan >= RESCAN_S || stopped || joined != w->joined_scanned) {
		w->joined_scanned = joined;
		scan(w);
		w->last_scan = t;
	}
	int64_t tracked = 0, rss = 0, vmswap = 0;
	int kill_it = 0;
	pid_t pids[WATCH_MAX_FILES + 1];
	int64_t rsss[WATCH_MAX_FILES + 1];
	struct pss_slot *slots[WATCH_MAX_FILES + 1];
	int npids = 0, main_seen = 0;
	w->main_pid = main_pid;
	read_oom_kills(w);
	for (int i = 0; i < w->nfiles; i++) {
		struct watch_file *f = &w->files[i];
		const struct oomph_state_header *h = hdr(f);
		if (f->gone || atomic_load_explicit(&h->ready, memory_order_acquire) != 1 ||
		    atomic_load_explicit(&h->end_state, memory_order_relaxed) != OOMPH_END_RUNNING)
			continue;
		struct proc_mem pm = proc_mem_of(h->pid);
		if (pm.state == 0 || pm.state == 'Z' || pm.state == 'X') {
			/* gone without a word in its state (a kill): re-read
			 * its state first, it may have just ended by itself */
			if (atomic_load_explicit(&h->end_state, memory_order_acquire) ==
			    OOMPH_END_RUNNING)
				note_gone(w, f, h->pid, pm.state == 'Z', t);
			continue;
		}
		if (w->oom_ok) {
			f->oom_alive_prev = f->oom_seen ? f->oom_alive : w->oom_now;
			f->oom_alive = w->oom_now;
			f->oom_seen = 1;
		}
		serve_snapshots(w, f, t);
		/* the program writes its own state: a figure no process can
		 * hold is not added (and the sums cannot wrap) */
		int64_t cur = atomic_load_explicit(&h->cur_bytes, memory_order_relaxed);
		if (in_range_i64(cur, -OOMPH_BYTES_MAX, OOMPH_BYTES_MAX))
			(void)ck_acc_i64(&tracked, cur);
		if (h->pid == main_pid)
			take_split(w, f, h->pid, cur, t);
		(void)ck_acc_i64(&rss, pm.rss);
		pids[npids] = h->pid;
		rsss[npids] = pm.rss;
		slots[npids++] = &f->pss;
		main_seen |= h->pid == main_pid;
		(void)ck_acc_i64(&vmswap, pm.swap);
		if (pm.hwm > w->files[i].hwm)
			w->files[i].hwm = pm.hwm;
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
			if (h->pid == main_pid) {
				kill_it = 1;
			} else {
				kill(h->pid, SIGKILL);
				f->stopped = 1;
			}
		}
	}
	/* the job's total when the run has a job file: a fork child's
	 * inherited heap is its parent's, counted once (the sum above counts
	 * it in every child) */
	if (w->job) {
		int64_t j = atomic_load_explicit(&w->job->cur_bytes, memory_order_relaxed);
		if (in_range_i64(j, -OOMPH_LIMIT_MAX, OOMPH_LIMIT_MAX))
			tracked = j;
	}
	if (tracked > w->max_tracked)
		w->max_tracked = tracked;
	/* the job's RSS: the main process too when it is not profiled (a
	 * shell running Python programs) */
	int64_t rss_job = rss;
	if (!main_seen && main_pid > 0 && !stopped) {
		int64_t mr = proc_mem_of(main_pid).rss;
		pids[npids] = main_pid;
		rsss[npids] = mr;
		slots[npids++] = &w->main_pss;
		(void)ck_acc_i64(&rss_job, mr);
	}
	job_pss(w, slots, pids, rsss, npids, t, rss_job);
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

void watch_final(struct watch *w, double t)
{
	/* the files of processes started since the last scan (every
	 * RESCAN_S): a pool worker OOM-killed 0.3 s into a run whose main
	 * process then ended at 0.48 s was never looked at, "unknown" */
	scan(w);
	read_oom_kills(w);
	for (int i = 0; i < w->nfiles; i++) {
		struct watch_file *f = &w->files[i];
		const struct oomph_state_header *h = hdr(f);
		if (f->gone || atomic_load_explicit(&h->ready, memory_order_acquire) != 1 ||
		    atomic_load_explicit(&h->end_state, memory_order_acquire) != OOMPH_END_RUNNING ||
		    h->pid == w->main_pid)
			continue;
		struct proc_mem pm = proc_mem_of(h->pid);
		if (pm.state == 0 || pm.state == 'Z' || pm.state == 'X')
			note_gone(w, f, h->pid, pm.state == 'Z', t);
		else
			f->outlived = 1;
	}
}

/* "python3 -c ..." from a state header's command line. */
static void header_command(struct buf *b, const struct oomph_state_header *h)
{
	char cmd[OOMPH_CMDLINE_CAP + 1];
	char *argv[64];
	int argc = 0;
	uint32_t len = h->cmdline_len < OOMPH_CMDLINE_CAP ? h->cmdline_len : OOMPH_CMDLINE_CAP;
	memcpy(cmd, h->cmdline, len);
	cmd[len] = 0;
	for (uint32_t k = 0; k < len && argc < 64; k += (uint32_t)strlen(cmd + k) + 1)
		argv[argc++] = cmd + k;
	text_shell_words(b, argc, argv);
}

/* The state header of the running image of pid, or NULL. */
static const struct oomph_state_header *header_of(const struct watch *w, int pid)
{
	const struct oomph_state_header *best = NULL;
	for (int i = 0; i < w->nfiles; i++) {
		const struct oomph_state_header *h = hdr(&w->files[i]);
		if (h->pid == pid && (!best || h->generation > best->generation))
			best = h;
	}
	return best;
}

/* How each process that went without a word ended, on what evidence. */
static void tell_endings(struct watch *w, struct runmeta *m)
{
	pid_t pids[WATCH_MAX_FILES + 1];
	char *lines[WATCH_MAX_FILES + 1];
	static char store[WATCH_MAX_FILES + 1][512];
	size_t n = 0;
	for (int i = 0; i < w->nfiles; i++)
		if (w->files[i].gone) {
			pids[n] = hdr(&w->files[i])->pid;
			store[n][0] = 0;
			lines[n] = store[n];
			n++;
		}
	size_t main_at = n;
	pids[n] = w->main_pid;
	store[n][0] = 0;
	lines[n] = store[n];
	n++;
	if (w->cfg.kmsg_fd >= 0 && w->main_pid > 0) {
		(void)kmsg_find_oom_kills(w->cfg.kmsg_fd, pids, n, lines, sizeof store[0]);
		w->kmsg_done = 1;
		memcpy(w->main_kline, store[main_at], sizeof w->main_kline);
		w->main_kline[sizeof w->main_kline - 1] = 0;
	}
	size_t k = 0;
	for (int i = 0; i < w->nfiles; i++) {
		struct watch_file *f = &w->files[i];
		const struct oomph_state_header *h = hdr(f);
		long pid;
		unsigned gen;
		if (!oomph_state_name_parse(f->name, &pid, &gen))
			continue;
		const char *kline = f->gone ? store[k++] : "";
		if (!f->gone && !f->outlived)
			continue;
		if (pid == w->main_pid || atomic_load_explicit(&h->end_state, memory_order_acquire) !=
						  OOMPH_END_RUNNING)
			continue; /* its own word, or the main process's verdict */
		struct runmeta_proc *q = runmeta_proc(m, (int)pid, gen);
		if (!q)
			continue;
		const char *ending = "", *words = NULL;
		char ev[512] = "";
		int term = (int)atomic_load(&h->term_signal), from = h->term_pid;
		if (f->outlived) {
			ending = "outlived";
			words = "was still running when the main process ended";
			snprintf(ev, sizeof ev, "%s",
				 w->cfg.cg ? "then oomph removed its --limit cgroup, ending what was left in it"
					   : "oomph did not wait for it");
		} else if (f->stopped) {
			ending = "stopped-near-oom";
			words = "was stopped by oomph near its memory limit (--on-oom stop)";
		} else if (kline[0]) {
			ending = "oom-killed";
			words = "was killed by the kernel's OOM killer";
			snprintf(ev, sizeof ev, "the kernel log names it: \"%.440s\"", kline);
		} else if (term) {
			/* its pool: SIGTERM from its parent, or from the process
			 * that started its parent (a fork server's workers are
			 * ended by the pool's owner) */
			const struct oomph_state_header *ph = header_of(w, h->ppid);
			if (from > 0 && from == h->ppid) {
				ending = "ended-by-parent";
				words = "was ended by its pool";
				snprintf(ev, sizeof ev, "SIGTERM from its parent, process %d", from);
			} else if (from > 0 && ph && from == ph->ppid) {
				ending = "ended-by-parent";
				words = "was ended by its pool";
				snprintf(ev, sizeof ev,
					 "SIGTERM from process %d, which started its parent %d (a fork server)",
					 from, h->ppid);
			} else {
				ending = "signal";
				words = "was ended by SIGTERM";
				if (from > 0)
					snprintf(ev, sizeof ev, "SIGTERM from process %d", from);
				else
					snprintf(ev, sizeof ev, "SIGTERM from an unknown sender");
			}
		} else if (w->cfg.cg && f->oom_rise > 0) {
			ending = "oom-killed";
			words = "was killed by the kernel's OOM killer";
			snprintf(ev, sizeof ev,
				 "the oom_kill counter of oomph's own memory cgroup (--limit) rose by %lld as it went",
				 f->oom_rise);
		} else if (f->wait_status >= 0 && WIFSIGNALED(f->wait_status)) {
			int sig = WTERMSIG(f->wait_status);
			const char *name = text_signal_name(sig);
			ending = sig == SIGKILL ? "killed" : "signal";
			words = sig == SIGKILL ? "was killed (SIGKILL)" : "was ended by a signal";
			snprintf(ev, sizeof ev,
				 "its wait status, read while it was a zombie: signal %d (%s)%s", sig,
				 name ? name : "?",
				 sig == SIGKILL ? ", with no sign of the OOM killer" : "");
		}
		snprintf(q->ending, sizeof q->ending, "%s", ending);
		snprintf(q->evidence, sizeof q->evidence, "%s", ev);
		q->end_s = f->gone ? f->gone_t : -1;
		if (!words)
			continue;
		struct buf b;
		buf_init(&b);
		buf_printf(&b, "process %ld (", pid);
		header_command(&b, h);
		buf_printf(&b, ") %s", words);
		if (f->gone)
			buf_printf(&b, " at %.1f s", f->gone_t);
		if (ev[0])
			buf_printf(&b, ": %s", ev);
		if (!b.oom)
			(void)runmeta_add_evidence(m, "%s", buf_str(&b));
		buf_free(&b);
	}
}

void watch_end(struct watch *w, struct runmeta *m)
{
	tell_endings(w, m);
	timeline_writer_close(&w->tl);
	if (w->job)
		munmap(w->job, sizeof *w->job);
	w->job = NULL;
	for (int i = 0; i < w->nfiles; i++) {
		const struct watch_file *f = &w->files[i];
		long pid;
		unsigned gen;
		struct runmeta_proc *q;
		/* each image's own peak RSS, for the report (the state cannot
		 * say it for a process that died without its exit path) */
		if (f->hwm > 0 && oomph_state_name_parse(f->name, &pid, &gen) &&
		    (q = runmeta_proc(m, (int)pid, gen)) != NULL && f->hwm > q->hwm_bytes)
			q->hwm_bytes = f->hwm;
		munmap(f->map, f->len);
	}
	w->nfiles = 0;
	m->split = w->split;
	m->stopped_for_stall = w->stopped_for_stall;
	if (w->job_pss_peak > 0) {
		m->job_pss_peak_bytes = w->job_pss_peak;
		snprintf(m->job_rss_how, sizeof m->job_rss_how, "%s", w->job_pss_all ? "pss" : "rss");
	}
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
