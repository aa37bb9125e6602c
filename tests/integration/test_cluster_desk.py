# SPDX-License-Identifier: ISC
"""The desk across nodes (issue 17, item 4): mode = single-agent with cluster = redis://... is one
desk: one line in arrival order over every node, agents on any node, the notices of the one-node
desk with several agents (team.c). The line's global positions, service in arrival order, a
conversation in strict turns with its two sides on two nodes, leaving, a node killed, transfer,
away/back, answer_timeout, resume on the other node, a wave-1 customer. Multi-node: the plain
build only (clustertest.ClusterCase)."""

import os
import signal
import subprocess
import sys
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from clustertest import (NO_FLOOD, TAGGED, ClusterCase, http_get, read_tagged,  # noqa: E402
                         session_token, tagged, wait_until)
from fdtest import DEADLINE, NOTICE, Closed, Daemon, Peer, messages, notices  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# Peers closed on purpose (a resume, a kill) are left to the garbage collector.
warnings.simplefilter("ignore", ResourceWarning)
# The desk: several agents, each one conversation at a time (no "agent" capability asked).
DESK = "max_agents = 4\nmax_chats_per_agent = 1\n"
LEASE = 2  # the least cluster_lease config.c allows


def desk_config(redis, name, extra="", desk=DESK):
    return ("mode = single-agent\ncluster = %s\nnode_name = %s\nmetrics_listen = 127.0.0.1:0\n"
            "%s%s%s" % (redis.url, name, NO_FLOOD, desk, extra))


