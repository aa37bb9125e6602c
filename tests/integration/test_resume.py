# SPDX-License-Identifier: ISC
"""Resume (protocol 7.3). In a room, a member whose connection is cut (a proxy resets it, as a
network failure would) resumes its session within the grace and misses nothing, in order, with
its name kept for it meanwhile. At the desk, a customer cut while waiting keeps its place and
its held message, one cut while served keeps its conversation (the agent sees it away and
back) and gets what the agent wrote meanwhile. Every bad resume is one "error resume-failed"
and the connection goes on with the normal handshake."""

import os
import signal
import socket
import sqlite3
import sys
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from cutproxy import CutProxy  # noqa: E402
from fdtest import COMMAND, DEADLINE, NICKNAME, NOTICE, Peer, frame, main  # noqa: E402
from grouptest import GROUP, Closed, Daemon, member  # noqa: E402

TAGGED = 5
# Peers cut by the proxy or replaced by a resume are left to the garbage collector.
warnings.simplefilter("ignore", ResourceWarning)
FREE = GROUP + "max_msgs_per_sec = 0\nmax_bytes_per_sec = 0\nmax_joins_per_min = 0\n"


def tagged(p):
    """The next type 5 message as (ID, FROM, TEXT)."""
    p.wait_for(TAGGED)
    id_, _time, _conv, frm, text = p.frames[-1][1].split(" ", 4)
    return int(id_), frm, text


class Session:
    """A member granted ids and resume; its token, epoch and the last ID it received."""

    def __init__(self, daemon, nick, proxy=None, welcome="welcome group "):
        sock = proxy.connect(DEADLINE) if proxy else None
        self.peer = Peer(sock, nick) if sock else Peer.customer(daemon)
        self.peer.name = nick
        self.peer.join(nick)
        self.peer.notice(prefix=welcome)
        self.peer.command("caps ids resume")
        self.peer.notice(body="caps ids resume")
        self.peer.notice(prefix="epoch ")
        self.epoch = self.peer.frames[-1][1][len("epoch "):]
        self.token = self.take_token()
        self.peer.sync()  # past the history on joining, if any
        self.last_id = 0

    def take_token(self):
        self.peer.notice(prefix="session ")
        return self.peer.frames[-1][1].split(" ", 1)[1]

    def got(self, frm, text):
        id_, f, t = tagged(self.peer)
        assert (f, t) == (frm, text), (f, t, frm, text)
        assert id_ > self.last_id
        self.last_id = id_
        return id_


def resume(daemon, token, last_id, extra=b""):
    p = Peer.customer(daemon)
    p.sock.sendall(frame(COMMAND, "resume %s %d" % (token, last_id)) + extra)
    return p


def resume_session(daemon, s):
    """@s (a Session) resumes at the desk after a restart: its new peer, past "turns"."""
    p = resume(daemon, s.token, s.last_id)
    p.notice(body="resumed " + s.peer.name)
    p.notice(prefix="turns ")
    s.peer = p
    return p


def agent_resume(daemon, token, last_id):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(DEADLINE)
    s.connect(daemon.agent_socket)
    p = Peer(s, "agent")
    p.send(COMMAND, "resume %s %d" % (token, last_id))
    return p


def resumable_agent(daemon, nick="mary"):
    a = Peer.agent(daemon, nick)
    a.notice(prefix="queue ")
    a.command("caps ids resume")
    a.notice(body="caps ids resume")
    a.notice(prefix="session ")
    token = a.frames[-1][1].split(" ", 1)[1]
    a.sync()
    return a, token


class ResumeCase(unittest.TestCase):
    """A daemon, and a proxy in front of its framed listener that can cut connections."""

    def start(self, config):
        self.d = Daemon(config).start()
        self.proxy = CutProxy(self.d.port)

    def restart(self, config):
        self.tearDown()
        self.start(config)

    def tearDown(self):
        self.proxy.close()
        self.d.__exit__(None, None, None)

    def cut(self, nick):
        self.proxy.cut()
        self.d.wait_log("%s: connection lost; its session waits" % nick)


