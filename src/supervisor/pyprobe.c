/* supervisor/pyprobe.c — see pyprobe.h. */
#include "supervisor/pyprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/errmsg.h"
#include "state/format.h"
#include "supervisor/probecache.h"

#define PYPROBE_OUT_MAX 16384

int pyprobe_parse(const char *line, struct pyprobe_info *out)
{
	struct pyprobe_info info;
	memset(&info, 0, sizeof info);
	const char *p = line;
	size_t n = 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_') {
		if (n + 1 >= sizeof info.implementation)
			return -EINVAL;
		info.implementation[n++] = *p++;
	}
	if (n == 0)
		return -EINVAL;
	int *fields[3] = {&info.major, &info.minor, &info.micro};
	for (int k = 0; k < 3; k++) {
		if (*p != ' ')
			return -EINVAL;
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		long v = 0;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (*p - '0');
			if (v > 100000)
				return -EINVAL;
			p++;
		}
		*fields[k] = (int)v;
	}
	/* " abi=FLAGS" (sys.abiflags), absent from older probes' output */
	if (strncmp(p, " abi=", 5) == 0) {
		p += 5;
		n = 0;
		while (*p >= 'a' && *p <= 'z') {
			if (n + 1 >= sizeof info.abiflags)
				return -EINVAL;
			info.abiflags[n++] = *p++;
		}
		info.free_threaded = strchr(info.abiflags, 't') != NULL;
	}
	while (*p == '\r' || *p == ' ')
		p++;
	/* the interpreter's directories, one `dir KIND PATH` line each */
	while (*p == '\n') {
		p++;
		if (*p == '\0' || *p == '\n' || *p == '\r')
			continue;
		if (strncmp(p, "dir ", 4) != 0)
			return -EINVAL;
		const char *e = p + 4, *end = strchr(e, '\n');
		size_t len = end ? (size_t)(end - e) : strlen(e);
		while (len && e[len - 1] == '\r')
			len--;
		const char *sp = memchr(e, ' ', len);
		if (!sp || sp == e || sp[1] != '/')
			return -EINVAL;
		int dup = 0;
		for (int k = 0; k < info.ndirs; k++)
			dup |= strlen(info.dirs[k]) == len && !memcmp(info.dirs[k], e, len);
		if (!dup && len < PYPROBE_DIR_MAX && info.ndirs < PYPROBE_MAX_DIRS) {
			memcpy(info.dirs[info.ndirs], e, len);
			info.dirs[info.ndirs++][len] = '\0';
		}
		p = end ? end : e + len;
	}
	if (*p != '\0')
		return -EINVAL;
	snprintf(info.version, sizeof info.version, "%d.%d.%d", info.major, info.minor, info.micro);
	*out = info;
	return 0;
}

static const char *pyprobe_impl_name(const char *impl)
{
	if (strcmp(impl, "cpython") == 0)
		return "CPython";
	if (strcmp(impl, "pypy") == 0)
		return "PyPy";
	if (strcmp(impl, "graalpy") == 0)
		return "GraalPy";
	return impl;
}

int pyprobe_check(const char *path, const struct pyprobe_info *info, char *err, size_t errlen)
{
	if (strcmp(info->implementation, "cpython") != 0)
		return err_set(-ENOTSUP, err, errlen,
				    "'%s' is %s %s, but oomph profiles CPython %d.%d or newer (pass --python PATH)",
				    path, pyprobe_impl_name(info->implementation), info->version,
				    PYPROBE_MIN_MAJOR, PYPROBE_MIN_MINOR);
	if (info->major < PYPROBE_MIN_MAJOR ||
	    (info->major == PYPROBE_MIN_MAJOR && info->minor < PYPROBE_MIN_MINOR))
		return err_set(-ENOTSUP, err, errlen,
				    "'%s' is CPython %s, but oomph needs CPython %d.%d or newer (pass --python PATH)",
				    path, info->version, PYPROBE_MIN_MAJOR, PYPROBE_MIN_MINOR);
	return 0;
}

int pyprobe_warning(const char *path, const struct pyprobe_info *info, char *msg, size_t msglen)
{
	if (info->free_threaded)
		return err_set(1, msg, msglen,
			       "warning: '%s' is a free-threaded CPython %s (no GIL); oomph supports it in "
			       "part: totals and the peak are exact and stacks come from the C API, but "
			       "small objects are charged to whichever allocation made mimalloc map more "
			       "memory (there are no pymalloc pools), and allocations made in C code that released its thread state go to the "
			       "thread's last stack (docs/architecture.md)",
			       path, info->version);
	if (info->major == PYPROBE_MIN_MAJOR && info->minor > PYPROBE_NEWEST_MINOR)
		return err_set(1, msg, msglen,
			       "warning: '%s' is CPython %s, newer than this oomph knows (3.%d): stacks "
			       "come from the C API only, so allocations made without the GIL (numpy, "
			       "zlib, mmap, ctypes calls) go to the thread's last stack",
			       path, info->version, PYPROBE_NEWEST_MINOR);
	return 0;
}