class DeskCase(ClusterCase):
    """Nodes of one desk; each has its own agent socket (fdtest.Daemon's)."""

    desk = DESK  # the desk's keys

    def setUp(self):
        super().setUp()
        self.nodes = []

    def node(self, name, extra=""):
        d = self.start_node(desk_config(self.redis, name, extra, self.desk))
        d.name = name
        self.nodes.append(d)
        return d

    def kill(self, d):
        d.killed = True
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()

    # What went wrong, for the engineer: the peer's frames and the end of each node's log.
    def report(self, p, what, err):
        logs = []
        for d in self.nodes:
            try:
                tail = d.log().splitlines()[-25:]
            except OSError:
                tail = []
            logs.append("---- node %s log ----\n%s" % (d.name, "\n".join(tail)))
        return AssertionError("%s: expected %s; %s\n  frames so far: %r\n%s"
                              % (p.name, what, err, p.frames[-25:], "\n".join(logs)))

    def see(self, p, body=None, prefix=None, timeout=DEADLINE):
        """Read @p up to the notice @body (or starting with @prefix); the frames before it."""
        try:
            return p.notice(body=body, prefix=prefix, timeout=timeout)
        except (AssertionError, Closed) as e:
            raise self.report(p, "notice %r" % (body if body is not None else prefix + "..."),
                              e) from None

    def see_place(self, p, pos, timeout=DEADLINE):
        """Read @p up to "queued POS" (with an ETA after it for a client granted a capability)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                t, b = p.recv(max(0.01, deadline - time.monotonic()))
            except (AssertionError, Closed) as e:
                raise self.report(p, "notice 'queued %d'" % pos, e) from None
            if t == NOTICE and b.split()[:2] == ["queued", str(pos)]:
                return

    def hear(self, p, text, timeout=DEADLINE):
        """The next chat message @p gets is @text."""
        try:
            got = p.message(timeout)
        except (AssertionError, Closed) as e:
            raise self.report(p, "message %r" % text, e) from None
        if got != text:
            raise self.report(p, "message %r" % text, "got message %r" % got)

    def customer(self, d, nick):
        c = Peer.customer(d, nick)
        self.peers.append(c)
        self.see(c, prefix="welcome single-agent " + nick)
        return c

    def queued(self, d, nick, pos):
        """A customer of @d who gets "queued POS"."""
        c = self.customer(d, nick)
        self.see(c, body="queued %d" % pos)
        return c

    def agent(self, d, nick):
        a = Peer.agent(d, nick)
        self.peers.append(a)
        self.see(a, body="welcome single-agent " + nick)
        self.see(a, prefix="turns ")
        self.see(a, prefix="queue ")
        return a

    def next_customer(self, a):
        """The name in @a's next "customer NAME" notice (one already read counts too)."""
        seen = getattr(a, "customers_seen", 0)
        deadline = time.monotonic() + DEADLINE
        while True:
            found = [b for t, b in a.frames if t == NOTICE and b.startswith("customer ")]
            if len(found) > seen:
                a.customers_seen = seen + 1
                return found[seen].split()[1]
            try:
                a.recv(max(0.01, deadline - time.monotonic()))
            except (AssertionError, Closed) as e:
                raise self.report(a, "notice 'customer NAME'", e) from None

    def listing(self, a, command="queue", item="waiting ", end="queue "):
        """The answer to @a's `queue` (or `agents`): its lines ("waiting POS NAME ...") and
        its last ("queue N"). In a cluster it may come after a later ping's pong (it is read
        from Redis), and notices "queue N" of the line's changes come between: the answer is
        the first "queue N" that ends N lines (or "queue 0")."""
        a.command(command)
        deadline = time.monotonic() + DEADLINE
        block = []
        while True:
            try:
                t, b = a.recv(max(0.01, deadline - time.monotonic()))
            except (AssertionError, Closed) as e:
                raise self.report(a, "the answer to %r" % command, e) from None
            if t != NOTICE:
                continue
            if b.startswith(item):
                block.append(b)
            elif b.startswith(end):
                if len(block) == int(b.split()[1]):
                    return block
                block = []

    def line_is(self, a, names, timeout=DEADLINE):
        """Wait until @a's `queue` lists @names (the line as the cluster sees it settles)."""
        deadline = time.monotonic() + timeout
        while True:
            got = [n.split()[2] for n in self.listing(a)]
            if got == names:
                return
            if time.monotonic() > deadline:
                raise self.report(a, "the line %r" % names, "it listed %r" % got)
            time.sleep(0.1)

    def agents_are(self, a, wanted, timeout=DEADLINE):
        """Wait until @a's `agents` lists each of @wanted (NAME: STATUS) and no other agent."""
        deadline = time.monotonic() + timeout
        while True:
            got = {n.split()[1]: n.split()[2] for n in
                   self.listing(a, "agents", "agent ", "agents ")}
            if got == wanted:
                return
            if time.monotonic() > deadline:
                raise self.report(a, "agents %r" % wanted, "it listed %r" % got)
            time.sleep(0.1)

    def position_is(self, p, pos, timeout=DEADLINE):
        """Wait until the last "queued N" @p was told is "queued POS" (for a line that moves
        more than one way at once: a value passed on the way may come first)."""
        deadline = time.monotonic() + timeout
        while True:
            p.sync("position")
            told = [b for t, b in p.frames if t == NOTICE and b.startswith("queued ")]
            if told and told[-1].split()[:2] == ["queued", str(pos)]:
                return
            if time.monotonic() > deadline:
                raise self.report(p, "queued %d last" % pos, "told %r" % told)
            time.sleep(0.1)

    def line_c1_to_c4(self, a, b):
        """No agent yet: c1 (a), c2 (b), c3 (a), c4 (b) arrive in that order."""
        return [self.queued(a if i % 2 else b, "c%d" % i, i) for i in range(1, 5)]


