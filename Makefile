# botbox: one binary, one Makefile (non-recursive).
#
#   make            build build/botbox (installs dependencies first)
#   make test       unit tests, CLI tests, fuzz smoke runs, style check
#   make test SAN=1 the same, built with AddressSanitizer + UBSan (build-san/)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS each (default 60)
#   make bench      side by side with HAProxy and nginx, tables to docs/benchmarks.md
#                   (numbers, never assertions; bench-smoke, in make test, checks answers)
#   make deps       install build and test dependencies (Debian 12, apt-get)
#   make format     reformat the tree with the committed .clang-format

VERSION := 0.1.0
SAN ?= 0
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 10

ifeq ($(SAN),1)
BUILD := build-san
else
BUILD := build
endif
FUZZBUILD := build-fuzz

CC := gcc
CLANG := clang

CSTD := -std=c11 -D_GNU_SOURCE
WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wpointer-arith -Wvla -Wundef -Wcast-align
# Every translation unit starts with common/poison.h: unsafe string functions
# become compile errors.
INCS := -I. -I/usr/share/include/llhttp -include common/poison.h
DEFS := -DBB_VERSION='"$(VERSION)"'
LLHTTP_DIR := /usr/share/llhttp
LLHTTP_INC := /usr/share/include/llhttp
LIBS := -lyaml -ljansson -lnghttp2 -lnftnl -lnetfilter_queue -lmnl -lssl -lcrypto -lcares -lpthread

ifeq ($(SAN),1)
# FORTIFY and ASan both intercept the same calls; ASan is the stronger check.
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
       -fno-sanitize-recover=all -fstack-protector-strong -fPIE
LDOPT := -fsanitize=address,undefined -pie -Wl,-z,relro,-z,now
else
OPT := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
LDOPT := -pie -Wl,-z,relro,-z,now
endif

CFLAGS := $(CSTD) $(WARN) $(OPT) $(INCS) $(DEFS) -MMD -MP
LDFLAGS := $(LDOPT)

# Library sources: everything in the subsystem directories except main.c.
LIB_SRCS := $(wildcard common/*.c policy/*.c nft/*.c tls/*.c gateway/*.c gateway/*/*.c)
LIB_SRCS := $(filter-out gateway/main.c,$(LIB_SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)

# llhttp (Node.js's HTTP parser) from Debian's node-llhttp, compiled here in
# strict mode: the define must be on the command line (docs/reference.md §8). Its own
# warnings are not ours to fix, so it gets the hardening but not -Werror.
# Listed, not globbed: on a fresh machine the files appear only after deps.
LLHTTP_SRCS := $(LLHTTP_DIR)/api.c $(LLHTTP_DIR)/http.c $(LLHTTP_DIR)/llhttp.c
LLHTTP_CFLAGS := -std=c11 -DLLHTTP_STRICT_MODE=1 -I$(LLHTTP_INC) -w
LLHTTP_OBJS := $(LLHTTP_SRCS:$(LLHTTP_DIR)/%.c=$(BUILD)/llhttp/%.o)
LIB_OBJS += $(LLHTTP_OBJS)
LIB := $(BUILD)/libbotbox.a
BIN := $(BUILD)/botbox

UNIT_SRCS := $(wildcard tests/unit/*/test_*.c tests/unit/*/*/test_*.c)
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)
BENCH_SRCS := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(BENCH_SRCS:%.c=$(BUILD)/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZBUILD)/%)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZBUILD)/%.o) \
                 $(LLHTTP_SRCS:$(LLHTTP_DIR)/%.c=$(FUZZBUILD)/llhttp/%.o)

C_FILES := $(shell git ls-files '*.c' '*.h' 2>/dev/null)
CITING_FILES := $(shell git ls-files '*.c' '*.h' '*.md' '*.sh' '*.py' Makefile 2>/dev/null)

# Keep fuzz objects and the like: they are not throw-away intermediates.
.SECONDARY:

.PHONY: all deps test unit cli-test k8s-test install-test fresh-check e2e memcheck fuzz fuzz-smoke bench bench-smoke demo image install uninstall \
        format format-check clean

all: $(BIN)

