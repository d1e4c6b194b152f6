/* Unit tests of report/text.c: sizes in binary units, signal names, verdict
 * sentences, shell quoting (checked by a real shell reading it back). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "report/buf.h"
#include "report/text.h"

static const char *bytes(int64_t n)
{
	static char s[8][32];
	static int k;
	k = (k + 1) % 8;
	text_bytes(s[k], sizeof(s[k]), n);
	return s[k];
}

static void test_bytes(void)
{
	CHECK_STR_EQ(bytes(0), "0 B");
	CHECK_STR_EQ(bytes(1023), "1023 B");
	CHECK_STR_EQ(bytes(1024), "1.0 KiB");
	CHECK_STR_EQ(bytes(1536), "1.5 KiB");
	CHECK_STR_EQ(bytes(262144), "256.0 KiB");
	CHECK_STR_EQ(bytes((int64_t)(600.5 * 1048576)), "600.5 MiB");
	CHECK_STR_EQ(bytes(612LL << 20), "612.0 MiB");
	CHECK_STR_EQ(bytes(1048575), "1.0 MiB"); /* not "1024.0 KiB" */
	CHECK_STR_EQ(bytes(1LL << 30), "1.0 GiB");
	CHECK_STR_EQ(bytes(3LL << 40), "3.0 TiB");
	CHECK_STR_EQ(bytes(-2048), "-2.0 KiB");
	CHECK_STR_EQ(bytes(INT64_MAX), "8.0 EiB");
}

/* What text_bytes wrote with snprintf before it joined the parts itself,
 * for every size class, and cut to every buffer size. */
static void printf_bytes(char *out, size_t n, int64_t b)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	const char *sign = b < 0 ? "-" : "";
	double v = b < 0 ? -(double)b : (double)b;
	if (v < 1024) {
		snprintf(out, n, "%s%.0f B", sign, v);
		return;
	}
	int u = -1;
	do {
		v /= 1024;
		u++;
	} while (v >= 1024 && u < 5);
	if (v >= 1023.95 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(out, n, "%s%.1f %s", sign, v, units[u]);
}

static void test_bytes_is_printf(void)
{
	uint64_t rng = 88172645463325252ull;
	int bad = 0;
	for (int i = 0; i < 100000; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		int64_t b = (int64_t)(rng >> (rng % 64));
		if (i & 1)
			b = -b;
		if (i < 2100)
			b = i - 1050;
		size_t n = i % 7 == 0 ? (size_t)(i / 7 % 14) : 32;
		char a[32], e[32];
		memset(a, 'x', sizeof a);
		memset(e, 'x', sizeof e);
		text_bytes(a, n, b);
		printf_bytes(e, n, b);
		bad += memcmp(a, e, sizeof a) != 0;
	}
	CHECK_EQ_INT(bad, 0);
}

