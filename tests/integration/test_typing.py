# SPDX-License-Identifier: ISC
"""The typing indicator (capability "typing"): the command "typing [NAME]" is forwarded as the
notice "typing NAME" between a served customer and its agent, and to the other members of a
room granted "typing"; never to a client that did not ask, never stored, held or replayed. One
is forwarded per sender (an agent: per conversation) per 2 s; more than 10 in 2 s is a flood,
slowed down like any other."""

import os
import sys
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import COMMAND, MESSAGE, NOTICE, Daemon, Peer, frame, main, notices  # noqa: E402
from grouptest import GROUP, LinePeer, member  # noqa: E402
from test_cluster_desk import DeskCase  # noqa: E402
from test_resume import resume  # noqa: E402

TAGGED = 5
# Peers are left to the garbage collector when each test's daemon stops.
warnings.simplefilter("ignore", ResourceWarning)
WINDOW = 2.0  # seconds: one "typing" forwarded per sender per window


def typings(frames):
    return [b for b in notices(frames) if b.startswith("typing")]


def grant(p, caps):
    """@p asks for @caps and must be granted exactly those."""
    p.command("caps " + caps)
    p.notice(body="caps " + caps)
    p.sync()


def desk(d, customer_caps="typing", agent_caps="typing", customer="bob"):
    """mary, the agent, serving @customer, each granted its caps (None: no "caps" at all)."""
    a = Peer.agent(d, "mary")
    a.notice(prefix="queue ")
    if agent_caps:
        grant(a, agent_caps)
    c = Peer.customer(d, customer)
    c.notice(prefix="serving mary")
    a.notice(prefix="customer " + customer)
    if customer_caps:
        grant(c, customer_caps)
    return a, c


