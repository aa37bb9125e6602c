# SPDX-License-Identifier: ISC
"""Helpers for the tests of frontdeskd as a systemd service, none of which needs a running
systemd: a NOTIFY_SOCKET of the test's own, and a daemon started through
systemd-socket-activate (from the systemd package) the way frontdeskd.socket would start it."""

import os
import shutil
import socket
import subprocess
import sys
import time

from fdtest import DEADLINE, Daemon, Peer, daemon_argv

SOURCE_ROOT = os.environ.get("FRONTDESK_SOURCE_ROOT",
                             os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_ROOT = os.environ.get("FRONTDESK_BUILD_ROOT", os.path.join(SOURCE_ROOT, "build"))


class NotifySocket:
    """The datagram socket sd_notify(3) writes to, bound in @directory."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.received = []  # every message, as {KEY: VALUE}

    def env(self, **extra):
        """The test's environment plus NOTIFY_SOCKET (and @extra), for the daemon."""
        return dict(os.environ, NOTIFY_SOCKET=self.path, **extra)

    def recv(self, timeout=DEADLINE):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            raise AssertionError("no sd_notify message within %ss; got %r"
                                 % (timeout, self.received[-5:]))
        msg = dict(line.split("=", 1) for line in data.decode().split("\n") if line)
        self.received.append(msg)
        return msg

    def wait_for(self, key, value=None, timeout=DEADLINE):
        """Read until a message has @key (equal to @value if given); return that message and the
        ones before it, watchdog pings left out."""
        before = []
        deadline = time.monotonic() + timeout
        while True:
            msg = self.recv(max(0.01, deadline - time.monotonic()))
            if key in msg and (value is None or msg[key] == value):
                return msg, before
            if msg != {"WATCHDOG": "1"}:
                before.append(msg)

    def close(self):
        self.sock.close()


# Runs as "python3 -c PASS_FDS N FD... COMMAND...": moves the N sockets to fds 3, 4, ... and
# execs COMMAND with LISTEN_FDS/LISTEN_PID naming them, as systemd would.
PASS_FDS = r"""
import fcntl, os, sys
n = int(sys.argv[1])
fds = [int(fd) for fd in sys.argv[2:2 + n]]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]
for fd in fds:
    os.close(fd)  # only the copies at 3, 4, ... go on
for i, fd in enumerate(high):
    os.dup2(fd, 3 + i)
    os.close(fd)
os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS=str(n))
os.execvp(sys.argv[2 + n], sys.argv[2 + n:])
"""


class ActivatedDaemon(Daemon):
    """frontdeskd under systemd-socket-activate, which waits for the first connection and then
    execs the daemon (same process) with the sockets in LISTEN_FDS, as frontdeskd.socket would.

    The TCP sockets are bound by the test itself, on port 0, and handed to
    systemd-socket-activate, which passes inherited sockets on: no free port has to be guessed,
    so no other process can take it in between. The agent's Unix socket (in the test's own
    directory) is opened by systemd-socket-activate's -l."""

    def __init__(self, config="", tcp=1, agent=True, listen=None, env=None):
        self.tcp = []
        for _ in range(tcp):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(64)
            self.tcp.append(s)
        self.ports = [s.getsockname()[1] for s in self.tcp]
        listen = listen or "127.0.0.1:%d" % self.ports[0]
        super().__init__("listen = %s\n" % listen + config)
        self.unix = [self.agent_socket] if agent else []
        self.daemon_env = env or {}
        self.trigger = None

    def command(self):
        fds = [str(s.fileno()) for s in self.tcp]
        cmd = [sys.executable, "-c", PASS_FDS, str(len(fds))] + fds + ["systemd-socket-activate"]
        for path in self.unix:
            cmd += ["-l", path]
        # systemd-socket-activate passes the child only LISTEN_* and what -E names.
        for k, v in self.daemon_env.items():
            cmd += ["-E", "%s=%s" % (k, v)]
        return cmd + ["--"] + daemon_argv(self.dir) + ["-c", self.config_path, "-v"]

    def spawn(self):
        """Start systemd-socket-activate and wait until it listens on every socket."""
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT,
                                     pass_fds=[s.fileno() for s in self.tcp])
        for s in self.tcp:
            s.close()  # the child has them now
        deadline = time.monotonic() + DEADLINE
        while self.log().count("Listening on ") < len(self.tcp) + len(self.unix):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("systemd-socket-activate did not listen:\n" + self.log())
            time.sleep(0.02)
        return self

    def discard(self):
        """Clean up after a daemon that was meant to fail (no clean-exit check)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self):
        """Listen, then attach the agent: its connection makes the daemon start."""
        self.spawn()
        self.trigger = Peer.agent(self, "mary")
        return self.wait_ready()


def socket_inodes(pid):
    """fd number -> socket inode, for the sockets process @pid has open."""
    result = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            result[int(fd)] = int(target[8:-1])
    return result


def listening_tcp_inodes():
    """Inodes of every listening TCP socket on the machine (state 0A in /proc/net/tcp*)."""
    inodes = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A":
                        inodes.add(int(fields[9]))
        except FileNotFoundError:
            pass
    return inodes
