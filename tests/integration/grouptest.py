# SPDX-License-Identifier: ISC
"""Helpers for the group-mode tests: a line-protocol peer, and framed members of the room."""

import socket
import threading
import time
import unittest

from fdtest import DEADLINE, MESSAGE, Closed, Daemon, Peer

GROUP = "mode = group\n"


class LinePeer(Peer):
    """A newline-protocol peer (what nc does). Lines come back as str without the newline;
    expect_closed() and close() are the framed peer's."""

    def __init__(self, daemon, source=None):
        sock = socket.create_connection(("127.0.0.1", daemon.line_port), timeout=DEADLINE,
                                        source_address=(source, 0) if source else None)
        super().__init__(sock, "%s:%d" % sock.getsockname())  # the room calls us by our address
        self.lines = []

    def send(self, text):
        self.sock.sendall(text.encode() + b"\n")

    def recv(self, timeout=DEADLINE):
        """The next line, AssertionError at the deadline, Closed at EOF."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if time.monotonic() >= deadline:
                raise AssertionError("%s: no line within %ss (buffer %r)" % (self.name, timeout, self.buf[:200]))
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\n", 1)
        text = line.decode()
        self.lines.append(text)
        return text

    def wait_for(self, line=None, prefix=None, timeout=DEADLINE):
        """Read until @line (or a line starting with @prefix); return the lines before it."""
        before = []
        deadline = time.monotonic() + timeout
        while True:
            got = self.recv(max(0.01, deadline - time.monotonic()))
            if (line is None or got == line) and (prefix is None or got.startswith(prefix)):
                return before
            before.append(got)

    def skip_history(self):
        """The room's history a line member gets on joining (7.4): its lines, checked framed.
        A quiet room gives a line member none at all. A ping marks the end of what came;
        lines other than the history are left to be read."""
        before = self.sync("history")
        if not before or not before[0].startswith("* history-start "):
            history, rest = [], before
        else:
            count = int(before[0].split()[2])
            history, rest = before[1:1 + count], before[2 + count:]
            assert before[1 + count] == "* history-end", before
        self.buf = b"".join(line.encode() + b"\n" for line in rest) + self.buf
        return history

    def sync(self, token="sync"):
        """Barrier: the lines the server sent before answering our ping."""
        self.send("/ping " + token)
        return self.wait_for("* pong " + token)


class Reader(threading.Thread):
    """Reads a framed member's stream in the background: messages (with their arrival times)
    and notices, in order."""

    def __init__(self, peer):
        super().__init__(daemon=True)
        self.peer = peer
        self.messages = []
        self.times = []  # time.monotonic() at each message's arrival
        self.notices = []
        self.frames = []  # both, in the order they came: (type, body)
        self.closed = False
        self.cond = threading.Condition()
        self.start()

    def run(self):
        try:
            while True:
                t, b = self.peer.recv(3600)
                with self.cond:
                    self.frames.append((t, b))
                    if t == MESSAGE:
                        self.messages.append(b)
                        self.times.append(time.monotonic())
                    else:
                        self.notices.append(b)
                    self.cond.notify_all()
        except (Closed, OSError, AssertionError):
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait(self, predicate, timeout=DEADLINE):
        with self.cond:
            if not self.cond.wait_for(lambda: predicate(self), timeout):
                raise AssertionError("%s: condition not met; last notices %r" %
                                     (self.peer.name, self.notices[-5:]))


def under_memory_tool(daemon):
    """Whether the daemon runs under AddressSanitizer or valgrind, whose quarantine of freed
    blocks and shadow memory make its RSS say nothing about its own memory use."""
    with open("/proc/%d/maps" % daemon.proc.pid) as f:
        maps = f.read()
    return "libasan" in maps or "vgpreload" in maps or "valgrind" in maps


def member(daemon, nick, notices=True):
    """A framed member that has been welcomed (when it opted into notices)."""
    p = Peer.customer(daemon, nick, notices=notices)
    if notices:
        p.notice(prefix="welcome group ")
    return p


__all__ = ["GROUP", "LinePeer", "Reader", "member", "under_memory_tool", "Daemon", "Peer",
           "Closed", "DEADLINE"]


class SharedRoom(unittest.TestCase):
    """Tests that share one room daemon (no rate limit), started once for the class."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(GROUP + "max_msgs_per_sec = 0\n").start()

    @classmethod
    def tearDownClass(cls):
        cls.d.__exit__(None, None, None)