class Desk(unittest.TestCase):
    def test_both_ways_in_strict_turns(self):
        with Daemon() as d:
            a, c = desk(d)
            # Strict turns, and it is bob's turn: mary is still shown typing (a notice takes
            # no turn). "typing bob" names the customer, as an agent with several would.
            a.command("typing bob")
            self.assertEqual(typings(c.notice(prefix="typing ")), [])
            self.assertEqual(c.frames[-1], (NOTICE, "typing mary"))
            c.command("typing")
            a.notice(body="typing bob")
            # His message ends it on mary's page, with no notice from the server.
            c.say("hello")
            self.assertEqual(a.message(), "hello")
            self.assertEqual(typings(a.sync()), [])

    def test_without_the_capability_nobody_sees_anything(self):
        with Daemon("turns = free\n") as d:
            a, c = desk(d, customer_caps=None)
            # The answer any unknown command gets: nothing tells "typing" apart.
            c.command("typing")
            c.notice(body="error unknown-command -- 'typing' is not a command here")
            c.command("typign")
            c.notice(body="error unknown-command -- 'typign' is not a command here")
            self.assertEqual(typings(a.sync()), [])
            # mary, granted "typing", types to bob, who did not ask: he sees nothing.
            a.command("typing")
            a.say("hi")
            self.assertEqual(c.wait_for(MESSAGE, body="hi"), [])
            self.assertEqual(typings(c.sync()), [])

    def test_an_agent_without_it_sees_nothing(self):
        with Daemon() as d:
            a, c = desk(d, agent_caps="ping")
            c.command("typing")
            c.sync()
            self.assertEqual(typings(a.sync()), [])
            a.command("typing")
            a.notice(prefix="error unknown-command")

    def test_wave1_customer_sees_nothing_new(self):
        with Daemon("turns = free\n") as d:
            a = Peer.agent(d, "mary")
            a.notice(prefix="queue ")
            grant(a, "typing")
            c = Peer.customer(d, "bob", notices=False)  # types 1 and 2 only
            a.notice(body="customer bob")
            c.say("hello")
            self.assertEqual(a.message(), "hello")
            a.command("typing")
            a.say("hi bob")
            self.assertEqual(c.recv(), (MESSAGE, "hi bob"))
            a.command("typing")
            a.say("anything else?")
            self.assertEqual(c.recv(), (MESSAGE, "anything else?"))
            self.assertEqual(set(t for t, _ in c.frames), {MESSAGE})

    def test_nothing_while_waiting_in_line(self):
        with Daemon() as d:
            a, bob = desk(d)
            carol = Peer.customer(d, "carol")
            carol.notice(body="queued 1")
            grant(carol, "typing")
            carol.command("typing")
            carol.sync()
            self.assertEqual(typings(a.sync()), [])
            a.command("typing carol")  # not one of hers yet: dropped without a word
            a.sync()
            self.assertEqual(typings(carol.sync()), [])
            self.assertEqual(typings(bob.sync()), [])

    def test_rate_limit_one_per_window(self):
        with Daemon() as d:
            a, c = desk(d)
            start = time.monotonic()
            c.sock.sendall(frame(COMMAND, "typing") * 5)
            c.sync()
            got = typings(a.sync())
            if time.monotonic() - start < WINDOW:
                self.assertEqual(got, ["typing bob"])
            # A new window forwards again: bob types on until mary sees a second one.
            first = start
            while len(got) < 2:
                c.command("typing")
                c.sync()
                got += typings(a.sync())
                time.sleep(0.5)  # within the flood limit: 5 + 4 in a window, not 11
            self.assertGreaterEqual(time.monotonic() - first, WINDOW * 0.9)
            self.assertFalse([b for b in notices(c.frames) if b.startswith("error")])

    def test_flood_is_slowed_and_nothing_is_lost(self):
        with Daemon() as d:
            a, c = desk(d, customer_caps="typing")
            other = Peer.customer(d, "carol")  # the daemon goes on for others meanwhile
            other.notice(body="queued 1")
            start = time.monotonic()
            c.sock.sendall(frame(COMMAND, "typing") * 25 + frame(2, "after the flood"))
            c.notice(prefix="error flood")
            other.sync()
            self.assertEqual(a.message(), "after the flood")
            # 25 at 11 a window (10, then the one that pauses): its reading paused twice.
            self.assertGreaterEqual(time.monotonic() - start, WINDOW * 0.9)
            c.sync()
            # Told once for the episode; one "typing" forwarded a window at most.
            self.assertEqual(len([b for b in notices(c.frames) if b.startswith("error")]), 1)
            d.wait_log("(bob): typing flood, slowed down")
            self.assertIn(len(typings(a.frames)), (1, 2, 3))

    def test_bad_argument(self):
        with Daemon() as d:
            _a, c = desk(d)
            c.command("typing mary")
            c.notice(body="error bad-command -- typing takes no argument")


class History(unittest.TestCase):
    def test_not_in_history_nor_in_a_resume(self):
        with Daemon("turns = free\n") as d:
            a, c = desk(d, customer_caps="ids resume typing", agent_caps="ids typing")
            token = [b for b in notices(c.frames) if b.startswith("session ")][-1].split()[1]
            c.command("typing")
            a.notice(body="typing bob")
            c.say("question")
            a.wait_for(TAGGED)
            a.command("typing")
            c.notice(body="typing mary")
            a.say("answer")
            c.wait_for(TAGGED)
            c.command("history")
            frames = c.notice(body="history-end")
            self.assertEqual(typings(frames), [])
            self.assertEqual(len([f for f in frames if f[0] == TAGGED]), 2)
            # bob hangs up; mary types and writes while he is away: only the message waits.
            c.close()
            a.notice(body="customer-away bob")
            a.command("typing")
            a.say("still there?")
            a.sync()
            p = resume(d, token, 0)
            p.notice(body="resumed bob")
            while not (p.recv()[0] == TAGGED and p.frames[-1][1].endswith(" still there?")):
                pass
            p.sync()
            self.assertEqual(typings(p.frames), [])
            self.assertEqual([b.split(" ", 4)[4] for t, b in p.frames if t == TAGGED],
                             ["answer", "still there?"])