class Line(DeskCase):
    def test_one_line_over_two_nodes(self):
        a, b = self.node("a"), self.node("b")
        cs = self.line_c1_to_c4(a, b)
        x = self.agent(b, "xena")
        self.assertEqual(self.next_customer(x), "c1")  # c1 is on the other node
        self.see(cs[0], body="serving xena")
        self.see(cs[0], body="turn")
        for i in range(1, 4):
            self.see(cs[i], body="queued %d" % i)
        self.line_is(x, ["c2", "c3", "c4"])

    def test_served_in_arrival_order_by_agents_on_either_node(self):
        a, b = self.node("a"), self.node("b")
        cs = self.line_c1_to_c4(a, b)
        x = self.agent(a, "xena")
        y = self.agent(b, "yann")
        agents = {"xena": x, "yann": y}
        order, by = [], {}
        for name, ag in agents.items():
            got = self.next_customer(ag)
            order.append(got)
            by[got] = name
        self.assertEqual(sorted(order), ["c1", "c2"])  # exactly the first two
        for i in (0, 1):
            self.see(cs[i], body="serving " + by["c%d" % (i + 1)])
        self.see(cs[2], body="queued 1")
        self.see(cs[3], body="queued 2")
        for f in cs[2].sync() + cs[3].sync():
            self.assertFalse(f[1].startswith("serving"), f)
        # Each end frees a place: the head of the line takes it, whichever node it is on.
        for done, nxt in (("c1", "c3"), ("c2", "c4")):
            name = by[done]
            agents[name].command("next")
            frames = cs[int(done[1]) - 1].expect_closed()
            self.assertIn("bye -- %s ended the conversation" % name, notices(frames))
            got = self.next_customer(agents[name])
            self.assertIn("customer-left " + done, notices(agents[name].frames))
            self.assertEqual(got, nxt)
            order.append(got)
            by[got] = name
            self.see(cs[int(nxt[1]) - 1], body="serving " + name)
            if nxt == "c3":
                self.see(cs[3], body="queued 1")
        self.assertEqual(order[2:], ["c3", "c4"])  # after c1 and c2, in arrival order


class Hello(DeskCase):
    def test_hellos_are_the_one_node_desks(self):
        # Served at once, by an agent on its own node or on the other one: welcome, turns,
        # serving, turn (strict: the customer speaks first); the agent: welcome, turns, queue.
        a, b = self.node("a"), self.node("b")
        x = self.agent(a, "xena")
        self.assertEqual(notices(x.frames), ["welcome single-agent xena", "turns strict",
                                             "queue 0"])
        for d, nick in ((a, "bob"), (b, "carol")):
            c = self.customer(d, nick)
            self.see(c, body="turn")
            self.assertEqual(self.next_customer(x), nick)
            c.sync()
            self.assertEqual([n for n in notices(c.frames) if not n.startswith("pong ")],
                             ["welcome single-agent " + nick, "turns strict", "serving xena",
                              "turn"], "served by an agent on node a, on node " + d.name)
            c.close()
            self.see(x, body="customer-left " + nick)


class Conversation(DeskCase):
    def test_strict_turns_customer_on_a_agent_on_b(self):
        a, b = self.node("a"), self.node("b")
        x = self.agent(b, "xena")
        bob = self.customer(a, "bob")
        self.see(bob, body="serving xena")
        self.see(bob, body="turn")
        self.assertEqual(self.next_customer(x), "bob")
        # The agent out of turn: held until bob speaks first.
        x.say("hello early")
        self.see(x, prefix="error not-your-turn")
        self.assertEqual(messages(bob.sync()), [])
        bob.say("q1")
        self.hear(x, "q1")
        self.hear(bob, "hello early")
        # bob out of turn: held until xena replies, then delivered.
        bob.say("q2")
        self.hear(x, "q2")
        bob.say("q3")
        self.see(bob, prefix="error not-your-turn")
        self.assertEqual(messages(x.sync()), [])
        x.say("a2")
        self.hear(bob, "a2")
        self.hear(x, "q3")
        x.say("a3")
        self.hear(bob, "a3")
        for i in range(5):  # more rounds, each in order
            bob.say("m%d" % i)
            self.hear(x, "m%d" % i)
            x.say("r%d" % i)
            self.hear(bob, "r%d" % i)
        carol = self.queued(b, "carol", 1)
        x.command("next")
        self.assertIn("bye -- xena ended the conversation", notices(bob.expect_closed()))
        self.assertEqual(self.next_customer(x), "carol")
        self.assertIn("customer-left bob", notices(x.frames))  # before "customer carol"
        self.see(carol, body="serving xena")
        carol.close()
        self.see(x, body="customer-left carol")
        self.line_is(x, [])
        # bob's hello was the one-node desk's: welcome, turns, serving, turn.
        hello = bob.frames[:bob.frames.index((NOTICE, "serving xena")) + 2]
        self.assertEqual(notices(hello), ["welcome single-agent bob", "turns strict",
                                          "serving xena", "turn"])

    def test_customer_leaves_and_the_line_moves_up(self):
        a, b = self.node("a"), self.node("b")
        x = self.agent(b, "xena")
        c1 = self.customer(a, "c1")
        self.see(c1, body="serving xena")
        self.assertEqual(self.next_customer(x), "c1")
        c2, c3, c4 = self.queued(b, "c2", 1), self.queued(a, "c3", 2), self.queued(b, "c4", 3)
        # A waiting customer leaves: those behind it, on either node, move up.
        c2.close()
        self.see(c3, body="queued 1")
        self.see(c4, body="queued 2")
        self.line_is(x, ["c3", "c4"])
        # The served one leaves (from the other node): the agent is told, the head is served.
        c1.close()
        self.see(x, body="customer-left c1")
        self.assertEqual(self.next_customer(x), "c3")
        self.see(c3, body="serving xena")
        self.see(c4, body="queued 1")


