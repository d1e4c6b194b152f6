/* Unit tests of supervisor/pyprobe.c: parsing the probe's line, judging the
 * interpreter, and probing real and fake interpreters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "supervisor/pyprobe.h"
#include "supervisor/supervise.h"

static char tmpdir[] = "/tmp/oomph-test-pyprobe-XXXXXX";
static char err[1024];

/* Writes an executable file `name` in tmpdir with `body`; returns its path. */
static const char *make_file(const char *name, const char *body, mode_t mode)
{
	static char path[4][512];
	static int k;
	char *p = path[k++ % 4];
	snprintf(p, 512, "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	if (f == NULL) {
		perror(p);
		exit(2);
	}
	fputs(body, f);
	fclose(f);
	chmod(p, mode);
	return p;
}

static void test_parse_reads_the_probe_line(void)
{
	struct pyprobe_info i;
	CHECK_EQ_INT(pyprobe_parse("cpython 3 11 7\n", &i), 0);
	CHECK_STR_EQ(i.implementation, "cpython");
	CHECK_EQ_INT(i.major, 3);
	CHECK_EQ_INT(i.minor, 11);
	CHECK_EQ_INT(i.micro, 7);
	CHECK_STR_EQ(i.version, "3.11.7");
	CHECK_EQ_INT(pyprobe_parse("pypy 3 10 14", &i), 0);
	CHECK_STR_EQ(i.implementation, "pypy");
	CHECK_STR_EQ(i.version, "3.10.14");
	CHECK_EQ_INT(pyprobe_parse("cpython 3 13 0\r\n", &i), 0);
	CHECK_STR_EQ(i.abiflags, "");
	CHECK_EQ_INT(i.free_threaded, 0);
	/* sys.abiflags, after the version */
	CHECK_EQ_INT(pyprobe_parse("cpython 3 14 10 abi=\n", &i), 0);
	CHECK_STR_EQ(i.version, "3.14.10");
	CHECK_EQ_INT(i.free_threaded, 0);
	CHECK_EQ_INT(pyprobe_parse("cpython 3 14 0 abi=t\n", &i), 0);
	CHECK_STR_EQ(i.abiflags, "t");
	CHECK_EQ_INT(i.free_threaded, 1);
	CHECK_EQ_INT(pyprobe_parse("cpython 3 13 1 abi=td", &i), 0);
	CHECK_EQ_INT(i.free_threaded, 1);
	CHECK_EQ_INT(pyprobe_parse("cpython 3 12 1 abi=d", &i), 0);
	CHECK_EQ_INT(i.free_threaded, 0);
}

static void test_parse_reads_the_interpreters_directories(void)
{
	struct pyprobe_info i;
	CHECK_EQ_INT(pyprobe_parse("cpython 3 11 2 abi=\ndir prefix /usr\ndir stdlib /usr/lib/python3.11\n"
				   "dir stdlib /usr/lib/python3.11\ndir site /usr/lib/python3/dist-packages\n"
				   "dir site /a b/site-packages\n", &i), 0);
	CHECK_STR_EQ(i.version, "3.11.2");
	CHECK_EQ_INT(i.ndirs, 4); /* platstdlib, the same as stdlib, once */
	CHECK_STR_EQ(i.dirs[0], "prefix /usr");
	CHECK_STR_EQ(i.dirs[1], "stdlib /usr/lib/python3.11");
	CHECK_STR_EQ(i.dirs[3], "site /a b/site-packages");
	/* only `dir KIND /absolute` lines follow the version */
	CHECK_EQ_INT(pyprobe_parse("cpython 3 11 2 abi=\ndir stdlib relative\n", &i), -EINVAL);
	CHECK_EQ_INT(pyprobe_parse("cpython 3 11 2 abi=\ndir  /x\n", &i), -EINVAL);
	CHECK_EQ_INT(pyprobe_parse("cpython 3 11 2 abi=\nsite /x\n", &i), -EINVAL);
}

static void test_parse_rejects_anything_else(void)
{
	struct pyprobe_info i;
	memset(&i, 0x5a, sizeof i);
	const char *bad[] = {
		"", "\n", "cpython", "cpython 3 11", "cpython 3 11 7 extra", "cpython 3.11.7",
		"CPython 3 11 7", "cpython  3 11 7", "cpython 3 x 7", "-I -S -c import sys",
		"cpython 3 11 7\nmore", "cpython 3 11 99999999999",
		"averyveryveryveryveryverylongimplementationname 3 11 7",
		"cpython 3 14 0 abi=T", "cpython 3 14 0 abi=t extra", "cpython 3 14 0 abi",
		"cpython 3 14 0 abi=tttttttttttttttttttt",
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		int rc = pyprobe_parse(bad[k], &i);
		if (rc != -EINVAL)
			fprintf(stderr, "pyprobe_parse(\"%s\") = %d\n", bad[k], rc);
		CHECK_EQ_INT(rc, -EINVAL);
	}
	CHECK_EQ_INT((unsigned char)i.implementation[0], 0x5a); /* untouched */
}