# Dependencies are installed while this file is read, before any rule is
# looked at: make caches what a directory holds, so a rule whose input
# appears only once deps has run (llhttp's sources under /usr/share/llhttp)
# would be missing for the rest of that run. tools/deps.sh is silent when
# everything is there; its messages go to stderr, which $(shell) leaves to
# the terminal. Not for clean and uninstall, nor with NODEPS=1 (the caller
# installed what the build needs: the image build does; deps would add the
# test tooling).
NODEPS ?= 0
NODEPS_GOALS := clean uninstall
ifneq ($(NODEPS),1)
ifneq ($(filter-out $(NODEPS_GOALS),$(or $(MAKECMDGOALS),all)),)
DEPS_STATUS := $(shell bash tools/deps.sh >&2; echo $$?)
ifneq ($(DEPS_STATUS),0)
$(error tools/deps.sh failed (exit $(DEPS_STATUS)): see its messages above)
endif
endif
endif
deps:
	@:

# ---- build ---------------------------------------------------------------

V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (strict)"
	$(Q)$(CC) $(LLHTTP_CFLAGS) $(OPT) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BIN): $(BUILD)/gateway/main.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  CC/LD   $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS) -lcmocka -lm

# Namespace-scenario tools: a test NFQUEUE consumer and a fault injector.
E2E_TOOLS := $(BUILD)/tests/e2e/nfq_probe $(BUILD)/tests/e2e/nft_fault

$(BUILD)/tests/e2e/nfq_probe: tests/e2e/tools/nfq_probe.c
	@mkdir -p $(dir $@)
	@echo "  CC/LD   $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lnetfilter_queue -lmnl

$(BUILD)/tests/e2e/nft_fault: tests/e2e/tools/nft_fault.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  CC/LD   $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

# ---- tests ---------------------------------------------------------------

test: unit cli-test k8s-test install-test e2e bench-smoke fuzz-smoke format-check fresh-check
	@echo "make test: all suites passed (SAN=$(SAN))"

# Network-namespace scenarios (root required; they fail, never skip).
e2e: $(BIN) $(E2E_TOOLS)
	@BOTBOX=$(BIN) E2E_TOOLS=$(BUILD)/tests/e2e bash tests/e2e/run.sh $(E2E_ONLY)

# A representative namespace scenario (the proxy core) with botbox under
# valgrind memcheck: no invalid access, no uninitialised read, no definite
# leak (exit 99 otherwise, reported by the scenario).
MEMCHECK_SCENARIO ?= 30-proxy-sidecar
memcheck: $(BIN) $(E2E_TOOLS)
	@BOTBOX=$(CURDIR)/tests/e2e/tools/valgrind-botbox BOTBOX_REAL=$(CURDIR)/$(BIN) \
	    E2E_SERVE_WAIT=60 E2E_TOOLS=$(BUILD)/tests/e2e bash tests/e2e/run.sh $(MEMCHECK_SCENARIO)

unit: $(UNIT_BINS)
	@bash tests/run-unit.sh $(UNIT_BINS)

cli-test: $(BIN)
	@bash tests/cli/test_cli.sh $(BIN)

# Kubernetes manifests: rendered and validated offline (tests/k8s).
k8s-test: $(BIN)
	@bash tests/k8s/run.sh $(BIN)

# The README's command on a clean Debian 12 root (tests/fresh): the tree,
# copied there, must install its own dependencies and pass FRESH_GOALS on
# its first run, with the same SAN.
FRESH_GOALS ?= unit cli-test k8s-test install-test
fresh-check:
	@bash tests/fresh/run.sh SAN=$(SAN) $(FRESH_GOALS)

# make install / uninstall into a scratch DESTDIR (tests/install).
install-test: $(BIN)
	@bash tests/install/run.sh SAN=$(SAN)

format-check:
	@bash tools/format-check.sh $(C_FILES)
	@python3 tools/layers.py --self-test
	@python3 tools/layers.py $(C_FILES)
	@python3 tools/cited-paths.py --self-test
	@python3 tools/cited-paths.py $(CITING_FILES)

format:
	clang-format -i $(C_FILES)

# ---- fuzzing (clang + libFuzzer, always with ASan + UBSan) ----------------

FUZZ_CFLAGS := $(CSTD) $(WARN) -Wno-unused-command-line-argument -O1 -g \
               -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
               $(INCS) $(DEFS) -MMD -MP

