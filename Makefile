# jobnet: a CNI plugin that fences jobs off from each other and the host.
#
#   make            build build/jobnet and build/jobnetctl
#   make test       install what is missing, build, run the whole suite
#   make demo       install what is missing, build, show the plugin at work
#   make check-asan the suite under AddressSanitizer + UBSan (leaks included)
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (installs clang)
#   make bench      jobnet beside the reference CNI plugins (not in make test)
#   make install    PREFIX=/usr/local DESTDIR=
#   V=1             show the commands

PREFIX ?= /usr/local
DESTDIR ?=
CNI_BIN_DIR ?= /opt/cni/bin
CNI_CONF_DIR ?= /etc/cni/net.d
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
ALL_CFLAGS = $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -MMD -MP -pthread -D_GNU_SOURCE \
	-DJOBNET_VERSION=\"$(JOBNET_VERSION)\" $(SANITIZE)
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
# libnftables is loaded when first needed (dlopen, netpolicy/nftrun.c), not
# linked: most runs never need it, and loading it costs each run 0.5 ms.
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(filter-out libnftables,$(PKGS)) 2>/dev/null)
ALL_LDFLAGS = $(LDFLAGS) -pthread $(SANITIZE)

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRCS := $(filter-out cni/main.c,$(wildcard cni/*.c)) $(wildcard netpolicy/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/netpolicy/templates.o
PLUGIN_OBJS := $(BUILD)/cni/main.o
CTL_SRCS := $(wildcard ctl/*.c)
CTL_OBJS := $(CTL_SRCS:%.c=$(BUILD)/%.o)
TEMPLATES := $(wildcard nft-templates/*.nft)

.PHONY: all binaries deps test unit integration check-asan demo install uninstall clean format lint \
	fuzz bench test-runtime

all: deps
	$(Q)$(MAKE) --no-print-directory binaries

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

$(BUILD)/libjobnet.a: $(LIB_OBJS)
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

uninstall:
	rm -f $(DESTDIR)$(CNI_BIN_DIR)/jobnet $(DESTDIR)$(PREFIX)/sbin/jobnetctl

clean:
	rm -rf build build-asan build-fuzz

format:
	clang-format -i cni/*.[ch] ctl/*.[ch] netpolicy/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c

lint:
	clang-format --dry-run --Werror cni/*.[ch] ctl/*.[ch] netpolicy/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		--suppress=missingIncludeSystem -D_GNU_SOURCE cni ctl netpolicy

-include $(LIB_OBJS:.o=.d) $(PLUGIN_OBJS:.o=.d) $(CTL_OBJS:.o=.d)
