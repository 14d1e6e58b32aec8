# Test targets, included by the Makefile.
include tests/fuzz/fuzz.mk

UNIT_SRCS := $(wildcard tests/unit/unit_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
export ASAN_OPTIONS ?= detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1

.PHONY: test unit check-asan

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libjobnet-cni.a $(BUILD)/libjobnet.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(BUILD)/libjobnet-cni.a $(BUILD)/libjobnet.a \
		$(ALL_LDFLAGS) $(PKG_LIBS) -lcmocka

unit: $(UNIT_BINS) $(FUZZ_REPLAYS)

# The README's test command: installs what is missing, builds, runs it all.
test: deps
	$(Q)$(MAKE) --no-print-directory binaries unit check-layers
	$(Q)python3 tests/run.py --plugin $(abspath $(BUILD)/jobnet) --ctl $(abspath $(BUILD)/jobnetctl) $(TESTFLAGS)

# The same suite with both binaries built under ASan + UBSan (leaks too).
check-asan: deps
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan SANITIZE="$(ASAN_FLAGS)" CFLAGS="-O1 -g" binaries unit
	$(Q)python3 tests/run.py --plugin $(abspath build-asan/jobnet) --ctl $(abspath build-asan/jobnetctl) $(TESTFLAGS)

.PHONY: demo
# The README's first command: the plugin at work in a throwaway namespace.
demo: deps
	$(Q)$(MAKE) --no-print-directory binaries
	$(Q)BUILD=$(abspath $(BUILD)) python3 tests/demo.py

.PHONY: test-runtime
# Real runtimes drive the plugin (tests/runtime/*_test.py: podman's CNI
# backend, containerd's ctr and its CRI plugin, Docker through jobnetctl
# attach), each in namespaces and directories of its own; each installs what
# it needs. Not part of make test; .ci/run runs it after make test.
RUNTIME_TESTS := $(sort $(wildcard tests/runtime/*_test.py))
test-runtime: deps
	$(Q)$(MAKE) --no-print-directory binaries
	$(Q)failed=""; for t in $(RUNTIME_TESTS); do \
		echo "== $$t"; \
		BUILD=$(abspath $(BUILD)) python3 $$t || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "runtime tests failed:$$failed"; exit 1; fi; \
	echo "runtime tests: all passed"

.PHONY: bench
# jobnet beside the reference plugins (tests/bench/bench.py); not part of
# make test. Installs iperf3 and iptables when missing.
$(BUILD)/tests/connrate: tests/bench/connrate.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<

$(BUILD)/tests/spawnstat: tests/bench/spawnstat.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $<

bench: deps
	$(Q)$(MAKE) --no-print-directory binaries
	$(Q)$(MAKE) --no-print-directory $(BUILD)/tests/connrate $(BUILD)/tests/spawnstat
	$(Q)BUILD=$(abspath $(BUILD)) python3 tests/bench/bench.py