class NodeKilled(DeskCase):
    def test_dead_nodes_customers_leave_and_its_agents_customer_goes_to_the_head(self):
        extra = "cluster_lease = %d\n" % LEASE
        a, b = self.node("a", extra), self.node("b", extra)
        y = self.agent(a, "yann")  # on the node that dies
        s = self.customer(b, "sam")
        self.see(s, body="serving yann")
        self.assertEqual(self.next_customer(y), "sam")
        x = self.agent(b, "xena")
        t = self.customer(b, "tess")
        self.see(t, body="serving xena")
        self.assertEqual(self.next_customer(x), "tess")
        self.queued(a, "w1", 1)
        self.queued(a, "w2", 2)
        w3, w4 = self.queued(b, "w3", 3), self.queued(b, "w4", 4)
        self.kill(a)
        killed = time.monotonic()
        # w1, w2 (on a) leave the line; sam (served by a's agent) goes back to its head.
        self.line_is(x, ["sam", "w3", "w4"], timeout=LEASE + DEADLINE)
        elapsed = time.monotonic() - killed
        self.assertLess(elapsed, LEASE + 3, "the line settled %.1fs after the kill" % elapsed)
        self.see(s, body="queued 1")
        self.position_is(w3, 2)
        self.position_is(w4, 3)
        self.agents_are(x, {"xena": "full"})
        # An agent of the live node with room takes the head: sam.
        x.command("next")
        self.assertIn("bye -- xena ended the conversation", notices(t.expect_closed()))
        self.assertEqual(self.next_customer(x), "sam")
        self.see(s, body="serving xena")
        self.position_is(w3, 1)
        self.position_is(w4, 2)
        s.say("still there?")
        self.hear(x, "still there?")
        x.say("yes")
        self.hear(s, "yes")


class Transfer(DeskCase):
    def test_transfer_to_an_agent_on_the_other_node(self):
        a, b = self.node("a"), self.node("b")
        x = self.agent(a, "xena")
        bob = self.customer(a, "bob")
        self.see(bob, body="serving xena")
        self.assertEqual(self.next_customer(x), "bob")
        y = self.agent(b, "yann")
        bob.say("my order is late")
        self.hear(x, "my order is late")
        x.say("let me ask yann")
        self.hear(bob, "let me ask yann")
        x.command("transfer bob yann")
        self.see(x, body="transferred bob yann")
        self.see(bob, body="transferred yann")
        self.see(bob, body="serving yann")
        self.assertEqual(self.next_customer(y), "bob")
        bob.say("hello yann")
        try:
            got = []
            while not got or got[-1] != "hello yann":
                got.append(y.message())
        except (AssertionError, Closed) as e:
            raise self.report(y, "message 'hello yann'", e) from None
        y.say("hi bob")
        self.hear(bob, "hi bob")
        # bob is no longer xena's.
        x.say("still mine?")
        self.see(x, prefix="error no-customer")
        self.assertEqual(messages(bob.sync()), [])


