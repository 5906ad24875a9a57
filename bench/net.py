#!/usr/bin/env python3
"""Network speed of a sandboxed command, as medians and ratios measured in
one run (never compared with numbers from another machine or run).

usage: bench/net.py [PATH/TO/greywall] [--quick] [--reps N] [--json FILE]
                    [--srt PATH/TO/srt | --no-srt]

Three measurements, against a loopback server (bench/netbench.c, compiled
here with cc) that streams zeros from memory and echoes:

1. one large download (1 GiB; 128 MiB with --quick), timed by the client
   from the established connection to the last byte: plain loopback (the
   baseline); greywall's capture path (the client inside `greywall --`
   connects to bench.test, redirected by nftables to the supervisor);
   `greywall proxy` as a standalone SOCKS5 proxy; `greywall --no-bwrap`
   (its per-run SOCKS5 proxy, from ALL_PROXY); the socat + SOCKS5 chain the
   peers use (client -> socat TCP-LISTEN -> Unix socket -> socat
   UNIX-LISTEN -> microsocks -> server); microsocks alone; and Anthropic's
   sandbox-runtime (`srt`, installed with npm into the scratch directory,
   its client using the SOCKS5 URL srt exports); and, as the reference for
   what one relay hop costs on this machine, a minimal relay (a thread per
   direction, blocking splice through a 64 KiB pipe: `netbench relay`).
2. new connections per second: connect, 1-byte request and response,
   close; one after another and from 4 threads; plain loopback (the
   baseline), the capture path, and the proxies of 1. for comparison.  The
   target is the rate the capture path sustains from 4 client threads,
   over five times as many connections as the other cases (20,000; about
   4 s, long enough for a rate on a small VM, and TIME_WAIT sockets pile
   up in the sandbox's namespace meanwhile); one client alone measures
   the latency of a connection, which the extra hop bounds (the minimal
   relay below is slower still).
3. greywall's supervisor (the greywall process this script starts) while
   the command holds 1,000 connections through the capture path: VmRSS
   and VmHWM from /proc/PID/status, its open descriptors before, during and
   after, and every byte echoed on every connection checked, twice; once
   with 4 KiB of binary data per message, once with HTTP/1.1 POSTs of
   16 KiB (plain HTTP is checked request by request, through a buffer).
   3 runs of each (1 with --quick).

Every case of 1. and 2. runs --reps times (5; 3 with --quick) after one
smaller warm-up,
round-robin with the other cases of its measurement so that a burst of
background load hits them all alike.  A case whose warm-up fails is
reported as "unavailable" with the first line of its stderr, and the run
goes on.  Every wait is bounded; everything started is ended, and a process
left behind by a case is reported.  Listening ports are taken below the
kernel's ephemeral range, so that the TIME_WAIT sockets of the connection
test cannot collide with them.
"""
import json
import os
import random
import resource
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GIB = 1 << 30
MIB = 1 << 20
HOLD_CONNS = 1000
HOLD_BYTES = 4096
HOLD_HTTP_BYTES = 16384
HOLD_WAIT_S = 30
CRR_THREADS = 4
SRT_PACKAGE = "@anthropic-ai/sandbox-runtime"
TARGET_MEM_MIB = 16
TARGET_CONN_S = 5000


def usage():
    sys.exit(__doc__.split("\n\n")[1])


def parse_args(args):
    opts = {"quick": False, "reps": None, "json": None, "srt": None,
            "no_srt": False, "greywall": None}
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--reps", "--json", "--srt"):
            if i + 1 >= len(args):
                usage()
            opts[a[2:]] = args[i + 1]
            i += 2
        elif a == "--quick":
            opts["quick"] = True
            i += 1
        elif a == "--no-srt":
            opts["no_srt"] = True
            i += 1
        elif a in ("-h", "--help") or a.startswith("-"):
            usage()
        elif opts["greywall"] is None:
            opts["greywall"] = a
            i += 1
        else:
            usage()
    q = opts["quick"]
    opts["reps"] = int(opts["reps"] or (3 if q else 5))
    opts["bytes"] = 128 * MIB if q else GIB
    opts["warm_bytes"] = 16 * MIB if q else 64 * MIB
    opts["crr_seq"] = 400 if q else 2000
    opts["crr_par"] = 800 if q else 4000
    opts["crr_slow"] = 80 if q else 300
    opts["hold_reps"] = 1 if q else 3
    opts["greywall"] = os.path.abspath(opts["greywall"] or "build/greywall")
    return opts


