# Signet — one GNU Makefile for everything (DESIGN.md).
#   make            build build/bin/{signet-scd,signet-policyd,signet}
#   make check      unit + end-to-end tests     (SANITIZE=1: ASan+UBSan build)
#   make check-debian13  the same in a Debian 13 chroot (root; GnuPG 2.4)
#   make demo       the embedded default, end to end
#   make deps       install missing Debian packages (root or sudo)
#   make install PREFIX=/usr/local
#   make fuzz       libFuzzer targets (clang)
#   make bench      benchmark against ../shared/bench baselines
VERSION   := 0.1.0
PREFIX    ?= /usr/local
CC        ?= cc
SANITIZE  ?= 0
B         := build
ifeq ($(SANITIZE),1)
B         := build-san
endif
BIN       := $(B)/bin

PKGS      := libassuan gpg-error libgcrypt libssl libcrypto inih jansson libmicrohttpd sqlite3
# p11-kit: its pkcs11.h only (common/p11*.c call the module through its
# function list), so nothing of it is linked.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) p11-kit-1 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN      := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
             -Wformat=2 -Wno-format-nonliteral
HARDEN    := -fstack-protector-strong -fPIE -ftrivial-auto-var-init=zero
CFLAGS    ?= -O2 -g
ifeq ($(SANITIZE),1)
CFLAGS    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN     := -fsanitize=address,undefined
else
HARDEN    += -D_FORTIFY_SOURCE=3
endif
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(HARDEN) $(CFLAGS) -MMD -MP \
              -Icommon -DSIGNET_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
LDFLAGS   += -pie -Wl,-z,relro,-z,now $(LDSAN)
LIBS      := $(PKG_LIBS) -lpthread

