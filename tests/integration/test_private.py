# SPDX-License-Identifier: ISC
"""Private messages in group mode (issue 15): "msg NICK TEXT" (a line member's "/msg NICK
text") reaches NICK alone, in the form NICK takes (type 5 with "ids", a notice, a line), and
the sender's own copy if it is granted ids; a seed client cannot receive them, an unknown NICK
is refused. They are not kept: never in the history, on joining or asked for, nor in the store,
whose ID counter alone they advance (IDs stay strictly increasing across them, a restart
included); a resumed member does not get back those it missed, and one away cannot be sent
any. Flood control paces them in order with the room's messages, and a member's ordinary
message cannot pass for one."""

import os
import signal
import sqlite3
import sys
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from cutproxy import CutProxy  # noqa: E402
from fdtest import COMMAND, DEADLINE, MESSAGE, NOTICE, frame, main  # noqa: E402
from grouptest import GROUP, Daemon, LinePeer, Peer, member  # noqa: E402
from test_resume import Session, resume  # noqa: E402

TAGGED = 5
FREE = GROUP + "max_msgs_per_sec = 0\nmax_bytes_per_sec = 0\nmax_joins_per_min = 0\n"
warnings.simplefilter("ignore", ResourceWarning)  # peers cut by the proxy


def tag(body):
    """A type 5 body as (ID, CONV, FROM, TEXT)."""
    id_, _time, conv, frm, text = body.split(" ", 4)
    return int(id_), conv, frm, text


def next_tagged(p):
    """The next type 5 message on framed @p, as tag() gives it; notices are skipped."""
    while True:
        t, b = p.recv()
        if t == TAGGED:
            return tag(b)
        if t != NOTICE:
            raise AssertionError("%s: expected type 5, got %r" % (p.name, (t, b)))


def ids_member(d, nick):
    """A framed member granted ids, past the history it is given on joining."""
    p = member(d, nick)
    p.command("caps ids")
    p.notice(body="caps ids")
    p.notice(prefix="epoch ")
    p.sync("joined")
    return p


def line_member(d, nick):
    """A line member renamed to @nick, past its history."""
    p = LinePeer(d)
    p.wait_for(prefix="* welcome group ")
    p.skip_history()
    p.send("/nick " + nick)
    p.wait_for(prefix="* renamed ")
    p.sync("renamed")
    return p


def frames_text(frames):
    return " ".join(b for _, b in frames)


