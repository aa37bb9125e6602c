# SPDX-License-Identifier: ISC
"""The store (protocol 7.2, 7.4): durability across kill -9 and SIGTERM, history on joining and
by command, caps, the message size limit, retention, a full disk, start-up refusals, the file's
mode, and store = memory. Every test runs the real daemon on a real store file in its own
temporary directory and checks the file itself with Python's sqlite3, read-only.

The invariants checked after a crash: every message a client received is in the store, with
the ID it was given (type 5) and in the order it was received (IDs strictly increasing); what
each member received is a prefix of the room as stored (all joined before the first message);
what each sender got stored is a prefix of what it sent (nothing accepted lost in the middle).
"""

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (COMMAND, DEADLINE, FRONTDESKD, MESSAGE, NOTICE, Peer, desk_exchange,  # noqa: E402
                    frame, main)
from grouptest import GROUP, Closed, Daemon, LinePeer, member  # noqa: E402

FRONTDESKCTL = os.environ.get("FRONTDESKCTL", "build/src/frontdeskctl")
TAGGED = 5
FREE = GROUP + "max_msgs_per_sec = 0\nmax_bytes_per_sec = 0\n"
MAX_TEXT = 9792  # FD_MESSAGE_MAX_TEXT: 9,992 less 200 for the type 5 tag


def tag(body):
    """A type 5 body as (ID, TIME, CONV, FROM, TEXT)."""
    id_, time_ms, conv, frm, text = body.split(" ", 4)
    return int(id_), int(time_ms), conv, frm, text


def room_rows(path):
    """The room's messages in the store, in accept order: [(id, sender, text)]."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=DEADLINE)
    try:
        return db.execute("SELECT id, sender, text FROM messages WHERE conv = 0 ORDER BY seq"
                          ).fetchall()
    finally:
        db.close()


def count(path, sql):
    """One number from the store (read-only)."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=DEADLINE)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def meta(path, key):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=DEADLINE)
    try:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None
    finally:
        db.close()


def ids_member(d, nick, caps="ids"):
    """A framed member granted ids: returns (peer, the caps answer, the epoch)."""
    p = member(d, nick)
    p.command("caps " + caps)
    p.notice(prefix="caps")
    answer = p.frames[-1][1]
    t, b = p.recv()
    if t != NOTICE or not b.startswith("epoch "):
        raise AssertionError("%s: expected the epoch after %r, got %r" % (nick, answer, (t, b)))
    return p, answer, b.split(" ", 1)[1]


def read_history(p):
    """The history answer that comes next on framed @p: [(ID, TIME, CONV, FROM, TEXT)]."""
    t, b = p.recv()
    if t != NOTICE or not b.startswith("history-start "):
        raise AssertionError("%s: expected history-start, got %r" % (p.name, (t, b)))
    out = []
    for _ in range(int(b.split()[1])):
        t, b = p.recv()
        if t != TAGGED:
            raise AssertionError("%s: expected type 5 in history, got %r" % (p.name, (t, b)))
        out.append(tag(b))
    t, b = p.recv()
    if (t, b) != (NOTICE, "history-end"):
        raise AssertionError("%s: expected history-end, got %r" % (p.name, (t, b)))
    return out


def next_tagged(p):
    """The next type 5 message on framed @p, skipping notices (any other type fails)."""
    while True:
        t, b = p.recv()
        if t == TAGGED:
            return tag(b)
        if t != NOTICE:
            raise AssertionError("%s: expected type 5, got %r" % (p.name, (t, b)))