static void test_check_wants_cpython_3_9_or_newer(void)
{
	struct pyprobe_info i;
	pyprobe_parse("cpython 3 9 0", &i);
	CHECK_EQ_INT(pyprobe_check("py", &i, err, sizeof err), 0);
	pyprobe_parse("cpython 3 13 1", &i);
	CHECK_EQ_INT(pyprobe_check("py", &i, err, sizeof err), 0);
	pyprobe_parse("cpython 4 0 0", &i);
	CHECK_EQ_INT(pyprobe_check("py", &i, err, sizeof err), 0);
	pyprobe_parse("cpython 3 8 18", &i);
	CHECK_EQ_INT(pyprobe_check("/x/python3.8", &i, err, sizeof err), -ENOTSUP);
	CHECK_STR_EQ(err, "'/x/python3.8' is CPython 3.8.18, but oomph needs CPython 3.9 or newer (pass --python PATH)");
	pyprobe_parse("cpython 2 7 18", &i);
	CHECK_EQ_INT(pyprobe_check("py2", &i, err, sizeof err), -ENOTSUP);
	pyprobe_parse("pypy 3 10 14", &i);
	CHECK_EQ_INT(pyprobe_check("/x/pypy3", &i, err, sizeof err), -ENOTSUP);
	CHECK_STR_EQ(err, "'/x/pypy3' is PyPy 3.10.14, but oomph profiles CPython 3.9 or newer (pass --python PATH)");
}

static void test_warning_for_what_is_supported_in_part(void)
{
	struct pyprobe_info i;
	char msg[512];
	const char *fine[] = {"cpython 3 9 0", "cpython 3 13 1 abi=", "cpython 3 14 10 abi=",
			      "cpython 3 15 2 abi=d"};
	for (size_t k = 0; k < sizeof fine / sizeof fine[0]; k++) {
		pyprobe_parse(fine[k], &i);
		CHECK_EQ_INT(pyprobe_warning("py", &i, msg, sizeof msg), 0);
	}
	/* free-threaded: runs, says what it supports */
	pyprobe_parse("cpython 3 14 0 abi=t", &i);
	CHECK_EQ_INT(pyprobe_check("/x/python3.14t", &i, err, sizeof err), 0);
	CHECK_EQ_INT(pyprobe_warning("/x/python3.14t", &i, msg, sizeof msg), 1);
	CHECK_STR_CONTAINS(msg, "'/x/python3.14t' is a free-threaded CPython 3.14.0");
	CHECK_STR_CONTAINS(msg, "totals and the peak are exact");
	CHECK_STR_CONTAINS(msg, "no pymalloc pools");
	CHECK_STR_CONTAINS(msg, "docs/architecture.md");
	/* newer than we know: the C API only */
	pyprobe_parse("cpython 3 16 0 abi=", &i);
	CHECK_EQ_INT(pyprobe_check("/x/python3.16", &i, err, sizeof err), 0);
	CHECK_EQ_INT(pyprobe_warning("/x/python3.16", &i, msg, sizeof msg), 1);
	CHECK_STR_EQ(msg, "warning: '/x/python3.16' is CPython 3.16.0, newer than this oomph knows "
			  "(3.15): stacks come from the C API only, so allocations made without the "
			  "GIL (numpy, zlib, mmap, ctypes calls) go to the thread's last stack");
}

static void test_probe_of_the_real_python3(void)
{
	char path[4096];
	if (sup_which("python3", path, sizeof path) != 0) {
		printf("skipped: no python3 on PATH\n");
		return;
	}
	struct pyprobe_info i;
	int rc = pyprobe_probe(path, &i, err, sizeof err);
	if (rc != 0)
		fprintf(stderr, "probe of %s: %s\n", path, err);
	CHECK_EQ_INT(rc, 0);
	CHECK_STR_EQ(i.implementation, "cpython");
	CHECK_EQ_INT(i.major, 3);
	CHECK_EQ_INT(i.free_threaded, 0); /* Debian's and pyenv's have the GIL */
	/* and where its standard library and packages are, site or not (-S) */
	int stdlib = 0, site = 0;
	for (int k = 0; k < i.ndirs; k++) {
		stdlib += !strncmp(i.dirs[k], "stdlib /", 8) && strstr(i.dirs[k], "/python3");
		site += !strncmp(i.dirs[k], "site /", 6) &&
			(strstr(i.dirs[k], "-packages") != NULL);
	}
	CHECK(stdlib >= 1);
	CHECK(site >= 1);
}

