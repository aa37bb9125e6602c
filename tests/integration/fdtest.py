# SPDX-License-Identifier: ISC
"""Test fixture: start the real frontdeskd on loopback and talk to it over real sockets.

Every daemon gets its own temporary directory (config file, agent socket, log) and a port the
kernel picks (listen = 127.0.0.1:0); the fixture reads the port back from the daemon's log.
Nothing here sleeps to let things happen: every wait is for an event, with a generous deadline.
To prove that something did NOT arrive, send a `ping TOKEN` command and wait for its `pong`: the
server answers in order, so anything it would have sent before is in the stream by then.
"""

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

FRONTDESKD = os.environ.get("FRONTDESKD", "build/src/frontdeskd")
FRONTDESK = os.environ.get("FRONTDESK", "build/src/frontdesk")
DEADLINE = float(os.environ.get("FRONTDESK_TEST_DEADLINE", "20"))

NICKNAME, MESSAGE, NOTICE, COMMAND, CHALLENGE, RESPONSE = 1, 2, 3, 4, 7, 8

# FRONTDESK_VALGRIND=1: run every daemon under memcheck; any error or leak makes it exit 99.
VALGRIND = os.environ.get("FRONTDESK_VALGRIND") == "1"
if VALGRIND:
    DEADLINE *= 3


def find_promtool():
    """promtool (Debian's package prometheus): installed, or unpacked into the build tree by
    contrib/deps.sh's provide_promtool; None when neither."""
    tools = os.path.join(os.environ.get("FRONTDESK_BUILD_ROOT", "build"), "tools", "usr", "bin")
    return shutil.which("promtool") or shutil.which("promtool", path=tools)


def daemon_argv(log_dir):
    """The command that starts frontdeskd: itself, or under valgrind (log in @log_dir)."""
    if not VALGRIND:
        return [FRONTDESKD]
    return ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
            "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite,indirect",
            "--log-file=" + os.path.join(log_dir, "valgrind.log"), FRONTDESKD]


def frame(ftype, body):
    """Encode one frame: 4-digit total length, '|', type digit, '|', UTF-8 body."""
    if isinstance(body, str):
        body = body.encode()
    return b"%04d|%d|" % (len(body) + 7, ftype) + body