/* True for an LD_PRELOAD entry that is oomph's own tracker. */
static int pyprobe_is_oomph_lib(const char *entry, size_t len)
{
	static const char name[] = "liboomph.so";
	size_t n = sizeof name - 1;
	return len >= n && memcmp(entry + len - n, name, n) == 0 &&
	       (len == n || entry[len - n - 1] == '/');
}

/* The probe's environment: ours, minus the tracker's variables and minus
 * liboomph.so in LD_PRELOAD (when oomph runs under oomph).  Strings that are
 * rewritten are allocated; *owned gets the one rewritten string (or NULL). */
static char **pyprobe_env(char **owned)
{
	size_t n = 0;
	*owned = NULL;
	while (environ[n] != NULL)
		n++;
	char **env = calloc(n + 1, sizeof *env);
	if (env == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *e = environ[i];
		if (strncmp(e, OOMPH_ENV_STATE_DIR "=", sizeof OOMPH_ENV_STATE_DIR) == 0 ||
		    strncmp(e, OOMPH_ENV_SAMPLE_RATE "=", sizeof OOMPH_ENV_SAMPLE_RATE) == 0)
			continue;
		if (strncmp(e, "LD_PRELOAD=", 11) == 0 && *owned == NULL) {
			const char *v = e + 11;
			char *copy = malloc(strlen(e) + 1);
			if (copy == NULL) {
				free(env);
				return NULL;
			}
			char *w = copy + sprintf(copy, "LD_PRELOAD=");
			const char *p = v;
			while (*p != '\0') {
				size_t len = strcspn(p, " :");
				if (len > 0 && !pyprobe_is_oomph_lib(p, len)) {
					if (w != copy + 11)
						*w++ = ':';
					memcpy(w, p, len);
					w += len;
				}
				p += len;
				if (*p != '\0')
					p++;
			}
			*w = '\0';
			*owned = copy;
			env[k++] = copy;
			continue;
		}
		env[k++] = (char *)e;
	}
	env[k] = NULL;
	return env;
}

