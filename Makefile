# netlens build. `make` builds build/netlens; `make test` runs every suite;
# `make V=1` shows the commands. Sources are discovered, so a new command or
# tracer is a new file and never a Makefile edit.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BUILD     ?= build
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
PYTEST    ?= /usr/bin/python3 -m pytest
# what installs the build's packages (scripts/test-deps-order.sh passes a fake)
INSTALL_DEPS ?= scripts/install-deps.sh
# no call cycles between the files of any one folder of src (nm on the objects)
CHECK_CYCLES ?= scripts/check-cycles.py

ifeq ($(V),1)
Q :=
msg := @true
else
Q := @
msg = @printf '  %-7s %s\n'
endif

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/')

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wno-missing-field-initializers
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=gnu17 $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -D_GNU_SOURCE \
             -DNETLENS_VERSION='"$(VERSION)"' -Isrc -I$(BUILD) -MMD -MP
LIBS      := -lbpf -ldw -lelf -lz -lmnl -lmicrohttpd -lgnutls -lcrypt -lyaml -lm
LDFLAGS   ?=

SRCS      := $(shell find src -name '*.c' ! -name '*.bpf.c' ! -name 'main.c' | sort)
OBJS      := $(SRCS:src/%.c=$(BUILD)/obj/%.o)
BPF_SRCS  := $(sort $(wildcard src/bpf/*.bpf.c))
BPF_OBJS  := $(BPF_SRCS:src/bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
SKELS     := $(BPF_SRCS:src/bpf/%.bpf.c=$(BUILD)/bpf/%.skel.h)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/%)
FUZZ_SECONDS ?= 8
MANPAGES  := $(wildcard docs/man/*.8)

.DELETE_ON_ERROR:
.PHONY: all deps test unit e2e asan-test valgrind-test fuzz bench install clean test-deps-order \
        test-build unit-bins asan-build tsan-build tsan-test fuzz-bins

all: $(BUILD)/netlens

# The dependency step. Every rule that runs a tool (cc, clang, bpftool,
# pytest, valgrind) has the stamp as an order-only prerequisite (`| $(DEPS)`),
# so under -jN nothing starts before the installer has finished, and it runs
# once per build: the inner make of asan-test is handed the same stamp. The
# installer is called only when something is missing; a new install-deps.sh
# checks again. scripts/test-deps-order.sh proves the ordering.
DEPS ?= $(abspath $(BUILD))/.deps-ok

deps: $(DEPS)

$(DEPS): scripts/install-deps.sh
	$(Q)mkdir -p $(@D)
	$(Q)$(INSTALL_DEPS) --check 2>/dev/null || $(INSTALL_DEPS)
	$(Q)touch $@

$(BUILD)/netlens: $(OBJS) $(BUILD)/obj/main.o | $(DEPS)
	$(msg) LINK $@
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/obj/%.o: src/%.c | $(DEPS) $(SKELS) $(BUILD)/kernel_build.h
	$(msg) CC $<
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# --- BPF: vmlinux.h from the running kernel's BTF -> .bpf.o -> skeleton ---
$(BUILD)/vmlinux.btf: | $(DEPS)
	$(msg) BTF $@
	$(Q)mkdir -p $(@D)
	$(Q)test -r /sys/kernel/btf/vmlinux || { echo "netlens: error: /sys/kernel/btf/vmlinux missing: build on a kernel with CONFIG_DEBUG_INFO_BTF=y" >&2; exit 1; }
	$(Q)cp /sys/kernel/btf/vmlinux $@

$(BUILD)/vmlinux.h: $(BUILD)/vmlinux.btf | $(DEPS)
	$(msg) GEN $@
	$(Q)$(BPFTOOL) btf dump file $< format c > $@

# What the BPF objects were built against: lets netlens use programs
# compiled without CO-RE relocations when it runs on that very kernel.
$(BUILD)/btf_fingerprint: scripts/btf_fingerprint.c src/base/fingerprint.h | $(DEPS)
	$(Q)$(CC) -O2 -Isrc -o $@ $<

$(BUILD)/kernel_build.h: $(BUILD)/vmlinux.btf $(BUILD)/btf_fingerprint | $(DEPS)
	$(msg) GEN $@
	$(Q){ echo "#define NETLENS_BUILD_BTF_FINGERPRINT $$($(BUILD)/btf_fingerprint $<)"; \
	      id=$$($(BPFTOOL) btf dump file $< | sed -n "s/^\[\([0-9]*\)\] FUNC 'bpf_iter_tcp' .*/\1/p"); \
	      echo "#define NETLENS_BUILD_ITER_TCP_BTF_ID $${id:-0}"; } > $@

# BPF CPU v3 where an object needs atomic fetch-and-add, compare-and-swap
# or exchange (kernel 5.12+): soconnlat, and the skb slots of skbtime.bpf.h;
# the rest keep clang's default, for older kernels
BPF_CPU_soconnlat := -mcpu=v3
BPF_CPU_qdisclat := -mcpu=v3
BPF_CPU_nettxlat := -mcpu=v3

$(BUILD)/bpf/%.bpf.o: src/bpf/%.bpf.c $(BUILD)/vmlinux.h $(wildcard src/bpf/*.h) | $(DEPS)
	$(msg) BPF $<
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -g -O2 -Wall -Werror -target bpf $(BPF_CPU_$*) -D__TARGET_ARCH_$(ARCH) \
		-I$(BUILD) -Isrc -c $< -o $@
	$(Q)$(BPFTOOL) gen object $@.tmp $@ && mv $@.tmp $@

# keep objects and skeletons: they are intermediates of the pattern chain
.SECONDARY: $(BPF_OBJS) $(SKELS)

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o | $(DEPS)
	$(msg) SKEL $@
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# --- tests ---
$(BUILD)/tests/%: tests/unit/%.c $(OBJS) | $(DEPS)
	$(msg) TEST $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(OBJS) $(LIBS) -lcmocka

# Microbenches that link the objects (bench/*_bench.c).
$(BUILD)/bench/%: bench/%.c $(OBJS) | $(DEPS)
	$(msg) BENCH $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(OBJS) $(LIBS)

unit-bins: $(UNIT_BINS)

unit: all $(UNIT_BINS)
	$(Q)for t in $(UNIT_BINS); do \
		NETLENS_FIXTURES=tests/fixtures $$t || exit 1; done
	$(Q)$(CHECK_CYCLES) $(sort $(dir $(wildcard $(BUILD)/obj/*/*.o)))

