# bf: one plain Makefile, no recursion.
# Programs are src/bf-*.c (command-line layer); logic is src/lib/*.c, built into
# one static library. Unit tests are tests/lib/test-*.c; scripted tests are
# tests/t/*.t. New files are picked up by the wildcards below.

VERSION   = 0.1.0
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANPREFIX ?= $(PREFIX)/share/man
DOCDIR   ?= $(PREFIX)/share/doc/bf
CC       ?= cc
CFLAGS   ?= -O2 -g
PKG_CONFIG ?= pkg-config

# SANITIZE=1 builds everything under build/san with ASan+UBSan; the programs
# then land in build/san/bin and the tests are pointed there with BF_BIN.
ifeq ($(SANITIZE),1)
B      = build/san
BINOUT = $(B)/bin
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
B      = build/rel
BINOUT = bin
SANFLAGS =
endif

PKGS      = libcurl sqlite3 libpq libcrypto
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# libcsv and libjsmn ship no pkg-config file: libcsv is -lcsv, jsmn is a header.
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	-DBF_VERSION=\"$(VERSION)\" -Wall -Wextra -Wno-unused-parameter \
	-Isrc/lib $(PKG_CFLAGS) $(CFLAGS) $(SANFLAGS)
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS) -Wl,--as-needed
LDLIBS    = $(PKG_LIBS) -lcsv -lm -lpthread

LIB_SRC  = $(wildcard src/lib/*.c)
LIB_OBJ  = $(LIB_SRC:src/lib/%.c=$(B)/lib/%.o)
LIB_A    = $(B)/libbf.a
PROG_SRC = $(wildcard src/bf-*.c)
PROGS    = $(PROG_SRC:src/%.c=$(BINOUT)/%)
SCRIPTS  = $(filter-out $(PROG_SRC:src/%.c=bin/%),$(wildcard bin/bf-*))
UNIT_SRC = $(wildcard tests/lib/test-*.c)
UNITS    = $(UNIT_SRC:tests/lib/%.c=$(B)/tests/%)
# Test tools: small programs the scripted tests drive (not tests themselves).
TOOL_SRC = $(wildcard tests/lib/tool-*.c)
TOOLS    = $(TOOL_SRC:tests/lib/%.c=$(B)/tools/%)
MANS     = $(wildcard man/*.[0-9])
# Fuzz harnesses: tests/fuzz/fuzz-NAME.c defines LLVMFuzzerTestOneInput.
# `make all` links each with tests/fuzz/replay.c into a replayer of its
# corpus (tests/fuzz/corpus/NAME/, run by make check); `make fuzz` builds
# them with clang's libFuzzer and fuzzes each for FUZZ_SECONDS.
FUZZ_SRC = $(wildcard tests/fuzz/fuzz-*.c)
REPLAYS  = $(FUZZ_SRC:tests/fuzz/fuzz-%.c=$(B)/fuzz/replay-%)
FUZZ_SECONDS ?= 60

all: $(PROGS) $(UNITS) $(TOOLS) $(REPLAYS)

$(B)/lib/%.o: src/lib/%.c $(wildcard src/lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

$(BINOUT)/%: src/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_A) $(ALL_LDFLAGS) $(LDLIBS)

$(B)/tests/%: tests/lib/%.c tests/lib/tap.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/lib -o $@ $< $(LIB_A) $(ALL_LDFLAGS) $(LDLIBS)

$(B)/tools/%: tests/lib/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/lib -o $@ $< $(LIB_A) $(ALL_LDFLAGS) $(LDLIBS)

$(B)/fuzz/replay-%: tests/fuzz/fuzz-%.c tests/fuzz/replay.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< tests/fuzz/replay.c $(LIB_A) $(ALL_LDFLAGS) $(LDLIBS)

fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run

# The whole suite: unit tests, golden tests, integration tests, man EXAMPLES,
# mandoc -Tlint. Ends with prove's TAP summary.
check: all
	BF_BIN=$(CURDIR)/$(BINOUT) BF_UNITS=$(CURDIR)/$(B)/tests \
	BF_TOOLS=$(CURDIR)/$(B)/tools BF_REPLAYS=$(CURDIR)/$(B)/fuzz \
	BF_SANITIZE=$(SANITIZE) tests/run

lint-man:
	mandoc -Tlint -Wwarning $(MANS)

# lint: the man pages, then the sizes (files over 1500 lines, functions
# over 120: the longest are printed; tests/t/lint-sizes.t holds make check
# to them). style: the C lines added since the
# merge base with origin/main (or BASE=rev) against the mechanical rules of
# CONTRIBUTING.md.
lint: lint-man
	tests/lint/sizes

style:
	tests/lint/style $(BASE)

deps:
	sh .ci/deps

# The demo: a real backfill of 30 days of seeded telemetry for 20 instances
# into demo/ledger.db (SQLite); examples/demo/show prints the chargeback and
# writes the HTML report, demo/report.html. Run it again: it resumes, finds
# nothing left to do, and shows the chargeback again.
demo: all
	@mkdir -p demo && chmod 700 demo
	@test -s demo/samples.ndjson || bin/bf-gen -d 31 >demo/samples.ndjson
	bin/bf-backfill -c examples/demo/backfill.conf
	@sh examples/demo/show

# doc/report.png, the README's picture of the demo's report: the top of
# demo/report.html in headless Chromium (.ci/deps installs it), through
# tests/lib/cdp.py, which also checks the page loads without error.
screenshot: demo
	@mkdir -p doc
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	python3 tests/lib/cdp.py render --profile "$$d" --size 1024x970 \
	    --screenshot doc/report.png demo/report.html >"$$d/render.json" && \
	jq -e '.errors == [] and .requests == [.url]' "$$d/render.json" >/dev/null
	@echo "doc/report.png: $$(wc -c <doc/report.png) bytes"

bench: all
	tests/bench/run

# The kill test of bf-backfill with many more trials, for releases
# (BF_SOAK_TRIALS, default 300).
soak: all
	BF_BIN=$(CURDIR)/$(BINOUT) BF_TOOLS=$(CURDIR)/$(B)/tools tests/soak

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man7
	cp -f $(PROGS) $(SCRIPTS) $(DESTDIR)$(BINDIR)/
	for m in $(MANS); do s=$${m##*.}; \
		cp -f $$m $(DESTDIR)$(MANPREFIX)/man$$s/; done
	rm -rf $(DESTDIR)$(DOCDIR)/examples
	mkdir -p $(DESTDIR)$(DOCDIR)
	cp -R examples $(DESTDIR)$(DOCDIR)/examples

uninstall:
	for p in $(notdir $(PROGS) $(SCRIPTS)); do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	for m in $(notdir $(MANS)); do s=$${m##*.}; \
		rm -f $(DESTDIR)$(MANPREFIX)/man$$s/$$m; done
	rm -rf $(DESTDIR)$(DOCDIR)/examples
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || :

clean:
	rm -rf build $(PROG_SRC:src/%.c=bin/%)

.PHONY: all check lint lint-man style deps demo screenshot bench soak fuzz install uninstall clean
.DELETE_ON_ERROR:
