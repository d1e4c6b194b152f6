/* supervisor/supervise.c — see supervise.h. */
#include "supervisor/supervise.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <poll.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/errmsg.h"
#include "common/readfile.h"
#include "state/format.h"

/* ------------------------------------------------------------ sup_which */

static int sup_check_exec(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -EACCES;
	if (S_ISDIR(st.st_mode) || access(path, X_OK) != 0)
		return -EACCES;
	return 0;
}

int sup_which(const char *name, char *out, size_t outlen)
{
	if (name == NULL || name[0] == '\0')
		return -ENOENT;
	if (strchr(name, '/') != NULL) {
		if ((size_t)snprintf(out, outlen, "%s", name) >= outlen)
			return -ENAMETOOLONG;
		return sup_check_exec(out);
	}
	char defpath[256] = "/bin:/usr/bin";
	const char *path = getenv("PATH");
	if (path == NULL) {
		size_t n = confstr(_CS_PATH, defpath, sizeof defpath);
		if (n == 0 || n > sizeof defpath)
			snprintf(defpath, sizeof defpath, "/bin:/usr/bin");
		path = defpath;
	}
	int saw_eacces = 0;
	const char *p = path;
	for (;;) {
		size_t len = strcspn(p, ":");
		const char *dir = len == 0 ? "." : p;
		int dlen = len == 0 ? 1 : (int)len;
		if ((size_t)snprintf(out, outlen, "%.*s/%s", dlen, dir, name) < outlen) {
			int rc = sup_check_exec(out);
			if (rc == 0)
				return 0;
			if (rc == -EACCES)
				saw_eacces = 1;
		}
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (outlen > 0)
		out[0] = '\0';
	return saw_eacces ? -EACCES : -ENOENT;
}

/* ------------------------------------------------------------ library */

static int sup_readable_file(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EISDIR;
	if (access(path, R_OK) != 0)
		return -errno;
	return 0;
}

static int sup_library_path_ok(const char *path, char *err, size_t errlen)
{
	if (strpbrk(path, " :\t\n") != NULL)
		return err_set(-EINVAL, err, errlen,
				"the path of %s contains a space or colon, which LD_PRELOAD cannot express: '%s' "
				"(install oomph elsewhere, or set %s to a copy)",
				SUP_LIBRARY_NAME, path, OOMPH_ENV_LIBRARY);
	return 0;
}

int sup_find_library(char *out, size_t outlen, char *err, size_t errlen)
{
	char resolved[PATH_MAX];
	const char *env = getenv(OOMPH_ENV_LIBRARY);
	if (env != NULL && env[0] != '\0') {
		int rc = sup_readable_file(env);
		if (rc == 0 && realpath(env, resolved) == NULL)
			rc = -errno;
		if (rc < 0)
			return err_set(rc == -ENOENT ? -ENOENT : rc, err, errlen,
					"%s='%s' cannot be used: %s (unset it, or point it at liboomph.so)",
					OOMPH_ENV_LIBRARY, env, rc == -EISDIR ? "not a regular file" : strerror(-rc));
		if ((size_t)snprintf(out, outlen, "%s", resolved) >= outlen)
			return err_set(-ENAMETOOLONG, err, errlen, "the path of %s is too long", SUP_LIBRARY_NAME);
		return sup_library_path_ok(out, err, errlen);
	}

	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return err_set(-ENOENT, err, errlen,
				"cannot find %s: /proc/self/exe is unreadable (%s); set %s=/path/to/%s",
				SUP_LIBRARY_NAME, n < 0 ? strerror(errno) : "empty", OOMPH_ENV_LIBRARY, SUP_LIBRARY_NAME);
	exe[n] = '\0';
	char *dir = dirname(exe);

	char cand[2][PATH_MAX + 64];
	snprintf(cand[0], sizeof cand[0], "%s/%s", dir, SUP_LIBRARY_NAME);
	snprintf(cand[1], sizeof cand[1], "%s/../lib/oomph/%s", dir, SUP_LIBRARY_NAME);
	for (int k = 0; k < 2; k++) {
		if (sup_readable_file(cand[k]) != 0 || realpath(cand[k], resolved) == NULL)
			continue;
		if ((size_t)snprintf(out, outlen, "%s", resolved) >= outlen)
			return err_set(-ENAMETOOLONG, err, errlen, "the path of %s is too long", SUP_LIBRARY_NAME);
		return sup_library_path_ok(out, err, errlen);
	}
	return err_set(-ENOENT, err, errlen,
			"cannot find %s (looked in %s/ and %s/../lib/oomph/); build it with 'make' or set %s",
			SUP_LIBRARY_NAME, dir, dir, OOMPH_ENV_LIBRARY);
}

/* ------------------------------------------------------------ environment */

static int sup_env_is(const char *entry, const char *name)
{
	size_t n = strlen(name);
	return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

void sup_free_env(char **env)
{
	if (env == NULL)
		return;
	for (char **e = env; *e != NULL; e++)
		free(*e);
	free(env);
}

static char *sup_preload_value(const char *library, const char *old)
{
	size_t cap = strlen("LD_PRELOAD=") + strlen(library) + (old ? strlen(old) : 0) + 2;
	char *s = malloc(cap);
	if (s == NULL)
		return NULL;
	size_t n = (size_t)snprintf(s, cap, "LD_PRELOAD=%s", library);
	size_t liblen = strlen(library);
	for (const char *p = old; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, " :");
		if (len > 0 && !(len == liblen && memcmp(p, library, len) == 0)) {
			s[n++] = ':';
			memcpy(s + n, p, len);
			n += len;
		}
		p += len;
		if (*p != '\0')
			p++;
	}
	s[n] = '\0';
	return s;
}

int sup_child_env(const char *library, const char *state_dir, uint64_t sample_rate,
		  int no_pymalloc, char ***out)
{
	size_t n = 0;
	while (environ[n] != NULL)
		n++;
	char **env = calloc(n + 5, sizeof *env);
	if (env == NULL)
		return -ENOMEM;
	size_t k = 0;
	const char *old_preload = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *e = environ[i];
		if (sup_env_is(e, "LD_PRELOAD")) {
			old_preload = e + strlen("LD_PRELOAD=");
			continue;
		}
		if (sup_env_is(e, OOMPH_ENV_STATE_DIR) || sup_env_is(e, OOMPH_ENV_SAMPLE_RATE) ||
		    (no_pymalloc && sup_env_is(e, "PYTHONMALLOC")))
			continue;
		if ((env[k++] = strdup(e)) == NULL)
			goto nomem;
	}
	if ((env[k++] = sup_preload_value(library, old_preload)) == NULL)
		goto nomem;
	if (asprintf(&env[k], "%s=%s", OOMPH_ENV_STATE_DIR, state_dir) < 0) {
		env[k] = NULL;
		goto nomem;
	}
	k++;
	if (asprintf(&env[k], "%s=%" PRIu64, OOMPH_ENV_SAMPLE_RATE, sample_rate) < 0) {
		env[k] = NULL;
		goto nomem;
	}
	k++;
	if (no_pymalloc && (env[k++] = strdup("PYTHONMALLOC=malloc")) == NULL)
		goto nomem;
	env[k] = NULL;
	*out = env;
	return 0;
nomem:
	sup_free_env(env);
	return -ENOMEM;
}

