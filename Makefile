# oomph — build, test, demo, install.  Plain make; every rule is here.
#
#   make            build build/oomph and build/liboomph.so
#   make test       install missing dependencies, then run every test
#   make demo       install missing dependencies, profile examples/demo.py
#   make fuzz       build the fuzz targets with clang's libFuzzer and run each
#                   for FUZZ_TIME seconds (default 60; docs/testing.md)
#   make bench      overhead against the unprofiled run and the other profilers,
#                   accuracy against --exact, scaling, instruction counts under
#                   callgrind (bench/*.py, ~70 min)
#   make install PREFIX=/usr/local
#   make wheel      build/dist/oomph-VERSION-py3-none-PLATFORM.whl (the Python
#                   package: `pip install .` builds the same, offline)
#
# Layout: src/<module>/*.c.  src/tracker is preloaded into other programs:
# it is never built with sanitizers and never linked into the command.
# Everything else is built twice: optimised (build/) and with ASan+UBSan
# (build/asan/) for the unit tests.  B=DIR builds elsewhere (clang-check).

CC      ?= gcc
B       ?= build
PREFIX  ?= /usr/local
PYTHON_FOR_TESTS ?= /usr/bin/python3

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wundef -Wvla -Werror
BASE    := -std=c11 -D_GNU_SOURCE -Isrc $(WARN) -g
OPT     := -O2
SAN     := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

