# jobnet: a CNI plugin that fences jobs off from each other and the host.
#
#   make             build build/jobnet and build/jobnetctl (installs nothing)
#   make deps        install the Debian packages the build and the tests need
#   make test        deps, build, the whole suite (ends "N passed, N failed")
#   make demo        deps, build, the plugin at work in a throwaway namespace
#   make check-asan  the suite under AddressSanitizer + UBSan (leaks included)
#   make lint        clang-format, cppcheck and check-layers
#   make fuzz        each libFuzzer target for FUZZ_SECONDS (installs clang)
#   make bench       jobnet beside the reference CNI plugins (not in make test)
#   make test-runtime  podman, containerd (ctr, CRI) and Docker on jobnet (not in make test; CI runs it)
#   make install     PREFIX=/usr/local DESTDIR= [INSTALL_SYSTEMD=1] (CNI_BIN_DIR, CNI_CONF_DIR,
#                    SYSTEMD_UNIT_DIR, DOC_DIR); make uninstall
#   make unit        the unit tests and corpus replays only; make format fixes the formatting
#   make clean       removes BUILD (build/), build-asan/ and build-fuzz/
#   V=1              show the commands
#
# Layers, lowest first; a folder includes only its own headers and those of
# lower layers (make check-layers):
#   base/ < kernel/ < relay/, netpolicy/ < core/ < cni/, ctl/

PREFIX ?= /usr/local
DESTDIR ?=
CNI_BIN_DIR ?= /opt/cni/bin
CNI_CONF_DIR ?= /etc/cni/net.d
SYSTEMD_UNIT_DIR ?= /etc/systemd/system
DOC_DIR ?= $(PREFIX)/share/doc/jobnet
INSTALL_SYSTEMD ?=
PKG_CONFIG ?= pkg-config
CC ?= cc
BUILD ?= build
SANITIZE ?=
JOBNET_VERSION ?= 0.1.0

PKGS := libnl-3.0 libnl-route-3.0 libmnl libnftables jansson
DEBIAN_PACKAGES := build-essential pkg-config libnl-3-dev libnl-route-3-dev libmnl-dev \
	libnftables-dev libjansson-dev libcmocka-dev nftables iproute2 conntrack socat \
	iputils-ping python3 python3-yaml containernetworking-plugins

# CFLAGS and LDFLAGS are the caller's (optimisation, hardening); the flags
# jobnet needs are added to them, so `make CFLAGS=-O0` keeps -Werror.
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -MMD -MP -pthread -D_GNU_SOURCE -I. \
	-DJOBNET_VERSION=\"$(JOBNET_VERSION)\" $(SANITIZE)
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# libnftables is loaded when first needed (dlopen, netpolicy/nftrun.c), not
# linked: most runs never need it, and loading it would nearly double the
# start-up of every run (docs/design.md, Build).
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(filter-out libnftables,$(PKGS)) 2>/dev/null)
ALL_LDFLAGS = $(LDFLAGS) -pthread $(SANITIZE)

ifeq ($(V),1)
Q :=
else
Q := @
endif

LAYERS := base kernel relay netpolicy core
SOURCE_DIRS := $(LAYERS) cni ctl
LIB_SRCS := $(foreach d,$(LAYERS),$(wildcard $(d)/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/netpolicy/templates.o
PLUGIN_SRCS := $(wildcard cni/*.c)
PLUGIN_OBJS := $(PLUGIN_SRCS:%.c=$(BUILD)/%.o)
CTL_SRCS := $(wildcard ctl/*.c)
CTL_OBJS := $(CTL_SRCS:%.c=$(BUILD)/%.o)
TEMPLATES := $(wildcard nft-templates/*.nft)
C_FILES = $(foreach d,$(SOURCE_DIRS),$(wildcard $(d)/*.[ch])) tests/unit/*.[ch] tests/fuzz/*.[ch]

.PHONY: all binaries deps test unit check-asan demo install uninstall clean format lint \
	check-layers fuzz bench test-runtime

all: binaries

binaries: $(BUILD)/jobnet $(BUILD)/jobnetctl

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

# The templates are embedded with .incbin; rebuild when any of them changes.
$(BUILD)/netpolicy/templates.o: netpolicy/templates.S $(TEMPLATES)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) -c -o $@ $<

# What both binaries link: every layer below cni/ and ctl/.
$(BUILD)/libjobnet.a: $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# The plugin's own files without main(), for the unit tests of cni/.
$(BUILD)/libjobnet-cni.a: $(filter-out $(BUILD)/cni/main.o,$(PLUGIN_OBJS))
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/jobnet: $(PLUGIN_OBJS) $(BUILD)/libjobnet.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/jobnetctl: $(CTL_OBJS) $(BUILD)/libjobnet.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Installs the Debian packages the build and the tests need, when missing.
deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

include tests/tests.mk

install: binaries
	install -D -m 0755 $(BUILD)/jobnet $(DESTDIR)$(CNI_BIN_DIR)/jobnet
	install -D -m 0755 $(BUILD)/jobnetctl $(DESTDIR)$(PREFIX)/sbin/jobnetctl
	@if [ -e $(DESTDIR)$(CNI_CONF_DIR)/10-jobnet.conflist ]; then \
		echo "keeping existing $(DESTDIR)$(CNI_CONF_DIR)/10-jobnet.conflist"; \
	else \
		install -D -m 0644 conf/10-jobnet.conflist $(DESTDIR)$(CNI_CONF_DIR)/10-jobnet.conflist; \
	fi
	@for f in README.md docs/design.md docs/performance.md netpolicy/README.md tests/README.md; do \
		install -D -m 0644 $$f $(DESTDIR)$(DOC_DIR)/$$f || exit 1; \
	done
	@if [ -n "$(INSTALL_SYSTEMD)" ]; then \
		sed -e 's|/usr/local/sbin/jobnetctl|$(PREFIX)/sbin/jobnetctl|' \
			-e 's|/usr/local/share/doc/jobnet|$(DOC_DIR)|' conf/systemd/jobnet-repair.service | \
			install -D -m 0644 /dev/stdin $(DESTDIR)$(SYSTEMD_UNIT_DIR)/jobnet-repair.service; \
		echo "installed $(DESTDIR)$(SYSTEMD_UNIT_DIR)/jobnet-repair.service (systemctl enable jobnet-repair)"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(CNI_BIN_DIR)/jobnet $(DESTDIR)$(PREFIX)/sbin/jobnetctl \
		$(DESTDIR)$(SYSTEMD_UNIT_DIR)/jobnet-repair.service
	rm -rf $(DESTDIR)$(DOC_DIR)

# BUILD is the caller's; the sanitizer and fuzz trees are always ours.
clean:
	rm -rf $(BUILD) build-asan build-fuzz

format:
	clang-format -i $(C_FILES)

check-layers:
	$(Q)sh tests/check-layers.sh $(SOURCE_DIRS)

lint: check-layers
	@$(if $(Q),echo "  FORMAT  (clang-format --dry-run)")
	$(Q)clang-format --dry-run --Werror $(C_FILES)
	@$(if $(Q),echo "  CPPCHECK")
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		--suppress=missingIncludeSystem -D_GNU_SOURCE -I. $(SOURCE_DIRS)

-include $(LIB_OBJS:.o=.d) $(PLUGIN_OBJS:.o=.d) $(CTL_OBJS:.o=.d)