/* ------------------------------------------------------------ sup_run */

static const int sup_forwarded[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
#define SUP_NFORWARDED ((int)(sizeof sup_forwarded / sizeof sup_forwarded[0]))

/* Read by the signal handler; set only while sup_run waits. */
static volatile sig_atomic_t sup_child_pid;    /* the program; 0: none */
static volatile sig_atomic_t sup_sentinel_pid; /* see below; 0: none */
static volatile sig_atomic_t sup_sentinel_fd = -1;
static volatile sig_atomic_t sup_sentinel_ack = -1; /* the sentinel's "discarded" */

/* The sentinel: a forked copy of oomph that stays in oomph's process group
 * with the forwarded signals blocked, and does nothing.  A signal sent to
 * the whole group (killpg, kill(0), `timeout`, the program's own kill 0)
 * reaches the program directly and stays pending in the sentinel; a signal
 * sent to oomph alone does not.  So when oomph gets a signal, the
 * sentinel's pending set (/proc/PID/status, ShdPnd) says whether the
 * program has its own copy already.  The sentinel discards a pending signal
 * when oomph writes its number to the pipe.
 *
 * It is also the run's watchdog: oomph ends it by writing SUP_SENTINEL_BYE
 * and closing the pipe.  End of file without that means oomph died (killed
 * alone: a whole process group killed takes the sentinel too): the
 * program got SIGKILL from its parent-death signal, and the sentinel kills
 * what else of the run is left — every process that carries the run's
 * OOMPH_STATE_DIR in its environment (a shell script's children) — so no
 * part of the run goes on unwatched.  Its state stays where it is, for
 * `oomph report DIR` (or the next oomph) to bring home. */
#define SUP_SENTINEL_BYE 0xffu

/* 1 if /proc/PID/environ holds the exact entry `want`. */
static int sup_environ_has(const char *pid, const char *want)
{
	char path[300];
	static char buf[1 << 18];
	snprintf(path, sizeof path, "/proc/%s/environ", pid);
	ssize_t n = read_text_file(path, buf, sizeof buf);
	if (n <= 0)
		return 0;
	size_t wl = strlen(want);
	for (ssize_t i = 0; i < n;) {
		size_t l = strlen(buf + i);
		if (l == wl && memcmp(buf + i, want, wl) == 0)
			return 1;
		i += (ssize_t)l + 1;
	}
	return 0;
}

static void sup_kill_run(const char *marker)
{
	pid_t self = getpid();
	for (int round = 0; round < 20; round++) {
		DIR *d = opendir("/proc");
		if (!d)
			return;
		int found = 0;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] < '1' || e->d_name[0] > '9')
				continue;
			pid_t pid = (pid_t)atol(e->d_name);
			if (pid != self && sup_environ_has(e->d_name, marker)) {
				kill(pid, SIGKILL);
				found = 1;
			}
		}
		closedir(d);
		if (!found)
			return;
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

