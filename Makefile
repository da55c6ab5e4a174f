# steerdns: plain GNU Makefile. `make` builds, `make check` runs every test,
# `make run` serves config/example.yaml, `make deps` installs Debian packages.

PREFIX  ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system
MANDIR  ?= $(PREFIX)/share/man
SANITIZE ?= 0
VERSION := 0.1.0

PKGS    := libevent libevent_pthreads yaml-0.1 libmaxminddb jansson libzscanner libknot libdnssec libsystemd libfstrm
CC      ?= cc
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
OPT     ?= -O2 -g
CFLAGS  ?=
CFLAGS  += -std=gnu11 $(OPT) $(WARN) -pthread -D_GNU_SOURCE -DSTEERDNS_VERSION='"$(VERSION)"' -I.
# Warnings are errors by default; WERROR=0 only to try a newer compiler.
WERROR  ?= 1
ifeq ($(WERROR),1)
CFLAGS  += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

BUILD   := build$(if $(filter 1,$(SANITIZE)),-san,)

# Layers (README "Architecture"), each built into one static archive. A
# layer links only against the layers listed after it in USES_<layer>
# (itself first; tests/check_layers.sh checks includes and symbols against
# the same rule): common/ is the bottom, geodns/, anycast/ and steer/ sit
# on it side by side, server/ wires them, compare/ is a command beside main.c.
LAYERS       := common geodns anycast steer server compare
USES_common  := common
USES_geodns  := geodns common
USES_anycast := anycast common
USES_steer   := steer common
USES_server  := server steer geodns anycast common
USES_compare := compare server steer geodns anycast common
layer_lib  = $(BUILD)/lib$(1).a
layer_libs = $(foreach L,$(USES_$(1)),$(call layer_lib,$(L)))
LIB_SRC := $(sort $(foreach L,$(LAYERS),$(wildcard $(L)/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_A   := $(foreach L,$(LAYERS),$(call layer_lib,$(L)))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# The layer of each unit test (default common): it links that layer's
# archives and those below only, so a common/ test proves common/ needs
# nothing above it.
TESTS_geodns  := test_geodb test_mmdb_record test_mmdb_record_dbs test_geotree test_geotree_tables \
                 test_geotree_ops test_steer_private test_distance test_geo_cache \
                 test_geo_nearest
TESTS_anycast := test_bgp_msg test_bgp_session test_announcer test_query_edns
TESTS_steer   := test_ab
TESTS_server  := test_config test_geo_config test_anycast_config test_steer_method test_conf_schema
TESTS_compare := test_compare test_probe_dns test_cmp_untrusted
# Extra libraries of a unit test: test_dnssec_keys checks our signatures
# with OpenSSL's libcrypto, a second implementation beside libdnssec's GnuTLS.
TEST_LIBS_test_dnssec_keys = $(shell pkg-config --libs libcrypto 2>/dev/null)
test_layer = $(or $(firstword $(foreach L,$(LAYERS),$(if $(filter $(1),$(TESTS_$(L))),$(L)))),common)

# Debian packages needed to build (first line) and to test (second line).
DEPS_BUILD := build-essential pkg-config libevent-dev libyaml-dev libmaxminddb-dev check libjansson-dev libknot-dev libssl-dev libsystemd-dev libfstrm-dev
DEPS_TEST  := python3 bind9-dnsutils knot-dnsutils knot iproute2 procps libmaxmind-db-writer-perl gdnsd libxml2-utils chromium bird2 gobgpd unbound clickhouse-server pdns-recursor prometheus fstrm-bin dnstap-ldns protobuf-compiler
# Debian packages for `make bench` (peers, dnsperf, npm for the GeoIP DBs, perf/valgrind to profile).
DEPS_BENCH := dnsperf gdnsd knot knot-module-geoip nsd npm util-linux linux-perf valgrind

.PHONY: all check unit integration run deps deps-run install clean help

all: steerdns

steerdns: $(BUILD)/steerdns
	cp $< $@

# main.c is the top: it links every layer.
$(BUILD)/steerdns: $(BUILD)/main.o $(call layer_libs,compare)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(BUILD)/%.o: %.c $(foreach L,$(LAYERS),$(wildcard $(L)/*.h))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

# lib<layer>.a from the objects of that folder.
$(foreach L,$(LAYERS),$(eval $(call layer_lib,$(L)): $(filter $(BUILD)/$(L)/%,$(LIB_OBJ))))
$(LIB_A):
	@rm -f $@
	$(AR) rcs $@ $^

.SECONDEXPANSION:
$(BUILD)/tests/test_%: tests/unit/test_%.c $$(call layer_libs,$$(call test_layer,test_$$*)) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -o $@ $< $(call layer_libs,$(call test_layer,test_$*)) $(LDFLAGS) $(PKG_LIBS) $(TEST_LIBS_test_$*) $(CHECK_LIBS) -lm

# layers: the include rule at once, then the symbol rule on the built archives.
.PHONY: layers
LAYER_RULES = $(foreach L,$(LAYERS),$(L):$(subst $(eval) ,$(comma),$(USES_$(L))))
comma := ,
layers:
	sh tests/check_layers.sh "$(LAYER_RULES)"
	$(MAKE) $(LIB_A)
	sh tests/check_layers.sh "$(LAYER_RULES)" $(BUILD)

# $(call apt_install,PACKAGES,WHAT): install whichever of PACKAGES is missing
# (apt-get as root, else print the command and fail). A package whose command
# is already on PATH (e.g. npm from a nodejs build) counts as installed.
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg -s $$p >/dev/null 2>&1 || command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "$(2): all installed"; \
	elif [ "$$(id -u)" = 0 ]; then echo "$(2): installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	else echo "$(2): missing$$missing; run as root: apt-get install$$missing"; exit 1; fi
endef

# deps: everything to build and test; deps-run: enough to build and try with dig.
deps:
	$(call apt_install,$(DEPS_BUILD) $(DEPS_TEST),deps)

deps-run:
	$(call apt_install,$(DEPS_BUILD) bind9-dnsutils,deps)

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do CK_FORK=yes $$t || fail=1; done; exit $$fail

integration: $(BUILD)/steerdns
	python3 tests/integration/run_all.py ./$(BUILD)/steerdns

# check: the layering first (tests/check_layers.sh), then (warnings are
# errors) every unit suite and the integration suite (the
# real binary against dig/kdig/Knot), once as built and once under ASan+UBSan,
# so a memory error or leak that a malformed packet provokes fails the run;
# under ASan it also replays every fuzz corpus and regression (tests/fuzz).
check: deps
	$(MAKE) layers
	$(MAKE) steerdns unit
	$(MAKE) integration
	$(MAKE) SANITIZE=1 unit
	$(MAKE) SANITIZE=1 fuzz-replay
	$(MAKE) SANITIZE=1 integration

# readme-schema: rewrite the README's configuration reference from the
# schema (`steerdns checkconf --schema-markdown`); test_schema checks it.
.PHONY: readme-schema
readme-schema: steerdns
	python3 tests/integration/test_schema.py --write-readme ./steerdns

run: deps-run steerdns
	@echo "serving config/run.yaml on 127.0.0.1:5353: GeoDNS on MaxMind's test DB (tests/data/mmdb),"
	@echo "PoPs lon, iad, sin, syd (Ctrl-C to stop). Each client subnet gets its nearest PoP and a scope:"
	@echo "  dig @127.0.0.1 -p 5353 www.geo.example.test +subnet=81.2.69.160/27     # GB: lon 192.0.2.1"
	@echo "  dig @127.0.0.1 -p 5353 www.geo.example.test +subnet=216.160.83.56/29   # US: iad 192.0.2.3"
	@echo "  dig @127.0.0.1 -p 5353 www.geo.example.test +subnet=67.43.156.0/24     # BT: sin 192.0.2.4"
	@echo "  dig @127.0.0.1 -p 5353 www.geo.example.test +subnet=214.0.1.0/24       # AU: syd 192.0.2.5"
	@echo "  dig @127.0.0.1 -p 5353 www.example.test A; dig @127.0.0.1 -p 5353 id.server CH TXT"
	@echo "and watch it:"
	@echo "  curl -s http://127.0.0.1:9153/metrics | grep steerdns_steered"
	@echo "  ./steerdns ctl -c config/run.yaml status; ./steerdns ctl -c config/run.yaml pop lon down"
	./steerdns serve -c config/run.yaml

# install: binary, example config (never overwriting an existing one), unit
# and man pages steerdns(8), steerdns.yaml(5).
install: steerdns
	install -D -m 0755 steerdns $(DESTDIR)$(PREFIX)/sbin/steerdns
	install -d $(DESTDIR)$(PREFIX)/share/steerdns/zones
	install -m 0644 $(filter-out config/run.yaml,$(wildcard config/*.yaml)) $(DESTDIR)$(PREFIX)/share/steerdns/
	install -m 0644 config/zones/*.yaml $(DESTDIR)$(PREFIX)/share/steerdns/zones/
	test -e $(DESTDIR)$(SYSCONFDIR)/steerdns/steerdns.yaml || { \
	  install -D -m 0644 config/example.yaml $(DESTDIR)$(SYSCONFDIR)/steerdns/steerdns.yaml && \
	  install -D -m 0644 config/zones/example.test.yaml $(DESTDIR)$(SYSCONFDIR)/steerdns/zones/example.test.yaml; }
	@mkdir -p $(BUILD)
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|/etc/steerdns|$(SYSCONFDIR)/steerdns|g' config/steerdns.service.in > $(BUILD)/steerdns.service
	install -D -m 0644 $(BUILD)/steerdns.service $(DESTDIR)$(UNITDIR)/steerdns.service
	install -D -m 0644 man/steerdns.8 $(DESTDIR)$(MANDIR)/man8/steerdns.8
	install -D -m 0644 man/steerdns.yaml.5 $(DESTDIR)$(MANDIR)/man5/steerdns.yaml.5

clean:
	rm -rf build build-san build-fuzz steerdns

# lab: the steering lab (tests/lab/, root): namespaces, BIRD routers, PoPs,
# GeoDNS, unbound resolvers; accuracy and failover tables, HTML report in build/lab.
.PHONY: lab
lab: deps steerdns
	python3 tests/lab/lab.py --full

# bench: steerdns against gdnsd, Knot DNS and NSD (tests/bench/README.md).
# Installs what it needs (a package whose command is already on PATH, e.g. npm
# from a nodejs build, counts as installed), builds steerdns -O2 and the bench tools, fetches the
# GeoIP DBs with `npm pack` into .cache/bench. BENCH_ARGS=--quick for short runs.
.PHONY: bench bench-tools
bench:
	$(call apt_install,$(DEPS_BUILD) $(DEPS_BENCH),bench)
	$(MAKE) SANITIZE=0 build/steerdns bench-tools
	python3 tests/bench/run.py --steerdns build/steerdns $(BENCH_ARGS)
bench-tools: build/bench/loadgen build/bench/mmdb_nets
build/bench/loadgen: tests/bench/loadgen.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 $(WARN) -Werror -D_GNU_SOURCE -o $@ $< -lm
build/bench/mmdb_nets: tests/bench/mmdb_nets.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 $(WARN) -Werror -D_GNU_SOURCE $(shell pkg-config --cflags libmaxminddb) -o $@ $< $(shell pkg-config --libs libmaxminddb)

# ---- fuzzing: `make fuzz`, `make fuzz-replay` (tests/fuzz/fuzz.mk) ----
include tests/fuzz/fuzz.mk
