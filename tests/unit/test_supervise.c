/* Unit tests of supervisor/supervise.c: finding programs and liboomph.so,
 * the child's environment, running and reaping a
 * child, and the run metadata it yields. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "state/format.h"
#include "supervisor/supervise.h"

static char tmpdir[] = "/tmp/oomph-test-supervise-XXXXXX";
static char err[1024];

static void write_file(const char *path, const char *body, mode_t mode)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fputs(body, f);
	fclose(f);
	chmod(path, mode);
}

static const char *env_get(char **env, const char *name)
{
	size_t n = strlen(name);
	for (; *env != NULL; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static int env_count(char **env, const char *name)
{
	int c = 0;
	size_t n = strlen(name);
	for (; *env != NULL; env++)
		c += strncmp(*env, name, n) == 0 && (*env)[n] == '=';
	return c;
}

static void test_which_searches_path_like_execvp(void)
{
	char out[PATH_MAX], d1[600], d2[600], p[700];
	snprintf(d1, sizeof d1, "%s/bin1", tmpdir);
	snprintf(d2, sizeof d2, "%s/bin2", tmpdir);
	mkdir(d1, 0755);
	mkdir(d2, 0755);
	snprintf(p, sizeof p, "%s/tool", d1);
	write_file(p, "#!/bin/sh\n", 0644); /* not executable: skipped */
	snprintf(p, sizeof p, "%s/tool", d2);
	write_file(p, "#!/bin/sh\n", 0755);
	snprintf(p, sizeof p, "%s/onlyread", d1);
	write_file(p, "#!/bin/sh\n", 0644);
	snprintf(p, sizeof p, "%s/adir", d1);
	mkdir(p, 0755);

	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
	char path[1300];
	snprintf(path, sizeof path, "%s::%s", d1, d2);
	setenv("PATH", path, 1);
	CHECK_EQ_INT(sup_which("tool", out, sizeof out), 0);
	snprintf(p, sizeof p, "%s/tool", d2);
	CHECK_STR_EQ(out, p);
	CHECK_EQ_INT(sup_which("onlyread", out, sizeof out), -EACCES);
	CHECK_EQ_INT(sup_which("adir", out, sizeof out), -EACCES);
	CHECK_EQ_INT(sup_which("no-such-tool-anywhere", out, sizeof out), -ENOENT);
	CHECK_EQ_INT(sup_which("", out, sizeof out), -ENOENT);
	/* A name with a slash is not searched. */
	CHECK_EQ_INT(sup_which(p, out, sizeof out), 0);
	CHECK_STR_EQ(out, p);
	CHECK_EQ_INT(sup_which("./tool", out, sizeof out), -ENOENT);
	snprintf(p, sizeof p, "%s/onlyread", d1);
	CHECK_EQ_INT(sup_which(p, out, sizeof out), -EACCES);
	CHECK_EQ_INT(sup_which("tool", out, 5), -ENOENT); /* too small to hold any */
	if (old != NULL) {
		setenv("PATH", old, 1);
		free(old);
	}
	CHECK_EQ_INT(sup_which("sh", out, sizeof out), 0);
}

static void test_library_comes_from_oomph_library_when_set(void)
{
	char out[PATH_MAX], lib[700], spaced[700];
	snprintf(lib, sizeof lib, "%s/liboomph.so", tmpdir);
	write_file(lib, "not really a library", 0644);
	setenv(OOMPH_ENV_LIBRARY, lib, 1);
	CHECK_EQ_INT(sup_find_library(out, sizeof out, err, sizeof err), 0);
	CHECK_STR_EQ(out, lib);

	snprintf(spaced, sizeof spaced, "%s/with space.so", tmpdir);
	write_file(spaced, "x", 0644);
	setenv(OOMPH_ENV_LIBRARY, spaced, 1);
	CHECK_EQ_INT(sup_find_library(out, sizeof out, err, sizeof err), -EINVAL);
	CHECK_STR_CONTAINS(err, "space or colon");

	setenv(OOMPH_ENV_LIBRARY, "/no/such/liboomph.so", 1);
	CHECK_EQ_INT(sup_find_library(out, sizeof out, err, sizeof err), -ENOENT);
	CHECK_STR_CONTAINS(err, "OOMPH_LIBRARY='/no/such/liboomph.so' cannot be used");
	setenv(OOMPH_ENV_LIBRARY, tmpdir, 1);
	CHECK(sup_find_library(out, sizeof out, err, sizeof err) < 0);
	CHECK_STR_CONTAINS(err, "not a regular file");
	unsetenv(OOMPH_ENV_LIBRARY);
	/* Without it: beside this test program there is none. */
	int rc = sup_find_library(out, sizeof out, err, sizeof err);
	if (rc != 0)
		CHECK_STR_CONTAINS(err, "cannot find liboomph.so");
}