e2e: all
	$(Q)NETLENS=$(abspath $(BUILD)/netlens) $(PYTEST) -q tests/e2e $(PYTEST_ARGS)

# Sanitizers: unit tests and the end-to-end tests marked `sanitize`.
ASAN_MAKE = $(MAKE) --no-print-directory BUILD=build-asan DEPS=$(DEPS) \
	CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	LDFLAGS="-fsanitize=address,undefined"

asan-build: | $(DEPS)
	+$(Q)$(ASAN_MAKE) all unit-bins

asan-test: | $(DEPS)
	+$(Q)$(ASAN_MAKE) unit
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		NETLENS=$(abspath build-asan/netlens) $(PYTEST) -q -m sanitize tests/e2e

# ThreadSanitizer: the exporter's scrape runs its collectors on several
# threads (cmd/exporter.c); the end-to-end tests marked `threads` run a
# build with -fsanitize=thread that stops at the first data race.
TSAN_MAKE = $(MAKE) --no-print-directory BUILD=build-tsan DEPS=$(DEPS) \
	CFLAGS="-O1 -g -fsanitize=thread -fno-omit-frame-pointer" LDFLAGS="-fsanitize=thread"

tsan-build: | $(DEPS)
	+$(Q)$(TSAN_MAKE) all

tsan-test: tsan-build
	$(Q)TSAN_OPTIONS=halt_on_error=1 NETLENS=$(abspath build-tsan/netlens) \
		$(PYTEST) -q -m threads tests/e2e

valgrind-test: all
	$(Q)NETLENS=$(abspath $(BUILD)/netlens) NETLENS_VALGRIND=1 $(PYTEST) -q -m sanitize tests/e2e