class Collector(threading.Thread):
    """Reads a peer's stream in the background until EOF: frames (type, body) for a framed
    peer, lines for a LinePeer, in the order they came."""

    def __init__(self, peer):
        super().__init__(daemon=True)
        self.peer = peer
        self.items = []
        self.counts = {}  # framed: frames received by type
        self.closed = False
        self.cond = threading.Condition()
        self.start()

    def run(self):
        try:
            while True:
                item = self.peer.recv(3600)
                with self.cond:
                    self.items.append(item)
                    if isinstance(item, tuple):
                        self.counts[item[0]] = self.counts.get(item[0], 0) + 1
                    self.cond.notify_all()
        except (Closed, OSError, AssertionError):
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def snapshot(self):
        with self.cond:
            return list(self.items)

    def wait(self, predicate, what, timeout=DEADLINE):
        with self.cond:
            if not self.cond.wait_for(lambda: predicate(self.items), timeout):
                raise AssertionError("%s: never %s; last %r" % (self.peer.name, what,
                                                                 self.items[-5:]))

    def wait_closed(self, timeout=DEADLINE):
        self.join(timeout)
        if self.is_alive():
            raise AssertionError("%s: the connection did not close" % self.peer.name)

    def tagged(self):
        return [tag(b) for t, b in self.snapshot() if t == TAGGED]

    def typed(self, ftype):
        return [b for t, b in self.snapshot() if t == ftype]

    def lines(self):
        return [x for x in self.snapshot() if not x.startswith("* ")]


def count_type(ftype):
    return lambda items: sum(1 for t, _ in items if t == ftype)


def joined(collector, names):
    """Wait until @collector (a member with notices) heard every one of @names join."""
    want = {"joined " + n for n in names}
    collector.wait(lambda items: want <= {b for t, b in items if t == NOTICE},
                   "heard %s join" % sorted(names))


def restart(d):
    """Start @d again on the same store (after it stopped or was killed); keep the old log."""
    d._log.close()
    os.replace(d.log_path, d.log_path + ".%d" % time.monotonic_ns())
    d.start()


def kernel_queues(local_port, remote_port):
    """(rx_queue, tx_queue) of the TCP socket 127.0.0.1:local_port <-> :remote_port, as the
    kernel reports it: bytes received and not read yet by the process, bytes not acked yet."""
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if int(local.split(":")[1], 16) == local_port and \
                    int(remote.split(":")[1], 16) == remote_port:
                tx, rx = fields[4].split(":")
                return int(rx, 16), int(tx, 16)
    return None


def wait_unread(port, peer, nbytes):
    """Wait until the @nbytes @peer sent last (to the daemon's @port) sit in the kernel unread
    by the daemon, which paused reading it: no byte of them was taken from the kernel."""
    local = peer.sock.getsockname()[1]
    deadline = time.monotonic() + DEADLINE
    while True:
        server = kernel_queues(port, local)
        client = kernel_queues(local, port)
        if server and client and server[0] + client[1] == nbytes:
            return
        if time.monotonic() > deadline:
            raise AssertionError("%s: %d bytes sent, daemon-side queues %r, client-side %r: "
                                 "the daemon read what it should not" % (peer.name, nbytes,
                                                                         server, client))
        time.sleep(0.02)