static void test_child_env_preloads_us_first_and_says_where(void)
{
	char **env = NULL;
	setenv("LD_PRELOAD", "/lib/a.so /opt/x/liboomph.so:/lib/b.so", 1);
	setenv("OOMPH_STATE_DIR", "/old", 1);
	setenv("PYTHONMALLOC", "debug", 1);
	setenv("KEEP_ME", "yes", 1);
	CHECK_EQ_INT(sup_child_env("/opt/x/liboomph.so", "/runs/r/state", 4096, 0, &env), 0);
	CHECK_STR_EQ(env_get(env, "LD_PRELOAD"), "/opt/x/liboomph.so:/lib/a.so:/lib/b.so");
	CHECK_STR_EQ(env_get(env, OOMPH_ENV_STATE_DIR), "/runs/r/state");
	CHECK_STR_EQ(env_get(env, OOMPH_ENV_SAMPLE_RATE), "4096");
	CHECK_STR_EQ(env_get(env, "PYTHONMALLOC"), "debug");
	CHECK_STR_EQ(env_get(env, "KEEP_ME"), "yes");
	CHECK_EQ_INT(env_count(env, "LD_PRELOAD"), 1);
	CHECK_EQ_INT(env_count(env, OOMPH_ENV_STATE_DIR), 1);
	sup_free_env(env);

	unsetenv("LD_PRELOAD");
	CHECK_EQ_INT(sup_child_env("/l/liboomph.so", "/s", 1, 1, &env), 0);
	CHECK_STR_EQ(env_get(env, "LD_PRELOAD"), "/l/liboomph.so");
	CHECK_STR_EQ(env_get(env, OOMPH_ENV_SAMPLE_RATE), "1");
	CHECK_STR_EQ(env_get(env, "PYTHONMALLOC"), "malloc");
	CHECK_EQ_INT(env_count(env, "PYTHONMALLOC"), 1);
	sup_free_env(env);
	unsetenv("OOMPH_STATE_DIR");
	unsetenv("PYTHONMALLOC");
	unsetenv("KEEP_ME");
}

static void test_run_passes_exit_codes_and_signals_through(void)
{
	struct sup_result r;
	char *env[] = {"PATH=/bin:/usr/bin", NULL};
	char *exit7[] = {"sh", "-c", "exit 7", NULL};
	CHECK_EQ_INT(sup_run("/bin/sh", exit7, env, &r, err, sizeof err), 0);
	CHECK_EQ_INT(r.exit_code, 7);
	CHECK_EQ_INT(r.signal, 0);
	CHECK_EQ_INT(r.exit_status, 7);
	CHECK_EQ_INT(r.exec_errno, 0);
	CHECK(r.pid > 0);
	CHECK(r.peak_rss_bytes > 0);
	CHECK(r.duration_s >= 0 && r.duration_s < 60);
	CHECK(r.start_unix_s > 1.6e9);

	char *term[] = {"sh", "-c", "kill -TERM $$", NULL};
	CHECK_EQ_INT(sup_run("/bin/sh", term, env, &r, err, sizeof err), 0);
	CHECK_EQ_INT(r.signal, SIGTERM);
	CHECK_EQ_INT(r.exit_status, 143);

	char *kill9[] = {"sh", "-c", "kill -KILL $$", NULL};
	CHECK_EQ_INT(sup_run("/bin/sh", kill9, env, &r, err, sizeof err), 0);
	CHECK_EQ_INT(r.exit_status, 137);

	/* The environment given is the child's whole environment. */
	char *envtest[] = {"sh", "-c", "[ \"$ONLY\" = this ] && [ -z \"${HOME+x}\" ]", NULL};
	char *env2[] = {"ONLY=this", NULL};
	CHECK_EQ_INT(sup_run("/bin/sh", envtest, env2, &r, err, sizeof err), 0);
	CHECK_EQ_INT(r.exit_status, 0);

	/* A SIGTERM sent to us while the child runs goes to the child. */
	char *sleeper[] = {"sh", "-c", "kill -TERM $PPID; sleep 5; exit 3", NULL};
	CHECK_EQ_INT(sup_run("/bin/sh", sleeper, env, &r, err, sizeof err), 0);
	CHECK_EQ_INT(r.signal, SIGTERM);
	CHECK(r.duration_s < 4);
	/* ... and once the child is gone our own disposition is back. */
	struct sigaction sa;
	sigaction(SIGTERM, NULL, &sa);
	CHECK(!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL);
}

/* In a process group of its own (so kill 0 reaches no one else): the child
 * signals the whole group once, then oomph alone once.  It must count two
 * SIGINTs: the group's (not forwarded again) and the forwarded one. */
