#!/usr/bin/python3
"""Runs every stage of vigil's test suite and prints one summary line.

Stages: unit tests (cmocka, counted per test case), the same unit tests under
AddressSanitizer + UndefinedBehaviorSanitizer, a bounded libFuzzer run of the
readers of outside input (scripts/fuzz: 60 s, 10 per target), the daemon and
CLI tests and the namespace-lab cluster tests (pytest, counted per test). Called by scripts/test after scripts/setup has built build/.

Options: --quick skips the sanitizer build and the fuzz run;
         --only STAGE runs one stage (unit, asan, fuzz, daemon, cli, cluster);
         extra arguments after -- go to pytest.
"""
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "build", "test-results")


def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, **kw).returncode


def count_tap(builddir):
    """Counts cmocka cases from meson's test log; a crashed binary counts as failed."""
    passed = failed = 0
    path = os.path.join(ROOT, builddir, "meson-logs", "testlog.json")
    if not os.path.exists(path):
        return 0, 1
    for line in open(path):
        t = json.loads(line)
        out = t.get("stdout") or ""
        ok = len(re.findall(r"^ok \d+", out, re.M))
        bad = len(re.findall(r"^not ok \d+", out, re.M))
        plan = re.search(r"^1\.\.(\d+)", out, re.M)
        planned = int(plan.group(1)) if plan else 0
        if t.get("result") not in ("OK", "EXPECTEDFAIL") and bad == 0:
            bad = max(1, planned - ok)  # crashed or timed out part-way
        passed += ok
        failed += bad
    return passed, failed


def stage_unit(builddir="build"):
    run(["meson", "test", "-C", builddir, "--print-errorlogs", "--num-processes", "2"])
    return count_tap(builddir)


def stage_asan():
    bd = "build-asan"
    if not os.path.exists(os.path.join(ROOT, bd, "build.ninja")):
        if run(["meson", "setup", bd, "--werror", "-Db_sanitize=address,undefined",
                "-Db_lundef=false", "-Dbuildtype=debug"]) != 0:
            return 0, 1
    if run(["ninja", "-C", bd]) != 0:
        return 0, 1
    return stage_unit(bd)


def stage_fuzz():
    env = dict(os.environ, FUZZ_SECONDS=os.environ.get("FUZZ_SECONDS", "60"))
    rc = run([os.path.join(ROOT, "scripts", "fuzz")], env=env)
    return (1, 0) if rc == 0 else (0, 1)


def stage_pytest(path, extra):
    os.makedirs(RESULTS, exist_ok=True)
    xml = os.path.join(RESULTS, os.path.basename(path) + ".xml")
    if os.path.exists(xml):
        os.unlink(xml)
    rc = run(["/usr/bin/python3", "-m", "pytest", "-v", "-p", "no:cacheprovider",
              "--junitxml", xml, path] + extra)
    if not os.path.exists(xml):
        return 0, 1
    suites = ET.parse(xml).getroot()
    suites = [suites] if suites.tag == "testsuite" else list(suites)
    total = sum(int(s.get("tests", 0)) for s in suites)
    bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    if rc != 0 and bad == 0:
        bad = 1
    # A skipped test did not show anything: count it as a failure, not a pass.
    return total - bad - skipped, bad + skipped


def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        i = args.index("--")
        args, extra = args[:i], args[i + 1:]
    quick = "--quick" in args
    only = args[args.index("--only") + 1] if "--only" in args else None
    stages = [
        ("unit", stage_unit),
        ("asan", stage_asan),
        ("fuzz", stage_fuzz),
        ("daemon", lambda: stage_pytest("tests/daemon", extra)),
        ("cli", lambda: stage_pytest("tests/cli", extra)),
        ("cluster", lambda: stage_pytest("tests/cluster", extra)),
    ]
    total_pass = total_fail = 0
    report = []
    for name, fn in stages:
        if only and name != only:
            continue
        if quick and name in ("asan", "fuzz"):
            continue
        t0 = time.monotonic()
        print(f"\n==== stage {name} ====", flush=True)
        p, f = fn()
        report.append(f"  {name:8} {p:4} passed {f:3} failed  ({time.monotonic() - t0:.0f} s)")
        total_pass += p
        total_fail += f
    print("\n==== summary ====")
    print("\n".join(report))
    print(f"{total_pass} passed, {total_fail} failed")
    return 1 if total_fail or total_pass == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