_Noreturn static void sup_sentinel_main(int rfd, int ackfd, pid_t parent, const char *marker)
{
	if (getppid() != parent)
		_exit(0);
	prctl(PR_SET_NAME, "oomph-sentinel");
	/* Hold nothing open that someone may wait on (a pipe on stdout). */
	int nul = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3; fd++)
		dup2(nul, fd);
	for (int fd = 3; fd < 1024; fd++)
		if (fd != rfd && fd != ackfd)
			close(fd);
	for (int i = 0; i < SUP_NFORWARDED; i++)
		signal(sup_forwarded[i], SIG_DFL); /* still blocked: they stay pending */
	for (;;) {
		unsigned char b;
		ssize_t r = read(rfd, &b, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 1 && b == SUP_SENTINEL_BYE)
			_exit(0);
		if (r <= 0) { /* oomph died */
			if (marker)
				sup_kill_run(marker);
			_exit(0);
		}
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, b);
		struct timespec zero = {0, 0};
		sigtimedwait(&one, NULL, &zero);
		ssize_t w = write(ackfd, &b, 1);
		(void)w;
	}
}

/* 1 if signal `sig` is pending for process `pid` (async-signal-safe). */
static int sup_pending_in(pid_t pid, int sig)
{
	char path[40] = "/proc/", digits[16];
	int n = 0;
	for (unsigned v = (unsigned)pid; n == 0 || v != 0; v /= 10)
		digits[n++] = (char)('0' + v % 10);
	size_t len = strlen(path);
	while (n > 0)
		path[len++] = digits[--n];
	memcpy(path + len, "/status", sizeof "/status");

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[4096];
	size_t got = 0;
	ssize_t r;
	while (got < sizeof buf - 1 && (r = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)r;
	close(fd);
	buf[got] = '\0';
	const char *keys[] = {"\nShdPnd:", "\nSigPnd:"};
	for (int k = 0; k < 2; k++) {
		const char *p = strstr(buf, keys[k]);
		if (p == NULL)
			continue;
		p += strlen(keys[k]);
		while (*p == ' ' || *p == '\t')
			p++;
		uint64_t mask = 0;
		for (; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
			mask = mask << 4 | (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
		if (sig >= 1 && sig <= 64 && (mask >> (sig - 1) & 1))
			return 1;
	}
	return 0;
}

/* Did the signal oomph just got go to the whole group (so the program has
 * its copy)?  Delivery to every member happens in the sender's one system
 * call, and the kernel signals the newest members (the sentinel) first;
 * one short re-check covers a sender still in the middle of it. */
static int sup_sent_to_group(int sig)
{
	pid_t s = (pid_t)sup_sentinel_pid;
	if (s <= 0)
		return 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (sup_pending_in(s, sig)) {
			unsigned char b = (unsigned char)sig;
			ssize_t w = write(sup_sentinel_fd, &b, 1);
			(void)w;
			/* Wait until the sentinel has discarded it: a signal sent
			 * to oomph alone right after would otherwise find this
			 * one still pending there and not be forwarded. */
			struct pollfd pf = {.fd = sup_sentinel_ack, .events = POLLIN};
			if (w == 1 && poll(&pf, 1, 2000) == 1) {
				ssize_t r = read(sup_sentinel_ack, &b, 1);
				(void)r;
			}
			return 1;
		}
		if (attempt == 0) {
			struct timespec ms = {0, 1000000};
			nanosleep(&ms, NULL);
		}
	}
	return 0;
}

/* Forward a signal sent to oomph alone to the program.  A signal the kernel
 * sent (SI_KERNEL: a terminal's Ctrl-C, Ctrl-\, hang-up) or one sent to the
 * whole process group reached the program already. */
static void sup_forward(int sig, siginfo_t *si, void *uctx)
{
	(void)uctx;
	int saved = errno;
	pid_t pid = (pid_t)sup_child_pid;
	if (pid > 0 && (si == NULL || si->si_code != SI_KERNEL) && !sup_sent_to_group(sig))
		kill(pid, sig);
	errno = saved;
}

/* Starts the sentinel (signals blocked by the caller); 0 or -errno. */
static int sup_start_sentinel(const char *marker)
{
	int p[2], q[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	if (pipe2(q, O_CLOEXEC) != 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return -e;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		close(q[0]);
		close(q[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[1]);
		close(q[0]);
		sup_sentinel_main(p[0], q[1], parent, marker);
	}
	close(p[0]);
	close(q[1]);
	sup_sentinel_fd = p[1];
	sup_sentinel_ack = q[0];
	sup_sentinel_pid = (sig_atomic_t)pid;
	return 0;
}

static void sup_stop_sentinel(void)
{
	pid_t pid = (pid_t)sup_sentinel_pid;
	int fd = sup_sentinel_fd;
	int ack = sup_sentinel_ack;
	sup_sentinel_pid = 0;
	sup_sentinel_fd = -1;
	sup_sentinel_ack = -1;
	if (ack >= 0)
		close(ack);
	if (fd >= 0) {
		unsigned char bye = SUP_SENTINEL_BYE;
		ssize_t w = write(fd, &bye, 1);
		(void)w;
		close(fd);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
}

static double sup_clock(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for the child to end.  With hooks: wake every SUP_TICK_MS (and at
 * once when the child stops) to let the watcher look, and end the child
 * if it asks.  A pidfd makes the exit itself wake us at once, so watching
 * adds no delay to the end of a run. */
static pid_t sup_wait(pid_t pid, int *status, struct rusage *ru, const struct sup_hooks *hooks,
		      double t0)
{
	if (!hooks || !hooks->tick) {
		pid_t w;
		do
			w = wait4(pid, status, 0, ru);
		while (w < 0 && errno == EINTR);
		return w;
	}
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	double next_tick = -1; /* without a pidfd: when the next tick is due */
	for (;;) {
		int st = 0;
		pid_t w = wait4(pid, &st, WNOHANG | WUNTRACED, ru);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		if (w == pid && !WIFSTOPPED(st)) {
			*status = st;
			if (pfd >= 0)
				close(pfd);
			return w;
		}
		int stopped = w == pid && WIFSTOPPED(st);
		double t = sup_clock(CLOCK_MONOTONIC) - t0;
		if (pfd >= 0 || stopped || t >= next_tick) {
			if (hooks->tick(hooks->ctx, pid, t, stopped) == SUP_KILL)
				kill(pid, SIGKILL);
			next_tick = t + SUP_TICK_MS / 1000.0;
		}
		if (pfd >= 0) {
			struct pollfd p = {.fd = pfd, .events = POLLIN};
			poll(&p, 1, SUP_TICK_MS);
		} else {
			/* no pidfd (kernels before 5.3, valgrind): look for the
			 * exit every 20 ms, but tick at the same pace as with one */
			struct timespec ts = {0, 20 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	int e = errno;
	if (pfd >= 0)
		close(pfd);
	errno = e;
	return -1;
}

int sup_run(const char *file, char *const argv[], char *const envp[], struct sup_result *res,
	    char *err, size_t errlen)
{
	return sup_run_hooked(file, argv, envp, NULL, res, err, errlen);
}

int sup_run_hooked(const char *file, char *const argv[], char *const envp[],
		   const struct sup_hooks *hooks, struct sup_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof *res);
	int execp[2];
	if (pipe2(execp, O_CLOEXEC) != 0)
		return err_set(-errno, err, errlen, "cannot create a pipe: %s", strerror(errno));

	/* Block the forwarded signals until the handlers know the child. */
	sigset_t block, oldmask;
	sigemptyset(&block);
	for (int i = 0; i < SUP_NFORWARDED; i++)
		sigaddset(&block, sup_forwarded[i]);
	sigprocmask(SIG_BLOCK, &block, &oldmask);

	struct sigaction oldact[SUP_NFORWARDED];
	int installed[SUP_NFORWARDED];
	for (int i = 0; i < SUP_NFORWARDED; i++) {
		installed[i] = 0;
		if (sigaction(sup_forwarded[i], NULL, &oldact[i]) != 0)
			continue;
		if (!(oldact[i].sa_flags & SA_SIGINFO) && oldact[i].sa_handler == SIG_IGN)
			continue; /* inherited as ignored (nohup, `&`): stays so */
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = sup_forward;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigfillset(&sa.sa_mask);
		if (sigaction(sup_forwarded[i], &sa, NULL) == 0)
			installed[i] = 1;
	}

	fflush(NULL);
	/* Without a sentinel every signal is forwarded: a group signal then
	 * reaches the program twice, which is better than not at all. */
	const char *marker = NULL; /* the run's own OOMPH_STATE_DIR=... entry */
	for (int i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], OOMPH_ENV_STATE_DIR "=", strlen(OOMPH_ENV_STATE_DIR) + 1))
			marker = envp[i];
	(void)sup_start_sentinel(marker);

	struct rusage before;
	memset(&before, 0, sizeof before);
	getrusage(RUSAGE_CHILDREN, &before);
	res->start_unix_s = sup_clock(CLOCK_REALTIME);
	double t0 = sup_clock(CLOCK_MONOTONIC);

	pid_t parent_pid = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		sup_stop_sentinel();
		for (int i = 0; i < SUP_NFORWARDED; i++)
			if (installed[i])
				sigaction(sup_forwarded[i], &oldact[i], NULL);
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		close(execp[0]);
		close(execp[1]);
		return err_set(-e, err, errlen, "cannot start '%s': fork: %s", argv[0], strerror(e));
	}
	if (pid == 0) {
		close(execp[0]);
		/* If oomph dies, the program dies with it: no run goes on
		 * unwatched, its profile is kept (oomph report DIR renders it). */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent_pid)
			_exit(126);
		for (int i = 0; i < SUP_NFORWARDED; i++)
			if (installed[i])
				sigaction(sup_forwarded[i], &oldact[i], NULL);
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		int e = 0;
		if (hooks && hooks->in_child && (e = -hooks->in_child(hooks->ctx)) != 0) {
			dprintf(STDERR_FILENO, "oomph: cannot prepare '%s': %s\n", argv[0], strerror(e));
			ssize_t w = write(execp[1], &e, sizeof e);
			(void)w;
			_exit(126);
		}
		execvpe(file, argv, envp);
		e = errno;
		dprintf(STDERR_FILENO, "oomph: cannot run '%s': %s\n", argv[0], strerror(e));
		ssize_t w = write(execp[1], &e, sizeof e);
		(void)w;
		_exit(e == ENOENT || e == ENOTDIR ? 127 : 126);
	}

	close(execp[1]);
	res->pid = pid;
	sup_child_pid = (sig_atomic_t)pid;
	sigprocmask(SIG_SETMASK, &oldmask, NULL);

	int exec_errno = 0;
	ssize_t r;
	do
		r = read(execp[0], &exec_errno, sizeof exec_errno);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)sizeof exec_errno)
		exec_errno = 0;
	close(execp[0]);

	int status = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	pid_t w = sup_wait(pid, &status, &ru, hooks, t0);
	int wait_errno = w < 0 ? errno : 0;
	double t1 = sup_clock(CLOCK_MONOTONIC);

	/* The sentinel is reaped after this, so it never counts as a child. */
	struct rusage after;
	memset(&after, 0, sizeof after);
	getrusage(RUSAGE_CHILDREN, &after);

	sigprocmask(SIG_BLOCK, &block, NULL);
	sup_child_pid = 0;
	for (int i = 0; i < SUP_NFORWARDED; i++)
		if (installed[i])
			sigaction(sup_forwarded[i], &oldact[i], NULL);
	sup_stop_sentinel();
	sigprocmask(SIG_SETMASK, &oldmask, NULL);

	if (w < 0) /* cannot happen unless someone else reaped our child */
		return err_set(-wait_errno, err, errlen, "cannot wait for process %ld: %s",
				(long)pid, strerror(wait_errno));

	long maxrss_kib = ru.ru_maxrss;
	/* RUSAGE_CHILDREN is a max over every reaped child, including earlier
	 * ones (the interpreter probe): trust it only if this run raised it. */
	if (after.ru_maxrss > before.ru_maxrss && after.ru_maxrss > maxrss_kib)
		maxrss_kib = after.ru_maxrss;

	res->exec_errno = exec_errno;
	res->peak_rss_bytes = (int64_t)maxrss_kib * 1024;
	res->duration_s = t1 - t0;
	if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
		res->exit_code = 0;
		res->exit_status = 128 + res->signal;
	} else {
		res->exit_code = WEXITSTATUS(status);
		res->exit_status = res->exit_code;
	}
	return 0;
}

/* ------------------------------------------------------------ runmeta */

int sup_meta_fill(struct runmeta *m, int user_argc, char *const user_argv[],
		  const char *python, const char *python_version, uint64_t sample_rate,
		  int exact)
{
	memset(m, 0, sizeof *m);
	m->argv = calloc((size_t)user_argc + 1, sizeof *m->argv);
	if (m->argv == NULL)
		return -ENOMEM;
	for (int i = 0; i < user_argc; i++) {
		if ((m->argv[i] = strdup(user_argv[i])) == NULL) {
			runmeta_free(m);
			return -ENOMEM;
		}
		m->argc = i + 1;
	}
	snprintf(m->python, sizeof m->python, "%s", python ? python : "");
	snprintf(m->python_version, sizeof m->python_version, "%s", python_version ? python_version : "");
	if (getcwd(m->cwd, sizeof m->cwd) == NULL)
		m->cwd[0] = '\0';
	m->sample_rate = sample_rate;
	m->exact = exact;
	m->start_unix_s = sup_clock(CLOCK_REALTIME);
	snprintf(m->status, sizeof m->status, "running");
	return 0;
}

void sup_meta_result(struct runmeta *m, const struct sup_result *res)
{
	m->child_pid = (int)res->pid;
	m->start_unix_s = res->start_unix_s;
	m->duration_s = res->duration_s;
	m->exit_code = res->exit_code;
	m->signal = res->signal;
	m->exit_status = res->exit_status;
	m->peak_rss_bytes = res->peak_rss_bytes;
	snprintf(m->verdict, sizeof m->verdict, "%s",
		 res->signal == 0 ? "exited" : res->signal == SIGKILL ? "killed" : "signal");
}

/* ------------------------------------------------------------ --open */

int sup_open_report(const char *run_dir, char *err, size_t errlen)
{
	char index[PATH_MAX + 32];
	snprintf(index, sizeof index, "%s/index.html", run_dir);
	if (access(index, R_OK) != 0)
		return err_set(-ENOENT, err, errlen, "no report to open: %s was not written", index);
	char opener[PATH_MAX];
	if (sup_which("xdg-open", opener, sizeof opener) != 0)
		return err_set(-ENOENT, err, errlen, "xdg-open is not installed; open %s in a browser", index);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return err_set(-errno, err, errlen, "cannot start xdg-open (%s); open %s in a browser",
				strerror(errno), index);
	if (pid == 0) {
		char *const argv[] = {"xdg-open", index, NULL};
		execv(opener, argv);
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return err_set(-errno, err, errlen, "xdg-open: %s; open %s in a browser",
					strerror(errno), index);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(-EIO, err, errlen, "xdg-open could not open the report; open %s in a browser",
				index);
	return 0;
}
