/* supervisor/verdict.c — the verdict and its evidence (verdict.h). */
#include "supervisor/verdict.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "report/buf.h"
#include "report/origin.h"
#include "report/text.h"
#include "supervisor/pressure.h"

void verdict_node_label(const struct profile *p, uint32_t node, char *out, size_t cap)
{
	out[0] = 0;
	if (!p || node == 0 || node >= p->nnodes)
		return;
	const struct profile_frame *f = &p->frames[p->nodes[node].frame];
	if (f->flags == PROFILE_FRAME_PYTHON)
		snprintf(out, cap, "%s:%u (%s)", f->file, f->line, f->func);
	else
		snprintf(out, cap, "%s", f->file);
}

static const struct profile_failure *last_failure(const struct profile *p)
{
	return p && p->nfailures ? &p->failures[p->nfailures - 1] : NULL;
}

/* "memerr.py:4 (grow)": the innermost frame of the program's own code on
 * node's stack (report/origin.h), and in `via` the innermost frame when it
 * is not that one ("numpy/core/numeric.py:205 (ones)"); "" when none. */
static void program_line(const struct profile *p, const struct runmeta *m, uint32_t node,
			 char *out, size_t cap, char *via, size_t vcap)
{
	out[0] = via[0] = 0;
	if (!p || node == 0 || node >= p->nnodes)
		return;
	struct origin o;
	origin_init(&o, m);
	struct buf b;
	buf_init(&b);
	uint32_t inner = 0;
	for (uint32_t n = node; n && n < p->nnodes; n = p->nodes[n].parent) {
		const struct profile_frame *f = &p->frames[p->nodes[n].frame];
		if (f->flags != PROFILE_FRAME_PYTHON)
			continue;
		if (!inner)
			inner = n;
		if (origin_of(&o, f->file, NULL) != ORIGIN_PROGRAM)
			continue;
		origin_short(&b, &o, f->file);
		snprintf(out, cap, "%s:%u (%s)", buf_str(&b), f->line, f->func);
		if (inner != n) {
			const struct profile_frame *g = &p->frames[p->nodes[inner].frame];
			buf_reset(&b);
			origin_short(&b, &o, g->file);
			snprintf(via, vcap, "%s:%u (%s)", buf_str(&b), g->line, g->func);
		}
		break;
	}
	buf_free(&b);
	if (!out[0]) /* no line of the program: the innermost frame */
		verdict_node_label(p, node, out, cap);
}

/* "a malloc of 9.1 TiB (N bytes) asked by memerr.py:4 (grow) via
 * numpy/core/numeric.py:205 (ones) failed with ENOMEM at 0.20 s" */
static void describe_failure(const struct profile *p, const struct runmeta *m,
			     const struct profile_failure *f, char *out, size_t cap)
{
	char size[32], where[1200], via[1200];
	text_bytes(size, sizeof size, (int64_t)(f->size > INT64_MAX ? INT64_MAX : f->size));
	program_line(p, m, f->node, where, sizeof where, via, sizeof via);
	snprintf(out, cap, "%s of %s (%" PRIu64 " bytes)%s%s%s%s failed with %s at %.2f s", f->call,
		 size, f->size, where[0] ? " asked by " : "", where, via[0] ? " via " : "", via,
		 f->err == ENOMEM ? "ENOMEM" : strerror(f->err), f->time_s);
}

/* The first failed allocation is the one that matters (what follows is
 * often the error handling's own); the state keeps the latest 16, so the
 * first of those when more failed. */
static int add_failures(const struct verdict_input *in, struct runmeta *m)
{
	const struct profile *p = in->main;
	if (!p || !p->nfailures)
		return 0;
	const struct profile_failure *f = &p->failures[0];
	char d[2800];
	describe_failure(p, m, f, d, sizeof d);
	if (p->failures_total == 1)
		return runmeta_add_evidence(m, "1 allocation failed: %s", d);
	return runmeta_add_evidence(m, "%" PRIu64 " allocations failed; the %s: %s",
				    p->failures_total,
				    p->failures_total > p->nfailures ? "first recorded" : "first", d);
}

static int add_limit(const struct verdict_input *in, struct runmeta *m)
{
	if (m->limit_bytes <= 0)
		return 0;
	char lim[32];
	text_bytes(lim, sizeof lim, m->limit_bytes);
	(void)in;
	/* oomph's own cgroup is named once, by the --limit line */
	if (m->limit_mode[0] && m->cgroup_dir[0] && strstr(m->limit_source, m->cgroup_dir))
		return runmeta_add_evidence(m, "memory limit in force: %s (--limit)", lim);
	return runmeta_add_evidence(m, "memory limit in force: %s (%s)", lim, m->limit_source);
}

