# SPDX-License-Identifier: ISC
"""Big rooms stay quiet: in a room with more than announce_max_members members, joins, leaves
and renames are not told to the room at all, and `who` answers 200 names a page.

The 5,000-member room runs in the plain build only, as every test with more than 200
connections: under valgrind (FRONTDESK_VALGRIND=1) it is skipped before it starts, under
AddressSanitizer (seen in the daemon's maps) right after. Its members are non-blocking sockets
driven by one selector, joined 200 at a time (below max_startups' 256, where handshakes start
to be refused), so the test never stalls on one and no thread is needed per member. It prints
what the README's *Big rooms* quotes: the time the joins took, the notices a member got, the
daemon's RSS."""

import os
import resource
import selectors
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import COMMAND, NICKNAME, NOTICE, VALGRIND, frame, main, notices  # noqa: E402
from grouptest import GROUP, Daemon, LinePeer, member, under_memory_tool  # noqa: E402
from test_service_reload import ReloadDaemon  # noqa: E402

MEMBERS, THRESHOLD, PAGE = 5000, 500, 200
WINDOW = 200  # handshakes in flight at once
DEADLINE = 300  # for the whole room to join, or leave: generous on 2 shared cores
BIG = GROUP + ("max_per_address = 0\nmax_joins_per_min = 0\nmax_clients = %d\n"
               "announce_max_members = %d\n" % (MEMBERS + 1000, THRESHOLD))


class Member:
    """A framed member that asked for notices; what it is sent is read when the selector says
    so. @notices: the notices after its welcome."""

    def __init__(self, sel, port, nick):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(frame(NICKNAME, nick) + frame(COMMAND, "hello notices"))
        self.sock.setblocking(False)
        self.nick = nick
        self.buf = b""
        self.welcomed = False
        self.notices = []
        sel.register(self.sock, selectors.EVENT_READ, self)

    def on_read(self):
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            raise AssertionError("member %s was closed" % self.nick)
        self.buf += data
        while len(self.buf) >= 7 and len(self.buf) >= int(self.buf[:4]):
            length = int(self.buf[:4])
            ftype, body = int(self.buf[5:6]), self.buf[7:length].decode()
            self.buf = self.buf[length:]
            if ftype != NOTICE:
                continue
            if body.startswith("welcome group "):
                self.welcomed = True
            else:
                self.notices.append(body)


def pump(sel, until, what):
    deadline = time.monotonic() + DEADLINE
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        for key, _ in sel.select(1.0):
            key.data.on_read()


def who(peer, page=None):
    """@peer's answer to "who [PAGE]": (names, whether "who-more" came, the total)."""
    peer.command("who" if page is None else "who %d" % page)
    answer = notices(peer.sync("who"))
    names = [n[len("member "):] for n in answer if n.startswith("member ")]
    more = answer.count("who-more")
    assert more <= 1 and answer[-1].startswith("members "), answer
    if more:
        assert answer[-2] == "who-more", answer
    assert len(names) == len(answer) - 1 - more, answer
    return names, bool(more), int(answer[-1].split()[1])


def join_all(d, sel, count):
    """@count members m1..m@count join, WINDOW of them at a time; they are returned."""
    members = []
    waiting = []
    for i in range(1, count + 1):
        members.append(Member(sel, d.port, "m%d" % i))
        waiting.append(members[-1])
        if len(waiting) >= WINDOW or i == count:
            pump(sel, lambda: all(m.welcomed for m in waiting), "welcomes up to m%d" % i)
            waiting = []
    return members


