#!/usr/bin/env python3
"""jobnet's test runner: unit tests (cmocka binaries) then integration tests
on the real kernel. Ends with the line "N passed, N failed".

  tests/run.py --plugin build/jobnet --ctl build/jobnetctl [-k PATTERN] [--unit-dir DIR]

The machine's own namespace and ruleset are compared before and after: a
test that touched them fails the run.
"""

import argparse
import glob
import importlib.util
import os
import re
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))

import jn  # noqa: E402


def host_fingerprint():
    """What the tests must never change in the runner's own namespace: its
    links and its ruleset (its addresses and processes move by themselves)."""
    return jn.fingerprint(None, parts=("links", "rules", "elements"))


def leftover_namespaces():
    if not os.path.isdir(jn.NETNS_DIR):
        return []
    return [n for n in os.listdir(jn.NETNS_DIR) if n.startswith(jn.PREFIX + jn._run_id)]


def run_unit(unit_dir, pattern):
    passed = failed = 0
    for binary in sorted(b for b in glob.glob(os.path.join(unit_dir, "unit_*")) if "." not in os.path.basename(b)):
        name = os.path.basename(binary)
        if pattern and not re.search(pattern, name):
            continue
        proc = subprocess.run([binary], capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, CMOCKA_MESSAGE_OUTPUT="stdout"))
        out = proc.stdout + proc.stderr
        ok = [int(n) for n in re.findall(r"\[  PASSED  \] (\d+) test", out)]
        bad = [int(n) for n in re.findall(r"\[  FAILED  \] (\d+) test", out)]
        p, f = sum(ok), sum(bad)
        if proc.returncode != 0 and f == 0:
            f = 1
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if marker in out:
                f += 1
        passed += p
        failed += f
        print("%-4s unit %s: %d passed, %d failed" % ("ok" if f == 0 else "FAIL", name, p, f), flush=True)
        if f:
            print("\n".join("     " + l for l in out.splitlines() if "FAIL" in l or "ERROR" in l or
                            "runtime error" in l or "Sanitizer" in l)[:4000])
    return passed, failed


def load_modules(pattern):
    tests = []
    for path in sorted(glob.glob(os.path.join(HERE, "integration", "test_*.py"))):
        jn.TESTS.clear()
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for fn in list(jn.TESTS):
            full = "%s.%s" % (name, fn.__name__)
            if not pattern or re.search(pattern, full):
                tests.append((full, fn))
    return tests


def run_one(full, fn, plugin, options):
    before_relays = jn.relays()
    env = jn.Env(plugin, options)
    start = time.time()
    error = None
    try:
        fn(env)
    except jn.TestFailure as e:
        error = str(e)
    except Exception:
        error = traceback.format_exc()
    finally:
        problems = env.close()
    leftover = leftover_namespaces()
    if leftover and error is None:
        error = "namespaces left behind: %s" % leftover
    for ns in leftover:
        jn.sh("ip", "netns", "del", ns, check=False)
    if problems and error is None:
        error = "cleanup failed: %s" % problems
    # A relay killed a moment ago may still be exiting (slowly under ASan):
    # what is alive two seconds later was left behind.
    jn.wait_for(lambda: not (jn.relays() - before_relays), timeout=2.0)
    left = jn.relays() - before_relays
    if left and error is None:
        error = "relay processes left behind: %s" % sorted(left)
    took = time.time() - start
    if error is None:
        print("ok   %s (%.1fs)" % (full, took), flush=True)
        return True
    print("FAIL %s (%.1fs)\n     %s" % (full, took, error.replace("\n", "\n     ")), flush=True)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--unit-dir", default=None)
    ap.add_argument("-k", dest="pattern", default=None, help="run only tests whose name matches")
    ap.add_argument("--no-unit", action="store_true")
    ap.add_argument("--no-integration", action="store_true")
    options = ap.parse_args()

    if os.geteuid() != 0:
        print("the tests need root (they make namespaces); 0 passed, 1 failed")
        return 1
    plugin = jn.Plugin(os.path.abspath(options.plugin), os.path.abspath(options.ctl))
    before = host_fingerprint()
    passed = failed = 0
    started = time.time()
    if not options.no_unit:
        unit_dir = options.unit_dir or os.path.join(os.path.dirname(os.path.abspath(options.plugin)), "tests")
        p, f = run_unit(unit_dir, options.pattern)
        passed += p
        failed += f
    if not options.no_integration:
        for full, fn in load_modules(options.pattern):
            if run_one(full, fn, plugin, options):
                passed += 1
            else:
                failed += 1
    after = host_fingerprint()
    if before != after:
        print("FAIL the machine's own namespace changed during the run:\n     %s" %
              "\n     ".join(jn.differences(before, after)))
        failed += 1
    print("suite took %.0fs" % (time.time() - started))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