/* How it thrashed and how it swapped, when it did. */
static int add_pressure(struct runmeta *m)
{
	int rc = 0;
	if (m->thrashing)
		rc |= runmeta_add_evidence(m,
			"it thrashed for %.1f s on end: stalled on memory up to %.0f%% of the time (%.1f s stalled in all, PSI), up to %.0f pages/s of its working set read back from swap or disk, up to %.0f major faults/s",
			m->thrash_seconds, m->stall_max_pct, m->stall_total_s,
			m->refault_max_per_s > 0 ? m->refault_max_per_s : 0.0, m->majflt_max_per_s);
	const struct runmeta_swap *sw = &m->swap;
	if (sw->peak_bytes <= 0 && sw->seconds <= 0)
		return rc;
	char peak[32], vm[32], in[32], out[32], allowed[48], machine[32];
	text_bytes(peak, sizeof peak, sw->peak_bytes);
	text_bytes(vm, sizeof vm, sw->vmswap_peak_bytes);
	text_bytes(in, sizeof in, (int64_t)(sw->in_max_per_s > 0 ? sw->in_max_per_s : 0));
	text_bytes(out, sizeof out, (int64_t)(sw->out_max_per_s > 0 ? sw->out_max_per_s : 0));
	if (sw->allowed_bytes >= 0)
		text_bytes(allowed, sizeof allowed, sw->allowed_bytes);
	text_bytes(machine, sizeof machine, sw->machine_bytes > 0 ? sw->machine_bytes : 0);
	rc |= runmeta_add_evidence(m,
		"it swapped for %.1f s: up to %s in swap (VmSwap of its processes up to %s), up to %s/s swapped in and %s/s out (%s); swap allowed: %s%s; the machine has %s of swap",
		sw->seconds, peak, vm, in, out,
		!strcmp(sw->scope, "cgroup") ? "its cgroup's counters" : "the whole machine's counters",
		sw->allowed_bytes >= 0 ? allowed : "not bounded by oomph",
		sw->allowed_bytes >= 0 ? " beyond the memory limit" : "", machine);
	return rc;
}

static void set(struct runmeta *m, const char *v)
{
	snprintf(m->verdict, sizeof m->verdict, "%s", v);
}

