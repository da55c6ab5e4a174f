# tests/fuzz/fuzz.mk: fuzz targets (included by the Makefile; see
# tests/fuzz/README.md).
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="query edns"]
#       builds every target with clang -fsanitize=fuzzer,address,undefined
#       into build-fuzz/ and runs each for FUZZ_SECONDS, one at a time,
#       starting from tests/fuzz/corpus/T and tests/fuzz/regressions/T;
#       new inputs go to build-fuzz/corpus/T, crashes to build-fuzz/crash/T.
#   make fuzz-replay (part of `make check`, with SANITIZE=1)
#       links each target with tests/fuzz/replay_main.c using $(CC) and
#       feeds it every committed corpus and regression file once.

FUZZ_ALL      := query edns bgp_msg bgp_session mmdb_record mmdb_meta config zone zone_rfc1035 \
                 geo_cache cmp_input cmp_decision cmp_partial
FUZZ_TARGETS  ?= $(FUZZ_ALL)
FUZZ_SECONDS  ?= 60
FUZZ_CC       ?= clang
FUZZ_BUILD    := build-fuzz
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS   := -std=gnu11 -O1 -g $(WARN) -Werror -pthread -D_GNU_SOURCE \
                 -DSTEERDNS_VERSION='"$(VERSION)"' -I. $(FUZZ_SAN)
FUZZ_LIB_OBJ  := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/tests/fuzz/fuzz_util.o
FUZZ_LIB_HDRS := $(foreach L,$(LAYERS),$(wildcard $(L)/*.h))
FUZZ_HDRS     := $(FUZZ_LIB_HDRS) tests/fuzz/fuzz.h tests/unit/mmdb_same_value.h
FUZZ_RUN_ARGS ?= -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

.PHONY: fuzz fuzz-build fuzz-replay
# Kept between runs (pattern-rule objects would otherwise be deleted).
.SECONDARY: $(FUZZ_LIB_OBJ)

$(FUZZ_BUILD)/%.o: %.c $(FUZZ_LIB_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< $(FUZZ_LIB_OBJ) $(PKG_LIBS) -lm

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

# Debian packages `make fuzz` needs (clang 14 with its libFuzzer runtime).
DEPS_FUZZ     := clang libclang-rt-14-dev

fuzz:
	$(call apt_install,$(DEPS_FUZZ),fuzz)
	$(MAKE) fuzz-build
	@fail=0; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/crash/$$t; \
	  reg=tests/fuzz/regressions/$$t; [ -d $$reg ] || reg=; \
	  echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ_RUN_ARGS) \
	    -artifact_prefix=$(FUZZ_BUILD)/crash/$$t/ $(FUZZ_BUILD)/corpus/$$t \
	    tests/fuzz/corpus/$$t $$reg \
	    > $(FUZZ_BUILD)/fuzz_$$t.log 2>&1 || { fail=1; echo "fuzz_$$t FAILED:"; tail -40 $(FUZZ_BUILD)/fuzz_$$t.log; }; \
	  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' $(FUZZ_BUILD)/fuzz_$$t.log | tr '\n' ' '; echo; \
	done; exit $$fail

# The replay binaries: $(CC) and $(CFLAGS) of this build (ASan + UBSan
# under SANITIZE=1), no clang-only feature.
$(BUILD)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c tests/fuzz/fuzz_util.c $(LIB_OBJ) $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< tests/fuzz/replay_main.c tests/fuzz/fuzz_util.c $(LIB_OBJ) $(LDFLAGS) $(PKG_LIBS) -lm

fuzz-replay: $(FUZZ_ALL:%=$(BUILD)/fuzz/replay_%)
	@fail=0; for t in $(FUZZ_ALL); do \
	  reg=tests/fuzz/regressions/$$t; [ -d $$reg ] || reg=; \
	  $(BUILD)/fuzz/replay_$$t tests/fuzz/corpus/$$t $$reg 2>$(BUILD)/fuzz/replay_$$t.log \
	    || { fail=1; echo "replay_$$t FAILED:"; tail -40 $(BUILD)/fuzz/replay_$$t.log; }; \
	done; exit $$fail

$(FUZZ_BUILD)/tests/fuzz/fuzz_util.o: tests/fuzz/fuzz.h
