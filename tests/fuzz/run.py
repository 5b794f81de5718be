#!/usr/bin/env python3
"""Runs every fuzz target in tests/fuzz for a bounded time, as CI does (`./dev test`).

Builds the targets with clang's libFuzzer under AddressSanitizer + UndefinedBehaviorSanitizer
in build-fuzz/ (meson -Dfuzzing=true), then runs each one on a scratch copy of its corpus
(tests/fuzz/corpus/<name>/ is read, never written) with UBSan fatal and leaks checked. A
crash, a leak, a sanitizer report or a broken property fails the run: the reproducer is
kept under build-fuzz/findings/ and named in the output; copy it into the target's corpus
once fixed, so that the unit tests replay it from then on. Prints the executions per target.

  tests/fuzz/run.py                    # every target, MLTRACK_FUZZ_SECONDS each (default 15)
  tests/fuzz/run.py --seconds 60 names jw
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FUZZ = os.path.join(ROOT, "tests", "fuzz")


def targets():
    return sorted(f[len("fuzz_"):-2] for f in os.listdir(FUZZ)
                  if f.startswith("fuzz_") and f.endswith(".c"))


def setup(build):
    if not os.path.exists(os.path.join(build, "build.ninja")):
        env = dict(os.environ, CC="clang")
        subprocess.run(["meson", "setup", build, "--buildtype=debugoptimized",
                        "-Dfuzzing=true", "-Db_sanitize=address,undefined", "-Db_lundef=false"],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int,
                    default=int(os.environ.get("MLTRACK_FUZZ_SECONDS", "15")))
    ap.add_argument("--build", default=os.path.join(ROOT, "build-fuzz"))
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    names = args.names or targets()
    unknown = set(names) - set(targets())
    if unknown:
        ap.error("no such target: %s" % ", ".join(sorted(unknown)))

    setup(args.build)
    b = subprocess.run(["ninja", "-C", args.build] + ["tests/fuzz/fuzz_" + n for n in names],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if b.returncode != 0:
        print(b.stdout[-6000:])
        print("== the fuzz build (%s) failed" % args.build)
        return 1
    findings = os.path.join(args.build, "findings")
    os.makedirs(findings, exist_ok=True)
    env = dict(os.environ,
               ASAN_OPTIONS="detect_leaks=1:abort_on_error=1",
               UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    failed, rows = [], []
    for n in names:
        seeds = os.path.join(FUZZ, "corpus", n)
        with tempfile.TemporaryDirectory(prefix="fuzz-%s-" % n) as scratch:
            cmd = [os.path.join(args.build, "tests", "fuzz", "fuzz_" + n),
                   "-max_total_time=%d" % args.seconds, "-timeout=10", "-rss_limit_mb=2048",
                   "-print_final_stats=1", "-artifact_prefix=%s/%s-" % (findings, n),
                   scratch, seeds]
            t0 = time.monotonic()
            p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, errors="replace")
            took = time.monotonic() - t0
            new = len(os.listdir(scratch))
        stats = dict(re.findall(r"stat::(\w+):\s+(\d+)", p.stdout))
        execs = int(stats.get("number_of_executed_units", 0))
        rows.append((n, execs, execs / took if took else 0.0, new, p.returncode))
        if p.returncode != 0:
            failed.append(n)
            print("== fuzz_%s FAILED (exit %d):" % (n, p.returncode))
            print("\n".join(p.stdout.splitlines()[-60:]))
    print("%-12s %12s %10s %8s" % ("target", "executions", "exec/s", "new"))
    for n, execs, rate, new, rc in rows:
        print("%-12s %12d %10.0f %8d%s" % (n, execs, rate, new, "  FAILED" if rc else ""))
    print("total: %d executions in %d targets, %d s each" %
          (sum(r[1] for r in rows), len(rows), args.seconds))
    if failed:
        print("reproducers in %s" % findings)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