class Away(DeskCase):
    def test_away_agent_gets_no_new_customer_back_takes_the_next(self):
        a, b = self.node("a"), self.node("b")
        x = self.agent(a, "xena")
        y = self.agent(b, "yann")
        x.command("away")
        self.see(x, body="away 0")
        self.agents_are(y, {"xena": "away", "yann": "available"})
        bob = self.customer(a, "bob")  # on xena's node, all the same to yann
        self.see(bob, body="serving yann")
        self.assertEqual(self.next_customer(y), "bob")
        carol = self.queued(b, "carol", 1)  # yann is full, xena away: carol waits
        self.assertEqual([n for n in notices(x.sync()) if n.startswith("customer ")], [])
        x.command("back")
        self.see(x, body="back")
        self.assertEqual(self.next_customer(x), "carol")
        self.see(carol, body="serving xena")


class AnswerTimeout(DeskCase):
    def test_unanswered_goes_to_the_agent_on_the_other_node(self):
        extra = "answer_timeout = 2s\n"
        a, b = self.node("a", extra), self.node("b", extra)
        x = self.agent(a, "xena")
        bob = self.customer(a, "bob")
        self.see(bob, body="serving xena")
        self.assertEqual(self.next_customer(x), "bob")
        y = self.agent(b, "yann")
        bob.say("anyone?")
        self.hear(x, "anyone?")
        self.see(x, body="answer-timeout bob", timeout=2 + DEADLINE)
        self.assertEqual(self.next_customer(y), "bob")
        y.say("here")  # the question asked is the new agent's to answer (within 2 s)
        before = self.see(bob, body="serving yann")
        self.assertEqual(before[-1:], [(NOTICE, "transferred yann")], "as on one node")
        self.hear(bob, "here")
        x.say("too late")
        self.see(x, prefix="error no-customer")


class Resume(DeskCase):
    def test_waiting_customer_resumes_on_the_other_node(self):
        a, b = self.node("a"), self.node("b")
        x = self.agent(b, "xena")
        c0 = self.customer(b, "c0")
        self.see(c0, body="serving xena")
        self.assertEqual(self.next_customer(x), "c0")
        self.queued(a, "c1", 1)
        rita = self.queued(a, "rita", 2)
        rita.command("caps resume")
        welcome = self.see(rita, prefix="session ")
        token = rita.frames[-1][1].split()[1]
        self.assertIn((NOTICE, "caps resume"), welcome)
        c3 = self.queued(b, "c3", 3)
        rita.close()
        p = self.resume_on(b, token, 0, "rita")
        self.see(p, body="resumed rita")
        self.see(p, body="turns strict")
        self.see_place(p, 2)  # its place kept
        self.line_is(x, ["c1", "rita", "c3"])
        x.command("next")
        self.assertEqual(self.next_customer(x), "c1")
        self.see_place(p, 1)
        x.command("next")
        self.assertEqual(self.next_customer(x), "rita")
        self.see(p, body="serving xena")
        self.see(c3, body="queued 1")
        p.say("hi, I moved")
        self.hear(x, "hi, I moved")
        x.say("welcome back")
        self.hear(p, "welcome back")