class Durability(unittest.TestCase):
    """Two senders at load, three observers (ids, wave-1 framed, line); the daemon is stopped
    mid-stream (kill -9 or SIGTERM) and restarted on the same store file."""

    PER_SENDER = 1000
    WINDOW = 200  # a sender stays at most this many messages ahead of the ids member, per sender
    STOP_AT = 1000  # messages received by the ids member when the daemon is stopped

    def stop_mid_stream(self, sig):
        with Daemon(FREE) as d:
            ids, _, epoch = ids_member(d, "ids")
            self.assertEqual(read_history(ids), [])
            cids = Collector(ids)
            wave1 = member(d, "wave1", notices=False)
            cw1 = Collector(wave1)
            line = LinePeer(d)
            line.recv()  # welcome
            self.assertEqual(line.skip_history(), [])
            cline = Collector(line)
            senders = {}
            for name in ("s1", "s2"):
                p = member(d, name, notices=False)
                senders[name] = (p, Collector(p), [])
            joined(cids, ["wave1", line.name, "s1", "s2"])

            stop = threading.Event()
            sent_total = [0]

            def send(name):
                p, _, sent = senders[name]
                try:
                    for start in range(0, self.PER_SENDER, 10):
                        batch = ["%s-%05d %s" % (name, i, "x" * (i % 50))
                                 for i in range(start, start + 10)]
                        # Stay a window ahead of the ids member: the stop finds messages in
                        # flight (read, not committed; committed, not delivered; unread).
                        with cids.cond:
                            cids.cond.wait_for(lambda: stop.is_set() or
                                               cids.counts.get(TAGGED, 0) + 2 * self.WINDOW >=
                                               sent_total[0] + 10)
                            if stop.is_set():
                                return
                            sent_total[0] += 10
                        sent.extend(batch)  # attempted: a cut write may deliver part of it
                        p.sock.sendall(b"".join(frame(MESSAGE, t) for t in batch))
                except OSError:
                    pass

            threads = [threading.Thread(target=send, args=(n,), daemon=True) for n in senders]
            for t in threads:
                t.start()
            cids.wait(lambda items: cids.counts.get(TAGGED, 0) >= self.STOP_AT,
                      "received %d messages" % self.STOP_AT, timeout=60)
            d.proc.send_signal(sig)
            with cids.cond:
                stop.set()
                cids.cond.notify_all()
            for t in threads:
                t.join(DEADLINE)
            # Hang up once the daemon did (at SIGTERM it waits a little for its peers' EOF).
            for c in [cids, cw1, cline] + [c for _, c, _ in senders.values()]:
                c.wait_closed()
                c.peer.close()
            code = d.proc.wait(DEADLINE)
            if sig == signal.SIGTERM:
                self.assertEqual(code, 0)
                self.assertIn("stopped", d.log())
                self.assertNotIn("could not be written", d.log())

            restart(d)
            rows = room_rows(d.store_path)
            got = cids.tagged()
            self.assertGreaterEqual(len(got), self.STOP_AT)
            ids_seen = [m[0] for m in got]
            self.assertEqual(ids_seen, sorted(set(ids_seen)), "IDs not strictly increasing")
            # Every message the ids member got is stored, same ID, same sender and text, and
            # in the same order: the store's first messages are exactly those.
            self.assertEqual([(i, f, t) for i, _, _, f, t in got], rows[:len(got)])
            self.assertTrue(all(conv == "*" for _, _, conv, _, _ in got))
            as_lines = ["%s: %s" % (s, t) for _, s, t in rows]
            self.assertEqual(cw1.typed(MESSAGE), as_lines[:len(cw1.typed(MESSAGE))])
            self.assertEqual(set(t for t, _ in cw1.snapshot()), {MESSAGE})  # wave 1: type 2 only
            self.assertEqual(cline.lines(), as_lines[:len(cline.lines())])
            for name, (_, c, sent) in senders.items():
                self.assertEqual(c.typed(MESSAGE), as_lines[:len(c.typed(MESSAGE))])
                stored = [t for _, s, t in rows if s == name]
                self.assertEqual(stored, sent[:len(stored)], "%s: a gap in what was kept" % name)

            # Same store, same epoch; its history is the newest stored; new IDs go on above.
            self.assertIn("epoch %s, last ID %d)" % (epoch, rows[-1][0]), d.log())
            again, _, epoch2 = ids_member(d, "ids")
            self.assertEqual(epoch2, epoch)
            hist = read_history(again)
            self.assertEqual([(i, f, t) for i, _, _, f, t in hist], rows[-20:])
            again.say("after the restart")
            new = next_tagged(again)
            self.assertEqual(new[3:], ("ids", "after the restart"))
            self.assertGreater(new[0], max(ids_seen + [r[0] for r in rows]))
            again.close()

    def test_kill_9(self):
        self.stop_mid_stream(signal.SIGKILL)

    def test_sigterm(self):
        self.stop_mid_stream(signal.SIGTERM)