static void test_probe_of_fake_interpreters(void)
{
	struct pyprobe_info i;
	const char *p = make_file("pypy", "#!/bin/sh\necho pypy 3 10 14\n", 0755);
	CHECK_EQ_INT(pyprobe_probe(p, &i, err, sizeof err), 0);
	CHECK_STR_EQ(i.implementation, "pypy");
	CHECK_EQ_INT(pyprobe_check(p, &i, err, sizeof err), -ENOTSUP);

	/* The probe passes exactly the documented flags. */
	p = make_file("argv", "#!/bin/sh\n[ \"$1 $2 $3\" = '-I -S -c' ] && [ \"$4\" = \"$PYCODE\" ] && "
			      "[ $# = 4 ] && echo cpython 3 12 1\n", 0755);
	setenv("PYCODE", PYPROBE_CODE, 1);
	CHECK_EQ_INT(pyprobe_probe(p, &i, err, sizeof err), 0);
	CHECK_STR_EQ(i.version, "3.12.1");

	p = make_file("py2", "#!/bin/sh\necho 'Unknown option: -I' >&2\necho 'usage: python2' >&2\nexit 2\n", 0755);
	CHECK_EQ_INT(pyprobe_probe(p, &i, err, sizeof err), -ENOEXEC);
	CHECK_STR_CONTAINS(err, "failed the version probe (exit status 2: Unknown option: -I)");
	CHECK(strchr(err, '\n') == NULL);

	p = make_file("silent", "#!/bin/sh\nexit 0\n", 0755);
	CHECK_EQ_INT(pyprobe_probe(p, &i, err, sizeof err), -ENOEXEC);
	CHECK_STR_CONTAINS(err, "does not look like a Python interpreter (the version probe printed nothing)");

	p = make_file("echo", "#!/bin/sh\necho \"$@\"\n", 0755);
	CHECK_EQ_INT(pyprobe_probe(p, &i, err, sizeof err), -ENOEXEC);
	CHECK_STR_CONTAINS(err, "printed '-I -S -c import sys");

	p = make_file("killed", "#!/bin/sh\nkill -SEGV $$\n", 0755);
	CHECK_EQ_INT(pyprobe_probe(p, &i, err, sizeof err), -ENOEXEC);
	CHECK_STR_CONTAINS(err, "killed by signal 11");

	p = make_file("garbage", "\x01\x02\x03 not a program\n", 0755);
	CHECK_EQ_INT(pyprobe_probe(p, &i, err, sizeof err), -ENOEXEC);
	CHECK_STR_CONTAINS(err, "not a program this system can run");

	p = make_file("noexec", "#!/bin/sh\necho cpython 3 11 7\n", 0644);
	{ /* no x bit: even root cannot execute it */
		CHECK_EQ_INT(pyprobe_probe(p, &i, err, sizeof err), -EACCES);
		CHECK_STR_CONTAINS(err, "cannot be executed");
	}

	CHECK_EQ_INT(pyprobe_probe(tmpdir, &i, err, sizeof err), -EACCES);
	CHECK_STR_CONTAINS(err, "is a directory");

	char missing[600];
	snprintf(missing, sizeof missing, "%s/no-such-python", tmpdir);
	CHECK_EQ_INT(pyprobe_probe(missing, &i, err, sizeof err), -ENOENT);
	CHECK_STR_CONTAINS(err, "not found");
}

static void test_probe_runs_without_oomph_in_its_environment(void)
{
	struct pyprobe_info i;
	const char *p = make_file("env", "#!/bin/sh\n"
				  "[ -z \"${OOMPH_STATE_DIR+x}\" ] && [ -z \"${OOMPH_SAMPLE_RATE+x}\" ] && "
				  "[ \"$LD_PRELOAD\" = '' ] && [ \"$KEEP\" = kept ] && echo cpython 3 11 2\n", 0755);
	setenv("OOMPH_STATE_DIR", "/tmp/nowhere", 1);
	setenv("OOMPH_SAMPLE_RATE", "1", 1);
	setenv("LD_PRELOAD", "/nonexistent/liboomph.so", 1);
	setenv("KEEP", "kept", 1);
	int rc = pyprobe_probe(p, &i, err, sizeof err);
	if (rc != 0)
		fprintf(stderr, "env probe: %s\n", err);
	CHECK_EQ_INT(rc, 0);
	unsetenv("OOMPH_STATE_DIR");
	unsetenv("OOMPH_SAMPLE_RATE");
	unsetenv("LD_PRELOAD");
}

int main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_parse_reads_the_probe_line();
	test_parse_rejects_anything_else();
	test_parse_reads_the_interpreters_directories();
	test_check_wants_cpython_3_9_or_newer();
	test_warning_for_what_is_supported_in_part();
	test_probe_of_the_real_python3();
	test_probe_of_fake_interpreters();
	test_probe_runs_without_oomph_in_its_environment();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return check_summary();
}
