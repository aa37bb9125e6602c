# SPDX-License-Identifier: ISC
"""Helpers for the tests of frontdeskd as a systemd service, none of which needs a running
systemd: a NOTIFY_SOCKET of the test's own, free ports, and a daemon started through
systemd-socket-activate (from the systemd package) the way frontdeskd.socket would start it."""

import os
import socket
import subprocess
import time

from fdtest import DEADLINE, FRONTDESKD, Daemon, Peer

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


def free_port():
    """A port nobody listens on right now. Between our close() and systemd-socket-activate's
    bind another process could take it: a tiny race, acceptable on a test machine, and it would
    show as a clear bind error, not as a wrong result."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ActivatedDaemon(Daemon):
    """frontdeskd under systemd-socket-activate, which binds the sockets, waits for the first
    connection and then execs the daemon with them (LISTEN_FDS), in the same process."""

    def __init__(self, port, config="", sockets=None, env=None):
        super().__init__("listen = 127.0.0.1:%d\n" % port + config)
        self.sockets = sockets if sockets is not None else ["127.0.0.1:%d" % port,
                                                           self.agent_socket]
        self.daemon_env = env or {}
        self.trigger = None

    def command(self):
        cmd = ["systemd-socket-activate"]
        for s in self.sockets:
            cmd += ["-l", s]
        # systemd-socket-activate passes the child only LISTEN_* and what -E names.
        for k, v in self.daemon_env.items():
            cmd += ["-E", "%s=%s" % (k, v)]
        return cmd + ["--", FRONTDESKD, "-c", self.config_path, "-v"]

    def spawn(self):
        """Start systemd-socket-activate and wait until it listens on every socket."""
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + DEADLINE
        while self.log().count("Listening on ") < len(self.sockets):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("systemd-socket-activate did not listen:\n" + self.log())
            time.sleep(0.02)
        return self

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