class RoomResume(ResumeCase):
    def setUp(self):
        self.start(FREE + "history_on_join = 5\n")

    def test_cut_member_misses_nothing(self):
        alice = Session(self.d, "alice", self.proxy)
        bob = member(self.d, "bob")
        bob.command("caps ids")
        bob.notice(prefix="history-end")
        bob.say("before")
        alice.got("bob", "before")
        self.cut("alice")
        bob.notice(body="left alice")
        for i in range(3):
            bob.say("missed %d" % i)
        bob.sync()
        p = resume(self.d, alice.token, alice.last_id)
        p.notice(body="resumed alice")
        self.assertEqual(p.frames[-1], (NOTICE, "resumed alice"))
        p.notice(prefix="session ")
        new_token = p.frames[-1][1].split(" ", 1)[1]
        self.assertNotEqual(new_token, alice.token)
        self.assertEqual(p.recv(), (NOTICE, "caps ids resume"))
        self.assertEqual(p.recv(), (NOTICE, "epoch " + alice.epoch))
        alice.peer = p
        for i in range(3):
            alice.got("bob", "missed %d" % i)
        self.assertNotIn((NOTICE, "gap"), p.frames)
        bob.notice(body="joined alice")
        bob.say("after")
        alice.got("bob", "after")
        p.say("I am back")
        while tagged(bob)[1] != "alice":  # its own messages come back to it too
            pass
        self.assertEqual(bob.frames[-1][1].split(" ", 4)[4], "I am back")
        # The old token is void; the new one works for the next cut.
        q = resume(self.d, alice.token, 0)
        q.notice(prefix="error resume-failed -- no such session")
        q.close()

    def test_silent_network_noticed_by_ping(self):
        # No reset, no FIN: only the unanswered ping says the network is gone. Lost all
        # the same: the session waits.
        self.restart(FREE + "peer_timeout = 2\n")
        alice = Session(self.d, "alice", self.proxy)
        alice.peer.command("caps ids ping resume")
        alice.token = alice.take_token()
        self.proxy.freeze()
        self.d.wait_log("alice: connection lost; its session waits", timeout=DEADLINE)
        p = resume(self.d, alice.token, alice.last_id)
        p.notice(body="resumed alice")

    def test_held_lines_are_its_own_again(self):
        # Flood control held a line of alice's when her connection was lost: back, she has
        # it again, with her pace (a resume is no way around flood control), and the room
        # hears neither "left alice" nor "joined alice".
        # 1 byte a second: a1 (10 bytes) waits 2 s after a0 (2 bytes), longer than a cut.
        self.restart(GROUP + "max_bytes_per_sec = 1\nbytes_burst = 10\n"
                     "max_joins_per_min = 0\n")
        alice = Session(self.d, "alice", self.proxy)
        bob = member(self.d, "bob")
        a1 = "a1" + "." * 8
        alice.peer.say("a0")
        alice.peer.say(a1)
        alice.peer.notice(prefix="error flood")  # a1 is accepted, and held
        self.assertEqual(bob.message(), "alice: a0")
        self.cut("alice")
        p = resume(self.d, alice.token, alice.last_id)
        p.notice(body="resumed alice")
        self.assertEqual(bob.message(), "alice: " + a1)
        p.say("a")  # held at her pace too, then relayed
        self.assertEqual(bob.message(), "alice: a")
        self.assertEqual([b for t, b in bob.frames if t == NOTICE and "alice" in b], [])

    def test_name_kept_within_the_grace(self):
        alice = Session(self.d, "alice", self.proxy)
        self.cut("alice")
        carol = member(self.d, "alice")
        carol.notice(body="renamed alice alice2")
        carol.close()
        p = resume(self.d, alice.token, alice.last_id)
        p.notice(body="resumed alice")
        p.close()

    def test_takeover_of_an_attached_session(self):
        alice = Session(self.d, "alice")
        p = resume(self.d, alice.token, 0)
        p.notice(body="resumed alice")
        alice.peer.notice(prefix="error session-resumed")
        alice.peer.expect_closed()
        bob = member(self.d, "bob")
        bob.say("hi")
        _id, frm, text = tagged(p)
        self.assertEqual((frm, text), ("bob", "hi"))

    def test_ended_on_purpose_cannot_resume(self):
        alice = Session(self.d, "alice")
        alice.peer.command("quit")
        alice.peer.expect_closed()
        self.d.wait_log("alice (127.0.0.1")
        p = resume(self.d, alice.token, 0)
        p.notice(prefix="error resume-failed -- no such session")
        # The normal handshake goes on.
        p.join("alice")
        p.notice(body="welcome group alice")

    def test_bad_resumes(self):
        alice = Session(self.d, "alice", self.proxy)
        self.cut("alice")
        for body in ("resume x 1", "resume %s" % alice.token,
                     "resume %s -1" % alice.token, "resume %s 1x" % alice.token,
                     "resume %s 99999999999999999999" % alice.token):
            p = Peer.customer(self.d)
            p.sock.sendall(frame(COMMAND, body))
            p.notice(prefix="error ")
            self.assertRegex(p.frames[-1][1], r"^error resume-failed -- resume TOKEN LAST_ID")
            p.close()
        # From the future (another epoch): refused before the token is looked at.
        p = resume(self.d, alice.token, 10 ** 9)
        p.notice(prefix="error resume-failed -- ID 1000000000 was never given in epoch ")
        # Frames sent before the answer: refused, and they go on as the normal handshake.
        p = resume(self.d, alice.token, 0, extra=frame(NICKNAME, "zed"))
        p.notice(prefix="error resume-failed -- send nothing after resume")
        # A second try on the same connection is not a resume: a nickname was due.
        p = resume(self.d, "0" * 64, 0)
        p.notice(prefix="error resume-failed -- no such session")
        p.send(COMMAND, "resume %s 0" % alice.token)
        p.notice(prefix="error expected-nickname")
        # None of it touched alice's session.
        p = resume(self.d, alice.token, alice.last_id)
        p.notice(body="resumed alice")

    def test_grace_over(self):
        self.restart(FREE + "resume_grace = 1\n")
        alice = Session(self.d, "alice", self.proxy)
        self.cut("alice")
        self.d.wait_log("alice: not resumed within 1 s: its session ended")
        p = resume(self.d, alice.token, alice.last_id)
        p.notice(prefix="error resume-failed -- no such session")
        p.join("alice")
        p.notice(body="welcome group alice")

    def test_no_store_says_gap(self):
        self.restart(FREE + "store = off\n")
        alice = Session(self.d, "alice", self.proxy)
        bob = member(self.d, "bob")
        self.cut("alice")
        bob.say("lost to alice")
        bob.sync()
        p = resume(self.d, alice.token, alice.last_id)
        p.notice(body="gap")
        bob.say("live")
        _id, frm, text = tagged(p)
        self.assertEqual((frm, text), ("bob", "live"))

    def test_long_absence_comes_in_parts(self):
        # 350 messages missed, read 100 at a time as a small output drains: all, in order.
        self.restart(FREE + "soft_output_bytes = 4K\n")
        alice = Session(self.d, "alice", self.proxy)
        bob = member(self.d, "bob")
        self.cut("alice")
        for i in range(350):
            bob.say("m%d" % i)
        bob.sync()
        p = resume(self.d, alice.token, alice.last_id)
        p.notice(body="resumed alice")
        alice.peer = p
        bob.say("live")
        for i in range(350):
            alice.got("bob", "m%d" % i)
        alice.got("bob", "live")
        self.assertNotIn((NOTICE, "gap"), p.frames)