# libFuzzer targets (tests/fuzz/fuzz_*.c, each defining LLVMFuzzerTestOneInput,
# with shared harness helpers in tests/fuzz/fuzz_util.h). The sources are
# compiled once, instrumented, into build-fuzz/obj/ and every target links them
# (compiling them per target took two minutes each). `make fuzz` runs each
# target for FUZZ_SECONDS from its seed corpus in tests/fuzz/corpus/NAME plus
# what earlier runs kept in build-fuzz/corpus-NAME. The default, 8 s, keeps
# about fourteen targets within three minutes, build included; a release check
# runs FUZZ_SECONDS=60.
FUZZ_OBJS   := $(SRCS:src/%.c=build-fuzz/obj/%.o)
FUZZ_CFLAGS := -std=gnu17 -g -O1 -D_GNU_SOURCE -DNETLENS_VERSION='"$(VERSION)"' \
               -Isrc -I$(BUILD) -MMD -MP
FUZZ_SAN    := address,undefined -fno-sanitize-recover=undefined

build-fuzz/obj/%.o: src/%.c | $(DEPS) $(SKELS) $(BUILD)/kernel_build.h
	$(msg) FUZZCC $<
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<

$(FUZZ_BINS): build-fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_util.h $(FUZZ_OBJS) | $(DEPS)
	$(msg) FUZZ $@
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Itests/fuzz -fsanitize=fuzzer,$(FUZZ_SAN) \
		-o $@ $< $(FUZZ_OBJS) $(LIBS)

fuzz-bins: $(FUZZ_BINS)

fuzz: all $(FUZZ_BINS)
	$(Q)for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n; \
		seeds=tests/fuzz/corpus/$$n; [ -d $$seeds ] || seeds=; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 build-fuzz/corpus-$$n $$seeds \
			2>build-fuzz/$$n.log || { tail -50 build-fuzz/$$n.log; exit 1; }; \
		echo "  fuzz    $$n: $$(sed -n 's/^stat::number_of_executed_units: *//p' build-fuzz/$$n.log) runs, $$(grep -o 'cov: [0-9]*' build-fuzz/$$n.log | tail -1), no crash"; done

# Parallel makes wait for the dependency step (stub tools, a few seconds).
test-deps-order:
	$(Q)scripts/test-deps-order.sh

# The whole suite. Everything is compiled first, on every CPU (four builds:
# plain, ASan/UBSan, TSan, fuzzers); then the suites run one after another, except
# the fuzzers, which run beside valgrind: each is one process on a CPU of its
# own, and neither measures time. Sequential recipes, so `make -jN test` is
# the same run.
NPROC := $(shell nproc 2>/dev/null || echo 2)

test-build: all unit-bins asan-build tsan-build fuzz-bins

test: | $(DEPS)
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) test-build
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory e2e
	$(Q)$(MAKE) --no-print-directory asan-test
	$(Q)$(MAKE) --no-print-directory tsan-test
	$(Q)$(MAKE) --no-print-directory -j2 --output-sync=target valgrind-test fuzz
	$(Q)$(MAKE) --no-print-directory test-deps-order

bench: all
	$(Q)/usr/bin/python3 bench/ss_bench.py
	$(Q)/usr/bin/python3 bench/nstat_bench.py
	$(Q)/usr/bin/python3 bench/ifstat_bench.py
	$(Q)/usr/bin/python3 bench/doctor_bench.py
	$(Q)/usr/bin/python3 bench/tracer_bench.py
	$(Q)/usr/bin/python3 bench/tracer6_bench.py
	$(Q)/usr/bin/python3 bench/sockio_bench.py
	$(Q)/usr/bin/python3 bench/sochurn_bench.py
	$(Q)/usr/bin/python3 bench/calls_bench.py
	$(Q)/usr/bin/python3 bench/gethostlatency_bench.py
	$(Q)/usr/bin/python3 bench/dns_bench.py
	$(Q)/usr/bin/python3 bench/below_bench.py
	$(Q)/usr/bin/python3 bench/exporter_bench.py
	$(Q)/usr/bin/python3 bench/output_bench.py

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BUILD)/netlens $(DESTDIR)$(PREFIX)/bin/netlens
	for a in $$($(BUILD)/netlens help --aliases); do ln -sf netlens $(DESTDIR)$(PREFIX)/bin/$$a; done
	install -m 0644 $(MANPAGES) $(DESTDIR)$(PREFIX)/share/man/man8/

clean:
	rm -rf build build-asan build-tsan build-fuzz

-include $(shell find $(BUILD) build-fuzz/obj -name '*.d' 2>/dev/null)