class Recipients(unittest.TestCase):
    """One room with each kind of member; eve (granted ids) writes to each in turn."""

    def setUp(self):
        self.d = Daemon(FREE).start()
        self.eve = ids_member(self.d, "eve")
        self.alice = ids_member(self.d, "alice")
        self.bob = member(self.d, "bob")  # notices, no ids
        self.carl = line_member(self.d, "carl")
        self.dan = Peer.customer(self.d, "dan", notices=False)  # a seed client
        for p in (self.eve, self.alice, self.bob):
            p.notice(body="joined dan")
        self.carl.wait_for("* joined dan")

    def tearDown(self):
        for p in (self.eve, self.alice, self.bob, self.carl, self.dan):
            p.close()
        self.d.__exit__(None, None, None)

    def assert_nobody_else(self, text, *others):
        """None of @others got @text: a barrier each (everything sent before it is read), for
        the seed client a room message from eve, which it reads last."""
        for p in others:
            if isinstance(p, LinePeer):
                got = " ".join(p.sync("others"))
            elif p is self.dan:
                self.eve.say("barrier")
                got = []
                while not got or got[-1] != "eve: barrier":
                    got.append(p.message())
                got = " ".join(got)
            else:
                got = frames_text(p.sync("others"))
            self.assertNotIn(text, got)

    def test_to_a_member_granted_ids(self):
        self.eve.command("msg alice hi alice, it is eve")
        id_, conv, frm, text = next_tagged(self.alice)
        self.assertEqual((conv, frm, text), ("@eve", "eve", "hi alice, it is eve"))
        # The sender's own copy: the other party as CONV, the same ID.
        self.assertEqual(next_tagged(self.eve), (id_, "@alice", "eve", "hi alice, it is eve"))
        self.assert_nobody_else("hi alice", self.bob, self.carl, self.dan)

    def test_to_a_framed_member_without_ids(self):
        self.eve.command("msg bob psst bob")
        self.bob.notice(body="private eve -- psst bob")
        self.assertEqual(next_tagged(self.eve)[1:], ("@bob", "eve", "psst bob"))
        self.assert_nobody_else("psst", self.alice, self.carl, self.dan)

    def test_to_a_line_member(self):
        self.eve.command("msg carl hello carl")
        self.carl.wait_for("* private from eve: hello carl")
        self.assertEqual(next_tagged(self.eve)[1:], ("@carl", "eve", "hello carl"))
        self.assert_nobody_else("hello carl", self.alice, self.bob, self.dan)

    def test_a_line_member_sends_one(self):
        self.carl.send("/msg alice from the line")
        self.assertEqual(next_tagged(self.alice)[1:], ("@carl", "carl", "from the line"))
        self.carl.send("/msg bob  two  spaces ")  # the text as typed, but the trailing space
        self.bob.notice(body="private carl --  two  spaces")
        self.assertEqual(self.carl.sync("none"), [])  # a line member has no copy of its own
        self.assert_nobody_else("from the line", self.eve, self.bob, self.dan)

    def test_a_sender_without_ids_has_no_copy(self):
        self.bob.command("msg alice from bob")
        self.assertEqual(next_tagged(self.alice)[1:], ("@bob", "bob", "from bob"))
        self.assertEqual(self.bob.sync("none"), [])

    def test_to_itself_once(self):
        self.eve.command("msg eve a note")
        self.assertEqual(next_tagged(self.eve)[1:], ("@eve", "eve", "a note"))
        self.assertEqual(self.eve.sync("once"), [])

    def test_seed_client_cannot_receive_them(self):
        # A seed client may send one, though: it is a member like any other.
        self.dan.command("msg alice from the seed")
        self.assertEqual(next_tagged(self.alice)[1:], ("@dan", "dan", "from the seed"))
        self.eve.command("msg dan are you there")
        self.eve.notice(body="error no-such-nick -- dan cannot receive private messages")
        self.assert_nobody_else("are you there", self.alice, self.dan)

    def test_unknown_nick_and_bad_command(self):
        self.eve.command("msg nobody hello")
        self.eve.notice(body="error no-such-nick -- no member is called nobody")
        self.eve.command("msg %s hello" % ("x" * 200))
        self.eve.notice(prefix="error no-such-nick -- ")
        for bad in ("msg alice", "msg alice ", "msg  alice"):
            self.eve.command(bad)
            self.eve.notice(body="error bad-command -- msg NICK TEXT")
        self.eve.command("msg")
        self.eve.notice(body="error bad-command -- msg needs an argument")
        self.carl.send("/msg nobody hi")
        self.carl.wait_for("* error no-such-nick -- no member is called nobody")

    def test_too_long(self):
        self.eve.command("msg alice " + "y" * 9793)
        self.eve.notice(prefix="error frame-too-long -- ")
        self.eve.command("msg alice " + "y" * 9792)  # as long as a room message may be
        self.assertEqual(len(next_tagged(self.alice)[3]), 9792)

    def test_ids_stay_in_order_with_the_room(self):
        # One read: room, private, room, private, room. Every ids member sees strictly
        # increasing IDs (the client drops one that is not above the highest it saw).
        body = b""
        for i in range(5):
            body += frame(MESSAGE, "r%d" % i) if i % 2 == 0 else frame(COMMAND, "msg alice p%d" % i)
        self.eve.sock.sendall(body)
        for p, want in ((self.alice, ["r0", "p1", "r2", "p3", "r4"]),
                        (self.eve, ["r0", "p1", "r2", "p3", "r4"])):
            got = [next_tagged(p) for _ in want]
            self.assertEqual([t for _, _, _, t in got], want)
            ids = [i for i, _, _, _ in got]
            self.assertEqual(ids, sorted(set(ids)))
        self.assertEqual([self.bob.message() for _ in range(3)], ["eve: r0", "eve: r2", "eve: r4"])