class History(unittest.TestCase):
    def fill(self, d, n, sender="alice", history=True):
        """@n messages m00.. from an ids member; returns it and [(ID, TEXT)]."""
        a, _, self.epoch = ids_member(d, sender)
        if history:
            read_history(a)
        a.sock.sendall(b"".join(frame(MESSAGE, "m%02d" % i) for i in range(n)))
        got = [next_tagged(a) for _ in range(n)]
        self.assertEqual([m[4] for m in got], ["m%02d" % i for i in range(n)])
        return a, [(m[0], m[4]) for m in got]

    def test_late_joiner(self):
        with Daemon(FREE) as d:
            a, sent = self.fill(d, 30)
            b, _, epoch_b = ids_member(d, "bob")
            self.assertEqual(epoch_b, self.epoch)
            hist = read_history(b)
            self.assertEqual([(i, t) for i, _, _, _, t in hist], sent[-20:])
            self.assertTrue(all(conv == "*" and frm == "alice" for _, _, conv, frm, _ in hist))
            self.assertEqual([i for i, _ in sent], [r[0] for r in room_rows(d.store_path)])

            line = LinePeer(d)
            self.assertTrue(line.recv().startswith("* welcome group "))
            self.assertEqual(line.skip_history(), ["alice: %s" % t for _, t in sent[-20:]])

            # Wave 1 with notices: no history, no epoch, no type 5, only wave-1 frames.
            c = member(d, "carol")
            before = c.sync()
            self.assertEqual([f for f in before if f[0] != NOTICE or
                              not f[1].startswith("joined ")], [])
            # Wave 1 without notices: type 2 only.
            w = member(d, "dave", notices=False)
            b.notice(body="joined dave")

            a.say("live1")
            live = next_tagged(b)
            self.assertEqual(live[4], "live1")
            self.assertGreater(live[0], sent[-1][0])
            before = line.wait_for("alice: live1")
            self.assertTrue(all(x.startswith("* ") for x in before), before)
            self.assertEqual(c.message(), "alice: live1")
            a.say("marker")
            self.assertEqual(w.recv(), (MESSAGE, "alice: live1"))
            self.assertEqual(w.recv(), (MESSAGE, "alice: marker"))
            for f in c.sync():
                self.assertIn(f[0], (MESSAGE, NOTICE))
                self.assertFalse(f[1].startswith(("history", "epoch", "caps")), f)
            self.assertTrue(all(t in (MESSAGE, NOTICE) for t, _ in c.frames))
            for p in (a, b, c, w, line):
                p.close()

    def test_history_on_join_5(self):
        with Daemon(FREE + "history_on_join = 5\n") as d:
            a, sent = self.fill(d, 12)
            b = ids_member(d, "bob")[0]
            self.assertEqual([(i, t) for i, _, _, _, t in read_history(b)], sent[-5:])
            line = LinePeer(d)
            line.recv()
            self.assertEqual(line.skip_history(), ["alice: %s" % t for _, t in sent[-5:]])
            # Live ones follow, above the history.
            a.say("next")
            m = next_tagged(b)
            self.assertEqual(m[4], "next")
            self.assertGreater(m[0], sent[-1][0])
            self.assertEqual(line.recv(), "alice: next")
            for p in (a, b, line):
                p.close()

    def test_history_on_join_off(self):
        with Daemon(FREE + "history_on_join = 0\n") as d:
            a, sent = self.fill(d, 3, history=False)
            b = ids_member(d, "bob")[0]
            self.assertEqual(b.sync(), [])  # no history notices at all
            # The command still answers.
            b.command("history")
            self.assertEqual([(i, t) for i, _, _, _, t in read_history(b)], sent)
            line = LinePeer(d)
            line.recv()
            self.assertEqual(line.sync(), [])
            for p in (a, b, line):
                p.close()

    def test_history_command(self):
        with Daemon(FREE) as d:
            a, sent = self.fill(d, 30)
            ids = [i for i, _ in sent]

            def ask(cmd):
                a.command(cmd)
                return [(i, t) for i, _, _, _, t in read_history(a)]

            self.assertEqual(ask("history"), sent[-20:])
            self.assertEqual(ask("history 3"), sent[-3:])
            self.assertEqual(ask("history 5 before %d" % ids[10]), sent[5:10])
            self.assertEqual(ask("history before %d" % ids[2]), sent[:2])
            self.assertEqual(ask("history 1 before %d" % ids[0]), [])
            self.assertEqual(ask("history 1000"), sent)  # capped (at 100): all 30 here
            self.assertEqual(ask("history 2 before 99999999999"), sent[-2:])
            self.assertEqual(ask("history 2 before 9223372036854775807"), sent[-2:])
            for bad in ("history -1", "history 99999999999999999999999", "history before x",
                        "history 1 2 3", "history 0", "history before", "history before 0",
                        "history 5 before 99999999999999999999999", "history  5",
                        "history 5 after 3", "history 5x", "history 5 before 3 ",
                        "history 2 before 9223372036854775808",
                        "history before 18446744073709551615"):
                a.command(bad)
                t, b = a.recv()
                self.assertEqual(t, NOTICE, bad)
                self.assertTrue(b.startswith("error bad-command -- "), (bad, b))
                self.assertEqual(a.sync(), [])  # still usable, nothing else came
            # Live messages after a history answer are still in order.
            a.say("after")
            m = next_tagged(a)
            self.assertEqual(m[4], "after")
            self.assertGreater(m[0], ids[-1])

            # Without ids: bad-command, and the connection carries on.
            c = member(d, "carol")
            c.command("history")
            c.notice(prefix="error bad-command -- ")
            self.assertEqual(c.sync(), [])
            # A later caps replaces the set: without ids again, history is refused.
            a.command("caps")
            a.notice(body="caps")
            self.assertEqual(a.sync(), [])  # no epoch without ids
            a.command("history")
            a.notice(prefix="error bad-command -- ")
            a.say("plain again")
            self.assertEqual(a.message(), "alice: plain again")
            for p in (a, c):
                p.close()

    def test_history_answer_bounded(self):
        # Half of soft_output_bytes (32 KiB here) for one answer: the newest that fit.
        with Daemon(FREE + "soft_output_bytes = 64K\n") as d:
            a, _, _ = ids_member(d, "alice")
            read_history(a)
            texts = ["%02d" % i + "y" * 4998 for i in range(12)]
            for t in texts:
                a.say(t)
                self.assertEqual(next_tagged(a)[4], t)
            a.command("history 12")
            got = [m[4] for m in read_history(a)]
            self.assertEqual(len(got), 32768 // (5000 + 64))
            self.assertEqual(got, texts[-len(got):])
            a.close()

    def test_caps_words(self):
        with Daemon(FREE) as d:
            p = member(d, "capper")
            p.command("caps ids ids foo ping ids")
            p.notice(body="caps ids ping")
            self.assertEqual(p.frames[-1], (NOTICE, "caps ids ping"))
            t, b = p.recv()
            self.assertEqual(t, NOTICE)
            self.assertTrue(b.startswith("epoch "), b)
            epoch = b.split()[1]
            self.assertRegex(epoch, r"^[0-9a-f]{32}$")
            self.assertEqual(read_history(p), [])
            self.assertEqual(p.sync(), [])  # the epoch once, nothing else
            p.command("caps foo bar")
            self.assertEqual(p.sync(), [(NOTICE, "caps")])
            p.command("caps ids")
            self.assertEqual(p.sync(), [(NOTICE, "caps ids"), (NOTICE, "epoch " + epoch)])
            # Before "hello notices", caps grants nothing and says nothing (wave 1).
            q = member(d, "quiet", notices=False)
            q.command("caps ids")
            p.notice(body="joined quiet")
            q.say("quiet here")  # after its caps: once p has it, the caps was handled
            self.assertEqual(next_tagged(p)[3:], ("quiet", "quiet here"))
            self.assertEqual(q.recv(), (MESSAGE, "quiet: quiet here"))
            p.say("hi")
            self.assertEqual(next_tagged(p)[4], "hi")
            self.assertEqual(q.recv(), (MESSAGE, "capper: hi"))
            for x in (p, q):
                x.close()

    def test_message_size_limit(self):
        nick = "\U0001F600" * 32  # the longest nickname: 32 characters, 128 bytes
        with Daemon(FREE) as d:
            p, _, _ = ids_member(d, nick)
            read_history(p)
            w = member(d, "w")
            line = LinePeer(d)
            line.recv()
            line.skip_history()
            p.notice(body="joined " + line.name)
            p.say("z" * (MAX_TEXT + 1))
            p.notice(prefix="error frame-too-long -- ")
            self.assertEqual(p.sync(), [])
            text = "".join(chr(ord("a") + i % 26) for i in range(MAX_TEXT))
            p.say(text)
            m = next_tagged(p)
            self.assertEqual((m[3], m[4]), (nick, text))
            self.assertEqual(w.message(), nick + ": " + text)
            self.assertEqual(line.recv(), nick + ": " + text)
            # A line member is held to the same limit, and stays.
            line.send("q" * (MAX_TEXT + 1))
            self.assertTrue(line.recv().startswith("* error frame-too-long -- "))
            line.send("r" * MAX_TEXT)
            m = next_tagged(p)
            self.assertEqual((m[3], m[4]), (line.name, "r" * MAX_TEXT))
            rows = room_rows(d.store_path)
            self.assertEqual([(s, len(t)) for _, s, t in rows],
                             [(nick, MAX_TEXT), (line.name, MAX_TEXT)])
            for x in (p, w, line):
                x.close()


class Retention(unittest.TestCase):
    def test_max_messages(self):
        with Daemon(FREE + "history_max_messages = 50\n") as d:
            a, _, _ = ids_member(d, "alice")
            read_history(a)
            a.sock.sendall(b"".join(frame(MESSAGE, "r%03d" % i) for i in range(200)))
            got = [next_tagged(a) for _ in range(200)]
            deadline = time.monotonic() + DEADLINE
            while len(room_rows(d.store_path)) > 50:
                self.assertLess(time.monotonic(), deadline, "retention never pruned")
                time.sleep(0.1)
            rows = room_rows(d.store_path)
            self.assertEqual(rows, [(i, "alice", t) for i, _, _, _, t in got[-50:]])
            a.command("history 100")
            self.assertEqual([(i, t) for i, _, _, _, t in read_history(a)],
                             [(i, t) for i, _, _, _, t in got[-50:]])
            # An ID never comes back, even after a restart with the oldest pruned.
            a.close()
            self.assertEqual(d.stop(), 0)
            restart(d)
            b, _, _ = ids_member(d, "bob")
            self.assertEqual(len(read_history(b)), 20)
            b.say("new")
            self.assertEqual(next_tagged(b)[0], got[-1][0] + 1)
            b.close()

    def wait_rows(self, d, n, sql="SELECT count(*) FROM messages WHERE conv = 0"):
        deadline = time.monotonic() + DEADLINE
        while count(d.store_path, sql) != n:
            self.assertLess(time.monotonic(), deadline, "retention never got to %d" % n)
            time.sleep(0.05)

    def test_max_messages_after_a_purge(self):
        # Retention follows how many the room holds without counting it each second: rows
        # frontdeskctl purge removed meanwhile make it delete nothing more than it must.
        with Daemon(FREE + "history_max_messages = 50\n") as d:
            a, _, _ = ids_member(d, "alice")
            read_history(a)

            def say(prefix, n):
                a.sock.sendall(b"".join(frame(MESSAGE, "%s%02d" % (prefix, i))
                                        for i in range(n)))
                return [next_tagged(a) for _ in range(n)]

            say("a", 30)
            cutoff = (int(time.time() * 1000) // 1000 + 1) * 1000  # after all of them
            time.sleep(1.2)
            second = say("b", 30)
            self.wait_rows(d, 50)
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(cutoff // 1000))
            r = subprocess.run([FRONTDESKCTL, "--store", "sqlite:" + d.store_path, "purge",
                                "--before", when], env=dict(os.environ, TZ="UTC"),
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("deleted 20 room messages", r.stdout)
            third = say("c", 15)
            time.sleep(2.5)  # two turns of retention, which must leave these 45 alone
            self.assertEqual(len(room_rows(d.store_path)), 45)
            fourth = say("d", 10)
            self.wait_rows(d, 50)
            kept = (second + third + fourth)[-50:]
            self.assertEqual(room_rows(d.store_path), [(i, "alice", t) for i, _, _, _, t in kept])
            a.close()

    def test_an_older_store_gets_the_indexes(self):
        # Schema 1 had no index for retention by time or by end: the start adds them (2).
        header = os.path.join(os.environ.get("FRONTDESK_SOURCE_ROOT", "."), "src", "daemon",
                              "store-schema.h")
        with open(header) as f:
            m = re.search(r"#define STORE_SCHEMA_V1\b(.*?)\n\n", f.read(), re.S)
        d = Daemon(FREE + "history_max_messages = 3\n")
        db = sqlite3.connect(d.store_path)
        db.executescript("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))))
        db.executemany("INSERT INTO messages (id, time_ms, conv, sender, text)"
                       " VALUES (?, ?, 0, 'old', ?)",
                       [(i, int(time.time() * 1000), "v1 %d" % i) for i in range(1, 6)])
        db.execute("INSERT INTO meta VALUES ('epoch', 'e1')")
        db.execute("PRAGMA user_version = 1")
        db.commit()
        db.close()
        with d:
            d.wait_log("schema 1 migrated to 7")
            a, _, _ = ids_member(d, "alice")
            read_history(a)
            a.say("new")  # retention begins with the first write
            self.assertEqual(next_tagged(a)[0], 6)
            self.wait_rows(d, 3)
            self.assertEqual([t for _, _, t in room_rows(d.store_path)], ["v1 4", "v1 5", "new"])
            a.close()
            indexes = {r[0] for r in sqlite3.connect(d.store_path).execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
            self.assertEqual(indexes, {"messages_conv", "messages_held", "messages_room_time",
                                       "conversations_next", "conversations_ended",
                                       "transfers_conv", "messages_file"})
            self.assertEqual(count(d.store_path, "PRAGMA user_version"), 7)

    def test_max_age(self):
        with Daemon(FREE + "history_max_age = 1\n") as d:
            a, _, _ = ids_member(d, "alice")
            read_history(a)
            for i in range(5):
                a.say("old %d" % i)
                next_tagged(a)
            self.wait_rows(d, 0)
            a.say("new")
            mid = next_tagged(a)[0]
            self.assertEqual(room_rows(d.store_path), [(mid, "alice", "new")])
            # Gone as well, the newest: yet no ID comes back after a restart.
            self.wait_rows(d, 0)
            a.close()
            self.assertEqual(d.stop(), 0)
            restart(d)
            b, _, _ = ids_member(d, "bob")
            read_history(b)
            b.say("after")
            self.assertEqual(next_tagged(b)[0], mid + 1)
            b.close()

    def test_max_age_transcripts(self):
        # A transcript goes whole once its conversation has ended that long ago; an open
        # one stays, however old its messages.
        with Daemon("history_max_age = 1\n") as d:
            mary, bob = desk_exchange(d)
            bob.close()
            mary.notice(body="customer-left bob")
            carol = Peer.customer(d, "carol")
            mary.notice(body="customer carol")
            carol.say("still here")
            self.assertEqual(mary.message(), "still here")
            self.wait_rows(d, 0, "SELECT count(*) FROM conversations WHERE customer = 'bob'")
            self.assertEqual(count(d.store_path, "SELECT count(*) FROM messages"
                                   " WHERE sender IN ('bob') OR text = 'hi bob'"), 0)
            time.sleep(1.5)
            self.assertEqual(count(d.store_path, "SELECT count(*) FROM messages"
                                   " WHERE text = 'still here'"), 1)
            self.assertEqual(count(d.store_path, "SELECT count(*) FROM conversations"
                                   " WHERE customer = 'carol'"), 1)
            carol.close()
            mary.close()


class FullDisk(unittest.TestCase):
    """A store that cannot grow (RLIMIT_FSIZE set on the running daemon with prlimit: writes
    fail with EFBIG, the daemon ignores SIGXFSZ): nothing is delivered that is not stored,
    every reader is paused, and once the limit is lifted what was held goes out, in order."""

    def prlimit(self, d, soft, hard="unlimited"):
        subprocess.run(["prlimit", "--pid", str(d.proc.pid), "--fsize=%s:%s" % (soft, hard)],
                       check=True)

    @unittest.skipUnless(shutil.which("prlimit"), "needs prlimit (util-linux)")
    def test_store_cannot_grow(self):
        with Daemon(FREE) as d:
            a, _, _ = ids_member(d, "ids")
            read_history(a)
            ca = Collector(a)
            b = member(d, "wave1", notices=False)
            cb = Collector(b)
            line = LinePeer(d)
            line.recv()
            line.skip_history()
            cl = Collector(line)
            s = member(d, "sender")
            cs = Collector(s)
            bystander = member(d, "bystander")
            joined(ca, ["wave1", line.name, "sender", "bystander"])
            for i in range(5):
                s.say("ok%d" % i)
            ca.wait(lambda items: count_type(TAGGED)(items) == 5, "got the first 5")

            # The WAL only grows (no checkpoint before 1000 pages): the next commit fails.
            wal = os.path.getsize(d.store_path + "-wal")
            self.assertLess(os.path.getsize(d.log_path), wal)  # the log can still be written
            self.prlimit(d, wal)
            s.say("fail-1")
            unavailable = "error store-unavailable -- "
            ca.wait(lambda items: any(b.startswith(unavailable) for _, b in items),
                    "told store-unavailable")
            cl.wait(lambda items: any(x.startswith("* " + unavailable) for x in items),
                    "told store-unavailable")
            cs.wait(lambda items: any(b.startswith(unavailable) for _, b in items),
                    "told store-unavailable")
            bystander.notice(prefix=unavailable)
            self.assertTrue(d.alive())

            # No phantom: nothing delivered that the store does not hold.
            rows = room_rows(d.store_path)
            self.assertEqual([r[2] for r in rows], ["ok%d" % i for i in range(5)])
            self.assertEqual([(i, f, t) for i, _, _, f, t in ca.tagged()], rows)

            # Back-pressure: what the sender sends now stays in the kernel, unread.
            later = ["later-%02d %s" % (i, "p" * 200) for i in range(20)]
            data = b"".join(frame(MESSAGE, t) for t in later)
            s.sock.sendall(data)
            wait_unread(d.port, s, len(data))
            # Commands wait too (reading is paused for everyone): answered after recovery.
            bystander.command("ping during")
            wait_unread(d.port, bystander, len(frame(COMMAND, "ping during")))
            line.send("from the line")
            wait_unread(d.line_port, line, len(b"from the line\n"))
            # A member that joins now is paused as well, once it is in.
            n = member(d, "newcomer")
            newer = ["new-%02d" % i for i in range(10)]
            data = b"".join(frame(MESSAGE, t) for t in newer)
            n.sock.sendall(data)
            wait_unread(d.port, n, len(data))
            n.notice(prefix=unavailable)
            rows = room_rows(d.store_path)
            self.assertEqual(len(rows), 5)
            self.assertEqual([(i, f, t) for i, _, _, f, t in ca.tagged()], rows)
            self.assertEqual(len(cb.typed(MESSAGE)), 5)
            self.assertTrue(d.alive())

            # Recovery: everything held goes out, in order, and is stored.
            self.prlimit(d, "unlimited")
            d.wait_log("store: writes work again")
            bystander.notice(body="pong during")
            total = 5 + 1 + len(later) + 1 + len(newer)
            ca.wait(lambda items: count_type(TAGGED)(items) == total, "got all %d" % total)
            rows = room_rows(d.store_path)
            got = ca.tagged()
            self.assertEqual([(i, f, t) for i, _, _, f, t in got], rows)
            ids = [m[0] for m in got]
            self.assertEqual(ids, sorted(set(ids)))
            texts = [m[4] for m in got]
            self.assertEqual([t for t in texts if t.startswith(("ok", "fail", "later"))],
                             ["ok%d" % i for i in range(5)] + ["fail-1"] + later)
            self.assertEqual([t for t in texts if t.startswith("new-")], newer)
            self.assertIn("from the line", texts)
            # The error came before the message that could not be stored.
            frames = ca.snapshot()
            err = next(k for k, (_, b) in enumerate(frames) if b.startswith(unavailable))
            fail = next(k for k, (t, b) in enumerate(frames) if t == TAGGED and
                        tag(b)[4] == "fail-1")
            self.assertLess(err, fail)
            as_lines = ["%s: %s" % (s_, t) for _, s_, t in rows]
            cb.wait(lambda items: len(items) == total, "got all %d" % total)
            self.assertEqual(cb.typed(MESSAGE), as_lines)
            cl.wait(lambda items: len([x for x in items if not x.startswith("* ")]) == total,
                    "got all %d" % total)
            self.assertEqual(cl.lines(), as_lines)
            self.assertIn("store: a write failed", d.log())
            # Business as usual.
            s.say("after")
            ca.wait(lambda items: any(t == TAGGED and tag(b)[4] == "after" for t, b in items),
                    "got 'after'")
            for p in (a, b, line, s, bystander, n):
                p.close()


if __name__ == "__main__":
    main()
