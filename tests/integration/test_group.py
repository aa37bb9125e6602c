# SPDX-License-Identifier: ISC
"""Group mode over real sockets: membership, nicknames, `who`, the line protocol, the original
threaded client, capacity limits and a listener out of file descriptors."""

import os
import queue
import resource
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import NOTICE, VALGRIND, main, notices  # noqa: E402
from grouptest import DEADLINE, GROUP, Daemon, LinePeer, Peer, SharedRoom, member  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class Membership(SharedRoom):
    def test_broadcast_includes_sender(self):
        a, b = member(self.d, "ann"), member(self.d, "ben")
        a.notice(body="joined ben")
        a.say("hello room")
        self.assertEqual(a.message(), "ann: hello room")
        self.assertEqual(b.message(), "ann: hello room")
        for p in (a, b):
            p.close()

    def test_joins_leaves_and_who(self):
        a = member(self.d, "alice")
        b = member(self.d, "bob")
        a.notice(body="joined bob")
        a.command("who")
        self.assertEqual(notices(a.wait_for(NOTICE, prefix="members ")),
                         ["member alice", "member bob"])
        b.close()
        a.notice(body="left bob")
        a.command("who")
        self.assertEqual(notices(a.wait_for(NOTICE, body="members 1")), ["member alice"])
        a.close()

    def test_nickname_clash_gets_a_suffix(self):
        a = member(self.d, "carl")
        b = Peer.customer(self.d, "carl")
        # welcome carries the final name; renamed says which one was asked for.
        self.assertEqual(b.recv(), (NOTICE, "welcome group carl2"))
        self.assertEqual(b.recv(), (NOTICE, "renamed carl carl2"))
        a.notice(body="joined carl2")
        b.say("which carl?")
        self.assertEqual(a.message(), "carl2: which carl?")
        # A seed client (no notices) just gets the new name on its messages.
        c = Peer.customer(self.d, "carl", notices=False)
        a.notice(body="joined carl3")
        c.say("me too")
        self.assertEqual(c.message(), "carl3: me too")
        for p in (a, b, c):
            p.close()

    def test_nick_renames_for_everyone(self):
        a, b = member(self.d, "dan"), member(self.d, "eve")
        a.notice(body="joined eve")
        b.command("nick dan")  # taken: suffixed
        for p in (a, b):
            p.notice(body="renamed eve dan2")
        b.command("nick fay")
        for p in (a, b):
            p.notice(body="renamed dan2 fay")
        b.say("I am fay")
        self.assertEqual(a.message(), "fay: I am fay")
        b.command("nick no:colons")
        b.notice(prefix="error bad-nick -- ")
        b.command("nick")
        b.notice(prefix="error bad-command -- ")
        self.assertEqual(notices(a.sync()), [])  # failed renames are not announced
        for p in (a, b):
            p.close()

    def test_line_peer_chats_with_framed_members(self):
        a = member(self.d, "gus")
        n = LinePeer(self.d)
        self.assertEqual(n.recv(), "* welcome group %s -- /nick NAME renames you, "
                         "/who lists the members, quit leaves" % n.name)
        n.skip_history()  # the shared room has talked before
        a.notice(body="joined " + n.name)
        n.send("hi from nc")
        self.assertEqual(a.message(), n.name + ": hi from nc")
        self.assertEqual(n.recv(), n.name + ": hi from nc")
        a.say("hi nc\nsecond line")  # a newline must not start a line of its own
        self.assertEqual(n.recv(), "gus: hi nc second line")
        n.sock.sendall(b"/nick hal\r\n")  # telnet ends lines with CRLF
        a.notice(body="renamed %s hal" % n.name)
        self.assertEqual(n.recv(), "* renamed %s hal" % n.name)
        n.send("/who")
        self.assertEqual(n.wait_for("* members 2"), ["* member gus", "* member hal"])
        n.send("//slash")  # "//" sends a message that starts with "/"
        self.assertEqual(a.message(), "hal: /slash")
        n.send("")  # empty lines are skipped
        n.send("/dance")
        self.assertEqual(n.sync(), ["hal: /slash", "* error unknown-command -- "
                                    "'dance' is not a command here"])
        n.send("quit")
        self.assertEqual(n.expect_closed(), [])
        a.notice(body="left hal")
        a.close()

    def test_line_peer_eof_leaves_and_last_line_counts(self):
        a = member(self.d, "ida")
        n = LinePeer(self.d)
        a.notice(body="joined " + n.name)
        n.sock.sendall(b"no newline at the end")
        n.sock.shutdown(socket.SHUT_WR)
        self.assertEqual(a.message(), n.name + ": no newline at the end")
        a.notice(body="left " + n.name)
        n.close()
        a.close()

    def test_bad_lines_close_only_that_peer(self):
        a = member(self.d, "jo")
        for data, code in ((b"caf\xc3\n", "bad-utf8"), (b"x" * 12000, "frame-too-long")):
            n = LinePeer(self.d)
            a.notice(body="joined " + n.name)
            n.sock.sendall(data)
            lines = n.expect_closed()
            self.assertTrue(lines[-1].startswith("* error %s -- " % code), lines)
            a.notice(body="left " + n.name)
        a.say("still here")
        self.assertEqual(a.message(), "jo: still here")
        a.close()

    def test_original_threaded_client(self):
        """The seed client: a receiving thread, 'I'm ready.', lines from stdin, 'quit'."""
        a = member(self.d, "kim")
        proc = subprocess.Popen([sys.executable, os.path.join(HERE, "seed_group_client.py"),
                                 "127.0.0.1", str(self.d.line_port)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        out = queue.Queue()
        threading.Thread(target=lambda: [out.put(line.rstrip("\n")) for line in proc.stdout],
                         daemon=True).start()

        def seed_line():
            return out.get(timeout=DEADLINE)

        self.assertTrue(seed_line().startswith("* welcome group 127.0.0.1:"))
        # The room's history, as lines between the markers (the shared room has talked).
        first = seed_line()
        self.assertTrue(first.startswith("* history-start "), first)
        for _ in range(int(first.split()[2])):
            self.assertRegex(seed_line(), r"^\S+: ")
        self.assertEqual(seed_line(), "* history-end")
        a.notice(prefix="joined ")
        name = a.frames[-1][1].split(" ", 1)[1]
        proc.stdin.write("hello from the seed\n")
        proc.stdin.flush()
        # "I'm ready." is the client's greeting, not a message: the first message is this one.
        self.assertEqual(a.message(), name + ": hello from the seed")
        self.assertEqual(seed_line(), name + ": hello from the seed")
        a.say("welcome, seed")
        self.assertEqual(seed_line(), "kim: welcome, seed")
        proc.stdin.write("/nick seed\n")
        proc.stdin.flush()
        a.notice(body="renamed %s seed" % name)
        self.assertEqual(seed_line(), "* renamed %s seed" % name)
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        self.assertEqual(proc.wait(DEADLINE), 0)
        proc.stdin.close()
        proc.stdout.close()
        a.notice(body="left seed")
        self.assertNotIn("I'm ready.", " ".join(b for t, b in a.frames))
        a.close()


class Capacity(unittest.TestCase):
    def test_server_full(self):
        with Daemon(GROUP + "max_clients = 2\nmax_per_address = 0\n") as d:
            a, b = member(d, "a"), member(d, "b")
            # A client that opted into notices is told why...
            c = Peer.customer(d, "c")
            self.assertEqual(notices(c.expect_closed()),
                             ["error server-full -- the server is full; try again later"])
            # ...a seed client, which cannot read notices, is just closed...
            s = Peer.customer(d, "s", notices=False)
            s.say("anyone?")
            self.assertEqual(s.expect_closed(), [])
            # ...and a line peer always gets notices.
            n = LinePeer(d)
            self.assertEqual(n.expect_closed(),
                             ["* error server-full -- the server is full; try again later"])
            self.assertEqual(notices(a.sync()), ["joined b"])  # nobody else joined
            b.close()
            a.notice(body="left b")
            e = member(d, "e")  # room again
            a.notice(body="joined e")
            for p in (a, c, e, n, s):
                p.close()

    def test_too_many_from_address(self):
        with Daemon(GROUP + "max_per_address = 2\n") as d:
            a, b = member(d, "a"), LinePeer(d)
            a.notice(body="joined " + b.name)
            c = Peer.customer(d, "c")
            self.assertEqual(notices(c.expect_closed()), [
                "error too-many-from-address -- too many connections from your address"])
            n = LinePeer(d)
            self.assertEqual(n.expect_closed(), [
                "* error too-many-from-address -- too many connections from your address"])
            # Another address is let in (all of 127/8 is loopback on Linux).
            other = LinePeer(d, source="127.0.0.2")
            a.notice(body="joined " + other.name)
            self.assertTrue(other.name.startswith("127.0.0.2:"))
            for p in (a, b, c, n, other):
                p.close()

    @unittest.skipIf(VALGRIND, "valgrind keeps descriptors of its own near the limit")
    def test_listener_survives_emfile(self):
        with Daemon(GROUP + "max_per_address = 0\n") as d:
            a = member(d, "a")
            # Leave the daemon room for only a few more descriptors.
            limit = d.fd_count() + 3
            resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (limit, limit))
            peers = [socket.create_connection(("127.0.0.1", d.line_port)) for _ in range(8)]
            joined = [b for b in notices(a.sync()) if b.startswith("joined ")]
            deadline = time.monotonic() + DEADLINE
            while len(joined) < 3 and time.monotonic() < deadline:
                joined += [b for b in notices(a.sync()) if b.startswith("joined ")]
            self.assertEqual(len(joined), 3, joined)
            # The others wait in the backlog; the daemon must not spin meanwhile.
            cpu0 = self.cpu_seconds(d)
            time.sleep(1.5)
            self.assertLess(self.cpu_seconds(d) - cpu0, 0.5)
            self.assertIn("accept failed", d.log())
            self.assertLess(d.log().count("accept failed"), 10)
            # Descriptors come free: the waiting peers get in.
            for p in peers[:5]:
                p.close()
            deadline = time.monotonic() + DEADLINE
            while len(joined) < 8 and time.monotonic() < deadline:
                joined += [b for b in notices(a.sync()) if b.startswith("joined ")]
            self.assertEqual(len(joined), 8, joined)
            self.assertTrue(d.alive())
            for p in peers:
                p.close()
            a.close()

    @staticmethod
    def cpu_seconds(d):
        with open("/proc/%d/stat" % d.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