COMMON_SRC := $(wildcard common/*.c)
POLICYD_SRC := $(wildcard policyd/*.c)
SCD_SRC    := $(wildcard scdaemon-shim/*.c)
AGENT_SRC  := $(wildcard agent/*.c)
TSA_SRC    := $(wildcard tsa/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
LIBCOMMON  := $(B)/libsignet-common.a

PROGS := $(BIN)/signet-policyd $(BIN)/signet-scd $(BIN)/signet $(if $(TSA_SRC),$(BIN)/signet-tsa)
UNITS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))

all: $(PROGS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# signet-policyd reads a 0.1 certificate's subkeys (project.c) with the
# CLI's parser too.
$(BIN)/signet-policyd: $(call obj,$(POLICYD_SRC)) $(call obj,agent/certinfo.c) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
# signet-scd reads a certificate's primary key (legacy keyrefs) with the
# CLI's parser.
$(BIN)/signet-scd: $(call obj,$(SCD_SRC)) $(call obj,agent/certinfo.c) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BIN)/signet: $(call obj,$(AGENT_SRC)) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(BIN)/signet-tsa: $(call obj,$(TSA_SRC)) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# A unit test links the common library plus, when it tests a program's
# module, that module's object (tests/unit/test_<prog>_<module>.c is not
# needed: each test lists its extra objects in UNIT_EXTRA_<name>).
UNIT_EXTRA_test_policy := $(call obj,policyd/policy.c) $(call obj,policyd/requester.c) $(call obj,policyd/idcache.c)
UNIT_EXTRA_test_idcache := $(call obj,policyd/idcache.c)
UNIT_EXTRA_test_card   := $(call obj,scdaemon-shim/card.c)
UNIT_EXTRA_test_scdconf := $(call obj,scdaemon-shim/scdconf.c)
UNIT_EXTRA_test_notice := $(call obj,scdaemon-shim/notice.c)
UNIT_EXTRA_test_denials := $(call obj,policyd/denials.c)
UNIT_EXTRA_test_connlimit := $(call obj,policyd/connlimit.c)
UNIT_EXTRA_test_connio := $(call obj,policyd/connio.c)
UNIT_EXTRA_test_project := $(call obj,policyd/project.c) $(call obj,policyd/hsm.c) $(call obj,agent/certinfo.c)
UNIT_EXTRA_test_denylog := $(call obj,policyd/denylog.c)
UNIT_EXTRA_test_notify := $(call obj,policyd/notify.c)
UNIT_EXTRA_test_parking := $(call obj,policyd/parking.c)
UNIT_EXTRA_test_certinfo := $(call obj,agent/certinfo.c)
UNIT_EXTRA_test_dotfile := $(call obj,agent/dotfile.c) $(call obj,agent/cli.c)
UNIT_EXTRA_test_keycache := $(call obj,scdaemon-shim/keycache.c) $(call obj,scdaemon-shim/card.c)
UNIT_EXTRA_test_tsaconf := $(call obj,tsa/tsaconf.c)
UNIT_EXTRA_test_tsaserial := $(call obj,tsa/serial.c)
UNIT_EXTRA_test_tsclient := $(call obj,tests/unit/tsafixture.c)
STORE_OBJ := $(call obj,$(wildcard policyd/store_*.c) policyd/takecache.c)
UNIT_EXTRA_test_store := $(STORE_OBJ)
UNIT_EXTRA_test_store_crash := $(STORE_OBJ)
UNIT_EXTRA_test_reconcile := $(STORE_OBJ) $(call obj,policyd/reconcile.c)
UNIT_EXTRA_test_takecache := $(call obj,policyd/takecache.c)
UNIT_EXTRA_test_tsatoken := $(call obj,tsa/token.c) $(call obj,tests/unit/tsafixture.c)
UNIT_EXTRA_test_hours := $(call obj,policyd/hours.c)
UNIT_EXTRA_test_totpseal := $(call obj,policyd/totp.c) $(call obj,policyd/hsm.c)
UNIT_EXTRA_test_hsm := $(call obj,policyd/hsm.c)
UNIT_EXTRA_test_keyops := $(call obj,policyd/keyops.c) $(call obj,policyd/project.c) $(call obj,policyd/hsm.c) \
                          $(call obj,agent/certinfo.c)
UNIT_EXTRA_test_hsmkey := $(call obj,tsa/hsmkey.c)
UNIT_EXTRA_test_sigextract := $(call obj,agent/sigmatch.c) $(call obj,tests/unit/tsafixture.c)
UNIT_EXTRA_test_receipt := $(call obj,agent/receipt.c) $(call obj,agent/sigmatch.c) $(call obj,agent/auditnodes.c) \
                           $(call obj,agent/leafproof.c) $(call obj,agent/trailfind.c)
UNIT_EXTRA_test_auditkey := $(call obj,policyd/auditkey.c) $(call obj,policyd/hsm.c)
UNIT_EXTRA_test_tsa_auditkey := $(call obj,tsa/auditkey.c) $(call obj,tsa/hsmkey.c)
UNIT_EXTRA_test_auditcheck := $(call obj,agent/auditcheck.c) $(call obj,agent/auditcheck-ckpt.c)
$(B)/tests/%: $(B)/obj/tests/unit/%.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(UNIT_EXTRA_$*) $(LIBCOMMON) $(LIBS) -lcmocka
# Each test that links a module's objects depends on them (every
# UNIT_EXTRA_<name> above; a missing line raced under make -j).
$(foreach t,$(patsubst UNIT_EXTRA_%,%,$(filter UNIT_EXTRA_%,$(.VARIABLES))),$(eval $(B)/tests/$(t): $(UNIT_EXTRA_$(t))))

deps:
	@tests/deps.sh

unit: $(UNITS)
	@set -e; for t in $(UNITS); do echo "== $$t"; $$t; done

# Two tests at a time by default (tests/run-e2e.sh: most of a test's time
# is waiting; timing-sensitive ones still run alone); E2E_JOBS=1 for one.
E2E_JOBS ?= 2
e2e: $(PROGS)
	@SIGNET_BIN=$(abspath $(BIN)) E2E_JOBS=$(E2E_JOBS) tests/run-e2e.sh

check: deps-if-missing
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory -j2 fuzz
	@$(MAKE) --no-print-directory fuzz-smoke

deps-if-missing:
	@tests/deps.sh --if-missing

# Build and test in a Debian 13 chroot against its GnuPG 2.4, OpenSSL 3.5,
# rpm and devscripts (tests/debian13/run.sh; needs root).  The chroot is
# kept in DEBIAN13_ROOT, which `make clean` does not touch.
DEBIAN13_ROOT ?= /var/cache/signet/debian13
check-debian13:
	@DEBIAN13_ROOT='$(DEBIAN13_ROOT)' tests/debian13/run.sh

demo: deps-if-missing
	@$(MAKE) --no-print-directory all
	@SIGNET_BIN=$(abspath $(BIN)) conf/demo.sh

install: $(PROGS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man8
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(wildcard doc/*.1) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(wildcard doc/*.5) $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 $(wildcard doc/*.8) $(DESTDIR)$(PREFIX)/share/man/man8/
	install -d $(DESTDIR)$(PREFIX)/share/signet
	install -m 644 conf/rpm/macros.signet $(DESTDIR)$(PREFIX)/share/signet/

FUZZ_SRC := $(wildcard fuzz/*.c)
FUZZ_BIN := $(patsubst fuzz/%.c,build-fuzz/%,$(FUZZ_SRC))
fuzz: $(FUZZ_BIN)

# Every fuzz target, briefly, from an empty corpus plus its seeds in
# fuzz/corpus/<target>/ if it has some (new inputs go to a scratch folder,
# never into the seeds): keeps the targets building and catches the shallow
# crashes (make check runs it).  The dispatch targets build a real world
# (fuzz/lib/world.h) with the programs in SIGNET_BIN.  Longer runs, e.g.:
#   build-fuzz/scd_dispatch -max_total_time=3600 -rss_limit_mb=1024 \
#     build-fuzz/scd_dispatch.corpus fuzz/corpus/scd_dispatch
# (fuzz/README.md).
FUZZ_SECS ?= 3
fuzz-smoke: $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do \
	  printf '== %s: ' "$$f"; \
	  n=$${f#build-fuzz/}; dirs=; \
	  if [ -d fuzz/corpus/$$n ]; then rm -rf $$f.corpus; mkdir -p $$f.corpus; dirs="$$f.corpus fuzz/corpus/$$n"; fi; \
	  if SIGNET_BIN=$(abspath $(BIN)) $$f -max_total_time=$(FUZZ_SECS) -rss_limit_mb=1024 $$dirs >$$f.log 2>&1; then \
	    tail -n 1 $$f.log; \
	  else cat $$f.log; echo "fuzz target $$f failed (log: $$f.log)"; exit 1; fi; \
	done
# The common code is compiled for fuzzing once (instrumented, into
# build-fuzz/libcommon.a), not again for every target: make check builds
# some thirty targets.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-sanitize-recover=undefined -Icommon -Ipolicyd -Iscdaemon-shim \
               -Itsa -DSIGNET_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
FUZZ_COMMON_OBJ := $(patsubst %.c,build-fuzz/obj/%.o,$(COMMON_SRC))
build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<
build-fuzz/libcommon.a: $(FUZZ_COMMON_OBJ)
	rm -f $@ && ar rcs $@ $^
-include $(FUZZ_COMMON_OBJ:.o=.d)
build-fuzz/%: fuzz/%.c build-fuzz/libcommon.a $(POLICYD_SRC) $(SCD_SRC) $(TSA_SRC) $(wildcard fuzz/lib/*) \
              $(wildcard common/*.h)
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $(FUZZ_CFLAGS_$*) -o $@ $< $(FUZZ_EXTRA_$*) \
	  build-fuzz/libcommon.a $(PKG_LIBS) -lpthread

# Fuzz targets that exercise a program's own parser link that module too.
FUZZ_EXTRA_scdconf := scdaemon-shim/scdconf.c
FUZZ_EXTRA_sigextract := agent/receipt.c agent/sigmatch.c
FUZZ_CFLAGS_sigextract := -Iagent
FUZZ_EXTRA_certinfo := agent/certinfo.c
FUZZ_EXTRA_reqview := agent/reqview.c
# (the pattern rule does not see FUZZ_EXTRA_*: those outside its lists here)
build-fuzz/certinfo: agent/certinfo.c agent/certinfo.h
build-fuzz/reqview: agent/reqview.c agent/reqview.h
FUZZ_EXTRA_keycache := scdaemon-shim/keycache.c scdaemon-shim/card.c
FUZZ_EXTRA_tsa_req := tsa/resp.c tsa/token.c tsa/serial.c tsa/clock.c
FUZZ_EXTRA_tsaconf := tsa/tsaconf.c
FUZZ_EXTRA_auditcheck := agent/auditcheck.c agent/auditcheck-ckpt.c
build-fuzz/auditcheck: agent/auditcheck.c agent/auditcheck-ckpt.c agent/auditcheck.h agent/auditcheck-int.h
FUZZ_EXTRA_reconcile := policyd/reconcile.c $(wildcard policyd/store_*.c) policyd/takecache.c
FUZZ_EXTRA_tsclient_reply := tests/unit/tsafixture.c
# The dispatch targets: a program's modules but its main.c, and the world
# (the programs themselves run it, so they are built first).
FUZZ_WORLD := fuzz/lib/world.c fuzz/lib/session.c
FUZZ_EXTRA_scd_dispatch := $(filter-out scdaemon-shim/main.c,$(SCD_SRC)) agent/certinfo.c $(FUZZ_WORLD)
build-fuzz/scd_dispatch: | $(PROGS)
# policyd's modules with main.c for policyd_reload() (RELOAD and the key
# operations call it); its main() renamed out of libFuzzer's way.
FUZZ_EXTRA_policyd_dispatch := $(POLICYD_SRC) agent/certinfo.c $(FUZZ_WORLD)
FUZZ_CFLAGS_policyd_dispatch := -Dmain=signet_policyd_main
build-fuzz/policyd_dispatch: | $(PROGS)

bench: $(PROGS)
	@SIGNET_BIN=$(abspath $(BIN)) bench/run.sh

clean:
	rm -rf build build-san build-fuzz

.PHONY: all deps deps-if-missing unit e2e check check-debian13 demo install fuzz fuzz-smoke bench clean
-include $(shell find $(B) -name '*.d' 2>/dev/null)