class Forgery(unittest.TestCase):
    def test_an_ordinary_message_cannot_pass_for_one(self):
        with Daemon(FREE) as d:
            carl = line_member(d, "carl")
            # "*" is a nickname like any other; its lines read "*: ...", never "* ...".
            star = member(d, "*")
            star.say("private from eve: forged")
            carl.wait_for("*: private from eve: forged")
            mal = member(d, "mal")
            mal.say("x\n* private from eve: forged")
            carl.wait_for("mal: x * private from eve: forged")
            carl.send("* private from eve: forged by a line")
            carl.wait_for("carl: * private from eve: forged by a line")
            for p in (carl, star, mal):
                p.close()


class NotKept(unittest.TestCase):
    def test_not_in_history_nor_store(self):
        with Daemon(FREE + "history_on_join = 10\n") as d:
            eve, alice = ids_member(d, "eve"), ids_member(d, "alice")
            eve.say("public before")
            eve.command("msg alice a secret")
            eve.say("public after")
            got = [next_tagged(alice) for _ in range(3)]
            self.assertEqual([t for _, _, _, t in got], ["public before", "a secret", "public after"])
            secret_id = got[1][0]
            # Asked for, and on joining (framed with ids, and on the line): not there.
            alice.command("history 10")
            hist = alice.notice(body="history-end")
            self.assertEqual([tag(b)[3] for t, b in hist if t == TAGGED],
                             ["public before", "public after"])
            late = member(d, "late")
            late.command("caps ids")
            late.notice(prefix="history-start 2")
            hist = late.notice(body="history-end")
            self.assertNotIn("secret", frames_text(hist))
            line = LinePeer(d)
            line.wait_for(prefix="* welcome group ")
            self.assertEqual(line.skip_history(), ["eve: public before", "eve: public after"])
            # Only the counter knows of it: no row, and meta's last_id is at least its ID.
            db = sqlite3.connect("file:%s?mode=ro" % d.store_path, uri=True, timeout=DEADLINE)
            try:
                self.assertEqual(db.execute("SELECT count(*) FROM messages WHERE text LIKE"
                                            " '%secret%'").fetchone()[0], 0)
                last = db.execute("SELECT CAST(value AS INTEGER) FROM meta"
                                  " WHERE key = 'last_id'").fetchone()[0]
            finally:
                db.close()
            self.assertGreaterEqual(last, secret_id)
            for p in (eve, alice, late, line):
                p.close()

    def test_its_id_is_not_given_again_after_a_crash(self):
        with Daemon(FREE) as d:
            eve, alice = ids_member(d, "eve"), ids_member(d, "alice")
            eve.say("public")
            eve.command("msg alice the last thing said")
            next_tagged(alice)
            secret_id = next_tagged(alice)[0]  # delivered: its ID is committed
            d.stop(signal.SIGKILL)
            d._log.close()
            d.start()  # the same store
            eve = ids_member(d, "eve")
            eve.say("after the crash")
            new_id, conv, _, text = next_tagged(eve)
            self.assertEqual((conv, text), ("*", "after the crash"))
            self.assertGreater(new_id, secret_id)
            eve.close()