class Daemon:
    """One frontdeskd process with its own config. Use as a context manager."""

    env = None  # the daemon's environment; None: the test's own

    def __init__(self, config="", args=()):
        self.dir = tempfile.mkdtemp(prefix="frontdesk-test-")
        self.agent_socket = os.path.join(self.dir, "agent.sock")
        self.config_path = os.path.join(self.dir, "frontdesk.conf")
        text = config
        if not re.search(r"^\s*listen\s*=", text, re.M):
            text += "\nlisten = 127.0.0.1:0\n"
        if not re.search(r"^\s*agent_socket\s*=", text, re.M):
            text += "agent_socket = %s\n" % self.agent_socket
        if "mode = group" in text and not re.search(r"^\s*line_listen\s*=", text, re.M):
            text += "line_listen = 127.0.0.1:0\n"
        # The store is on by default, as users run it: a file of the test's own.
        self.store_path = os.path.join(self.dir, "frontdesk.db")
        if not re.search(r"^\s*store\s*=", text, re.M):
            text += "store = sqlite:%s\n" % self.store_path
        with open(self.config_path, "w") as f:
            f.write(text)
        self.log_path = os.path.join(self.dir, "daemon.log")
        self.args = list(args)
        self.proc = None
        self.port = None
        self.line_port = None
        self.metrics_port = None

    def command(self):
        """The command that starts the daemon; a subclass may wrap it (socket activation)."""
        return daemon_argv(self.dir) + ["-c", self.config_path, "-v"] + self.args

    def start(self):
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.command(), env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT)
        return self.wait_ready()

    def wait_ready(self):
        """Wait for the "ready" log line; learn the ports from the "listening on" lines."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            text = self.log()
            if "frontdeskd ready" in text:
                m = re.search(r"listening on (\S+):(\d+) \(framed", text)
                self.port = int(m.group(2)) if m else None
                m = re.search(r"listening on (\S+):(\d+) \(line", text)
                self.line_port = int(m.group(2)) if m else None
                m = re.search(r"metrics on (\S+):(\d+) ", text)
                self.metrics_port = int(m.group(2)) if m else None
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("frontdeskd exited with %s:\n%s" % (self.proc.returncode, text))
            time.sleep(0.02)
        raise RuntimeError("frontdeskd did not become ready:\n" + self.log())

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_log(self, text, count=1, timeout=DEADLINE):
        """Wait until the daemon's log holds @text at least @count times."""
        deadline = time.monotonic() + timeout
        while self.log().count(text) < count:
            if time.monotonic() > deadline:
                raise AssertionError("daemon never logged %r (%d times)" % (text, count))
            time.sleep(0.02)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        """Stop the daemon; return its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def fd_count(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def __enter__(self):
        return self.start()

    def memcheck_report(self):
        path = os.path.join(self.dir, "valgrind.log")
        if os.path.exists(path):
            with open(path) as f:
                return f.read()
        return ""

    def __exit__(self, *exc):
        code = None
        if self.proc:
            code = self.stop()
            self._log.close()
        if exc[0] is not None and self.proc:
            print("---- daemon log ----\n" + self.log()[-6000:])
        report = self.memcheck_report()
        shutil.rmtree(self.dir, ignore_errors=True)
        # A clean stop is part of every test: a leak (LeakSanitizer, valgrind) or a crash on
        # the way out makes the exit code non-zero.
        if exc[0] is None and code is not None and code != 0:
            raise AssertionError("frontdeskd exited with %s after SIGTERM\n%s" % (code, report))
        return False


def free_port():
    """A loopback TCP port nobody listens on now (the kernel's pick, released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisError(Exception):
    """An error reply ("-ERR ...") from Redis."""


def resp_encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def resp_read(f):
    """One RESP2 reply from the file @f: bytes, int, list, None; an error raises RedisError."""
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("Redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RedisError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [resp_read(f) for _ in range(n)]
    raise ConnectionError("not RESP: %r" % line)


_redis_running = set()


@atexit.register
def _kill_redis_left():
    # A test that failed before its cleanup leaves no redis-server behind.
    for r in list(_redis_running):
        r.kill()


class Redis:
    """A private redis-server on a free loopback port, with a tiny RESP client (call()).

    stop() and start() keep the port and the directory, so a restart is the same server to
    a daemon; pause() and cont() freeze it (SIGSTOP) as a stuck Redis would be.
    """

    def __init__(self, tmpdir=None, password=None, appendonly=False):
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.own_dir = tmpdir is None
        self.dir = tmpdir or tempfile.mkdtemp(prefix="frontdesk-redis-")
        self.password = password
        self.appendonly = appendonly
        self.port = free_port()
        self.proc = None

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def start(self):
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes" if self.appendonly else "no", "--dir", self.dir,
                "--daemonize", "no", "--logfile", os.path.join(self.dir, "redis.log")]
        if self.password:
            argv += ["--requirepass", self.password]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
        _redis_running.add(self)
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                if self.call("PING") == "PONG":
                    return self
            except (OSError, RedisError):
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited with %s" % self.proc.returncode)
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not answer PING")
            time.sleep(0.02)

    def call(self, *args):
        """Run one command on a fresh connection; return its decoded reply."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=DEADLINE) as s:
            f = s.makefile("rb")
            if self.password:
                s.sendall(resp_encode(["AUTH", self.password]))
                resp_read(f)
            s.sendall(resp_encode(args))
            return resp_read(f)

    def stop(self):
        """SIGTERM and wait (Redis writes its append-only file first)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        _redis_running.discard(self)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        _redis_running.discard(self)

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def cont(self):
        self.proc.send_signal(signal.SIGCONT)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        return False


class RssPeak(threading.Thread):
    """Samples a daemon's VmRSS in the background; stop() returns its highest growth in KiB."""

    def __init__(self, daemon):
        super().__init__(daemon=True)
        self.d = daemon
        self.base = self.peak = daemon.rss_kib()
        self.running = True
        self.start()

    def run(self):
        while self.running:
            try:
                self.peak = max(self.peak, self.d.rss_kib())
            except OSError:
                return
            time.sleep(0.01)

    def stop(self):
        self.running = False
        self.join()
        return self.peak - self.base


class Closed(Exception):
    pass


class Peer:
    """A framed-protocol peer with a receive buffer. Frames come back as (type, str)."""

    def __init__(self, sock, name=None):
        self.sock = sock
        self.buf = b""
        self.name = name
        self.frames = []  # everything received, for assertions about order
        self.eof = False

    @classmethod
    def customer(cls, daemon, nick=None, notices=True):
        p = cls(socket.create_connection(("127.0.0.1", daemon.port), timeout=DEADLINE), nick)
        if nick is not None:
            p.join(nick, notices)
        return p

    @classmethod
    def sleeper(cls, daemon, nick, notices=True):
        """A customer (member) with a small receive window that reads nothing: its output
        piles up in the daemon after a few KiB."""
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window
        s.settimeout(DEADLINE)
        s.connect(("127.0.0.1", daemon.port))
        p = cls(s, nick)
        p.join(nick, notices)
        return p

    @classmethod
    def agent(cls, daemon, nick="agent", notices=True):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(DEADLINE)
        s.connect(daemon.agent_socket)
        p = cls(s, nick)
        p.join(nick, notices)
        return p

    def join(self, nick, notices=True):
        data = frame(NICKNAME, nick)
        if notices:
            data += frame(COMMAND, "hello notices")
        self.sock.sendall(data)

    def send(self, ftype, body):
        self.sock.sendall(frame(ftype, body))

    def say(self, text):
        self.send(MESSAGE, text)

    def command(self, text):
        self.send(COMMAND, text)

    def _recv(self, deadline):
        """What the socket has for us by @deadline (None: nothing yet); at its end, Closed."""
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return None
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            raise Closed()
        return data

    def _fill(self, deadline):
        data = self._recv(deadline)
        if data is None:
            return False
        self.buf += data
        return True

    def recv(self, timeout=DEADLINE):
        """The next frame, or raise AssertionError at the deadline, Closed at EOF."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 7:
                length = int(self.buf[:4])
                if len(self.buf) >= length:
                    ftype, body = int(self.buf[5:6]), self.buf[7:length]
                    if ftype != 6:  # a file's bytes (type 6) are no text
                        body = body.decode()
                    self.buf = self.buf[length:]
                    self.frames.append((ftype, body))
                    return ftype, body
            if time.monotonic() >= deadline:
                raise AssertionError("%s: no frame within %ss (buffer %r)" % (self.name, timeout, self.buf[:200]))
            self._fill(deadline)

    def wait_for(self, ftype, body=None, prefix=None, timeout=DEADLINE):
        """Read until a frame of @ftype whose body equals @body (or starts with @prefix).
        Returns the frames read before it."""
        before = []
        deadline = time.monotonic() + timeout
        while True:
            t, b = self.recv(max(0.01, deadline - time.monotonic()))
            if t == ftype and (body is None or b == body) and (prefix is None or b.startswith(prefix)):
                return before
            before.append((t, b))

    def notice(self, body=None, prefix=None, timeout=DEADLINE):
        return self.wait_for(NOTICE, body=body, prefix=prefix, timeout=timeout)

    def message(self, timeout=DEADLINE):
        """The next chat message, skipping notices."""
        while True:
            t, b = self.recv(timeout)
            if t == MESSAGE:
                return b

    def sync(self, token="sync"):
        """Barrier: everything the server sent before our ping is returned (pong excluded)."""
        self.command("ping " + token)
        return self.wait_for(NOTICE, body="pong " + token)

    def expect_closed(self, timeout=DEADLINE):
        """Read until EOF; return the frames that came first."""
        before = []
        deadline = time.monotonic() + timeout
        try:
            while True:
                before.append(self.recv(max(0.01, deadline - time.monotonic())))
        except Closed:
            return before

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def desk_exchange(daemon, agent="mary", customer="bob"):
    """An agent and a served customer who have each said one thing ("hello", "hi bob")."""
    a = Peer.agent(daemon, agent)
    c = Peer.customer(daemon, customer)
    a.notice(body="customer " + customer)
    c.say("hello")
    assert a.message() == "hello"
    a.say("hi " + customer)
    assert c.message() == "hi " + customer
    return a, c


def messages(frames):
    return [b for t, b in frames if t == MESSAGE]


def notices(frames):
    return [b for t, b in frames if t == NOTICE]


def main():
    unittest.main(verbosity=2)