class NodeRestart(DeskCase):
    """A node stopped cleanly (a restart, an upgrade) keeps its customers' places in Redis for
    their grace: each resumes on the other node, or on the node once it is back."""

    def waiting_with_session(self, d, nick, pos):
        p = self.queued(d, nick, pos)
        p.command("caps resume")
        self.see(p, prefix="session ")
        return p, p.frames[-1][1].split()[1]

    def test_places_survive_a_clean_restart(self):
        a, b = self.node("a", "cluster_lease = 2\n"), self.node("b", "cluster_lease = 2\n")
        self.queued(b, "c1", 1)
        _, rita = self.waiting_with_session(a, "rita", 2)
        _, sam = self.waiting_with_session(a, "sam", 3)
        c4 = self.queued(b, "c4", 4)
        a.stop()
        a.wait_log("stopped")
        time.sleep(4)  # past two leases: the reaper ran, and left the places kept
        p = self.resume_on(b, rita, 0, "rita")
        self.see(p, body="resumed rita")
        self.see_place(p, 2)
        with open(a.config_path) as f:
            a2 = Daemon(f.read())  # the same node_name and store: node a again
        a2.start()
        self.addCleanup(self._stop_node, a2)
        wait_until(lambda: http_get(a2.metrics_port, "/readyz")[0] == 200, what="a again")
        q = self.resume_on(a2, sam, 0, "sam")
        self.see(q, body="resumed sam")
        self.see_place(q, 3)
        x = self.agent(b, "xena")
        self.assertEqual(self.next_customer(x), "c1")
        x.command("next")
        self.assertEqual(self.next_customer(x), "rita")
        x.command("next")
        self.assertEqual(self.next_customer(x), "sam")
        self.see(q, body="serving xena")
        self.see_place(c4, 1)


class SeveralChats(DeskCase):
    desk = "max_agents = 4\nmax_chats_per_agent = 2\n"

    def test_an_agent_granted_agent_holds_customers_of_both_nodes(self):
        a, b = self.node("a", "turns = free\n"), self.node("b", "turns = free\n")
        x = self.agent(b, "xena")
        x.command("caps agent")
        self.see(x, body="caps agent")
        c1 = self.customer(a, "c1")
        c2 = self.customer(b, "c2")
        self.see(c1, body="serving xena")
        self.see(c2, body="serving xena")
        self.assertEqual(sorted([self.next_customer(x), self.next_customer(x)]), ["c1", "c2"])
        c1.say("from a")
        self.hear(x, "c1: from a")
        x.say("c1: to a")
        self.hear(c1, "to a")
        x.say("c2: to b")
        self.hear(c2, "to b")
        self.queued(a, "c3", 1)  # both places taken


class RedisForgot(DeskCase):
    def test_conversations_redis_lost_go_back_in_line(self):
        """A Redis that went back in time (a failover that lost its last writes) without a new
        epoch: at the reconnection the node finds the conversations Redis no longer has."""
        a, b = self.node("a"), self.node("b")
        x = self.agent(b, "xena")
        y = self.customer(a, "yves")
        self.see(y, body="serving xena")
        self.assertEqual(self.next_customer(x), "yves")
        w = self.queued(a, "walt", 1)
        # What a lost write leaves: no conversations, the agent's count gone with them.
        self.redis.call("DEL", "frontdesk:desk:c:1", "frontdesk:desk:c:2", "frontdesk:desk:line")
        self.redis.call("CLIENT", "KILL", "TYPE", "normal")
        self.redis.call("CLIENT", "KILL", "TYPE", "pubsub")
        self.see(y, body="transferred")
        self.see(w, body="transferred")
        self.see(x, body="customer-left yves")
        self.assertEqual(self.next_customer(x), "yves")  # back in line first, served first
        self.see(y, body="serving xena")
        self.see(w, body="queued 1")
        y.say("still there?")
        self.hear(x, "still there?")