def raise_nofile(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < need:
        raise unittest.SkipTest("%d descriptors needed, the hard limit is %d" % (need, hard))
    if soft != resource.RLIM_INFINITY and soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


class BigRoom(unittest.TestCase):
    @unittest.skipIf(VALGRIND, "5,000 connections: the plain build only")
    def test_5000_members_join_quietly_and_who_pages_through_them(self):
        raise_nofile(MEMBERS + 200)
        with Daemon(BIG) as d:
            if under_memory_tool(d):
                self.skipTest("5,000 connections: the plain build only")
            rss0 = d.rss_kib()
            watcher = member(d, "watcher")  # the first member: it sees every join there is
            sel = selectors.DefaultSelector()
            start = time.monotonic()
            members = join_all(d, sel, MEMBERS - 1)
            took = time.monotonic() - start
            rss = d.rss_kib()

            # The room was quiet from the 501st member on: the watcher heard 499 joins, not 4,999.
            heard = notices(watcher.sync())
            self.assertEqual(len(heard), THRESHOLD - 1, heard[-3:])
            self.assertTrue(all(n.startswith("joined m") for n in heard))
            # Each newcomer to the big room was told how many are there instead, once.
            sizes = sorted(int(m.notices[0].split()[1]) for m in members
                           if m.notices and m.notices[0].startswith("members "))
            self.assertEqual(sizes, list(range(THRESHOLD + 1, MEMBERS + 1)))
            told = sum(len(m.notices) for m in members) + len(heard)
            self.assertEqual(told - len(sizes), sum(range(THRESHOLD)))  # 124,750 joins told
            sys.stderr.write("\n%d joins in %.1f s; the first member heard %d notices, the room "
                             "%d in all; RSS %d MiB (%d MiB before)\n" %
                             (MEMBERS, took, len(heard), told, rss // 1024, rss0 // 1024))

            # who: 25 pages of 200, the first to join first, every name exactly once; then a
            # page past the end, empty.
            names = []
            for page in range(1, MEMBERS // PAGE + 1):
                got, more, total = who(watcher, page if page > 1 else None)
                self.assertEqual((len(got), more, total),
                                 (PAGE, page < MEMBERS // PAGE, MEMBERS), page)
                names += got
            self.assertEqual(names[0], "watcher")
            self.assertEqual(len(names), len(set(names)))
            self.assertEqual(set(names), {"watcher"} | {m.nick for m in members})
            self.assertEqual(who(watcher, MEMBERS // PAGE + 1), ([], False, MEMBERS))
            for bad in ("0", "-1", "x", "2 3", "99999999999999999999"):
                watcher.command("who " + bad)
                self.assertEqual(notices(watcher.sync()), [
                    "error bad-command -- who takes a page number, 1 or more"], bad)

            # A line member: told the size, not announced; /who pages alike (5,001: 26 pages).
            line = LinePeer(d)
            self.assertEqual(line.recv()[:16], "* welcome group ")
            self.assertEqual(line.recv(), "* members %d" % (MEMBERS + 1))
            line.skip_history()
            line.send("/who 26")
            self.assertEqual(line.sync(), ["* member " + line.name, "* members 5001"])
            line.send("/who 25")
            page = line.sync()
            self.assertEqual(len(page), PAGE + 2)
            self.assertEqual(page[-2:], ["* who-more", "* members 5001"])
            line.send("/who 0")
            self.assertEqual(line.sync(), [
                "* error bad-command -- who takes a page number, 1 or more"])

            # A rename is told to the member alone; nobody else hears of it, nor of the line
            # member's join and leave.
            early = next(m for m in members if m.nick == "m1")
            early.sock.sendall(frame(COMMAND, "nick early"))
            pump(sel, lambda: "renamed m1 early" in early.notices, "m1's rename")
            line.send("quit")
            line.expect_closed()
            line.close()
            d.wait_log("left the room, %d members" % MEMBERS)
            self.assertEqual(notices(watcher.sync()), [])

            # 4,500 leave, each from a room of more than 500: not a word. From 500 on, "left".
            for m in members[THRESHOLD - 1:]:
                sel.unregister(m.sock)
                m.sock.close()
            d.wait_log("left the room, %d members" % THRESHOLD, timeout=DEADLINE)
            self.assertEqual(notices(watcher.sync()), [])
            last = members[THRESHOLD - 2]
            sel.unregister(last.sock)
            last.sock.close()
            self.assertEqual(notices(watcher.wait_for(NOTICE, body="left " + last.nick)), [])
            self.assertEqual(who(watcher)[1:], (True, THRESHOLD - 1))
            for m in members[:THRESHOLD - 2]:
                sel.unregister(m.sock)
                m.sock.close()
            watcher.close()
            self.assertTrue(d.alive())


class SmallRoom(unittest.TestCase):
    def test_small_room_announces_as_before_and_big_one_does_not(self):
        with Daemon(GROUP + "announce_max_members = 3\n") as d:
            a = member(d, "a")
            b = member(d, "b")
            a.notice(body="joined b")
            line = LinePeer(d)
            a.notice(body="joined " + line.name)
            b.notice(body="joined " + line.name)
            self.assertEqual(line.recv()[:16], "* welcome group ")
            # Today's answer, exactly: no "members" after the welcome, no "who-more".
            self.assertEqual(line.skip_history(), [])
            a.command("who")
            self.assertEqual(notices(a.sync()),
                             ["member a", "member b", "member " + line.name, "members 3"])
            line.send("/who")
            self.assertEqual(line.sync(), ["* member a", "* member b", "* member " + line.name,
                                           "* members 3"])
            b.command("nick bea")
            a.notice(body="renamed b bea")
            self.assertEqual(notices(b.sync()), ["renamed b bea"])
            self.assertEqual(line.sync(), ["* renamed b bea"])

            # The fourth: the room is past announce_max_members. It is told the size instead.
            c = member(d, "c")
            self.assertEqual(notices(c.sync()), ["members 4"])
            self.assertEqual(notices(a.sync()), [])
            self.assertEqual(line.sync(), [])
            c.command("who")
            self.assertEqual(notices(c.sync()), ["member a", "member bea", "member " + line.name,
                                                 "member c", "members 4"])
            for p in (a, b, c, line):
                p.close()

    def test_rename_and_leave_in_a_big_room(self):
        with Daemon(GROUP + "announce_max_members = 2\n") as d:
            a, b = member(d, "a"), member(d, "b")
            a.notice(body="joined b")
            c = member(d, "c")
            c.notice(body="members 3")
            c.command("nick cat")  # told to the member alone
            self.assertEqual(notices(c.sync()), ["renamed c cat"])
            self.assertEqual(notices(a.sync()), [])
            c.close()  # from a room of 3: unsaid
            d.wait_log("left the room, 2 members")
            self.assertEqual(notices(a.sync()), [])
            b.close()  # from a room of 2: told
            a.notice(body="left b")
            for p in (a, b, c):
                p.close()

    def test_announce_max_members_is_live_on_reload(self):
        with ReloadDaemon(GROUP + "announce_max_members = 1\n") as d:
            a, b = member(d, "a"), member(d, "b")
            self.assertEqual(notices(a.sync()), [])
            d.reload(GROUP + "announce_max_members = 0\n")
            c = member(d, "c")
            a.notice(body="joined c")
            self.assertEqual(notices(c.sync()), [])  # no "members N": the room is not big
            for p in (a, b, c):
                p.close()


if __name__ == "__main__":
    main()