TEAM = "max_agents = 2\nmax_chats_per_agent = 2\nturns = free\n"


class Team(unittest.TestCase):
    def test_agent_with_several_customers(self):
        with Daemon(TEAM) as d:
            a = Peer.agent(d, "mary")
            a.notice(prefix="queue ")
            grant(a, "agent typing")
            bob = Peer.customer(d, "bob")
            bob.notice(prefix="serving mary")
            a.notice(prefix="customer bob")
            carol = Peer.customer(d, "carol")
            carol.notice(prefix="serving mary")
            a.notice(prefix="customer carol")
            grant(bob, "typing")
            grant(carol, "typing")
            # Per conversation: one to bob, then one to carol at once.
            a.command("typing bob")
            a.command("typing carol")
            bob.notice(body="typing mary")
            carol.notice(body="typing mary")
            a.command("typing")  # two customers: which one is not said, so nobody
            a.command("typing nobody")
            self.assertEqual(typings(bob.sync()), [])
            self.assertEqual(typings(carol.sync()), [])
            carol.command("typing")
            a.notice(body="typing carol")
            dan = Peer.customer(d, "dan")
            dan.notice(body="queued 1")
            grant(dan, "typing")
            dan.command("typing")
            dan.sync()
            self.assertEqual(typings(a.sync()), [])


class AcrossNodes(DeskCase):
    """The desk across nodes: typing is never published, so only between two sides on the
    same node."""

    desk = "max_agents = 2\nmax_chats_per_agent = 2\nturns = free\n"

    def test_same_node_only(self):
        one, two = self.node("one"), self.node("two")
        mary = self.agent(one, "mary")
        grant(mary, "agent typing")
        bob = self.customer(one, "bob")
        self.assertEqual(self.next_customer(mary), "bob")
        carol = self.customer(two, "carol")
        self.assertEqual(self.next_customer(mary), "carol")
        self.see(bob, prefix="serving mary")
        self.see(carol, prefix="serving mary")
        grant(bob, "typing")
        grant(carol, "typing")
        mary.command("typing bob")
        mary.command("typing carol")
        self.see(bob, body="typing mary")
        bob.command("typing")
        carol.command("typing")
        carol.sync()
        self.see(mary, body="typing bob")
        self.assertEqual(typings(carol.sync()), [])
        self.assertEqual(typings(mary.sync()), [])


class Room(unittest.TestCase):
    def test_room_of_three_and_a_typer(self):
        with Daemon(GROUP + "history_on_join = 0\n") as d:
            ann = member(d, "ann")
            grant(ann, "typing")
            bob = member(d, "bob")  # notices, no capability
            line = LinePeer(d)
            line.sync()
            dan = member(d, "dan")
            grant(dan, "typing")
            ann.command("typing")
            dan.notice(body="typing ann")
            self.assertEqual(typings(ann.sync()), [])  # not to itself
            self.assertEqual(typings(bob.sync()), [])
            self.assertFalse([x for x in line.sync() if "typing" in x])
            bob.command("typing")
            bob.notice(prefix="error unknown-command -- 'typing'")
            line.send("/typing")
            line.wait_for(prefix="* error unknown-command")
            line.send("/caps typing")
            line.wait_for(line="* caps")
            # A private message is no reason to tell anyone: nothing but the message.
            dan.command("msg ann psst")
            ann.wait_for(NOTICE, prefix="private dan")
            self.assertEqual(typings(ann.sync()), [])

    def test_muted_member_is_not_shown_typing(self):
        with Daemon(GROUP) as d:
            op = Peer.agent(d, "op")  # the agent socket's members are operators
            op.notice(prefix="welcome group ")
            ann = member(d, "ann")
            grant(ann, "typing")
            grant(op, "typing")
            op.command("mute ann")
            op.notice(prefix="muted ann")
            ann.command("typing")
            ann.sync()
            self.assertEqual(typings(op.sync()), [])


if __name__ == "__main__":
    main()