TRACKER_SRC := $(wildcard src/tracker/*.c) src/common/limits.c src/common/readfile.c
TRACKER_CORE_SRC := $(filter-out src/tracker/hooks.c src/common/%,$(TRACKER_SRC))
LIB_SRC     := $(wildcard src/common/*.c src/profile/*.c src/report/*.c src/supervisor/*.c src/model/*.c src/live/*.c)
CLI_SRC     := $(wildcard src/cli/*.c)
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_HELPERS := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

# Every source is compiled once per flavour into an object beside its
# flavour's other objects; -MMD writes each object's header dependencies.
#   $(B)/pic/     the preloaded tracker (-fPIC, hidden, initial-exec TLS)
#   $(B)/obj/     the command (optimised)
#   $(B)/asan/    the command and the unit tests (ASan+UBSan); the unit
#                  tests link one static library of everything but hooks.c
PIC_FLAGS  := -fPIC -fvisibility=hidden -ftls-model=initial-exec -fno-plt
DEFS       := -DOOMPH_VERSION='"$(VERSION)"'
TRACKER_OBJ := $(patsubst %.c,$(B)/pic/%.o,$(TRACKER_SRC))
CMD_OBJ     := $(patsubst %.c,$(B)/obj/%.o,$(CLI_SRC) $(LIB_SRC))
ASAN_CMD_OBJ := $(patsubst %.c,$(B)/asan/%.o,$(CLI_SRC) $(LIB_SRC))
ASAN_LIB_OBJ := $(patsubst %.c,$(B)/asan/%.o,$(TRACKER_CORE_SRC) $(LIB_SRC) $(UNIT_HELPERS))
ASAN_LIB    := $(B)/asan/liboomph-test.a

# Fuzz targets: tests/fuzz/fuzz_NAME.c, seeds in tests/fuzz/corpus/NAME/
# (reader, the fast reader-only target, shares state's seeds).
FUZZ_TARGETS := state reader runmeta timeline size procfiles jobfile
FUZZ_TIME ?= 60
FUZZ_CC ?= clang
FUZZ_SAN := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OBJ := $(patsubst %.c,$(B)/fuzz/obj/%.o,$(LIB_SRC))
REPLAY_BINS := $(patsubst %,$(B)/asan/replay_%,$(FUZZ_TARGETS))

.SECONDARY:
.PHONY: all test unit unit-bins cli integration demo bench bench-quick install clean deps asan clang-check \
	fuzz fuzz-bins replay-bins fuzz-replay fuzz-seeds wheel
all: $(B)/oomph $(B)/liboomph.so

$(B)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE) $(OPT) $(PIC_FLAGS) -MMD -MP -c -o $@ $<

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE) $(OPT) $(DEFS) -MMD -MP -c -o $@ $<

$(B)/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(BASE) $(SAN) -Itests/unit $(DEFS) -MMD -MP -c -o $@ $<

-include $(TRACKER_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(ASAN_CMD_OBJ:.o=.d) $(ASAN_LIB_OBJ:.o=.d) \
	 $(patsubst %.c,$(B)/asan/%.d,$(UNIT_SRC)) $(FUZZ_OBJ:.o=.d) \
	 $(patsubst %,$(B)/asan/tests/fuzz/fuzz_%.d,$(FUZZ_TARGETS))

# --- preloaded tracker: never built with sanitizers, never linked into oomph
$(B)/liboomph.so: $(TRACKER_OBJ)
	$(CC) $(OPT) -shared -o $@ $^ -ldl -lpthread -lm

# --- command ------------------------------------------------------------
$(B)/oomph: $(CMD_OBJ)
	$(CC) $(OPT) -o $@ $^ -lm

$(B)/asan/oomph: $(ASAN_CMD_OBJ)
	$(CC) $(SAN) -o $@ $^ -lm

$(ASAN_LIB): $(ASAN_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# --- unit tests: each tests/unit/test_X.c is one program, built with ASan --
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/asan/%,$(UNIT_SRC))
$(B)/asan/test_%: $(B)/asan/tests/unit/test_%.o $(ASAN_LIB)
	$(CC) $(SAN) -o $@ $< $(ASAN_LIB) -ldl -lpthread -lm

# --- fuzzing: libFuzzer builds (clang) and the corpus replay (gcc, ASan) --
$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(BASE) $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(DEFS) -MMD -MP -c -o $@ $<

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(BASE) $(FUZZ_SAN) -fsanitize=fuzzer $(DEFS) -o $@ $< $(FUZZ_OBJ) -lm

$(B)/asan/replay_%: $(B)/asan/tests/fuzz/fuzz_%.o $(B)/asan/tests/fuzz/replay.o $(ASAN_LIB)
	$(CC) $(SAN) -o $@ $^ -ldl -lpthread -lm

fuzz-bins: $(patsubst %,$(B)/fuzz/fuzz_%,$(FUZZ_TARGETS))
replay-bins: $(REPLAY_BINS)

# One target after another (2 shared cores), each FUZZ_TIME seconds; new
# inputs go to $(B)/fuzz/corpus/NAME (tests/fuzz/corpus/ is only read),
# crashes to $(B)/fuzz/crash-NAME-*, the figures to $(B)/fuzz/NAME.log.
fuzz:
	@scripts/deps.sh fuzz
	$(MAKE) fuzz-bins
	@bad=""; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(B)/fuzz/corpus/$$t; \
		echo "== fuzz_$$t for $(FUZZ_TIME) s"; \
		nice -n 10 $(B)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -timeout=10 \
			-print_final_stats=1 -artifact_prefix=$(B)/fuzz/crash-$$t- \
			$(B)/fuzz/corpus/$$t tests/fuzz/corpus/$$([ $$t = reader ] && echo state || echo $$t) \
			>$(B)/fuzz/$$t.log 2>&1 || \
			{ bad="$$bad $$t"; grep -A20 -m1 "ERROR:\|runtime error" $(B)/fuzz/$$t.log; }; \
		grep -E "DONE|stat::number_of_executed_units" $(B)/fuzz/$$t.log; \
	done; [ -z "$$bad" ] || { echo "fuzz: crashes in:$$bad (inputs in $(B)/fuzz/crash-*)"; exit 1; }

# Each seed once through each target (gcc, ASan+UBSan): part of make test.
fuzz-replay: $(REPLAY_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do echo "== replay_$$t"; \
		ASAN_OPTIONS=detect_leaks=1 $(B)/asan/replay_$$t \
			tests/fuzz/corpus/$$([ $$t = reader ] && echo state || echo $$t)/*; done

# Seeds from real runs (scripts/fuzz-seeds.sh); the result is committed.
fuzz-seeds: all $(B)/mkseed_state
	scripts/fuzz-seeds.sh $(B)

$(B)/mkseed_state: tests/fuzz/mkseed_state.c src/state/format.h
	$(CC) $(BASE) $(OPT) -o $@ $<

deps:
	@scripts/deps.sh

unit-bins: $(UNIT_BINS)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; ASAN_OPTIONS=detect_leaks=1 $$t; done

cli: all
	bash tests/cli/test_cli.sh

# scripts/sid-root.sh: the Debian sid root with CPython 3.14 and 3.15, made
# once outside the work tree (it never fails: it says why it could not).
integration: all $(B)/asan/oomph
	@scripts/sid-root.sh
	$(PYTHON_FOR_TESTS) -m pytest -q -p no:cacheprovider tests/integration

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) fuzz-replay
	$(MAKE) cli
	$(MAKE) integration

# The previous demo's report goes first: oomph refuses a directory that
# is not empty (it never writes into one it did not just make).
demo: deps
	$(MAKE) all
	rm -rf $(B)/demo-report
	$(B)/oomph run --python $(PYTHON_FOR_TESTS) -o $(B)/demo-report examples/demo.py

# Overhead against the unprofiled run, interleaved (see docs/performance.md).
bench: deps
	scripts/bench-deps.sh
	$(MAKE) all
	$(PYTHON_FOR_TESTS) bench/bench.py --out $(B)/bench-results.md
	$(PYTHON_FOR_TESTS) bench/rates.py --out $(B)/bench-rates.md
	$(PYTHON_FOR_TESTS) bench/scaling.py --out $(B)/bench-scaling.md
	$(PYTHON_FOR_TESTS) bench/instructions.py --out $(B)/bench-instructions.md

bench-quick: deps
	$(MAKE) all
	$(PYTHON_FOR_TESTS) bench/bench.py --quick

# Warnings must stay clean under clang too (not part of `make test`: CI has gcc).
clang-check:
	$(MAKE) CC=clang B=build/clang all unit-bins replay-bins

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/oomph
	install -m 0755 $(B)/oomph $(DESTDIR)$(PREFIX)/bin/oomph
	install -m 0644 $(B)/liboomph.so $(DESTDIR)$(PREFIX)/lib/oomph/liboomph.so

# The Python package (python/oomph + the two binaries), by the in-tree PEP 517
# backend; it runs `make all` itself, which has nothing left to do here.
wheel: all
	OOMPH_BUILD_DIR=$(B) $(PYTHON_FOR_TESTS) python/backend/oomph_build.py --make '$(MAKE)' \
	  wheel $(B)/dist

clean:
	rm -rf build
