#!/usr/bin/env bash
# tests/cli/test_cli.sh — the command line's contract, seen from a shell:
# every kind of bad input gets exactly one line on stderr, starting
# "oomph: " and naming the problem, and its own exit status
# (src/common/exitcodes.h); `oomph run` passes the program's status through.
#
#   tests/cli/test_cli.sh            uses build/oomph (OOMPH=... to override)
#
# Runs that need liboomph.so use build/liboomph.so when it is built, else a
# stand-in library compiled here (an empty .so: nothing is profiled, the
# supervisor's behaviour is the same), else they are skipped.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OOMPH=${OOMPH:-$REPO/build/oomph}
case $OOMPH in /*) ;; *) OOMPH=$PWD/$OOMPH ;; esac
VERSION=$(cat "$REPO/VERSION" 2>/dev/null || echo 0.0.0)

passed=0
failed=0
skipped=0
TMP=$(mktemp -d /tmp/oomph-test-cli-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
OUT=$TMP/stdout
ERR=$TMP/stderr

if [ ! -x "$OOMPH" ]; then
	echo "$OOMPH is not built (run make build/oomph)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

pass() { passed=$((passed + 1)); }
fail() {
	failed=$((failed + 1))
	echo "FAIL: $1" >&2
	if [ -s "$ERR" ]; then sed 's/^/    stderr: /' "$ERR" | head -5 >&2; fi
}
skip() { skipped=$((skipped + 1)); echo "skip: $1" >&2; }

# run [VAR=value ...] -- ARGS...: runs oomph in $TMP/cwd (fresh each time)
# with stdin from /dev/null; sets $status.
run() {
	local envs=()
	while [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	rm -rf "$TMP/cwd"
	mkdir -p "$TMP/cwd"
	(cd "$TMP/cwd" && env "${envs[@]+"${envs[@]}"}" "$OOMPH" "$@") <"$TMP/null" >"$OUT" 2>"$ERR"
	status=$?
}
: >"$TMP/null"

# expect_error NAME STATUS TEXT [VAR=value ...] -- ARGS...
# The one-line-error contract: status, exactly one stderr line, starting with
# "oomph: " and containing TEXT, nothing on stdout, no report directory.
expect_error() {
	local name=$1 want=$2 text=$3
	shift 3
	run "$@"
	local lines
	lines=$(wc -l <"$ERR")
	if [ "$status" != "$want" ]; then
		fail "$name: exit status $status, want $want"
	elif [ "$lines" != 1 ]; then
		fail "$name: $lines lines on stderr, want 1"
	elif ! head -c 7 "$ERR" | grep -qx 'oomph: '; then
		fail "$name: stderr does not start with 'oomph: '"
	elif ! grep -qF -- "$text" "$ERR"; then
		fail "$name: stderr does not mention \"$text\""
	elif [ -s "$OUT" ]; then
		fail "$name: unexpected stdout: $(head -c 200 "$OUT")"
	elif [ -e "$TMP/cwd/oomph-report" ]; then
		fail "$name: a report directory was created anyway"
	else
		pass
	fi
}

# expect_status NAME STATUS [VAR=value ...] -- ARGS...
expect_status() {
	local name=$1 want=$2
	shift 2
	run "$@"
	if [ "$status" = "$want" ]; then pass; else fail "$name: exit status $status, want $want"; fi
}

# --- version and help ---------------------------------------------------
run -- --version
if [ "$status" = 0 ] && [ "$(cat "$OUT")" = "oomph $VERSION" ]; then pass; else fail "--version prints 'oomph $VERSION' (got '$(cat "$OUT")', status $status)"; fi
run -- run --version
if [ "$status" = 0 ] && grep -qx "oomph $VERSION" "$OUT"; then pass; else fail "run --version"; fi
run -- --help
if [ "$status" = 0 ] && grep -q "oomph run \[OPTIONS\] script.py" "$OUT" && [ ! -s "$ERR" ]; then pass; else fail "--help exits 0 with the usage on stdout"; fi
run -- -h
if [ "$status" = 0 ] && grep -q "oomph report DIR" "$OUT"; then pass; else fail "-h"; fi
run -- run --help
if [ "$status" = 0 ] && grep -q -- "--sample-rate SIZE" "$OUT" && grep -q "1.5G" "$OUT" &&
	grep -q "GiB" "$OUT" && grep -q " 64  usage error" "$OUT" && grep -q " 73  cannot create" "$OUT"; then
	pass
else
	fail "run --help documents the options, the sizes and the exit statuses"
fi
run -- report --help
if [ "$status" = 0 ] && grep -q "Usage: oomph report DIR" "$OUT"; then pass; else fail "report --help"; fi

# --- usage errors: 64 -----------------------------------------------------
touch "$TMP/script.py"
S=$TMP/script.py
expect_error "no command" 64 "missing command" --
expect_error "unknown command" 64 "unknown command 'frobnicate'" -- frobnicate
expect_error "a script instead of a command" 64 "oomph run x.py" -- x.py
expect_error "unknown option" 64 "unknown option '--bogus' (see oomph run --help)" -- run --bogus "$S"
expect_error "unknown short option" 64 "unknown option '-x'" -- run -x "$S"
expect_error "unknown option before the command" 64 "unknown option '--exact'" -- --exact run "$S"
expect_error "run without a script" 64 "missing script" -- run
expect_error "run with only options" 64 "missing script" -- run --exact --quiet
expect_error "-o without a value" 64 "option '--output' needs a value" -- run -o
expect_error "--python without a value" 64 "option '--python' needs a value" -- run --python
expect_error "-m without a module" 64 "option '-m' needs a value" -- run -m
expect_error "-c without code" 64 "option '-c' needs a value" -- run -c
expect_error "-- without a command" 64 "missing command after '--'" -- run --
expect_error "bad size" 64 "bad --sample-rate 'lots': not a size" -- run --sample-rate lots "$S"
expect_error "negative size" 64 "cannot be negative" -- run --sample-rate -4K "$S"
expect_error "empty size" 64 "empty" -- run --sample-rate= "$S"
expect_error "zero sample rate" 64 "at least 1 byte" -- run --sample-rate 0 "$S"
expect_error "size beyond int64" 64 "too large" -- run --sample-rate 99999999999999999999 "$S"
expect_error "--swap without --limit" 64 "--swap needs --limit" -- run --swap 1GiB "$S"
expect_error "fraction of a byte" 64 "not a size" -- run --sample-rate 1.5 "$S"
expect_error "--exact against --sample-rate" 64 "contradict" -- run --exact --sample-rate 4K "$S"
expect_error "report without a directory" 64 "missing directory" -- report
expect_error "report with two directories" 64 "too many arguments" -- report a b

# --- missing input: 66 ----------------------------------------------------
expect_error "missing script" 66 "cannot open script 'missing.py': No such file or directory" -- run missing.py
expect_error "missing script with options" 66 "cannot open script 'nope/x.py'" -- run -o out --exact nope/x.py a b
mkdir -p "$TMP/pkgless"
expect_error "directory script without __main__" 66 "without a __main__.py" -- run "$TMP/pkgless"
expect_error "report of a missing directory" 66 "cannot open report directory '$TMP/none'" -- report "$TMP/none"
mkdir -p "$TMP/notrun"
expect_error "report of a directory without run.meta" 66 "is not an oomph run directory" -- report "$TMP/notrun"
expect_error "report of a file" 66 "is not a directory" -- report "$S"

# --- interpreters: 69 -----------------------------------------------------
mkdir -p "$TMP/py"
printf '#!/bin/sh\necho pypy 3 10 14\n' >"$TMP/py/pypy3"
printf '#!/bin/sh\necho cpython 3 8 18\n' >"$TMP/py/python3.8"
printf '#!/bin/sh\necho "Unknown option: -I" >&2\nexit 2\n' >"$TMP/py/python2"
printf '#!/bin/sh\necho cpython 3 11 7\n' >"$TMP/py/noexec"
chmod 755 "$TMP/py/pypy3" "$TMP/py/python3.8" "$TMP/py/python2"
chmod 644 "$TMP/py/noexec"
expect_error "missing interpreter" 69 "Python interpreter '/no/such/python3' not found" -- run --python /no/such/python3 "$S"
expect_error "interpreter not on PATH" 69 "not found on PATH" PATH="$TMP/py" -- run --python python3.99 "$S"
expect_error "no python3 on PATH" 69 "Python interpreter 'python3' not found on PATH" PATH="$TMP/notrun" -- run "$S"
expect_error "PyPy" 69 "is PyPy 3.10.14, but oomph profiles CPython 3.9 or newer" -- run --python "$TMP/py/pypy3" "$S"
expect_error "CPython 3.8" 69 "is CPython 3.8.18, but oomph needs CPython 3.9 or newer" -- run --python "$TMP/py/python3.8" -c pass
expect_error "Python 2" 69 "failed the version probe (exit status 2: Unknown option: -I)" -- run --python "$TMP/py/python2" -m json.tool
expect_error "not a Python" 69 "does not look like a Python interpreter" -- run --python /bin/true "$S"
expect_error "not executable" 69 "cannot be executed" -- run --python "$TMP/py/noexec" "$S"
expect_error "a directory as interpreter" 69 "cannot be executed" -- run --python "$TMP/py" "$S"

# --- commands: 127 / 126 like a shell -------------------------------------
printf '#!/bin/sh\nexit 0\n' >"$TMP/noexec.sh"
chmod 644 "$TMP/noexec.sh"
expect_error "command not found" 127 "command 'no-such-command-oomph' not found on PATH" -- run -- no-such-command-oomph a
expect_error "command path not found" 127 "command '/no/such/cmd' not found" -- run -- /no/such/cmd
expect_error "command not executable" 126 "cannot be executed: Permission denied" -- run -- "$TMP/noexec.sh"

# --- liboomph.so ----------------------------------------------------------
LIBENV=()
LIBNOTE=""
mkdir -p "$TMP/lib"
if [ -r "$(dirname "$OOMPH")/liboomph.so" ]; then
	LIBNOTE="$(dirname "$OOMPH")/liboomph.so" # found beside oomph, as installed
elif echo 'int oomph_cli_test_stand_in;' >"$TMP/stub.c" &&
	${CC:-cc} -shared -fPIC -o "$TMP/lib/liboomph.so" "$TMP/stub.c" 2>/dev/null; then
	LIBNOTE="a stand-in library (no liboomph.so beside $OOMPH)"
	LIBENV=(OOMPH_LIBRARY="$TMP/lib/liboomph.so")
fi
expect_error "OOMPH_LIBRARY missing" 72 "OOMPH_LIBRARY='/no/such/liboomph.so' cannot be used" \
	OOMPH_LIBRARY=/no/such/liboomph.so -- run -- /bin/true
mkdir -p "$TMP/lonely"
cp "$OOMPH" "$TMP/lonely/oomph"
rm -rf "$TMP/cwd" && mkdir -p "$TMP/cwd"
(cd "$TMP/cwd" && env -u OOMPH_LIBRARY "$TMP/lonely/oomph" run -- /bin/true) >"$OUT" 2>"$ERR"
status=$?
if [ "$status" = 72 ] && [ "$(wc -l <"$ERR")" = 1 ] && grep -q "cannot find liboomph.so" "$ERR" &&
	[ ! -e "$TMP/cwd/oomph-report" ]; then
	pass
else
	fail "an oomph without liboomph.so beside it: status $status, want 72 and one line"
fi

if [ -z "$LIBNOTE" ]; then
	skip "runs: no liboomph.so and no C compiler to make a stand-in"
else
	echo "runs use $LIBNOTE" >&2

	# --- output directory: 73 ---------------------------------------------
	mkdir -p "$TMP/full"
	touch "$TMP/full/x"
	expect_error "non-empty output directory" 73 "exists and is not empty" "${LIBENV[@]}" -- run -o "$TMP/full" -- /bin/true
	expect_error "output is a file" 73 "is not a directory" "${LIBENV[@]}" -- run -o "$S" -- /bin/true
	expect_error "output cannot be created" 73 "cannot create output directory" "${LIBENV[@]}" -- run -o /proc/oomph/x -- /bin/true
	expect_error "output under a file" 73 "cannot create output directory" "${LIBENV[@]}" -- run -o "$S/sub" -- /bin/true

	# --- the program's status is oomph's ----------------------------------
	expect_status "exit 7 passes through" 7 "${LIBENV[@]}" -- run -q -- /bin/sh -c 'exit 7'
	expect_status "SIGTERM is 143" 143 "${LIBENV[@]}" -- run -q -- /bin/sh -c 'kill -TERM $$'
	expect_status "SIGKILL is 137" 137 "${LIBENV[@]}" -- run -q -- /bin/sh -c 'kill -KILL $$'
	expect_status "true is 0" 0 "${LIBENV[@]}" -- run -- /bin/true
	expect_status "false is 1" 1 "${LIBENV[@]}" -- run -q -- false

	# The default report directory, with run.meta and state/ in it.
	run "${LIBENV[@]}" -- run -q -- /bin/true
	dirs=("$TMP"/cwd/oomph-report/*-*)
	d=${dirs[0]}
	if [ "$status" = 0 ] && [ "${#dirs[@]}" = 1 ] && [ -d "$d" ] && [ -f "$d/run.meta" ] && [ -d "$d/state" ] &&
		basename "$d" | grep -Eq '^[0-9]{8}-[0-9]{6}-[0-9]+$'; then
		pass
	else
		fail "default report directory oomph-report/<date>-<time>-<pid>/ with run.meta and state/"
	fi

	# An existing empty -o directory is accepted; stdout is the program's.
	mkdir -p "$TMP/empty"
	run "${LIBENV[@]}" -- run -q -o "$TMP/empty" -- /bin/echo "hello  world"
	if [ "$status" = 0 ] && [ "$(cat "$OUT")" = "hello  world" ] && [ -f "$TMP/empty/run.meta" ]; then
		pass
	else
		fail "run -o EXISTING_EMPTY -- echo: status $status, stdout '$(cat "$OUT")'"
	fi

	# stdin reaches the program.
	rm -rf "$TMP/cwd" && mkdir -p "$TMP/cwd"
	got=$(cd "$TMP/cwd" && printf 'line1\nline2' | env "${LIBENV[@]}" "$OOMPH" run -q -- /bin/cat 2>"$ERR")
	if [ "$got" = "$(printf 'line1\nline2')" ]; then pass; else fail "stdin reaches the program"; fi

	# The child sees the tracker's environment.
	# shellcheck disable=SC2016 # expanded by the child's shell
	run "${LIBENV[@]}" -- run -q -o envrun --sample-rate 64K --no-pymalloc -- /bin/sh -c \
		'echo "$OOMPH_STATE_DIR|$OOMPH_SAMPLE_RATE|$PYTHONMALLOC|$LD_PRELOAD"'
	IFS='|' read -r sd rate pm pre <"$OUT"
	# the live state is a private directory on tmpfs, gone (copied home) after
	case $sd in /dev/shm/oomph-state-*) live_ok=1 ;; *) live_ok=0 ;; esac
	[ -e "$sd" ] && live_ok=0
	[ -d "$TMP/cwd/envrun/state" ] || live_ok=0
	if [ "$live_ok" = 1 ] && [ "$rate" = 65536 ] && [ "$pm" = malloc ] &&
		case $pre in /*liboomph.so*) true ;; *) false ;; esac; then
		pass
	else
		fail "child environment: '$(cat "$OUT")'"
	fi

	# A SIGTERM sent to oomph reaches the program.
	rm -rf "$TMP/cwd" && mkdir -p "$TMP/cwd"
	(cd "$TMP/cwd" && exec env "${LIBENV[@]}" "$OOMPH" run -q -- /bin/sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done') >"$OUT" 2>"$ERR" &
	opid=$!
	for _ in $(seq 100); do grep -q ready "$OUT" 2>/dev/null && break; sleep 0.05; done
	kill -TERM "$opid"
	wait "$opid"
	status=$?
	if [ "$status" = 42 ]; then pass; else fail "SIGTERM to oomph is forwarded: status $status, want 42"; fi

	# A Python program, when there is one.
	if PY=$(command -v python3) && "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
		printf 'import sys\nprint(sys.argv[1:])\nsys.exit(3)\n' >"$TMP/exit3.py"
		run "${LIBENV[@]}" -- run -q "$TMP/exit3.py" -x --help
		if [ "$status" = 3 ] && [ "$(cat "$OUT")" = "['-x', '--help']" ]; then pass; else fail "python script: status $status, stdout $(cat "$OUT")"; fi
		expect_status "python -c" 5 "${LIBENV[@]}" -- run -q -c 'raise SystemExit(5)'
		run "${LIBENV[@]}" -- run -q -m json.tool --help
		if [ "$status" = 0 ] && grep -q "json.tool" "$OUT"; then pass; else fail "python -m json.tool --help"; fi
	else
		skip "python script runs: no CPython 3.9+ as python3"
	fi

	# oomph report on a run directory re-renders it.
	run "${LIBENV[@]}" -- run -q -o r1 -- /bin/true
	mv "$TMP/cwd/r1" "$TMP/r1"
	run -- report "$TMP/r1"
	if [ "$status" = 0 ]; then pass; else fail "oomph report of a finished run: status $status"; fi
	# ... and says 65 when every profile in it is corrupt.
	rm -f "$TMP"/r1/state/*
	head -c 8192 /dev/urandom >"$TMP/r1/state/4242.oomph"
	printf 'OOMPHST\0garbage' >"$TMP/r1/state/4243.oomph"
	run -- report "$TMP/r1"
	if [ "$status" = 65 ] && [ -s "$ERR" ]; then pass; else fail "oomph report with only corrupt profiles: status $status, want 65"; fi
fi

[ "$skipped" = 0 ] || echo "$skipped skipped" >&2
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