int verdict_decide(const struct verdict_input *in, struct runmeta *m)
{
	const struct profile *p = in->main;
	int rc = 0;
	char buf[1600];

	if (in->stopped_near_oom || (p && p->stopped_near_oom)) {
		set(m, "stopped-near-oom");
		if (p && p->moment_self && !strcmp(p->moment_reason, "near-oom")) {
			char head[32], thr[32], tracked[32];
			text_bytes(head, sizeof head, p->moment_headroom);
			text_bytes(thr, sizeof thr, p->oom_threshold);
			text_bytes(tracked, sizeof tracked, p->moment_bytes);
			rc |= runmeta_add_evidence(m,
				"only %s left below the limit at %.2f s (threshold %s); oomph stopped the program (--on-oom stop) with %s tracked",
				head, p->moment_time_s, thr, tracked);
		} else {
			rc |= runmeta_add_evidence(m, "oomph stopped the program near the memory limit (--on-oom stop)");
		}
		rc |= add_pressure(m);
		rc |= add_limit(in, m);
		return rc ? -ENOMEM : 0;
	}
	if (in->stopped_for_stall) {
		set(m, "stopped-thrashing");
		const struct runmeta_stop *st = &m->stop;
		if (!strcmp(st->by, "kernel-time"))
			rc |= runmeta_add_evidence(m,
				"at %.2f s its working set had been read back from swap or disk (%.0f pages/s) while it spent %.0f%% of its time in the kernel, for %.0f s on end: more than --max-stall %.0f%%; oomph stopped it",
				st->t_s, st->readback_per_s, st->share_pct, STALL_SUSTAIN_S, in->max_stall_pct);
		else
			rc |= runmeta_add_evidence(m,
				"at %.2f s it had been stalled on memory %.0f%% of the time (PSI) for %.0f s on end: more than --max-stall %.0f%%; oomph stopped it",
				st->t_s, st->share_pct, STALL_SUSTAIN_S, in->max_stall_pct);
		if (st->swap_bytes > 0 || st->in_per_s > 0 || st->out_per_s > 0) {
			char sw[32], sin[32], sout[32];
			text_bytes(sw, sizeof sw, st->swap_bytes);
			text_bytes(sin, sizeof sin, (int64_t)st->in_per_s);
			text_bytes(sout, sizeof sout, (int64_t)st->out_per_s);
			rc |= runmeta_add_evidence(m,
				"at that moment %s of it was in swap, %s/s swapped in and %s/s out", sw, sin,
				sout);
		}
		rc |= add_pressure(m);
		rc |= add_limit(in, m);
		return rc ? -ENOMEM : 0;
	}

	if (in->signal == SIGKILL) {
		int hard = 0;
		if (in->kmsg_line) {
			hard = 1;
			rc |= runmeta_add_evidence(m, "the kernel log names process %d: \"%s\"", in->pid,
						   in->kmsg_line);
		}
		if (in->cgroup_oom_kills > 0 && in->cgroup_private) {
			hard = 1;
			/* the cgroup's path is in the --limit line */
			rc |= runmeta_add_evidence(m,
				"the oom_kill counter of oomph's own memory cgroup (--limit) rose by %lld",
				in->cgroup_oom_kills);
		} else if (in->cgroup_oom_kills > 0) {
			rc |= runmeta_add_evidence(m,
				"the oom_kill counter of the memory cgroup %s rose by %lld during the run (shared with other processes, so not proof on its own)",
				in->cgroup_dir ? in->cgroup_dir : "", in->cgroup_oom_kills);
		}
		if (hard) {
			set(m, "oom-killed");
		} else {
			set(m, "killed");
			rc |= runmeta_add_evidence(m,
				"SIGKILL with no sign of the kernel's OOM killer: %s%s",
				in->kmsg_readable ? "the kernel log does not name the process"
						  : "the kernel log could not be read",
				in->cgroup_oom_kills == 0 ? ", and the memory cgroup's oom_kill counter did not move"
							  : "");
		}
		if (p && p->moment_self && !strcmp(p->moment_reason, "near-oom")) {
			char head[32];
			text_bytes(head, sizeof head, p->moment_headroom);
			rc |= runmeta_add_evidence(m, "it had come within %s of the limit at %.2f s",
						   head, p->moment_time_s);
		}
		rc |= add_failures(in, m);
		rc |= add_pressure(m);
		rc |= add_limit(in, m);
		return rc ? -ENOMEM : 0;
	}

	if (in->signal == SIGSEGV || in->signal == SIGBUS) {
		int faulted = p && p->fault_signal;
		int near_null = faulted && p->fault_addr < VERDICT_NEAR_NULL;
		if (faulted) {
			char where[1200];
			verdict_node_label(p, p->fault_node, where, sizeof where);
			snprintf(buf, sizeof buf, "%s at address 0x%" PRIx64 " (%s)%s%s",
				 p->fault_signal == SIGBUS ? "SIGBUS" : "SIGSEGV", p->fault_addr,
				 near_null ? "near NULL" : "not near NULL",
				 where[0] ? "; last Python line seen on that thread: " : "", where);
			rc |= runmeta_add_evidence(m, "%s", buf);
		}
		if (near_null && p->failures_total > 0) {
			set(m, "null-dereference");
			rc |= add_failures(in, m);
			rc |= runmeta_add_evidence(m,
				"the crash followed a failed allocation: C code used the NULL it returned");
		} else {
			set(m, "signal");
			if (p && p->failures_total == 0)
				rc |= runmeta_add_evidence(m, "no allocation had failed: not a memory death");
			else
				rc |= add_failures(in, m);
		}
		rc |= add_pressure(m);
		return rc ? -ENOMEM : 0;
	}
	if (in->signal) {
		set(m, "signal");
		const char *name = text_signal_name(in->signal);
		rc |= runmeta_add_evidence(m, "ended by signal %d%s%s%s", in->signal,
					   name ? " (" : "", name ? name : "", name ? ")" : "");
		rc |= add_failures(in, m);
		rc |= add_pressure(m);
		return rc ? -ENOMEM : 0;
	}

	const struct profile_failure *f = last_failure(p);
	if (f && in->exit_code != 0) {
		set(m, "memory-error");
		rc |= add_failures(in, m);
		if (p->exc_type[0]) {
			/* what the program died of, from its tracker: it confirms
			 * (MemoryError) or corrects the guess */
			char e[400];
			text_exception(e, sizeof e, p->exc_type, p->exc_message);
			rc |= runmeta_add_evidence(m, "it then exited with code %d (uncaught %s)",
						   in->exit_code, e);
		} else {
			rc |= runmeta_add_evidence(m, "it then exited with code %d", in->exit_code);
		}
	} else {
		set(m, "exited");
		if (f) {
			rc |= add_failures(in, m);
			rc |= runmeta_add_evidence(m, "it survived (exit code %d)", in->exit_code);
		}
	}
	if (p && p->moment_self && !strcmp(p->moment_reason, "near-oom")) {
		char head[32];
		text_bytes(head, sizeof head, p->moment_headroom);
		rc |= runmeta_add_evidence(m, "it came within %s of the memory limit at %.2f s",
					   head, p->moment_time_s);
	}
	rc |= add_pressure(m);
	if (f || (p && p->moment_self) || m->thrashing || m->swap.peak_bytes > 0)
		rc |= add_limit(in, m);
	return rc ? -ENOMEM : 0;
}