class DeskResume(ResumeCase):
    def setUp(self):
        self.start("turns = free\n")
        self.agent = Peer.agent(self.d, "mary")
        self.agent.notice(body="queue 0")
        # Granted a capability: it may hear wave-2 notices (customer-away, customer-back).
        self.agent.command("caps ping")
        self.agent.notice(body="caps ping")

    def customer(self, nick, cut=False):
        return Session(self.d, nick, self.proxy if cut else None, "welcome single-agent ")

    def line(self):
        """ann served; bob (through the proxy) and carol waiting, in that order."""
        return self.customer("ann"), self.customer("bob", cut=True), self.customer("carol")

    def test_waiting_customer_keeps_its_place_and_held_message(self):
        ann, bob, carol = self.line()
        self.agent.notice(body="customer ann")
        bob.peer.say("my question")
        bob.peer.sync()
        self.cut("bob")
        self.d.wait_log("bob is away; its place in line is kept")
        p = resume(self.d, bob.token, bob.last_id)
        p.notice(body="resumed bob")
        p.notice(body="turns free")
        self.assertEqual(p.recv(), (NOTICE, "queued 1"))
        self.agent.command("next")
        self.agent.notice(body="customer bob")
        self.assertEqual(self.agent.message(), "my question")
        p.notice(prefix="serving mary")
        carol.peer.notice(body="queued 1")
        ann.peer.close()

    def test_away_customer_is_skipped_keeping_its_place(self):
        _ann, bob, carol = self.line()
        self.agent.notice(body="customer ann")
        self.cut("bob")
        self.agent.command("next")
        self.agent.notice(body="customer carol")
        p = resume(self.d, bob.token, bob.last_id)
        p.notice(body="resumed bob")
        self.assertEqual(p.wait_for(NOTICE, prefix="queued ")[-1:], [(NOTICE, "turns free")])
        self.assertEqual(p.frames[-1], (NOTICE, "queued 1"))
        self.agent.command("next")
        self.agent.notice(body="customer bob")
        carol.peer.close()

    def test_served_customer_misses_nothing(self):
        bob = self.customer("bob", cut=True)
        self.agent.notice(body="customer bob")
        bob.peer.say("hello")
        self.assertEqual(self.agent.message(), "hello")
        self.agent.say("first answer")
        bob.got("mary", "first answer")
        self.agent.say("second answer")
        bob.got("mary", "second answer")
        seen = bob.last_id
        self.cut("bob")
        self.agent.notice(body="customer-away bob")
        self.agent.say("are you still there?")
        p = resume(self.d, bob.token, seen - 1)  # as if the second had not arrived
        p.notice(body="resumed bob")
        p.notice(prefix="serving mary")
        bob.peer, bob.last_id = p, seen - 1
        bob.got("mary", "second answer")
        bob.got("mary", "are you still there?")
        self.agent.notice(body="customer-back bob")
        p.say("yes")
        self.assertEqual(self.agent.message(), "yes")

    def test_grace_over_leaves_the_line(self):
        self.restart("turns = free\nresume_grace = 1\n")
        self.agent = Peer.agent(self.d, "mary")
        _ann, bob, carol = self.line()
        self.cut("bob")
        self.d.wait_log("bob: not resumed within 1 s: its session ended")
        carol.peer.notice(body="queued 1")
        p = resume(self.d, bob.token, bob.last_id)
        p.notice(prefix="error resume-failed -- no such session")
        _ann.peer.close()

    def test_agent_resumes_its_conversation(self):
        self.agent.close()
        self.d.wait_log("agent mary left")
        agent, token = resumable_agent(self.d)
        bob = self.customer("bob")
        agent.notice(prefix="customer bob ")
        bob.peer.say("first question")
        self.assertEqual(tagged(agent)[1:], ("bob", "first question"))
        first = int(agent.frames[-1][1].split(" ")[0])
        agent.sock.shutdown(socket.SHUT_RDWR)  # the agent's laptop goes to sleep
        agent.close()
        self.d.wait_log("mary: connection lost; its session waits 30 s")
        bob.peer.notice(body="agent-offline")
        bob.peer.say("second question")
        bob.peer.sync()
        p = agent_resume(self.d, token, first - 1)  # as if the first had not arrived
        p.notice(body="resumed mary")
        p.notice(body="turns free")
        self.assertEqual(p.recv(), (NOTICE, "customer bob c1"))
        self.assertEqual(p.recv(), (NOTICE, "queue 0"))
        self.assertEqual(tagged(p)[1:], ("bob", "first question"))
        self.assertEqual(tagged(p)[1:], ("bob", "second question"))
        bob.peer.notice(prefix="agent-online mary")
        p.say("answer")
        bob.got("mary", "answer")

    def test_agent_keeps_its_held_reply(self):
        # Strict turns: the agent's second reply waits for the customer; the agent is cut
        # meanwhile and resumes: the reply is still its own, and goes when it is its turn.
        self.restart("turns = strict\n")
        agent, token = resumable_agent(self.d)
        bob = self.customer("bob")
        bob.peer.say("question")
        seen, frm, text = tagged(agent)
        self.assertEqual((frm, text), ("bob", "question"))
        agent.say("answer 1")
        agent.say("answer 2")
        agent.notice(prefix="error not-your-turn")
        bob.got("mary", "answer 1")
        agent.close()
        self.d.wait_log("mary: connection lost; its session waits")
        p = agent_resume(self.d, token, seen)
        p.notice(body="resumed mary")
        bob.peer.say("thanks")
        self.assertEqual(tagged(p)[1:], ("bob", "thanks"))
        bob.got("mary", "answer 2")

    def test_agent_resume_refused_while_another_is_attached(self):
        self.agent.close()
        self.d.wait_log("agent mary left")
        agent, token = resumable_agent(self.d)
        agent.close()
        self.d.wait_log("mary: connection lost; its session waits")
        # The same person back without a resume: its own name, not "mary2".
        again = Peer.agent(self.d, "mary")
        again.notice(body="welcome single-agent mary")
        p = agent_resume(self.d, token, 0)
        p.notice(prefix="error resume-failed -- another agent is attached")
        self.assertNotIn((NOTICE, "resumed mary"), p.frames)

    def test_resume_gets_in_past_max_per_address(self):
        # The away customer holds no descriptor: its own resume is not refused as one more
        # connection from its address.
        self.restart("turns = free\nmax_per_address = 2\n")
        self.agent = Peer.agent(self.d, "mary")
        ann = self.customer("ann")  # noqa: F841 - kept connected
        bob = self.customer("bob", cut=True)
        self.cut("bob")
        p = resume(self.d, bob.token, bob.last_id)
        p.notice(body="resumed bob")

    def test_token_of_another_role(self):
        # A customer's token on the agent socket is no session there: refused in the same
        # words as a wrong one, and the customer's session is untouched.
        bob = self.customer("bob", cut=True)
        self.cut("bob")
        p = agent_resume(self.d, bob.token, 0)
        p.notice(prefix="error resume-failed -- no such session")
        p = resume(self.d, bob.token, bob.last_id)
        p.notice(body="resumed bob")

    def test_many_wrong_tokens(self):
        # A flood of guesses: each one refused alike (256 random bits: none will match);
        # the real session is untouched.
        bob = self.customer("bob", cut=True)
        self.cut("bob")
        for i in range(30):
            p = resume(self.d, "%064x" % i, 0)
            p.notice(prefix="error resume-failed -- no such session")
            p.close()
        p = resume(self.d, bob.token, bob.last_id)
        p.notice(body="resumed bob")

    def test_agent_grace_over(self):
        self.restart("turns = free\nagent_grace = 1\n")
        agent, token = resumable_agent(self.d)
        agent.close()
        self.d.wait_log("mary: not resumed within 1 s: its session ended")
        p = agent_resume(self.d, token, 0)
        p.notice(prefix="error resume-failed -- no such session")

    def test_agent_next_or_kick_ends_an_away_customer(self):
        bob = self.customer("bob", cut=True)
        self.agent.notice(body="customer bob")
        self.cut("bob")
        self.agent.notice(body="customer-away bob")
        self.agent.command("next")
        self.agent.sync()
        p = resume(self.d, bob.token, 0)
        p.notice(prefix="error resume-failed -- no such session")
        ann = self.customer("ann")  # noqa: F841 - kept connected
        carol = self.customer("carol", cut=True)
        self.cut("carol")
        self.agent.command("kick carol")
        self.agent.sync()
        self.assertNotIn((NOTICE, "error no-customer -- no customer is called carol"),
                         self.agent.frames)
        p = resume(self.d, carol.token, 0)
        p.notice(prefix="error resume-failed -- no such session")