static double pyprobe_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* First line of `s`, with control characters replaced and length capped. */
static void pyprobe_first_line(const char *s, char *buf, size_t buflen)
{
	size_t n = 0;
	while (*s == '\n' || *s == ' ')
		s++;
	for (; *s != '\0' && *s != '\n' && n + 1 < buflen; s++)
		buf[n++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	if (*s != '\0' && *s != '\n' && n >= 4)
		memcpy(buf + n - 3, "...", 3);
	buf[n] = '\0';
}

int pyprobe_probe(const char *path, struct pyprobe_info *out, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		int e = errno;
		return err_set(e == ENOENT || e == ENOTDIR ? -ENOENT : -e, err, errlen,
				    "Python interpreter '%s' not found: %s (pass --python PATH)", path, strerror(e));
	}
	if (S_ISDIR(st.st_mode))
		return err_set(-EACCES, err, errlen,
				    "Python interpreter '%s' is a directory, not a program (pass --python PATH)", path);
	if (access(path, X_OK) != 0)
		return err_set(-EACCES, err, errlen,
				    "Python interpreter '%s' cannot be executed: %s", path, strerror(errno));

	/* the answer of an earlier run, for this very interpreter */
	char key[PROBECACHE_KEY_MAX];
	int cache = -1;
	if (probecache_enabled() && probecache_key(path, PYPROBE_CODE, key, sizeof key) == 0 &&
	    (cache = probecache_open_dir(NULL)) >= 0) {
		char answer[PROBECACHE_ANSWER_MAX + 1];
		if (probecache_lookup(cache, key, answer, sizeof answer) == 0 &&
		    pyprobe_parse(answer, out) == 0) {
			close(cache);
			return 0;
		}
	}

	char *owned = NULL;
	char **env = pyprobe_env(&owned);
	if (env == NULL) {
		if (cache >= 0)
			close(cache);
		return err_set(-ENOMEM, err, errlen, "out of memory");
	}

	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, execp[2] = {-1, -1};
	int rc = 0;
	if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0 || pipe2(execp, O_CLOEXEC) != 0) {
		rc = err_set(-errno, err, errlen, "cannot create a pipe: %s", strerror(errno));
		goto out_close;
	}

	char *const argv[] = {(char *)path, "-I", "-S", "-c", PYPROBE_CODE, NULL};
	pid_t pid = fork();
	if (pid < 0) {
		rc = err_set(-errno, err, errlen, "cannot start '%s': fork: %s", path, strerror(errno));
		goto out_close;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(outp[1], STDOUT_FILENO);
		dup2(errp[1], STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execve(path, argv, env);
		int e = errno;
		ssize_t wr = write(execp[1], &e, sizeof e);
		(void)wr;
		_exit(127);
	}
	close(outp[1]);
	close(errp[1]);
	close(execp[1]);
	outp[1] = errp[1] = execp[1] = -1;

	char obuf[PYPROBE_OUT_MAX + 1], ebuf[PYPROBE_OUT_MAX + 1];
	size_t olen = 0, elen = 0;
	int open_fds = 2, timed_out = 0;
	double deadline = pyprobe_now() + PYPROBE_TIMEOUT_S;
	while (open_fds > 0) {
		struct pollfd pfd[2] = {{outp[0], POLLIN, 0}, {errp[0], POLLIN, 0}};
		double left = deadline - pyprobe_now();
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		int pr = poll(pfd, 2, (int)(left * 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			break;
		for (int k = 0; k < 2; k++) {
			if (pfd[k].fd < 0 || pfd[k].revents == 0)
				continue;
			char *buf = k == 0 ? obuf : ebuf;
			size_t *len = k == 0 ? &olen : &elen;
			char scratch[512];
			ssize_t r = *len < PYPROBE_OUT_MAX
				? read(pfd[k].fd, buf + *len, PYPROBE_OUT_MAX - *len)
				: read(pfd[k].fd, scratch, sizeof scratch);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				close(pfd[k].fd);
				if (k == 0)
					outp[0] = -1;
				else
					errp[0] = -1;
				open_fds--;
			} else if (*len < PYPROBE_OUT_MAX) {
				*len += (size_t)r;
			}
		}
	}
	obuf[olen] = '\0';
	ebuf[elen] = '\0';
	if (timed_out)
		kill(pid, SIGKILL);

	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	int exec_errno = 0;
	ssize_t er;
	do
		er = read(execp[0], &exec_errno, sizeof exec_errno);
	while (er < 0 && errno == EINTR);

	if (er == (ssize_t)sizeof exec_errno) {
		if (exec_errno == ENOEXEC)
			rc = err_set(-ENOEXEC, err, errlen,
					  "'%s' is not a program this system can run (%s); oomph needs CPython %d.%d or newer",
					  path, strerror(exec_errno), PYPROBE_MIN_MAJOR, PYPROBE_MIN_MINOR);
		else
			rc = err_set(exec_errno == ENOENT ? -ENOENT : -EACCES, err, errlen,
					  "cannot run Python interpreter '%s': %s", path, strerror(exec_errno));
	} else if (timed_out) {
		rc = err_set(-ENOEXEC, err, errlen,
				  "'%s' did not answer the version probe within %d s; is it a Python interpreter?",
				  path, PYPROBE_TIMEOUT_S);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char line[160];
		pyprobe_first_line(ebuf, line, sizeof line);
		char how[64];
		if (WIFEXITED(status))
			snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
		else
			snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(status));
		rc = err_set(-ENOEXEC, err, errlen,
				  "'%s' failed the version probe (%s%s%s); oomph needs CPython %d.%d or newer",
				  path, how, line[0] ? ": " : "", line, PYPROBE_MIN_MAJOR, PYPROBE_MIN_MINOR);
	} else if (pyprobe_parse(obuf, out) == 0) {
		if (cache >= 0)
			(void)probecache_store(cache, key, obuf);
	} else {
		char line[160];
		pyprobe_first_line(obuf, line, sizeof line);
		rc = err_set(-ENOEXEC, err, errlen,
				  "'%s' does not look like a Python interpreter (the version probe printed %s%s%s); "
				  "oomph needs CPython %d.%d or newer",
				  path, line[0] ? "'" : "nothing", line, line[0] ? "'" : "",
				  PYPROBE_MIN_MAJOR, PYPROBE_MIN_MINOR);
	}

out_close:
	if (cache >= 0)
		close(cache);
	for (int k = 0; k < 2; k++) {
		if (outp[k] >= 0)
			close(outp[k]);
		if (errp[k] >= 0)
			close(errp[k]);
		if (execp[k] >= 0)
			close(execp[k]);
	}
	free(owned);
	free(env);
	return rc;
}
