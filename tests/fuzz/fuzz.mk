# Fuzz targets, included by tests/tests.mk.
#
# make fuzz           each libFuzzer target for FUZZ_SECONDS (clang; build-fuzz/)
# make test           replays every corpus file through its target (no clang
#                     needed): build/tests/unit_replay_<target>
FUZZ_TARGETS := netconf cniargs facts state render publish
FUZZ_SECONDS ?= 60
FUZZ_REPLAYS := $(FUZZ_TARGETS:%=$(BUILD)/tests/unit_replay_%)
FUZZ_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

$(BUILD)/tests/unit_replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(BUILD)/libjobnet.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -DCORPUS_DIR=\"$(abspath tests/fuzz/corpus/$*)\" -o $@ \
		tests/fuzz/fuzz_$*.c tests/fuzz/replay.c $(BUILD)/libjobnet.a $(ALL_LDFLAGS) $(PKG_LIBS)

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h FORCE_FUZZ_LIB
	$(Q)clang $(CFLAGS) -std=gnu11 -I. -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -fsanitize=fuzzer \
		$(FUZZ_SANITIZE) $(PKG_CFLAGS) -o $@ $< build-fuzz/libjobnet.a $(PKG_LIBS)

FORCE_FUZZ_LIB:
	$(Q)$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang CFLAGS="-O1 -g" \
		SANITIZE="-fsanitize=fuzzer-no-link $(FUZZ_SANITIZE)" build-fuzz/libjobnet.a

.PHONY: FORCE_FUZZ_LIB fuzz-build

fuzz-build: deps
	$(Q)command -v clang >/dev/null || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang)
	$(Q)$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=build-fuzz/fuzz_%)

# New inputs that reach new code are written into the corpus directory;
# keep the ones worth keeping (findings always) and commit them.
fuzz: fuzz-build
	$(Q)for t in $(FUZZ_TARGETS); do \
		echo "fuzzing $$t for $(FUZZ_SECONDS)s"; \
		mkdir -p build-fuzz/new/$$t; \
		build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix=build-fuzz/crash-$$t- \
			build-fuzz/new/$$t tests/fuzz/corpus/$$t 2>build-fuzz/$$t.log || \
			{ tail -60 build-fuzz/$$t.log; echo "fuzz_$$t found a problem: see build-fuzz/crash-$$t-*"; exit 1; }; \
		grep -E "^stat::(number_of_executed_units|new_units_added)" build-fuzz/$$t.log; \
	done