static void test_a_signal_reaches_the_program_once_whoever_it_was_sent_to(void)
{
	fflush(NULL);
	pid_t helper = fork();
	if (helper == 0) {
		setpgid(0, 0);
		/* A background job (cmd &, CI runners) starts with SIGINT ignored,
		 * which oomph keeps, like nohup, and sh cannot trap: not the case
		 * under test. */
		signal(SIGINT, SIG_DFL);
		struct sup_result r;
		char *env[] = {"PATH=/bin:/usr/bin", NULL};
		char *argv[] = {"sh", "-c",
				"n=0; trap 'n=$((n+1))' INT; kill -INT 0; sleep 0.3; "
				"kill -INT $PPID; sleep 0.3; exit $n", NULL};
		if (sup_run("/bin/sh", argv, env, &r, err, sizeof err) != 0)
			_exit(100);
		_exit(r.signal ? 100 + r.signal : r.exit_code);
	}
	int status = 0;
	waitpid(helper, &status, 0);
	CHECK(WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 2);
}

static void test_exec_failure_is_127_or_126_like_a_shell(void)
{
	struct sup_result r;
	char *env[] = {NULL};
	char missing[700], noexec[700];
	snprintf(missing, sizeof missing, "%s/does-not-exist", tmpdir);
	char *argv1[] = {missing, NULL};
	CHECK_EQ_INT(sup_run(missing, argv1, env, &r, err, sizeof err), 0);
	CHECK_EQ_INT(r.exit_status, 127);
	CHECK_EQ_INT(r.exec_errno, ENOENT);

	snprintf(noexec, sizeof noexec, "%s/noexec", tmpdir);
	write_file(noexec, "#!/bin/sh\nexit 0\n", 0644);
	char *argv2[] = {noexec, NULL};
	CHECK_EQ_INT(sup_run(noexec, argv2, env, &r, err, sizeof err), 0);
	CHECK_EQ_INT(r.exit_status, 126);
	CHECK_EQ_INT(r.exec_errno, EACCES);

	/* A script without #! runs under /bin/sh, as execvp does. */
	char noshebang[700];
	snprintf(noshebang, sizeof noshebang, "%s/noshebang", tmpdir);
	write_file(noshebang, "exit 5\n", 0755);
	char *argv3[] = {noshebang, NULL};
	CHECK_EQ_INT(sup_run(noshebang, argv3, env, &r, err, sizeof err), 0);
	CHECK_EQ_INT(r.exit_status, 5);
}

static void test_meta_says_how_the_run_ended(void)
{
	struct sup_result r;
	memset(&r, 0, sizeof r);
	r.pid = 4242;
	r.exit_code = 3;
	r.exit_status = 3;
	r.peak_rss_bytes = 1 << 20;
	r.start_unix_s = 1.7e9;
	r.duration_s = 1.5;
	char *argv[] = {"python3", "s.py", "a b", NULL};
	struct runmeta m;
	CHECK_EQ_INT(sup_meta_fill(&m, 3, argv, "/usr/bin/python3", "3.11.7", 1, 1), 0);
	CHECK_STR_EQ(m.status, "running");
	sup_meta_result(&m, &r);
	CHECK_EQ_INT(m.argc, 3);
	CHECK_STR_EQ(m.argv[2], "a b");
	CHECK(m.argv[2] != argv[2]);
	CHECK(m.argv[3] == NULL);
	CHECK_STR_EQ(m.python, "/usr/bin/python3");
	CHECK_STR_EQ(m.python_version, "3.11.7");
	CHECK(m.cwd[0] == '/');
	CHECK_EQ_INT(m.child_pid, 4242);
	CHECK_EQ_INT(m.exit_code, 3);
	CHECK_EQ_INT(m.signal, 0);
	CHECK_EQ_INT(m.exit_status, 3);
	CHECK_EQ_INT(m.peak_rss_bytes, 1 << 20);
	CHECK_EQ_INT(m.sample_rate, 1);
	CHECK_EQ_INT(m.exact, 1);
	CHECK_STR_EQ(m.verdict, "exited");
	runmeta_free(&m);

	r.exit_code = 0;
	r.signal = SIGKILL;
	r.exit_status = 137;
	CHECK_EQ_INT(sup_meta_fill(&m, 1, argv, "", "", 262144, 0), 0);
	sup_meta_result(&m, &r);
	CHECK_STR_EQ(m.verdict, "killed");
	CHECK_EQ_INT(m.exit_status, 137);
	runmeta_free(&m);
	r.signal = SIGSEGV;
	r.exit_status = 139;
	CHECK_EQ_INT(sup_meta_fill(&m, 1, argv, "", "", 262144, 0), 0);
	sup_meta_result(&m, &r);
	CHECK_STR_EQ(m.verdict, "signal");
	CHECK_EQ_INT(m.signal, SIGSEGV);
	runmeta_free(&m);
}

int main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_which_searches_path_like_execvp();
	test_library_comes_from_oomph_library_when_set();
	test_child_env_preloads_us_first_and_says_where();
	test_run_passes_exit_codes_and_signals_through();
	test_a_signal_reaches_the_program_once_whoever_it_was_sent_to();
	test_exec_failure_is_127_or_126_like_a_shell();
	test_meta_says_how_the_run_ended();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return check_summary();
}