class AcrossARestart(unittest.TestCase):
    """Three customers waiting in line when the daemon stops (SIGTERM) or dies (kill -9) come
    back in any order and are served in the line's: the store kept their sessions (as hashes),
    their places and what they held."""

    def check(self, sig):
        with Daemon("turns = free\n") as d:
            agent = Peer.agent(d, "mary")
            ann = Peer.customer(d, "ann")  # served when it stops; no session
            agent.notice(body="customer ann")
            line = [Session(d, n, None, "welcome single-agent ") for n in ("bob", "carol", "dave")]
            line[0].peer.say("bob's question")
            line[0].peer.sync()
            with sqlite3.connect(d.store_path) as db:
                kept = db.execute("SELECT token_hash, conv FROM sessions ORDER BY conv").fetchall()
            self.assertEqual(len(kept), 3)
            self.assertNotIn(line[0].token, [t for t, _ in kept])  # hashes, not tokens
            d.stop(sig)
            d.start()
            d.wait_log("3 session(s) kept across the restart")
            for pos, s in reversed(list(enumerate(line, 1))):
                p = resume_session(d, s)
                # bob, the head of the line, is served (nobody ahead); the others keep their
                # places whatever the order they came back in.
                self.assertEqual(p.recv(), (NOTICE, "agent-offline" if pos == 1
                                            else "queued %d" % pos))
            # Asking for IDs in its first write, before anything is relayed to it.
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(DEADLINE)
            sock.connect(d.agent_socket)
            agent = Peer(sock, "mary")
            sock.sendall(frame(NICKNAME, "mary") + frame(COMMAND, "hello notices") +
                         frame(COMMAND, "caps ids"))
            # In the same conversations as before: bob's question comes once, in bob's.
            agent.wait_for(TAGGED)
            self.assertEqual(agent.frames[-1][1].split(" ", 4)[2:],
                             ["c%d" % kept[0][1], "bob", "bob's question"])
            for nick, (_, conv) in zip(("carol", "dave"), kept[1:]):
                agent.command("next")
                agent.notice(body="customer %s c%d" % (nick, conv))
            self.assertEqual([b for t, b in agent.frames if t == TAGGED and "bob's" in b][1:],
                             [])
            for s in line:
                s.peer.close()
            agent.close()
            ann.close()

    def test_served_customer_misses_nothing(self):
        # Served at the stop, bob comes back at its place in a new conversation; a reply it
        # never got (in flight at the restart) comes from the old one.
        with Daemon("turns = free\n") as d:
            agent = Peer.agent(d, "mary")
            bob = Session(d, "bob", None, "welcome single-agent ")
            agent.notice(body="customer bob")
            agent.say("a reply in flight")
            bob.got("mary", "a reply in flight")
            d.stop(signal.SIGTERM)
            d.start()
            p = resume(d, bob.token, bob.last_id - 1)  # as if it had not arrived
            p.notice(body="resumed bob")
            bob.peer, bob.last_id = p, bob.last_id - 1
            bob.got("mary", "a reply in flight")
            agent = Peer.agent(d, "mary")
            agent.notice(prefix="customer bob")
            p.say("thanks")
            self.assertEqual(agent.message(), "thanks")
            agent.close()
            p.close()

    def test_sigterm(self):
        self.check(signal.SIGTERM)

    def test_kill_9(self):
        self.check(signal.SIGKILL)


if __name__ == "__main__":
    main()