$(FUZZBUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CLANG   $<"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZBUILD)/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	@echo "  CLANG   $< (strict)"
	$(Q)$(CLANG) $(LLHTTP_CFLAGS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(FUZZBUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJS)
	@echo "  FUZZ    $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJS) $(LIBS)

fuzz: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-smoke: $(FUZZ_BINS)
	@bash tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_BINS)

# ---- benchmarks ----------------------------------------------------------

# Side by side with HAProxy and nginx (tests/bench/compare.sh); the tables
# go to docs/benchmarks.md. bench-smoke (in make test) runs every scenario
# briefly and checks the answers, never the speed.
BENCH_TOOL_BINS := $(BUILD)/tests/bench/udpflood

$(BUILD)/tests/bench/udpflood: tests/bench/tools/udpflood.c
	@mkdir -p $(dir $@)
	@echo "  CC/LD   $@"
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

bench: $(BENCH_BINS) $(BENCH_TOOL_BINS) $(BIN)
	@BOTBOX=$(BIN) BENCH_TOOLS=$(BUILD)/tests/bench bash tests/bench/compare.sh --out docs/benchmarks.md

bench-smoke: $(BENCH_BINS) $(BENCH_TOOL_BINS) $(BIN)
	@BOTBOX=$(BIN) BENCH_TOOLS=$(BUILD)/tests/bench bash tests/bench/compare.sh --quick

# ---- demo (root: it creates network namespaces) ---------------------------

demo: $(BIN)
	@BOTBOX=$(BIN) bash demo/demo.sh

# ---- images (docker/Dockerfile; podman here, docker build elsewhere) ------

IMAGE ?= localhost/botbox
IMAGE_BASE ?= localhost/debian:bookworm
PODMAN := CONTAINERS_CONF=$(CURDIR)/docker/containers.conf podman

image:
	@bash tools/base-image.sh $(IMAGE_BASE)
	$(PODMAN) build --network host --build-arg BASE=$(IMAGE_BASE) -f docker/Dockerfile \
	    --target runtime -t $(IMAGE):latest .
	$(PODMAN) build --network host --build-arg BASE=$(IMAGE_BASE) -f docker/Dockerfile \
	    --target nft-init -t $(IMAGE)-nft-init:latest .

# ---- install (DESTDIR for packaging; units get the chosen paths) -----------

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/botbox
UNITS := botbox.service botbox-nft.service
DOCS := README.md docs/reference.md docs/deployment.md docs/run.md docs/configuration.md docs/operations.md

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/botbox
	@mkdir -p $(BUILD)/systemd
	@for u in $(UNITS); do \
	    sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	        -e 's|@DOCDIR@|$(DOCDIR)|g' systemd/$$u >$(BUILD)/systemd/$$u && \
	    install -D -m 0644 $(BUILD)/systemd/$$u $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -D -m 0644 examples/botbox.yaml $(DESTDIR)$(SYSCONFDIR)/botbox/config.yaml.example
	@# The live config is the administrator's: created once, never overwritten.
	@[ -e $(DESTDIR)$(SYSCONFDIR)/botbox/config.yaml ] || \
	    install -m 0644 examples/botbox.yaml $(DESTDIR)$(SYSCONFDIR)/botbox/config.yaml
	@for d in $(DOCS); do install -D -m 0644 $$d $(DESTDIR)$(DOCDIR)/$$(basename $$d) || exit 1; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/botbox $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS))
	rm -f $(DESTDIR)$(SYSCONFDIR)/botbox/config.yaml.example
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "uninstall: $(DESTDIR)$(SYSCONFDIR)/botbox/config.yaml is kept (your configuration)"

clean:
	rm -rf build build-san build-fuzz

# Header dependencies of everything compiled (objects and test binaries),
# so a changed header rebuilds every user of it.
-include $(LIB_OBJS:.o=.d) $(BUILD)/gateway/main.d $(FUZZ_LIB_OBJS:.o=.d) \
         $(FUZZ_BINS:=.d) $(UNIT_BINS:=.d) $(BENCH_BINS:=.d) $(E2E_TOOLS:=.d) $(BENCH_TOOL_BINS:=.d)