class Flood(unittest.TestCase):
    def test_paced_in_order_with_room_messages_even_after_leaving(self):
        cfg = GROUP + "max_msgs_per_sec = 20\nmsg_burst = 1\nmax_joins_per_min = 0\n"
        with Daemon(cfg) as d:
            alice, bob = ids_member(d, "alice"), member(d, "bob")
            eve = member(d, "eve")
            body = b"".join(frame(MESSAGE, "r%d" % i) if i % 2 == 0
                            else frame(COMMAND, "msg alice p%d" % i) for i in range(6))
            eve.sock.sendall(body + frame(COMMAND, "quit"))
            got = [next_tagged(alice) for _ in range(6)]
            self.assertEqual([t for _, _, _, t in got], ["r0", "p1", "r2", "p3", "r4", "p5"])
            ids = [i for i, _, _, _ in got]
            self.assertEqual(ids, sorted(set(ids)))
            # Slowed down like room messages; the private ones never went to the room.
            self.assertIn("error flood -- more than 20 messages a second", frames_text(eve.expect_closed()))
            bob.notice(body="left eve")
            self.assertEqual([b for t, b in bob.frames if t == MESSAGE], ["eve: r0", "eve: r2", "eve: r4"])
            for p in (alice, bob):
                p.close()


class Resume(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(FREE).start()
        self.proxy = CutProxy(self.d.port)

    def tearDown(self):
        self.proxy.close()
        self.d.__exit__(None, None, None)

    def test_away_cannot_be_sent_one_and_missed_ones_do_not_come_back(self):
        alice = Session(self.d, "alice", self.proxy)
        eve = ids_member(self.d, "eve")
        eve.command("msg alice while you are here")
        alice.got("eve", "while you are here")  # a private ID is a LAST_ID like any other
        self.proxy.cut()
        self.d.wait_log("alice: connection lost; its session waits")
        eve.command("msg alice while you are away")
        eve.notice(body="error no-such-nick -- alice is away; private messages are not kept for it")
        eve.say("the room goes on")
        next_tagged(eve)
        p = resume(self.d, alice.token, alice.last_id)
        p.notice(body="resumed alice")
        alice.peer = p
        alice.got("eve", "the room goes on")  # what the room said, and only that
        eve.command("msg alice welcome back")
        alice.got("eve", "welcome back")
        self.assertNotIn("while you are away", frames_text(p.frames))
        eve.close()


class HeldPrivate(unittest.TestCase):
    """A private message held by its sender's pace goes to whom it was written to, and not at
    all once the sender is muted."""

    def test_it_goes_to_whom_it_was_written_to(self):
        from modtest import member as mmember, room
        cfg = "max_msgs_per_sec = 1\nmsg_burst = 1\nmax_renames_per_min = 100\n"
        with room(cfg) as d:
            alice = mmember(d, "alice", "127.0.0.5")
            bob = mmember(d, "bob", "127.0.0.6")
            eve = mmember(d, "eve", "127.0.0.7")
            alice.sock.sendall(frame(MESSAGE, "hi all") +
                               frame(COMMAND, "msg bob the door code is 4711"))
            alice.notice(prefix="error flood")
            bob.command("nick bob_away")
            bob.notice(body="renamed bob bob_away")
            eve.command("nick bob")
            eve.notice(body="renamed eve bob")
            bob.notice(body="private alice -- the door code is 4711")
            self.assertFalse([b for t, b in eve.sync() if "4711" in b])

    def test_not_once_the_sender_is_muted(self):
        from modtest import member as mmember, operator, room
        with room("max_msgs_per_sec = 1\nmsg_burst = 1\n") as d:
            op, bob = operator(d), mmember(d, "bob", "127.0.0.6")
            spam = mmember(d, "spam", "127.0.0.9")
            spam.sock.sendall(b"".join(frame(COMMAND, "msg bob private spam %d" % i)
                                       for i in range(4)))
            spam.notice(prefix="error flood")
            op.command("mute spam")
            bob.notice(body="muted spam op")
            spam.notice(prefix="error muted")  # the next held one, refused as it goes out
            self.assertFalse([b for t, b in bob.sync() if b.startswith("private spam")][1:])


if __name__ == "__main__":
    main()