# ---- processes -----------------------------------------------------------

def group_members(pgid):
    """PIDs of the live processes in process group pgid."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                st = fh.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(d))
    return out


def describe(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def sweep_group(pgid):
    """Kills, one by one, what a finished case left in its process group;
    returns their descriptions."""
    left = []
    for pid in group_members(pgid):
        left.append(f"{pid} {describe(pid)}")
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def run(argv, env, cwd, timeout, stdin=subprocess.DEVNULL):
    """Runs argv in a session of its own; returns (status, stdout, stderr,
    leftovers).  status is None when it timed out (the group is killed)."""
    p = subprocess.Popen(argv, env=env, cwd=cwd, stdin=stdin,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        rc = None
    return rc, out, err, sweep_group(p.pid)


class Helper:
    """A long-running process of the benchmark (server, proxy, relay)."""

    def __init__(self, label, argv, env=None, cwd=None,
                 stdout=subprocess.DEVNULL):
        self.label, self.argv = label, argv
        self.log = tempfile.TemporaryFile(mode="w+")
        self.p = subprocess.Popen(argv, env=env, cwd=cwd,
                                  stdin=subprocess.DEVNULL,
                                  stdout=stdout, stderr=self.log,
                                  start_new_session=True)

    def wait_port(self, port, timeout=5.0):
        """None once port accepts connections, or why it does not."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.p.poll() is not None:
                return f"{self.label} exited with status {self.p.returncode}: " \
                    + self.first_error()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return None
            except OSError:
                time.sleep(0.02)
        return f"{self.label} not listening on {port} after {timeout:.0f} s"

    def first_error(self):
        self.log.seek(0)
        lines = [l for l in self.log.read().splitlines() if l.strip()]
        return lines[0] if lines else "no message"

    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        sweep_group(self.p.pid)
        self.log.close()


