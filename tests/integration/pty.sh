#!/bin/bash
# Terminal and signal integration tests: greywall driven through
# a real pseudo-terminal (python3's os.openpty), as a user would run it in a
# terminal emulator.  TAP on stdout.
#
# usage: pty.sh PATH/TO/greywall DIR/WITH/HELPERS [MODE-FLAG]
# MODE-FLAG is --no-bwrap (the default) or "ns" for the namespace mode.
# As root, some cases also run as the unprivileged user `gwtest` (created
# as in run.sh).  Every wait is bounded.
set -u
GW_BUILT=$1
HELPERS=$2
GW_MODE=${3:---no-bwrap}
[ "$GW_MODE" = ns ] && GW_MODE=""
export GW_MODE
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

it_begin gw-pty

mkdir -p "$T/bin" "$T/ws/sub" "$T/home" "$T/rws"
install -m 755 "$GW_BUILT" "$T/bin/"
GW=$T/bin/greywall
WS=$T/ws
CONF=$T/greywall.json
echo '{ "filesystem": { "allowRead": ["'"$T/bin"'"] } }' >"$CONF"
chmod 644 "$CONF"

if [ "$(id -u)" = 0 ]; then
	id gwtest >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/bash gwtest
	U_UID=$(id -u gwtest)
	U_GID=$(id -g gwtest)
	chown -R "$U_UID:$U_GID" "$WS" "$T/home"
else
	U_UID=
	U_GID=
fi

# The pty driver: Session starts a command on a new pty whose slave is its
# controlling terminal, like a terminal emulator starting a shell.
cat >"$T/ptyh.py" <<'PY'
import fcntl, os, re, select, struct, subprocess, termios, time

GW, CONF, WS, HOME = (os.environ[k] for k in ("GW", "CONF", "WS", "GWHOME"))
U_UID, U_GID = os.environ.get("U_UID", ""), os.environ.get("U_GID", "")
ENV = {"HOME": HOME, "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
       "TERM": "dumb", "PS1": "PROMPT> ",
       "ASAN_OPTIONS": os.environ["ASAN_OPTIONS"], "UBSAN_OPTIONS": os.environ["UBSAN_OPTIONS"]}

def gw(*cmd, user=False):
    argv = [GW, *os.environ["GW_MODE"].split(), "-s", CONF, "--", *cmd]
    if user:
        argv = ["setpriv", f"--reuid={U_UID}", f"--regid={U_GID}", "--clear-groups",
                "--inh-caps=-all", *argv]
    return argv

def check(cond, what, s=None):
    if not cond:
        raise AssertionError(what + ("" if s is None else f"\noutput: {s.buf!r}"))