static void test_verdicts(void)
{
	char s[160];
	text_verdict(s, sizeof(s), "exited", 1, 0, 0);
	CHECK_STR_EQ(s, "exited with code 0");
	text_verdict(s, sizeof(s), "exited", 1, 3, 0);
	CHECK_STR_EQ(s, "exited with code 3");
	text_verdict(s, sizeof(s), "killed", 0, 0, 9);
	CHECK_STR_EQ(s, "was killed by signal 9 (SIGKILL)");
	text_verdict(s, sizeof(s), "signal", 0, 0, 15);
	CHECK_STR_EQ(s, "was asked to stop (SIGTERM)");
	/* Ctrl-C is what a person did, not a death */
	text_verdict(s, sizeof(s), "signal", 0, 0, 2);
	CHECK_STR_EQ(s, "was interrupted (Ctrl-C)");
	text_verdict(s, sizeof(s), "signal", 0, 0, 11);
	CHECK_STR_EQ(s, "was killed by signal 11 (SIGSEGV)");
	text_verdict(s, sizeof(s), "signal", 0, 0, 64);
	CHECK_STR_EQ(s, "was killed by signal 64");
	text_verdict(s, sizeof(s), "oom-killed", 0, 0, 9);
	CHECK_STR_EQ(s, "was killed by the kernel's OOM killer (SIGKILL)");
	text_verdict(s, sizeof(s), "stopped-near-oom", 0, 0, 9);
	CHECK_STR_EQ(s, "was stopped by oomph near its memory limit");
	text_verdict(s, sizeof(s), "stopped-thrashing", 0, 0, 9);
	CHECK_STR_EQ(s, "was stopped by oomph while thrashing (--max-stall)");
	text_verdict(s, sizeof(s), "null-dereference", 0, 0, 11);
	CHECK_STR_EQ(s, "crashed with SIGSEGV using the NULL that a failed allocation returned");
	text_verdict(s, sizeof(s), "memory-error", 1, 1, 0);
	CHECK_STR_EQ(s, "ran out of memory (MemoryError) and exited with code 1");
	text_verdict(s, sizeof(s), "", 0, 0, 0);
	CHECK_STR_EQ(s, "ended in an unknown way");
	/* its exit path ran, its code unknown (a child's exit()) */
	text_verdict(s, sizeof(s), "exited", 0, 0, 0);
	CHECK_STR_EQ(s, "exited");
	/* an exception: its class's own name, then its message */
	text_exception(s, sizeof(s), "concurrent.futures.process.BrokenProcessPool", "A process");
	CHECK_STR_EQ(s, "BrokenProcessPool: A process");
	text_exception(s, sizeof(s), "ValueError", "bad row 7");
	CHECK_STR_EQ(s, "ValueError: bad row 7");
	text_exception(s, sizeof(s), "MemoryError", "");
	CHECK_STR_EQ(s, "MemoryError");
	text_exception(s, sizeof(s), "odd.", "x"); /* a name ending in a dot: as it is */
	CHECK_STR_EQ(s, "odd.: x");
	CHECK_STR_EQ(text_signal_name(11), "SIGSEGV");
	CHECK(text_signal_name(0) == NULL && text_signal_name(99) == NULL);
}

static void test_shell_words(void)
{
	char *const argv[] = {"python3", "a b", "it's", "", "x;y", "plain-word_1.py", "$HOME", "\xc3\xa9t\xc3\xa9"};
	int argc = (int)(sizeof(argv) / sizeof(argv[0]));
	struct buf b;
	buf_init(&b);
	text_shell_words(&b, argc, argv);
	CHECK_STR_EQ(buf_str(&b),
		     "python3 'a b' 'it'\\''s' '' 'x;y' plain-word_1.py '$HOME' \xc3\xa9t\xc3\xa9");
	/* A POSIX shell reads the words back as they were. */
	struct buf cmd;
	buf_init(&cmd);
	buf_puts(&cmd, "for w in ");
	buf_puts(&cmd, buf_str(&b));
	buf_puts(&cmd, "; do printf '[%s]' \"$w\"; done");
	/* through a script file, so this test needs no quoting of its own */
	char path[] = "/tmp/oomph-shell-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd >= 0) {
		FILE *s = fdopen(fd, "w");
		fputs(buf_str(&cmd), s);
		fclose(s);
		char run[256], out[512] = "";
		snprintf(run, sizeof(run), "sh %s", path);
		FILE *p = popen(run, "r");
		if (p) {
			size_t n = fread(out, 1, sizeof(out) - 1, p);
			out[n] = 0;
			pclose(p);
		}
		CHECK_STR_EQ(out, "[python3][a b][it's][][x;y][plain-word_1.py][$HOME][\xc3\xa9t\xc3\xa9]");
		unlink(path);
	}
	buf_free(&cmd);
	buf_free(&b);
}

/* Red is for deaths only. */
static void test_tones(void)
{
	CHECK_STR_EQ(text_verdict_tone("exited", 1, 0, 0), "good");
	CHECK_STR_EQ(text_verdict_tone("exited", 1, 1, 0), "ended");
	CHECK_STR_EQ(text_verdict_tone("signal", 0, 0, 2), "ended");
	CHECK_STR_EQ(text_verdict_tone("signal", 0, 0, 15), "ended");
	CHECK_STR_EQ(text_verdict_tone("signal", 0, 0, 11), "death");
	CHECK_STR_EQ(text_verdict_tone("killed", 0, 0, 9), "death");
	CHECK_STR_EQ(text_verdict_tone("oom-killed", 0, 0, 9), "death");
	CHECK_STR_EQ(text_verdict_tone("memory-error", 1, 1, 0), "death");
	CHECK_STR_EQ(text_verdict_tone("running", 0, 0, 0), "ended");
}

int main(void)
{
	test_tones();
	test_bytes();
	test_bytes_is_printf();
	test_verdicts();
	test_shell_words();
	return check_summary();
}
