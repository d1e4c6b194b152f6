/* report/text.c — human-readable numbers and sentences (text.h). */
#include "report/text.h"

#include "common/numfmt.h"

#include <stdio.h>
#include <string.h>

/* snprintf(out, n, "%s%s %s", a, b, c) without its cost: a flame graph
 * names the size of every frame it draws. */
static void join3(char *out, size_t n, const char *a, const char *b, const char *c)
{
	if (!n)
		return;
	size_t k = 0;
	const char *parts[3] = {a, b, c};
	for (int i = 0; i < 3; i++) {
		if (i == 2 && k + 1 < n)
			out[k++] = ' ';
		for (const char *s = parts[i]; *s && k + 1 < n; s++)
			out[k++] = *s;
	}
	out[k] = 0;
}

void text_bytes(char *out, size_t n, int64_t bytes)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	const char *sign = bytes < 0 ? "-" : "";
	/* Through double: exact enough for one decimal, and |INT64_MIN| fits. */
	double v = bytes < 0 ? -(double)bytes : (double)bytes;
	char num[NUMFMT_MAX];
	if (v < 1024) {
		numfmt_fixed(num, v, 0); /* "%s%.0f B" */
		join3(out, n, sign, num, "B");
		return;
	}
	int u = -1;
	do {
		v /= 1024;
		u++;
	} while (v >= 1024 && u < 5);
	/* 1023.96 KiB would print as "1024.0 KiB": say "1.0 MiB" instead. */
	if (v >= 1023.95 && u < 5) {
		v /= 1024;
		u++;
	}
	numfmt_fixed(num, v, 1); /* "%s%.1f %s" */
	join3(out, n, sign, num, units[u]);
}

const char *text_signal_name(int sig)
{
	static const char *const names[] = {
		NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
		"SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",
		"SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN",
		"SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
		"SIGIO", "SIGPWR", "SIGSYS"};
	if (sig <= 0 || (size_t)sig >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[sig];
}

static void signal_words(char *out, size_t n, int sig)
{
	const char *name = text_signal_name(sig);
	if (name)
		snprintf(out, n, "signal %d (%s)", sig, name);
	else
		snprintf(out, n, "signal %d", sig);
}

void text_verdict(char *out, size_t n, const char *verdict, int has_code, int exit_code,
		  int sig)
{
	char sw[64];
	signal_words(sw, sizeof(sw), sig);
	const char *v = verdict ? verdict : "";
	/* The supervisor's verdict words that change the sentence; any other
	 * word falls back on what the exit status says, never on a guess. */
	const char *name = text_signal_name(sig);
	if (!strcmp(v, "running")) {
		snprintf(out, n, "is still running");
	} else if (!strcmp(v, "oomph-died")) {
		snprintf(out, n, "was killed with oomph (oomph itself was killed before the program ended)");
	} else if (!strcmp(v, "stopped-near-oom")) {
		snprintf(out, n, "was stopped by oomph near its memory limit");
	} else if (!strcmp(v, "stopped-thrashing")) {
		snprintf(out, n, "was stopped by oomph while thrashing (--max-stall)");
	} else if (!strcmp(v, "oom-killed")) {
		snprintf(out, n, "was killed by the kernel's OOM killer (%s)", name ? name : "SIGKILL");
	} else if (!strcmp(v, "ended-by-parent")) {
		snprintf(out, n, "was ended by its pool (SIGTERM from its parent), a normal ending for a pool's worker");
	} else if (!strcmp(v, "outlived")) {
		snprintf(out, n, "was still running when the main process ended");
	} else if (!strcmp(v, "null-dereference")) {
		snprintf(out, n, "crashed with %s using the NULL that a failed allocation returned",
			 name ? name : "SIGSEGV");
	} else if (!strcmp(v, "memory-error")) {
		if (sig)
			snprintf(out, n, "ran out of memory (failed allocation) and died of %s", sw);
		else if (has_code)
			snprintf(out, n, "ran out of memory (MemoryError) and exited with code %d",
				 exit_code);
		else
			snprintf(out, n, "ran out of memory (MemoryError)");
	} else if (sig == 2) {
		/* what a person does to a program, not a death */
		snprintf(out, n, "was interrupted (Ctrl-C)");
	} else if (sig == 15) {
		snprintf(out, n, "was asked to stop (SIGTERM)");
	} else if (sig == 1) {
		snprintf(out, n, "was ended by a hangup (SIGHUP: its terminal closed)");
	} else if (sig) {
		snprintf(out, n, "was killed by %s", sw);
	} else if (has_code) {
		snprintf(out, n, "exited with code %d", exit_code);
	} else if (!strcmp(v, "exited")) {
		/* its exit path ran, the code unknown (a child's exit()) */
		snprintf(out, n, "exited");
	} else if (v[0]) {
		snprintf(out, n, "ended (%s)", v);
	} else {
		snprintf(out, n, "ended in an unknown way");
	}
}

void text_exception(char *out, size_t n, const char *type, const char *message)
{
	const char *dot = strrchr(type, '.');
	const char *name = dot && dot[1] ? dot + 1 : type;
	if (message && message[0])
		snprintf(out, n, "%s: %s", name, message);
	else
		snprintf(out, n, "%s", name);
}

const char *text_verdict_tone(const char *verdict, int has_code, int exit_code, int sig)
{
	const char *v = verdict ? verdict : "";
	static const char *const deaths[] = {"oom-killed", "memory-error", "null-dereference",
					     "killed", "stopped-near-oom", "stopped-thrashing",
					     "oomph-died"};
	for (size_t i = 0; i < sizeof deaths / sizeof deaths[0]; i++)
		if (!strcmp(v, deaths[i]))
			return "death";
	if (!strcmp(v, "running"))
		return "ended";
	/* signals a person or a service manager sends, or a closed pipe */
	if (sig == 1 || sig == 2 || sig == 13 || sig == 15)
		return "ended";
	if (sig)
		return "death"; /* SIGSEGV, SIGABRT, SIGBUS, SIGKILL ... */
	return has_code && exit_code == 0 ? "good" : "ended";
}

static int plain_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("_@%+=:,./-", c) || c >= 0x80))
			return 0;
	}
	return 1;
}

void text_shell_words(struct buf *b, int argc, char *const *argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i] ? argv[i] : "";
		if (i)
			buf_putc(b, ' ');
		if (plain_word(a)) {
			buf_puts(b, a);
			continue;
		}
		buf_putc(b, '\'');
		for (; *a; a++) {
			if (*a == '\'')
				buf_puts(b, "'\\''");
			else
				buf_putc(b, *a);
		}
		buf_putc(b, '\'');
	}
}
