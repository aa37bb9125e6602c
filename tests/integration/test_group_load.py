# SPDX-License-Identifier: ISC
"""Group mode at scale: 200 framed and 20 line members in one room, 50 of them sending 20
messages each. Every member must receive exactly the same 1000 messages in the same order.

All 220 sockets are non-blocking and driven by one selector, so the test itself never stalls
on a member that the daemon is still writing to."""

import os
import selectors
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import COMMAND, MESSAGE, NICKNAME, NOTICE, frame, main  # noqa: E402
from grouptest import GROUP, Daemon  # noqa: E402

FRAMED, LINES, SENDERS, PER_SENDER = 200, 20, 50, 20
DEADLINE = 90


class Member:
    def __init__(self, sel, port, line, hello=b""):
        self.sock = socket.create_connection(("127.0.0.1", port))
        # The handshake deadline runs from the connect: say hello now, not after the other
        # 199 connects (slow under valgrind).
        self.sock.sendall(hello)
        hello = b""
        self.sock.setblocking(False)
        self.line = line
        self.name = "%s:%d" % self.sock.getsockname() if line else None
        self.inbuf = b""
        self.outbuf = hello
        self.messages = []
        self.notices = []
        self.sel = sel
        sel.register(self.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if hello else 0),
                     self)

    def queue(self, text):
        self.outbuf += (text.encode() + b"\n") if self.line else frame(MESSAGE, text)
        self.sel.modify(self.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, self)

    def on_write(self):
        n = self.sock.send(self.outbuf)
        self.outbuf = self.outbuf[n:]
        if not self.outbuf:
            self.sel.modify(self.sock, selectors.EVENT_READ, self)

    def on_read(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise AssertionError("member %s was closed" % self.name)
        self.inbuf += data
        if self.line:
            *lines, self.inbuf = self.inbuf.split(b"\n")
            for raw in lines:
                text = raw.decode()
                (self.notices if text.startswith("* ") else self.messages).append(text)
            return
        buf, i = self.inbuf, 0
        while len(buf) - i >= 7:
            length = int(buf[i:i + 4])
            if len(buf) - i < length:
                break
            body = buf[i + 7:i + length].decode()
            (self.messages if buf[i + 5] == ord("2") else self.notices).append(body)
            i += length
        self.inbuf = buf[i:]


def pump(sel, until, what):
    deadline = time.monotonic() + DEADLINE
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        for key, events in sel.select(1.0):
            if events & selectors.EVENT_READ:
                key.data.on_read()
            if events & selectors.EVENT_WRITE and key.data.outbuf:
                key.data.on_write()


class Load(unittest.TestCase):
    def test_220_members_1000_messages_one_order(self):
        # 220 joins from one address at once: the join rate is off.
        with Daemon(GROUP + "max_per_address = 0\nmax_joins_per_min = 0\n") as d:
            sel = selectors.DefaultSelector()
            framed = []
            for i in range(FRAMED):
                # Half the framed members opt into notices, half are like seed clients.
                hello = frame(NICKNAME, "m%d" % i)
                if i % 2 == 0:
                    hello += frame(COMMAND, "hello notices")
                framed.append(Member(sel, d.port, False, hello))
                framed[-1].name = "m%d" % i
            observer = framed[0]  # joined first: once it saw every join, all are in

            def joins():
                return sum(n.startswith("joined ") for n in observer.notices)

            pump(sel, lambda: joins() == FRAMED - 1, "the framed members' joins")
            # Line members are in the room as soon as they connect.
            lines = [Member(sel, d.line_port, True) for _ in range(LINES)]
            members = framed + lines
            pump(sel, lambda: joins() == len(members) - 1, "the line members' joins")

            senders = framed[1:1 + SENDERS - LINES // 2] + lines[:LINES // 2]
            self.assertEqual(len(senders), SENDERS)
            for j in range(PER_SENDER):
                for k, s in enumerate(senders):
                    s.queue("s%d n%d" % (k, j))
            total = SENDERS * PER_SENDER
            pump(sel, lambda: all(len(m.messages) >= total for m in members), "1000 messages")
            # Nothing more is on its way: a last message is the next thing everyone gets.
            observer.queue("END")
            pump(sel, lambda: all(len(m.messages) >= total + 1 for m in members), "END")

            reference = observer.messages
            self.assertEqual(reference[-1], "m0: END")
            self.assertEqual(len(set(reference)), total + 1)  # no duplicates
            for k, s in enumerate(senders):
                mine = [m for m in reference if m.startswith(s.name + ": ")]
                self.assertEqual(mine, ["%s: s%d n%d" % (s.name, k, j) for j in range(PER_SENDER)])
            for m in members:
                self.assertEqual(len(m.messages), total + 1, m.name)
                self.assertEqual(m.messages, reference, m.name)  # one order for all
            self.assertTrue(d.alive())
            for m in members:
                sel.unregister(m.sock)
                m.sock.close()


if __name__ == "__main__":
    main()