class Wave1(DeskCase):
    def run_seed(self, d, nick, lines):
        return subprocess.Popen([sys.executable, os.path.join(HERE, "seed_customer.py"),
                                 str(d.port), nick] + lines,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def test_wave_1_customer_waits_then_is_served_from_the_other_node(self):
        a, b = self.node("a"), self.node("b")
        x = self.agent(b, "xena")
        first = self.customer(b, "first")
        self.see(first, body="serving xena")
        self.assertEqual(self.next_customer(x), "first")
        # Types 1 and 2 only: it must never get anything but one type 2 frame per reply.
        seed = self.run_seed(a, "oldtimer", ["waiting patiently", "thanks", "bye"])
        self.addCleanup(lambda: seed.poll() is None and seed.kill())
        self.assertEqual(seed.stdout.readline(), "CONNECTED\n")
        self.line_is(x, ["oldtimer"])
        first.say("hi")
        self.hear(x, "hi")
        x.say("hello first")
        self.hear(first, "hello first")
        first.close()
        self.see(x, body="customer-left first")
        self.assertEqual(self.next_customer(x), "oldtimer")
        for q in ("waiting patiently", "thanks", "bye"):
            self.hear(x, q)
            x.say("answer to " + q)
        out, err = seed.communicate(timeout=DEADLINE)
        self.assertEqual(seed.returncode, 0, out + err)
        self.assertEqual(out, "REPLY answer to waiting patiently\nREPLY answer to thanks\n"
                              "REPLY answer to bye\n")


def quiet(p, secs=1.0):
    """The frames @p gets within @secs (nothing more should come: a duplicate would)."""
    got = []
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        try:
            got.append(p.recv(max(0.01, deadline - time.monotonic())))
        except AssertionError:
            break
    return got


class RedisOutage(DeskCase):
    appendonly = True  # stopped and started again, it keeps its data

    def test_redis_stopped_two_seconds_nothing_lost_nothing_twice(self):
        extra = "turns = free\n"
        a, b = self.node("a", extra), self.node("b", extra)
        x = self.agent(b, "xena")
        y = self.customer(a, "yves")
        self.see(y, body="serving xena")
        self.assertEqual(self.next_customer(x), "yves")
        y.say("before")
        self.hear(x, "before")
        self.redis.stop()
        y.say("during 1")
        y.say("during 2")
        x.say("reply during")
        w = self.customer(a, "walt")  # a new customer while Redis is away
        time.sleep(2)  # the outage itself
        self.redis.start()
        long = 3 * DEADLINE
        self.hear(x, "during 1", timeout=long)
        self.hear(x, "during 2", timeout=long)
        self.hear(y, "reply during", timeout=long)
        x.command("next")
        self.assertIn("bye -- xena ended the conversation", notices(y.expect_closed()))
        self.assertEqual(self.next_customer(x), "walt")
        self.see(w, body="serving xena")
        w.say("hi after")
        self.hear(x, "hi after")
        x.say("hello walt")
        self.hear(w, "hello walt")
        for p in (x, w):
            quiet(p)
        self.assertEqual(messages(x.frames), ["before", "during 1", "during 2", "hi after"])
        self.assertEqual(messages(y.frames), ["reply during"])
        self.assertEqual(messages(w.frames), ["hello walt"])
        self.assertEqual(notices(x.frames).count("customer yves"), 1, x.frames)
        self.assertEqual(notices(x.frames).count("customer walt"), 1, x.frames)
        self.assertEqual(notices(w.frames).count("serving xena"), 1, w.frames)


class ResumeServed(DeskCase):
    def test_served_customer_resumes_on_the_other_node_with_what_it_missed(self):
        extra = "turns = free\n"
        a, b = self.node("a", extra), self.node("b", extra)
        x = self.agent(b, "xena")
        y = self.customer(a, "yves")
        y.command("caps ids resume")
        self.see(y, prefix="serving xena")
        # Served by another node's agent, "serving" may come before the answer to caps.
        if not any(t == NOTICE and b.startswith("session ") for t, b in y.frames):
            self.see(y, prefix="session ")
        token = session_token(y.frames)
        self.assertEqual(self.next_customer(x), "yves")
        y.say("one")
        self.hear(x, "one")
        x.say("answer one")
        got, _ = read_tagged(y, 1)
        last = got[0][0]
        self.assertEqual(got[0][3:], ("xena", "answer one"))
        y.close()
        a.wait_log("yves is away; its place is kept for a resume")
        x.say("while away 1")
        x.say("while away 2")
        p = self.resume_on(b, token, last, "yves")
        self.see(p, body="resumed yves")
        self.see(p, prefix="serving xena c")
        try:
            missed, _ = read_tagged(p, 2)
        except (AssertionError, Closed) as e:
            raise self.report(p, "two type 5 messages", e) from None
        serving = ["serving xena " + missed[0][2]]  # its conversation's number
        self.assertEqual([m[3:] for m in missed],
                         [("xena", "while away 1"), ("xena", "while away 2")])
        self.assertTrue(last < missed[0][0] < missed[1][0], missed)
        p.say("back")
        self.hear(x, "back")
        x.say("welcome back")
        try:
            after, _ = read_tagged(p, 1)
        except (AssertionError, Closed) as e:
            raise self.report(p, "type 5 'welcome back'", e) from None
        self.assertEqual(after[0][3:], ("xena", "welcome back"))
        quiet(p)
        self.assertEqual([tagged(b_)[4] for t, b_ in p.frames if t == TAGGED],
                         ["while away 1", "while away 2", "welcome back"], p.frames)
        self.assertEqual(messages(p.frames), [], "no type 2 to an ids customer")
        self.assertEqual(notices(p.frames).count("resumed yves"), 1, p.frames)
        self.assertEqual([n for n in notices(p.frames) if n.startswith("serving ")], serving,
                         p.frames)
        self.assertEqual(messages(x.frames), ["one", "back"])


class NodeKilledQuestion(DeskCase):
    def test_unanswered_question_shown_to_the_agent_on_the_live_node(self):
        extra = "cluster_lease = %d\n" % LEASE
        a, b = self.node("a", extra), self.node("b", extra)
        y = self.agent(a, "yann")  # on the node that dies
        s = self.customer(b, "sam")
        self.see(s, body="serving yann")
        self.assertEqual(self.next_customer(y), "sam")
        x = self.agent(b, "xena")  # free, on the node that lives
        s.say("is my order shipped?")
        self.hear(y, "is my order shipped?")
        self.kill(a)
        long = LEASE + 2 * DEADLINE
        before = self.see(x, body="customer sam", timeout=long)
        self.assertEqual(messages(before), [], "nothing before 'customer sam'")
        self.hear(x, "is my order shipped?")
        self.see(s, body="serving xena", timeout=long)
        x.say("yes, yesterday")
        self.hear(s, "yes, yesterday")
        s.say("thanks")
        self.hear(x, "thanks")
        quiet(x)
        self.assertEqual(messages(x.frames), ["is my order shipped?", "thanks"])
        self.assertEqual(messages(s.frames), ["yes, yesterday"])


class NewEpoch(DeskCase):
    appendonly = False  # a restart loses everything

    def test_redis_restarted_without_data_the_desk_is_built_again(self):
        a, b = self.node("a"), self.node("b")
        x = self.agent(b, "xena")
        s = self.customer(a, "sam")
        self.see(s, body="serving xena")
        self.assertEqual(self.next_customer(x), "sam")
        w = self.queued(a, "walt", 1)
        self.redis.stop()
        self.redis.start()
        long = 3 * DEADLINE
        self.see(s, body="transferred", timeout=long)
        self.see(w, body="transferred", timeout=long)
        told = {}
        for c in (s, w):
            deadline = time.monotonic() + long
            while c.name not in told:
                try:
                    t, b_ = c.recv(max(0.01, deadline - time.monotonic()))
                except (AssertionError, Closed) as e:
                    raise self.report(c, "'queued N' or 'serving xena'", e) from None
                if t == NOTICE and (b_.startswith("queued ") or b_ == "serving xena"):
                    told[c.name] = b_
        name = self.next_customer(x)  # a customer again
        self.assertIn(name, ("sam", "walt"))
        c = s if name == "sam" else w
        if told[name] != "serving xena":
            self.see(c, body="serving xena", timeout=long)
        self.position_is(w if c is s else s, 1, timeout=long)  # the other waits, first
        c.say("are you there?")
        self.hear(x, "are you there?", timeout=long)
        x.say("yes")
        self.hear(c, "yes", timeout=long)


if __name__ == "__main__":
    unittest.main(verbosity=2)