def free_port():
    """A free loopback port below the ephemeral range (bound once without
    SO_REUSEADDR, so no TIME_WAIT socket holds it either)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as fh:
            lo = int(fh.read().split()[0])
    except OSError:
        lo = 32768
    lo_port, hi_port = (10000, lo - 1) if lo > 11000 else (lo, 65535)
    for _ in range(200):
        port = random.randint(lo_port, hi_port)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port")


# ---- set-up --------------------------------------------------------------

def compile_netbench(ws):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        sys.exit("net.py: no C compiler (cc) to build bench/netbench.c")
    out = os.path.join(ws, "bin", "netbench")
    os.makedirs(os.path.dirname(out))
    subprocess.run([cc, "-O2", "-pthread", "-o", out,
                    os.path.join(HERE, "netbench.c")], check=True, timeout=120)
    return out


def start_printing(label, argv, count):
    """A netbench helper that prints its port(s) on one line; returns
    (helper, [ports])."""
    h = Helper(label, argv, stdout=subprocess.PIPE)
    line = LineReader(h.p.stdout).line(5)
    h.p.stdout.close()
    ports = [int(x) for x in (line or "").split()]
    if len(ports) != count:
        why = h.first_error()
        h.stop()
        sys.exit(f"net.py: {label} did not start: {why}")
    return h, ports


def install_srt(ws, env):
    """(argv of srt, version) or (None, why not)."""
    npm = shutil.which("npm")
    if not npm:
        return None, "npm not found (Debian package npm)"
    d = os.path.join(ws, "srt")
    os.makedirs(d)
    rc, out, err, _ = run([npm, "install", "--no-audit", "--no-fund",
                           "--no-save", "--prefix", d, SRT_PACKAGE],
                          env, d, 240)
    if rc != 0:
        lines = [l for l in err.splitlines() if l.strip()]
        why = lines[-1] if lines else f"exit status {rc}"
        return None, f"npm install {SRT_PACKAGE}: " + \
            ("timed out" if rc is None else why)
    srt = os.path.join(d, "node_modules", ".bin", "srt")
    try:
        with open(os.path.join(d, "node_modules", SRT_PACKAGE,
                               "package.json")) as fh:
            ver = json.load(fh)["version"]
    except (OSError, ValueError, KeyError):
        ver = "?"
    return [srt], f"{SRT_PACKAGE} {ver}"


def write_json(path, obj):
    with open(path, "w") as fh:
        json.dump(obj, fh, indent=2)


# ---- measuring -----------------------------------------------------------

def parse_kv(out, first):
    for line in out.splitlines():
        if line.startswith(first + "="):
            return {k: v for k, v in (f.split("=", 1) for f in line.split())}
    return None


def first_line(err, rc):
    lines = [l for l in err.splitlines() if l.strip()
             and "out of file descriptors" not in l]
    if rc is None:
        return "timed out" + (f" ({lines[0]})" if lines else "")
    return lines[0] if lines else f"exit status {rc}"


def one_sample(c, warm):
    """Runs a case once; returns (value, None) or (None, why)."""
    argv = c["warm_argv"] if warm else c["argv"]
    rc, out, err, left = run(argv, c["env"], c["cwd"], c["timeout"])
    if left:
        c.setdefault("leftovers", []).extend(left)
    kv = parse_kv(out, c["field0"])
    if rc != 0 or kv is None:
        return None, first_line(err, rc) if rc != 0 else \
            f"no result in its output: {out.strip()[:120]!r}"
    c.setdefault("retries", 0)
    c["retries"] += int(kv.get("refused_retries", 0))
    if not warm and "slow" in kv:
        c["slow"] = c.get("slow", 0) + int(kv["slow"])
        c["max_ms"] = max(c.get("max_ms", 0.0), float(kv["max_ms"]))
    return float(kv[c["field"]]), None


def measure(cases, reps):
    for c in cases:
        if c.get("error") is None:
            _, c["error"] = one_sample(c, warm=True)
        c["samples"] = []
    for _ in range(reps):
        for c in cases:
            if c.get("error"):
                continue
            v, why = one_sample(c, warm=False)
            if why:
                c["error"] = f"during measurement: {why}"
                continue
            c["samples"].append(v)
    for c in cases:
        if c.get("error") is None and c["samples"]:
            c["median"] = statistics.median(c["samples"])


class LineReader:
    def __init__(self, fh):
        self.fd, self.buf = fh.fileno(), b""

    def line(self, timeout):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                return None
            chunk = os.read(self.fd, 4096)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()


def proc_status(pid):
    st = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            k, _, v = line.partition(":")
            st[k] = v.strip()
    return {"name": st.get("Name"),
            "rss_kib": int(st["VmRSS"].split()[0]),
            "hwm_kib": int(st["VmHWM"].split()[0]),
            "fds": len(os.listdir(f"/proc/{pid}/fd"))}


def hold_once(argv, env, cwd):
    """One run of `netbench hold` inside greywall; returns a dict."""
    res = {"error": None}
    errf = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=errf,
                         start_new_session=True)
    rd = LineReader(p.stdout)

    def go():
        p.stdin.write(b"go\n")
        p.stdin.flush()

    try:
        if rd.line(20) != "ready":
            raise RuntimeError("the client did not start")
        res["idle"] = proc_status(p.pid)
        go()
        l1 = rd.line(HOLD_WAIT_S + 30)
        if not l1 or not l1.startswith("round1"):
            raise RuntimeError("no first round")
        res["hold"] = proc_status(p.pid)
        res["round1"] = dict(f.split("=") for f in l1.split()[1:])
        go()
        l2 = rd.line(HOLD_WAIT_S + 30)
        if not l2 or not l2.startswith("round2"):
            raise RuntimeError("no second round")
        res["round2"] = dict(f.split("=") for f in l2.split()[1:])
        if rd.line(10) != "closed":
            raise RuntimeError("the client did not close")
        # the supervisor should let go of every relay once both ends closed
        end = time.monotonic() + 5
        while True:
            after = proc_status(p.pid)
            if after["fds"] <= res["idle"]["fds"] or time.monotonic() > end:
                break
            time.sleep(0.05)
        res["after"] = after
        go()
        p.wait(timeout=15)
        res["status"] = p.returncode
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        res["error"] = str(e)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        res["leftovers"] = sweep_group(p.pid)
        errf.seek(0)
        err = errf.read()
        errf.close()
        lines = [l for l in err.splitlines() if l.strip()]
        res["stderr_lines"] = len(lines)
        res["stderr_head"] = lines[:5]
        if res["error"]:
            res["error"] += ": " + (lines[0] if lines else "no message")
    return res


# ---- report --------------------------------------------------------------

def fmt_range(c, fmt):
    s = c["samples"]
    return f"[{fmt.format(min(s))}-{fmt.format(max(s))}]"


def table(title, cases, unit, fmt):
    by_key = {c["key"]: c for c in cases}
    print(f"\n{title}")
    print(f"{'case':44} {'median ' + unit:>14} {'range':>17} {'ratio':>7}  baseline")
    for c in cases:
        if c.get("error"):
            print(f"{c['label']:44} unavailable: {c['error']}")
            continue
        b = by_key.get(c["base"]) if c.get("base") else None
        r = f"{c['median'] / b['median']:7.2f}  {b['label']}" \
            if b and b.get("median") else ""
        print(f"{c['label']:44} {fmt.format(c['median']):>14} "
              f"{fmt_range(c, fmt):>17} {r}")


def target_ratio(by_key, key, base, limit):
    c, b = by_key.get(key), by_key.get(base)
    for x in (c, b):
        if x is None:
            return {"status": "n/a", "why": "not run"}
        if x.get("error"):
            return {"status": "n/a",
                    "why": f"{x['label']} unavailable: {x['error']}"}
    ratio = c["median"] / b["median"]
    return {"status": "PASS" if ratio >= limit else "FAIL", "value": ratio,
            "text": f"{ratio:.2f}x (at least {limit}x)"}


def target_abs(c, limit, unit, higher=True):
    if c is None or c.get("error"):
        return {"status": "n/a", "why": (c or {}).get("error", "not run")}
    v = c["median"]
    ok = v >= limit if higher else v <= limit
    return {"status": "PASS" if ok else "FAIL", "value": v,
            "text": f"{v:.1f} {unit} ({'at least' if higher else 'at most'} "
                    f"{limit} {unit})"}


def report_hold(sc, notes):
    """Prints the runs of one memory scenario; returns its summary."""
    print(f"  {sc['title']}:")
    runs = sc["runs"]
    ok_runs = [h for h in runs if not h["error"]]
    failed = 0
    for i, h in enumerate(runs):
        tag = f"{sc['key']} run {i + 1}"
        if h["error"]:
            print(f"    run {i + 1}: failed: {h['error']}")
            continue
        r1, r2 = h["round1"], h["round2"]
        failed += 2 * HOLD_CONNS - int(r1["ok"]) - int(r2["ok"])
        print(f"    run {i + 1}: open {r1['open']}/{HOLD_CONNS}, echo correct "
              f"{r1['ok']} then {r2['ok']} (corrupt {r1['bad']}/{r2['bad']}); "
              f"VmRSS {h['idle']['rss_kib'] / 1024:.1f} MiB idle, "
              f"{h['hold']['rss_kib'] / 1024:.1f} MiB holding, VmHWM "
              f"{h['hold']['hwm_kib'] / 1024:.1f} MiB; fds {h['idle']['fds']} "
              f"idle, {h['hold']['fds']} holding, {h['after']['fds']} after "
              f"close; exit status {h['status']}"
              + (f"; the supervisor is {h['hold']['name']!r}, not greywall"
                 if h["hold"]["name"] != "greywall" else ""))
        if h["stderr_lines"]:
            print(f"      stderr ({h['stderr_lines']} lines): "
                  + " | ".join(h["stderr_head"][:3]))
        if h["after"]["fds"] > h["idle"]["fds"]:
            notes.append(f"{tag}: the supervisor still had "
                         f"{h['after']['fds']} descriptors 5 s after the "
                         f"command closed every connection "
                         f"({h['idle']['fds']} before)")
    for i, h in enumerate(runs):
        if h["leftovers"]:
            notes.append(f"{sc['key']} run {i + 1} left: {h['leftovers']}")
    m = {"error": None, "failed": failed, "complete": len(ok_runs)}
    if not ok_runs:
        m["error"] = runs[0]["error"] if runs else "not run"
        return m
    m["rss"] = statistics.median(h["hold"]["rss_kib"] for h in ok_runs)
    m["hwm"] = statistics.median(h["hold"]["hwm_kib"] for h in ok_runs)
    m["idle"] = statistics.median(h["idle"]["rss_kib"] for h in ok_runs)
    print(f"    median: VmRSS {m['idle'] / 1024:.1f} MiB idle, "
          f"{m['rss'] / 1024:.1f} MiB holding "
          f"({(m['rss'] - m['idle']) / HOLD_CONNS:.1f} KiB per connection), "
          f"VmHWM {m['hwm'] / 1024:.1f} MiB")
    return m


def main():
    opts = parse_args(sys.argv[1:])
    gw = opts["greywall"]
    if not os.access(gw, os.X_OK):
        sys.exit(f"net.py: {gw} is not an executable greywall")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    t_start = time.monotonic()
    load0 = os.getloadavg()
    ws = tempfile.mkdtemp(prefix="gw-netbench-")
    helpers = []
    notes = []
    try:
        nb = compile_netbench(ws)
        work = os.path.join(ws, "work")
        conf_dir = os.path.join(ws, "conf")
        os.makedirs(work)
        os.makedirs(conf_dir)
        server, (sp, ep) = start_printing("netbench serve", [nb, "serve"], 2)
        helpers.append(server)
        # the reference hop: a minimal splice relay to each server port
        h, (rsp,) = start_printing("netbench relay (stream)",
                                   [nb, "relay", str(sp)], 1)
        helpers.append(h)
        h, (rep,) = start_printing("netbench relay (echo)",
                                   [nb, "relay", str(ep)], 1)
        helpers.append(h)
        hosts = os.path.join(conf_dir, "hosts")
        with open(hosts, "w") as fh:
            fh.write("127.0.0.1 bench.test\n")
        conf = os.path.join(conf_dir, "greywall.json")
        write_json(conf, {"network": {"allowedDomains": ["bench.test"],
                                      "allowLocalOutbound": True},
                          "filesystem": {"allowRead": [os.path.dirname(nb)]}})
        env = dict(os.environ)
        gw_env = dict(env, GREYWALL_TEST_HOSTS=hosts)

        # helpers: greywall proxy, microsocks, the socat pair
        unavailable = {}

        def listener(label, argv_for, env=None):
            """Starts a helper listening on a free port, trying another
            port when the first is taken meanwhile; (port, why not)."""
            why = None
            for _ in range(3):
                port = free_port()
                h = Helper(label, argv_for(port), env=env)
                helpers.append(h)
                why = h.wait_port(port)
                if not why:
                    return port, None
                h.stop()
                helpers.remove(h)
            return port, why

        gp, why = listener("greywall proxy", lambda p: [
            gw, "proxy", "--listen", f"127.0.0.1:{p}", "--settings", conf],
            env=gw_env)
        if why:
            unavailable["gwproxy"] = why
        ms = shutil.which("microsocks")
        socat = shutil.which("socat")
        relay_sock = os.path.join(ws, "relay.sock")
        msp = s2p = 0
        if not ms:
            unavailable["ms"] = "microsocks not found (Debian package " \
                "microsocks; scripts/install-deps.sh bench)"
        else:
            msp, why = listener("microsocks", lambda p: [
                ms, "-i", "127.0.0.1", "-p", str(p)])
            if why:
                unavailable["ms"] = why
        if not socat:
            unavailable["chain"] = "socat not found (Debian package socat; " \
                "scripts/install-deps.sh bench)"
        elif "ms" in unavailable:
            unavailable["chain"] = unavailable["ms"]
        else:
            h1 = Helper("socat UNIX-LISTEN", [
                socat, f"UNIX-LISTEN:{relay_sock},fork",
                f"TCP:127.0.0.1:{msp}"])
            helpers.append(h1)
            end = time.monotonic() + 5
            while not os.path.exists(relay_sock) and time.monotonic() < end \
                    and h1.p.poll() is None:
                time.sleep(0.02)
            if not os.path.exists(relay_sock):
                unavailable["chain"] = "socat UNIX-LISTEN: no socket: " + \
                    h1.first_error()
            else:
                s2p, why = listener("socat TCP-LISTEN", lambda p: [
                    socat, f"TCP-LISTEN:{p},bind=127.0.0.1,fork,reuseaddr",
                    f"UNIX-CONNECT:{relay_sock}"])
                if why:
                    unavailable["chain"] = why

        srt, srt_info = None, None
        if opts["no_srt"]:
            unavailable["srt"] = "--no-srt"
        elif opts["srt"]:
            srt, srt_info = [os.path.abspath(opts["srt"])], opts["srt"]
        else:
            srt, srt_info = install_srt(ws, env)
            if srt is None:
                unavailable["srt"] = srt_info
        # srt leaves its mux socket in $TMPDIR: keep it in the scratch dir
        srt_tmp = os.path.join(ws, "srt-tmp")
        os.makedirs(srt_tmp)
        srt_env = dict(env, TMPDIR=srt_tmp)
        srt_conf = os.path.join(conf_dir, "srt.json")
        write_json(srt_conf, {
            "network": {"allowedDomains": [f"127.0.0.1:{sp}",
                                           f"127.0.0.1:{ep}"],
                        "deniedDomains": []},
            "filesystem": {"denyRead": [], "allowWrite": [],
                           "denyWrite": []}})

        # ---- the cases
        B = opts["bytes"]
        gwp_url = f"socks5h://127.0.0.1:{gp}"
        chain_url = f"socks5h://127.0.0.1:{s2p}"
        ms_url = f"socks5h://127.0.0.1:{msp}"
        gwns = [gw, "-s", conf, "--"]
        gwnb = [gw, "--no-bwrap", "-s", conf, "--"]
        srtp = (srt or ["srt"]) + ["--settings", srt_conf, "--"]
        # srt starts its in-sandbox socat relays in the background: a
        # connection refused at the very start is tried again (counted)
        srt_nb = [nb, "-r", "5000"]
        byte_timeout = 30 + B / (25 * MIB)

        def mk(key, label, pre, client_args, envx, base, kind, n=None):
            """A case: pre + netbench ... ; kind 'get' or 'crr'."""
            def argv(warm):
                if kind == "get":
                    size = opts["warm_bytes"] if warm else B
                    return pre(["get", *client_args[0], str(size),
                                *client_args[1]])
                count = max(50, n // 10) if warm else n
                return pre(["crr", *client_args[0], str(count),
                            str(client_args[2]), *client_args[1]])
            c = {"key": key, "label": label, "argv": argv(False),
                 "warm_argv": argv(True), "env": envx, "cwd": work,
                 "base": base,
                 "field0": "bytes" if kind == "get" else "conns",
                 "field": "gbits" if kind == "get" else "per_sec",
                 "timeout": byte_timeout if kind == "get" else 120}
            for k, why in unavailable.items():
                if key.startswith(k + "_") or key == k:
                    c["error"] = why
            return c

        direct = lambda a: [nb, *a]
        inside = lambda a: [*gwns, nb, *a]
        nobwrap = lambda a: [*gwnb, nb, *a]
        in_srt = lambda a: [*srtp, *srt_nb, *a]
        loop = ["127.0.0.1", str(sp)]
        name = ["bench.test", str(sp)]
        tput = [
            mk("plain", "plain loopback", direct, (loop, [], 0), env, None, "get"),
            mk("capture", "greywall -- (capture path)", inside, (name, [], 0),
               gw_env, "plain", "get"),
            mk("relay", "minimal splice relay (reference hop)", direct,
               (["127.0.0.1", str(rsp)], [], 0), env, "plain", "get"),
            mk("gwproxy", "greywall proxy (SOCKS5)", direct,
               (name, [gwp_url], 0), env, "plain", "get"),
            mk("nobwrap", "greywall --no-bwrap (its SOCKS5)", nobwrap,
               (name, ["env"], 0), gw_env, "plain", "get"),
            mk("chain", "socat TCP>Unix>socat>microsocks", direct,
               (loop, [chain_url], 0), env, "plain", "get"),
            mk("ms", "microsocks alone", direct, (loop, [ms_url], 0), env,
               "plain", "get"),
            mk("srt", "srt (sandbox-runtime)", in_srt,
               (loop, ["env:FTP_PROXY"], 0), srt_env, "plain", "get"),
        ]
        eloop = ["127.0.0.1", str(ep)]
        ename = ["bench.test", str(ep)]
        s, p_, slow = opts["crr_seq"], opts["crr_par"], opts["crr_slow"]
        crr = [
            mk("plain_seq", "plain loopback, sequential", direct,
               (eloop, [], 1), env, None, "crr", s),
            mk("plain_par", f"plain loopback, {CRR_THREADS} threads", direct,
               (eloop, [], CRR_THREADS), env, None, "crr", p_),
            mk("capture_seq", "greywall -- (capture), sequential", inside,
               (ename, [], 1), gw_env, "plain_seq", "crr", s),
            mk("capture_par", f"greywall -- (capture), {CRR_THREADS} threads",
               inside, (ename, [], CRR_THREADS), gw_env, "plain_par", "crr", p_),
            # the same, five times as many: the sandbox's TIME_WAIT
            # sockets must not slow its new connections down
            mk("capture_long", f"greywall -- (capture), {CRR_THREADS} threads, "
               f"{5 * p_} connections", inside, (ename, [], CRR_THREADS),
               gw_env, "capture_par", "crr", 5 * p_),
            mk("relay_seq", "minimal splice relay, sequential", direct,
               (["127.0.0.1", str(rep)], [], 1), env, "plain_seq", "crr", s),
            mk("relay_par", f"minimal splice relay, {CRR_THREADS} threads",
               direct, (["127.0.0.1", str(rep)], [], CRR_THREADS), env,
               "plain_par", "crr", p_),
            mk("gwproxy_seq", "greywall proxy (SOCKS5), sequential", direct,
               (ename, [gwp_url], 1), env, "plain_seq", "crr", s),
            mk("chain_seq", "socat+microsocks chain, sequential", direct,
               (eloop, [chain_url], 1), env, "plain_seq", "crr", slow),
            mk("srt_seq", "srt (sandbox-runtime), sequential", in_srt,
               (eloop, ["env:FTP_PROXY"], 1), srt_env, "plain_seq", "crr",
               slow),
        ]

        measure(tput, opts["reps"])
        measure(crr, opts["reps"])

        scen = [
            {"key": "bin", "title": f"{HOLD_BYTES} bytes of binary data "
             "echoed on each, twice",
             "argv": [*gwns, nb, "hold", "bench.test", str(ep),
                      str(HOLD_CONNS), str(HOLD_BYTES), str(HOLD_WAIT_S)]},
            {"key": "http", "title": f"an HTTP/1.1 POST of {HOLD_HTTP_BYTES} "
             "bytes echoed on each, twice (plain HTTP is checked request by "
             "request)",
             "argv": [*gwns, nb, "hold-http", "bench.test", str(ep),
                      str(HOLD_CONNS), str(HOLD_HTTP_BYTES), str(HOLD_WAIT_S)]},
        ]
        for sc in scen:
            sc["runs"] = []
        for _ in range(opts["hold_reps"]):
            for sc in scen:
                sc["runs"].append(hold_once(sc["argv"], gw_env, work))
        srt_left = sorted(os.listdir(srt_tmp))
    finally:
        for h in reversed(helpers):
            h.stop()
        shutil.rmtree(ws, ignore_errors=True)

    # ---- report
    by_key = {c["key"]: c for c in tput + crr}
    print(f"{opts['reps']} runs per case after a warm-up, round-robin, medians; "
          f"ratio = case / its baseline (Linux {os.uname().release}, "
          f"{os.cpu_count()} CPUs, load average {load0[0]:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end)")
    if srt_info:
        print(f"srt: {srt_info}")
    table(f"1. one download of {B // MIB} MiB (Gbit/s, timed by the client "
          "from the established connection to the last byte)",
          tput, "Gbit/s", "{:.2f}")
    table("2. new connections per second (connect, 1-byte request and "
          "response, close)", crr, "conn/s", "{:.0f}")

    print(f"\n3. greywall's supervisor while the command holds {HOLD_CONNS} "
          f"connections through the capture path ({opts['hold_reps']} runs "
          "each)")
    for sc in scen:
        sc["summary"] = report_hold(sc, notes)
    print("\nexact argv (cwd is a scratch directory; greywall gets "
          f"GREYWALL_TEST_HOSTS={hosts} with '127.0.0.1 bench.test'):")
    print(f"  server: {nb} serve  (stream port {sp}, echo port {ep})")
    print(f"  relays: listening on {rsp} (to {sp}) and {rep} (to {ep})")
    for h in helpers[1:]:
        print(f"  helper {h.label}: {' '.join(h.argv)}")
    for c in tput + crr:
        extra = [f"{k}={v}" for k, v in sorted(c["env"].items())
                 if k != "GREYWALL_TEST_HOSTS" and os.environ.get(k) != v]
        print(f"  {c['label']}: {' '.join(extra + c['argv'])}")
    for sc in scen:
        print(f"  memory, {sc['key']}: {' '.join(sc['argv'])}")
    print(f"  greywall config: {json.dumps({'network': {'allowedDomains': ['bench.test'], 'allowLocalOutbound': True}, 'filesystem': {'allowRead': [os.path.dirname(nb)]}})}")

    targets = {
        "capture path >= 50% of plain loopback (download)":
            target_ratio(by_key, "capture", "plain", 0.5),
        "capture path >= 3x the socat+microsocks chain (download)":
            target_ratio(by_key, "capture", "chain", 3.0),
        f"capture path >= {TARGET_CONN_S} new connections/s ({CRR_THREADS} client threads, "
        f"{5 * opts['crr_par']} connections)":
            target_abs(by_key.get("capture_long"), TARGET_CONN_S, "conn/s"),
    }
    for sc in scen:
        m = sc["summary"]
        what = "binary" if sc["key"] == "bin" else "HTTP"
        t_mem = f"supervisor VmHWM <= {TARGET_MEM_MIB} MiB, {HOLD_CONNS} " \
            f"{what} connections"
        t_ok = f"all {HOLD_CONNS} {what} connections echo correctly"
        if m["error"]:
            targets[t_mem] = targets[t_ok] = {"status": "n/a",
                                              "why": m["error"]}
            continue
        targets[t_mem] = target_abs({"median": m["hwm"] / 1024},
                                    TARGET_MEM_MIB, "MiB", higher=False)
        targets[t_ok] = {
            "status": "PASS" if m["failed"] == 0 and
            m["complete"] == len(sc["runs"]) else "FAIL",
            "value": m["failed"],
            "text": f"{m['failed']} failed transfers in {m['complete']} "
                    f"complete runs of {len(sc['runs'])}"}
    print("\ntargets:")
    for name, t in targets.items():
        if t["status"] == "n/a":
            print(f"  {name}: n/a ({t['why']})")
        else:
            print(f"  {name}: {t['text']} {t['status']}")
    print("\nfor comparison:")
    for key, base in (("srt", "plain"), ("capture", "srt"),
                      ("capture_seq", "srt_seq"), ("capture", "relay"),
                      ("capture_seq", "plain_seq"),
                      ("capture_seq", "relay_seq"),
                      ("capture_par", "relay_par"),
                      ("capture_long", "capture_par")):
        t = target_ratio(by_key, key, base, 0)
        label = f"{by_key[key]['label']} / {by_key[base]['label']}"
        print(f"  {label}: " + (t["text"].split(" ")[0] if t["status"] != "n/a"
                                else f"n/a ({t['why']})"))
    if srt_left:
        notes.append(f"srt left {len(srt_left)} files in its TMPDIR (removed "
                     f"with the scratch directory), e.g. {srt_left[0]}")
    for c in tput + crr:
        if c.get("retries"):
            notes.append(f"{c['label']}: {c['retries']} connections refused "
                         "at the start and tried again")
        if c.get("slow"):
            notes.append(f"{c['label']}: {c['slow']} connections took over "
                         f"100 ms (the slowest {c['max_ms']:.0f} ms)")
        if c.get("leftovers"):
            notes.append(f"{c['label']} left processes behind: "
                         f"{c['leftovers'][:3]}")
    if notes:
        print("\nnotes:")
        for n in notes:
            print(f"  {n}")
    print(f"\n(total {time.monotonic() - t_start:.0f} s)")

    if opts["json"]:
        write_json(opts["json"], {
            "greywall": gw, "kernel": os.uname().release, "time": time.time(),
            "reps": opts["reps"], "bytes": B, "srt": srt_info,
            "cases": [{k: c.get(k) for k in ("key", "label", "argv", "base",
                                             "median", "samples", "error")}
                      for c in tput + crr],
            "memory": [{k: sc[k] for k in ("key", "argv", "runs", "summary")}
                       for sc in scen],
            "targets": targets, "notes": notes})
    return 0


if __name__ == "__main__":
    sys.exit(main())
