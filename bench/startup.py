#!/usr/bin/env python3
"""Startup cost of a sandboxed command, as medians and ratios measured in
one run (never compared with numbers from another machine or run).

usage: bench/startup.py [PATH/TO/greywall] [--runs N]

Each case is run N times (after 3 warm-ups) from a fresh fork+exec, in a
scratch workspace; the median wall time is reported with its ratio to the
baseline of the same run.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def median_ms(argv, runs, cwd):
    for _ in range(3):
        subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, check=True)
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, check=True)
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def main():
    args = sys.argv[1:]
    runs = 50
    if "--runs" in args:
        i = args.index("--runs")
        runs = int(args[i + 1])
        del args[i:i + 2]
    gw = os.path.abspath(args[0] if args else "build/greywall")
    true = shutil.which("true")
    ws = tempfile.mkdtemp(prefix="gw-bench-")
    try:
        subprocess.run(["git", "init", "-q", ws], check=False)
        cases = [("plain true", [true])]
        bwrap = shutil.which("bwrap")
        if bwrap:
            cases.append(("bwrap --ro-bind / / true", [bwrap, "--ro-bind", "/", "/", true]))
        cases.append(("greywall --no-bwrap -- true", [gw, "--no-bwrap", "--", true]))
        cases.append(("git status (plain)", ["git", "status", "--short"]))
        cases.append(("greywall --no-bwrap -- git status", [gw, "--no-bwrap", "--", "git", "status", "--short"]))
        results = {name: median_ms(argv, runs, ws) for name, argv in cases}
    finally:
        shutil.rmtree(ws)
    base = results["plain true"]
    print(f"{'case':40} {'median ms':>10} {'x plain':>8}")
    for name, ms in results.items():
        print(f"{name:40} {ms:10.2f} {ms / base:8.2f}")
    ratio = results["greywall --no-bwrap -- true"] / base
    git_ratio = results["greywall --no-bwrap -- git status"] / results["git status (plain)"]
    print(f"\n--no-bwrap startup: {ratio:.2f}x plain true (target <= 3x)")
    print(f"--no-bwrap git status: {git_ratio:.2f}x plain git status")


if __name__ == "__main__":
    main()
