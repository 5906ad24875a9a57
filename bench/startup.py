#!/usr/bin/env python3
"""Startup cost of a sandboxed command, as medians and ratios measured in
one run (never compared with numbers from another machine or run).

usage: bench/startup.py [PATH/TO/greywall] [--runs N] [--json FILE]
                        [--repo DIR]

Every case runs N times, after 3 warm-ups, round-robin with the other
cases so that a burst of background load hits them all alike.  Each run is
a posix_spawn + waitpid timed from the parent, with stdin and stdout on
/dev/null.  A case whose warm-up fails is reported as "unavailable" with
the first line of its stderr, and the run goes on (the namespace mode may
not exist yet in this build).

The workloads run in a scratch directory: a clone of a real small git
repository (--repo, default the repository this script lives in) and a
one-function C file compiled into a subdirectory (greywall pins the
working directory itself, so the object cannot go straight into it).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BWRAP_ONLY = ["--unshare-all", "--die-with-parent", "--new-session",
              "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
              "--tmpfs", "/tmp"]
WARMUPS = 3


def usage():
    sys.exit(__doc__.split("\n\n")[1])


def parse_args(args):
    opts = {"runs": 50, "json": None, "repo": None, "greywall": None}
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--runs", "--json", "--repo"):
            if i + 1 >= len(args):
                usage()
            opts[a[2:]] = args[i + 1]
            i += 2
        elif a in ("-h", "--help") or a.startswith("-"):
            usage()
        elif opts["greywall"] is None:
            opts["greywall"] = a
            i += 1
        else:
            usage()
    opts["runs"] = int(opts["runs"])
    opts["greywall"] = os.path.abspath(opts["greywall"] or "build/greywall")
    return opts


def git(*args, cwd=None):
    subprocess.run(["git", "-c", "user.name=bench", "-c",
                    "user.email=bench@localhost", *args],
                   cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_repo(ws, source):
    """A real small repository: a local clone of source, or, when source is
    not a git work tree, a synthetic one of about fifty files."""
    repo = os.path.join(ws, "repo")
    if source and subprocess.run(
            ["git", "-C", source, "rev-parse", "--git-dir"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
        git("clone", "-q", "--no-hardlinks", source, repo)
        return repo
    os.makedirs(repo)
    git("init", "-q", repo)
    for d in range(5):
        os.makedirs(os.path.join(repo, f"dir{d}"))
        for f in range(10):
            with open(os.path.join(repo, f"dir{d}", f"f{f}.c"), "w") as fh:
                fh.write(f"int f{d}_{f}(void) {{ return {f}; }}\n" * 20)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "bench", cwd=repo)
    return repo


def make_compile_dir(ws):
    d = os.path.join(ws, "cc")
    os.makedirs(os.path.join(d, "src"))
    os.makedirs(os.path.join(d, "out"))
    with open(os.path.join(d, "src", "tiny.c"), "w") as fh:
        fh.write("int tiny(int x) { return x * 2 + 1; }\n")
    return d


def spawn_ms(argv, cwd, devnull):
    """One timed run; returns (milliseconds, exit status)."""
    fa = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1)]
    old = os.getcwd()
    os.chdir(cwd)
    try:
        t = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=fa)
        _, st = os.waitpid(pid, 0)
        ms = (time.perf_counter_ns() - t) / 1e6
    finally:
        os.chdir(old)
    return ms, os.waitstatus_to_exitcode(st)


def warm_up(case):
    """Runs the case WARMUPS times; returns None or why it is unavailable."""
    for _ in range(WARMUPS):
        try:
            p = subprocess.run(case["argv"], cwd=case["cwd"],
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
        except OSError as e:
            return str(e)
        if p.returncode != 0:
            lines = p.stderr.strip().splitlines()
            first = lines[0] if lines else f"exit status {p.returncode}"
            return first
    return None


def measure(cases, runs):
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        live = [c for c in cases if c.get("error") is None]
        for c in live:
            c["samples"] = []
        for _ in range(runs):
            for c in live:
                if c.get("error"):
                    continue
                ms, rc = spawn_ms(c["argv"], c["cwd"], devnull)
                if rc != 0:
                    c["error"] = f"exit status {rc} during measurement"
                    continue
                c["samples"].append(ms)
    finally:
        os.close(devnull)
    for c in cases:
        if c.get("error") is None:
            c["median_ms"] = statistics.median(c["samples"])


def build_cases(gw, bwrap, ws, repo, ccdir):
    true = shutil.which("true")
    cc = shutil.which("cc") or shutil.which("gcc")
    gitp = shutil.which("git")
    cases = []

    def add(key, label, argv, cwd, base=None):
        cases.append({"key": key, "label": label, "argv": argv, "cwd": cwd,
                      "base": base})

    add("true", "true", [true], ws)
    if bwrap:
        add("bwrap", "bwrap-only true", [bwrap, *BWRAP_ONLY, true], ws, "true")
    add("gw", "greywall -- true", [gw, "--", true], ws,
        "bwrap" if bwrap else "true")
    add("gw_nobwrap", "greywall --no-bwrap -- true",
        [gw, "--no-bwrap", "--", true], ws, "true")
    st = [gitp, "status"]
    add("git", "git status", st, repo)
    add("git_nobwrap", "greywall --no-bwrap -- git status",
        [gw, "--no-bwrap", "--", *st], repo, "git")
    add("git_gw", "greywall -- git status", [gw, "--", *st], repo, "git")
    if cc:
        comp = [cc, "-c", "src/tiny.c", "-o", "out/tiny.o"]
        add("cc", "cc -c tiny.c", comp, ccdir)
        add("cc_nobwrap", "greywall --no-bwrap -- cc -c tiny.c",
            [gw, "--no-bwrap", "--", *comp], ccdir, "cc")
        add("cc_gw", "greywall -- cc -c tiny.c", [gw, "--", *comp], ccdir, "cc")
    return cases


def target(cases, key, base, limit):
    c, b = cases.get(key), cases.get(base)
    if not c or not b:
        return {"status": "n/a", "why": f"{key if not c else base} not run"}
    for x in (c, b):
        if x.get("error"):
            return {"status": "n/a",
                    "why": f"{x['label']} unavailable: {x['error']}"}
    ratio = c["median_ms"] / b["median_ms"]
    return {"status": "PASS" if ratio <= limit else "FAIL",
            "ratio": ratio, "limit": limit}


def report(cases, targets, runs):
    by_key = {c["key"]: c for c in cases}
    print(f"{runs} runs per case, medians; ratio = case / its baseline "
          f"(Linux {os.uname().release}, {os.cpu_count()} CPUs)\n")
    print(f"{'case':38} {'median ms':>10} {'ratio':>7}  baseline")
    for c in cases:
        if c.get("error"):
            print(f"{c['label']:38} unavailable: {c['error']}")
            continue
        b = by_key.get(c["base"]) if c["base"] else None
        if b and b.get("median_ms"):
            r = f"{c['median_ms'] / b['median_ms']:7.2f}  {b['label']}"
        else:
            r = f"{'':7}"
        print(f"{c['label']:38} {c['median_ms']:10.2f} {r}")
    print("\nexact argv:")
    for c in cases:
        print(f"  {c['label']}: {' '.join(c['argv'])}  (cwd {c['cwd']})")
    print("\ntargets:")
    for name, t in targets.items():
        if t["status"] == "n/a":
            print(f"  {name}: n/a ({t['why']})")
        else:
            print(f"  {name}: {t['ratio']:.2f}x (limit {t['limit']}x) "
                  f"{t['status']}")


def main():
    opts = parse_args(sys.argv[1:])
    bwrap = shutil.which("bwrap")
    ws = tempfile.mkdtemp(prefix="gw-bench-")
    try:
        src = opts["repo"] or os.path.dirname(
            os.path.dirname(os.path.abspath(__file__)))
        repo = make_repo(ws, src)
        ccdir = make_compile_dir(ws)
        cases = build_cases(opts["greywall"], bwrap, ws, repo, ccdir)
        for c in cases:
            c["error"] = warm_up(c)
        measure(cases, opts["runs"])
    finally:
        shutil.rmtree(ws, ignore_errors=True)
    by_key = {c["key"]: c for c in cases}
    targets = {
        "greywall -- true <= 2.5x bwrap-only":
            target(by_key, "gw", "bwrap", 2.5),
        "greywall --no-bwrap -- true <= 3x true":
            target(by_key, "gw_nobwrap", "true", 3.0),
    }
    if opts["json"]:
        out = {"runs": opts["runs"], "greywall": opts["greywall"],
               "kernel": os.uname().release, "time": time.time(),
               "cases": [{k: c.get(k) for k in
                          ("key", "label", "argv", "base", "median_ms",
                           "error", "samples")} for c in cases],
               "targets": targets}
        with open(opts["json"], "w") as fh:
            json.dump(out, fh, indent=2)
    report(cases, targets, opts["runs"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