class Session:
    def __init__(self, argv, rows=24, cols=80, stdin=None, stdout=None, owner=None):
        self.m, self.s = os.openpty()
        self.name = os.ttyname(self.s)
        self.resize(rows, cols)
        if owner is not None:
            os.fchown(self.s, owner, -1)
        self.before = self.stty()
        self.buf = b""
        def ctty():
            os.setsid()
            fcntl.ioctl(0 if stdin is None else 2, termios.TIOCSCTTY, 0)
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(argv, stdin=self.s if stdin is None else stdin,
                                  stdout=self.s if stdout is None else stdout, stderr=self.s,
                                  preexec_fn=ctty, cwd=WS, env=ENV)

    def resize(self, rows, cols):
        fcntl.ioctl(self.m, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def stty(self):
        return subprocess.run(["stty", "-g"], stdin=self.s, capture_output=True, text=True,
                              timeout=5).stdout.strip()

    def pump(self, timeout):
        r, _, _ = select.select([self.m], [], [], timeout)
        if not r:
            return False
        try:
            self.buf += os.read(self.m, 65536)
        except OSError:
            return False
        return True

    def expect(self, pattern, timeout=10):
        rx = re.compile(pattern.encode())
        end = time.monotonic() + timeout
        while not rx.search(self.buf):
            left = end - time.monotonic()
            check(left > 0, f"timed out waiting for {pattern!r}", self)
            self.pump(min(left, 0.1))

    def send(self, text):
        os.write(self.m, text.encode() if isinstance(text, str) else text)

    def wait(self, timeout=10):
        end = time.monotonic() + timeout
        while self.p.poll() is None and time.monotonic() < end:
            self.pump(0.05)
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
            check(False, "greywall did not exit in time", self)
        while self.pump(0.1):
            pass
        self.elapsed = time.monotonic() - self.t0
        self.after = self.stty()
        os.close(self.m)
        os.close(self.s)
        return self.p.returncode
PY

# pycase NAME: run the Python scenario on stdin (with ptyh imported); it
# passes when its last line is PASS.
pycase() {
	local name=$1 out
	out=$(GW=$GW CONF=$CONF WS=$WS GWHOME=$T/home U_UID=$U_UID U_GID=$U_GID PYTHONPATH=$T \
		timeout 90 python3 -c 'import sys; from ptyh import *; exec(sys.stdin.read())' 2>&1)
	if [ "$(printf '%s\n' "$out" | tail -n1)" = PASS ]; then
		t_ok "$name"
	else
		t_not_ok "$name" "$out"
	fi
}

# ===== the command's terminal ===================================================
pycase "the command gets a new pty, not greywall's terminal" <<'PY'
# The device numbers of stdin, read inside: a pty (major 136-143), not the
# outer one.  (The namespace mode shows it as /dev/console, like bubblewrap.)
s = Session(gw("sh", "-c", "tty; stat -L -c 'DEV %t %T' /proc/self/fd/0"))
outer = os.fstat(s.s).st_rdev
check(s.wait() == 0, "exit status", s)
m = re.search(rb"DEV ([0-9a-f]+) ([0-9a-f]+)\r\n", s.buf)
check(m is not None and re.search(rb"^(/dev/pts/\d+|/dev/console)\r\n", s.buf), "tty and device printed", s)
inner = os.makedev(int(m.group(1), 16), int(m.group(2), 16))
check(136 <= os.major(inner) <= 143, f"stdin is a pty ({os.major(inner)})", s)
check(inner != outer, f"inner tty differs from the outer {s.name}", s)
print("PASS")
PY

pycase "the window size is copied, and follows a resize (SIGWINCH)" <<'PY'
s = Session(gw("sh", "-c", "stty size; echo WAITING; read x; stty size"), rows=33, cols=97)
s.expect(r"33 97\r\n")
s.expect(r"WAITING")
s.resize(41, 123)
time.sleep(0.3)
s.send("\r")
s.expect(r"41 123\r\n")
check(s.wait() == 0, "exit status", s)
print("PASS")
PY

pycase "output and exit status come through (exit 7)" <<'PY'
s = Session(gw("sh", "-c", "echo out-line; echo err-line >&2; exit 7"))
check(s.wait() == 7, f"exit status {s.p.returncode}", s)
check(b"out-line\r\n" in s.buf and b"err-line\r\n" in s.buf, "output", s)
print("PASS")
PY

pycase "a command killed by a signal gives 128+N" <<'PY'
s = Session(gw("sh", "-c", "kill -TERM $$"))
check(s.wait() == 143, f"exit status {s.p.returncode}", s)
print("PASS")
PY

pycase "Ctrl-C interrupts the command at once; the terminal is raw meanwhile" <<'PY'
s = Session(gw("sh", "-c", "echo READY; exec sleep 30"))
s.expect("READY")
check(s.stty() != s.before, "the outer terminal is in raw mode while relaying")
t = time.monotonic()
s.send(b"\x03")
rc = s.wait(timeout=5)
check(rc == 130, f"exit status {rc}", s)
check(time.monotonic() - t < 3, "interrupted quickly", s)
print("PASS")
PY

pycase "the terminal settings are restored after the run" <<'PY'
s = Session(gw("sh", "-c", "stty -echo; echo changed-inside"))
check(s.wait() == 0, "exit status", s)
check(s.before == s.after, f"stty -g before {s.before} after {s.after}", s)
print("PASS")
PY

pycase "kill -TSTP greywall stops the command and gives the terminal back; CONT resumes" <<'PY'
import signal
def state(pid):
    return open(f"/proc/{pid}/stat").read().rsplit(") ", 1)[1].split()[0]
s = Session(gw("sh", "-c", "echo READY; i=0; while [ $i -lt 10 ]; do sleep 0.1; i=$((i+1)); done; echo after"))
s.expect("READY")
raw = s.stty()
os.kill(s.p.pid, signal.SIGTSTP)
end = time.monotonic() + 5
while state(s.p.pid) != "T" and time.monotonic() < end:
    time.sleep(0.02)
check(state(s.p.pid) == "T", "greywall stopped")
check(s.stty() == s.before, "terminal settings restored while stopped")
def command_procs(pid):
    """The command's processes among greywall's descendants (not bubblewrap
    or greywall's own helpers)."""
    out, todo = [], [str(pid)]
    while todo:
        p = todo.pop()
        try:
            todo += open(f"/proc/{p}/task/{p}/children").read().split()
            if open(f"/proc/{p}/comm").read().strip() in ("sh", "sleep"):
                out.append(p)
        except OSError:
            pass
    return out
kids = command_procs(s.p.pid)
while not all(state(k) == "T" for k in kids) and time.monotonic() < end:
    time.sleep(0.02)
check(kids and all(state(k) == "T" for k in kids), f"command stopped: {kids}")
time.sleep(1.2)
check(b"after" not in s.buf, "no output while stopped", s)
os.kill(s.p.pid, signal.SIGCONT)
time.sleep(0.2)
check(s.stty() == raw, "raw mode again after SIGCONT")
s.expect("after")
check(s.wait() == 0, "exit status", s)
check(s.before == s.after, "terminal restored at the end", s)
print("PASS")
PY

pycase "job control works inside bash -i (&, jobs, kill %1, Ctrl-Z)" <<'PY'
s = Session(gw("bash", "--norc", "--noprofile", "-i"))
s.send("echo FLAGS=$-\r")
s.expect(r"\nFLAGS=\S*m\S*\r\n")
s.send("sleep 30 &\r")
s.send("jobs; echo MARK1\r")
s.expect(r"Running\s+sleep 30")
s.expect(r"\nMARK1\r\n")
# "jobs" reports the dead job for sure; after a bare "wait" bash may not.
s.send("kill %1; sleep 0.5; jobs; echo MARK2\r")
s.expect(r"Terminated\s+sleep 30")
s.expect(r"\nMARK2\r\n")
s.send("sleep 31\r")
time.sleep(0.5)
s.send(b"\x1a")
s.expect(r"Stopped\s+sleep 31")
s.send("kill -9 %1; sleep 0.3; jobs\r")
s.expect(r"Killed\s+sleep 31")
s.send("exit 5\r")
rc = s.wait()
check(rc == 5, f"exit status {rc}", s)
check(b"no job control" not in s.buf and b"cannot set terminal" not in s.buf, "job control enabled", s)
print("PASS")
PY

if [ "$(id -u)" = 0 ]; then
pycase "no pseudo-terminal available: greywall refuses (exit 125) instead of handing over the terminal" <<'PY'
# /dev/ptmx replaced by /dev/null in a private mount namespace
argv = ["unshare", "-m", "sh", "-c", 'mount --bind /dev/null /dev/ptmx && exec "$@"', "sh", *gw("sh", "-c", "echo RAN")]
s = Session(argv)
rc = s.wait()
check(rc == 125, f"exit status {rc}", s)
check(b"cannot create a pseudo-terminal" in s.buf and b"RAN" not in s.buf, "refused, command not run", s)
print("PASS")
PY
elif can_skip; then
	t_skip "no pseudo-terminal available" "needs root to hide /dev/ptmx"
else
	t_not_ok "no pseudo-terminal available" "needs root in CI"
fi

pycase "TIOCSTI on fd 0 fails inside" <<'PY'
code = ("import fcntl, os, termios\n"
        "print('ISATTY', os.isatty(0))\n"
        "try:\n"
        "    fcntl.ioctl(0, termios.TIOCSTI, b'x'); print('TIOCSTI-ALLOWED')\n"
        "except OSError as e:\n"
        "    print('TIOCSTI-DENIED', e.errno)\n")
s = Session(gw("python3", "-c", code))
check(s.wait() == 0, "exit status", s)
check(b"ISATTY True" in s.buf and b"TIOCSTI-DENIED" in s.buf and b"ALLOWED" not in s.buf, "denied", s)
print("PASS")
PY

pycase "stdout redirected to a file still gets the output (stdin a terminal)" <<'PY'
path = os.path.join(os.environ["WS"], "sub", "redir.out")
with open(path, "w") as f:
    s = Session(gw("sh", "-c", "echo to-file; [ -t 0 ] && echo stdin-tty; [ -t 1 ] || echo stdout-file; echo to-terminal >&2"), stdout=f)
    rc = s.wait()
data = open(path, "rb").read()
check(rc == 0, f"exit status {rc}", s)
check(data == b"to-file\nstdin-tty\nstdout-file\n", f"file content {data!r}")
check(b"to-terminal" in s.buf and b"to-file" not in s.buf, "stderr on the terminal", s)
print("PASS")
PY

pycase "without a terminal on stdin the command has no controlling terminal" <<'PY'
with open("/dev/null") as null:
    s = Session(gw("sh", "-c", "if (exec 3<>/dev/tty) 2>/dev/null; then echo HAVE-TTY; else echo NO-TTY; fi"),
                stdin=null)
    rc = s.wait()
check(rc == 0 and b"NO-TTY" in s.buf, "/dev/tty is not reachable", s)
print("PASS")
PY

if [ -n "$U_UID" ]; then
	pycase "as gwtest on a terminal it cannot reopen (inherited fds)" <<'PY'
s = Session(gw("sh", "-c", "tty; stty size; echo done; exit 4", user=True), rows=30, cols=90)
rc = s.wait()
check(rc == 4, f"exit status {rc}", s)
check(re.search(rb"(/dev/pts/\d+|/dev/console)\r\n30 90\r\ndone\r\n", s.buf) is not None, "output", s)
check(s.before == s.after, "terminal restored", s)
print("PASS")
PY
	pycase "as gwtest on its own terminal: Ctrl-C and resize" <<'PY'
s = Session(gw("sh", "-c", "stty size; echo READY; read x; stty size; exec sleep 30", user=True),
            rows=25, cols=70, owner=int(os.environ["U_UID"]))
s.expect(r"25 70\r\nREADY")
s.resize(26, 72)
time.sleep(0.3)
s.send("\r")
s.expect(r"26 72\r\n")
time.sleep(0.2)
s.send(b"\x03")
rc = s.wait(timeout=5)
check(rc == 130, f"exit status {rc}", s)
check(s.before == s.after, "terminal restored", s)
print("PASS")
PY
else
	t_skip "as gwtest on a terminal it cannot reopen" "not root"
	t_skip "as gwtest on its own terminal" "not root"
fi

# ===== signals without a terminal ===============================================
# gw_bg OUT CMD...: start greywall in the background (stdin /dev/null), with
# a watchdog so that a lost signal cannot hang the test.  The command says
# "ready" on stdout once its trap is set.
RWS=$T/rws
gw_bg() {
	local out=$1
	shift
	# shellcheck disable=SC2086
	(cd "$RWS" && exec "$GW" $GW_MODE -s "$CONF" -- "$@") </dev/null >"$out" 2>&1 &
	BG=$!
	(exec >/dev/null 2>&1; sleep 20; kill -KILL "$BG") &
	WATCHDOG=$!
}
wait_ready() {
	local i
	for i in $(seq 1 200); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

# term_run OUT CMD...: start, wait for "ready", send SIGTERM to greywall;
# sets RC to greywall's exit status.
term_run() {
	local out=$1
	gw_bg "$@"
	wait_ready "$out"
	kill -TERM "$BG"
	wait "$BG"
	RC=$?
	kill "$WATCHDOG" 2>/dev/null
}

term_run "$T/term.out" bash -c 'trap "echo got-term; exit 3" TERM; echo ready; for i in $(seq 1 100); do sleep 0.1; done; exit 9'
grep -q got-term "$T/term.out" && [ "$RC" = 3 ] && t_ok "SIGTERM to greywall reaches the command's trap" ||
	t_not_ok "SIGTERM reaches the command" "status $RC" "$(cat "$T/term.out")"

term_run "$T/term2.out" sh -c 'echo ready; exec sleep 30'
[ "$RC" = 143 ] && t_ok "the command dying of SIGTERM gives 128+15" || t_not_ok "SIGTERM exit status" "status $RC" "$(cat "$T/term2.out")"

t_done
