# oomph — build, test, demo, install.  Plain make; every rule is here.
#
#   make            build build/oomph and build/liboomph.so
#   make test       install missing dependencies, then run every test
#   make demo       install missing dependencies, profile examples/demo.py
#   make bench      overhead against the unprofiled run and the other profilers,
#                   accuracy against --exact, scaling (bench/*.py, ~40 min)
#   make install PREFIX=/usr/local
#
# Layout: src/<module>/*.c.  src/tracker is preloaded into other programs:
# it is never built with sanitizers and never linked into the command.
# Everything else is built twice: optimised (build/) and with ASan+UBSan
# (build/asan/) for the unit tests.

CC      ?= gcc
PREFIX  ?= /usr/local
PYTHON_FOR_TESTS ?= /usr/bin/python3

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wundef -Wvla -Werror
BASE    := -std=c11 -D_GNU_SOURCE -Isrc $(WARN) -g
OPT     := -O2
SAN     := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

TRACKER_SRC := $(wildcard src/tracker/*.c) src/common/limits.c src/common/readfile.c
TRACKER_CORE_SRC := $(filter-out src/tracker/hooks.c src/common/%,$(TRACKER_SRC))
LIB_SRC     := $(wildcard src/common/*.c src/profile/*.c src/report/*.c src/supervisor/*.c)
CLI_SRC     := $(wildcard src/cli/*.c)
HEADERS     := $(wildcard src/*/*.h)
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_HELPERS := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

.PHONY: all test unit cli integration demo bench bench-quick install clean deps asan clang-check
all: build/oomph build/liboomph.so

# --- preloaded tracker: -fPIC, hidden by default, initial-exec TLS --------
build/liboomph.so: $(TRACKER_SRC) $(HEADERS) | build
	$(CC) $(BASE) $(OPT) -fPIC -shared -fvisibility=hidden -ftls-model=initial-exec \
	  -fno-plt -o $@ $(TRACKER_SRC) -ldl -lpthread -lm

# --- command ------------------------------------------------------------
build/oomph: $(CLI_SRC) $(LIB_SRC) $(HEADERS) | build
	$(CC) $(BASE) $(OPT) -DOOMPH_VERSION='"$(VERSION)"' -o $@ $(CLI_SRC) $(LIB_SRC) -lm

build/asan/oomph: $(CLI_SRC) $(LIB_SRC) $(HEADERS) | build
	$(CC) $(BASE) $(SAN) -DOOMPH_VERSION='"$(VERSION)"' -o $@ $(CLI_SRC) $(LIB_SRC) -lm

# --- unit tests: each tests/unit/test_X.c is one program, built with ASan --
UNIT_BINS := $(patsubst tests/unit/%.c,build/asan/%,$(UNIT_SRC))
build/asan/test_%: tests/unit/test_%.c $(UNIT_HELPERS) $(TRACKER_CORE_SRC) $(LIB_SRC) $(HEADERS) | build
	$(CC) $(BASE) $(SAN) -Itests/unit -DOOMPH_VERSION='"$(VERSION)"' -o $@ $< $(UNIT_HELPERS) \
	  $(TRACKER_CORE_SRC) $(LIB_SRC) -ldl -lpthread -lm

build:
	mkdir -p build/asan

deps:
	@scripts/deps.sh

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; ASAN_OPTIONS=detect_leaks=1 $$t; done

cli: all
	bash tests/cli/test_cli.sh

integration: all build/asan/oomph
	$(PYTHON_FOR_TESTS) -m pytest -q -p no:cacheprovider tests/integration

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) cli
	$(MAKE) integration

demo: deps
	$(MAKE) all
	build/oomph run --python $(PYTHON_FOR_TESTS) -o build/demo-report examples/demo.py

# Overhead against the unprofiled run, interleaved (see docs/performance.md).
bench: deps
	scripts/bench-deps.sh
	$(MAKE) all
	$(PYTHON_FOR_TESTS) bench/bench.py --out build/bench-results.md
	$(PYTHON_FOR_TESTS) bench/rates.py --out build/bench-rates.md
	$(PYTHON_FOR_TESTS) bench/scaling.py --out build/bench-scaling.md

bench-quick: deps
	$(MAKE) all
	$(PYTHON_FOR_TESTS) bench/bench.py --quick

# Warnings must stay clean under clang too (not part of `make test`: CI has gcc).
clang-check:
	$(MAKE) -B CC=clang all $(UNIT_BINS)
	$(MAKE) -B all  # build/ back to gcc's binaries (valgrind reads their DWARF)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/oomph
	install -m 0755 build/oomph $(DESTDIR)$(PREFIX)/bin/oomph
	install -m 0644 build/liboomph.so $(DESTDIR)$(PREFIX)/lib/oomph/liboomph.so

clean:
	rm -rf build
