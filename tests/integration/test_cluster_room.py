# SPDX-License-Identifier: ISC
"""The room across nodes, what it shares besides messages: nicknames unique in the whole cluster
(a clash is renamed; a dead node's names free up within cluster_lease), and moderation (topic,
mutes, bans, kicks of another node's member, purges of the shared history), applied on every
node and read from Redis by a node that starts later. Multi-node: the plain build only
(clustertest.ClusterCase)."""

import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clustertest import (ClusterCase, ids_member, read_tagged, session_token,  # noqa: E402
                         wait_until)
from fdtest import DEADLINE, NOTICE, Closed, Peer  # noqa: E402
from modtest import key_file, operator  # noqa: E402


class Names(ClusterCase):
    def test_a_clash_across_nodes_is_renamed(self):
        a, b = self.node("a", "cluster_lease = 2\n"), self.node("b", "cluster_lease = 2\n")
        first = self.member(a, "carl")
        second = Peer.customer(b, "carl")
        self.peers.append(second)
        second.notice(body="welcome group carl")
        # Claimed a round trip later: another node has it, so the newcomer becomes carl2.
        second.notice(body="renamed carl carl2")
        first.notice(body="renamed carl carl2")
        # Asking for a name another node holds gives the next free one, told once.
        second.command("nick carl")
        first.command("who")
        self.assertIn("member carl", [b for t, b in first.wait_for(NOTICE, prefix="members ")
                                      if t == NOTICE])
        second.command("time")
        before = second.wait_for(NOTICE, prefix="time ")
        self.assertNotIn((NOTICE, "renamed carl2 carl"), before)

    def test_a_dead_nodes_names_free_up_within_the_lease(self):
        extra = "cluster_lease = 2\nmax_renames_per_min = 0\n"  # it asks again and again
        a, b = self.node("a", extra), self.node("b", extra)
        self.member(a, "dora")
        late = self.member(b, "dora2")
        a.killed = True
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        start = time.monotonic()
        # The node cannot say its members left: the first node to find it dead does.
        late.notice(body="left dora")
        # Asked again and again: within the lease (2 s) and a beat, the name is free.
        while True:
            # While a's names hold, the first free one is its own: nothing changes, unsaid.
            late.command("nick dora")
            late.command("time")
            if (NOTICE, "renamed dora2 dora") in late.wait_for(NOTICE, prefix="time "):
                break
            self.assertLess(time.monotonic() - start, DEADLINE)
            time.sleep(0.3)
        self.assertLess(time.monotonic() - start, 2 + 3)


class Who(ClusterCase):
    def test_who_lists_every_node(self):
        a, b = self.node("a"), self.node("b")
        ann, bob = self.member(a, "ann"), self.member(b, "bob")
        ann.notice(body="joined bob")
        for p in (ann, bob):
            p.command("who")
            got = [body for t, body in p.wait_for(NOTICE, prefix="members ") if t == NOTICE]
            self.assertEqual(got[-2:], ["member ann", "member bob"])
        bob.command("nick robert")
        ann.notice(body="renamed bob robert")
        bob.close()
        ann.notice(body="left robert")
        ann.command("who")
        got = [body for t, body in ann.wait_for(NOTICE, body="members 1") if t == NOTICE]
        self.assertEqual(got[-1:], ["member ann"])


class Moderation(ClusterCase):
    def setUp(self):
        super().setUp()
        self.extra = "operator_key_file = %s\nmax_joins_per_min = 0\n" % key_file()

    def test_acts_reach_every_node(self):
        a, b = self.node("a", self.extra), self.node("b", self.extra)
        op = operator(a)
        self.peers.append(op)
        x, y = self.member(b, "xena"), self.member(b, "yan")
        op.command("topic welcome all")
        x.notice(body="topic op -- welcome all")
        op.command("mute yan 1h")
        y.notice(body="muted yan op 1h")
        y.say("may I?")
        y.notice(prefix="error muted")
        op.command("kick xena -- enough")
        y.notice(body="kicked xena op -- enough")
        with self.assertRaises(Closed):
            x.wait_for(NOTICE, body="never")
        op.command("ban nick:yan -- spam")
        with self.assertRaises(Closed):
            y.wait_for(NOTICE, body="never")
        # The ban holds at the other node's door too.
        again = Peer.customer(b, "yan")
        again.notice(prefix="error banned")
        again.close()
        # A node that starts later takes the room as Redis keeps it.
        c = self.node("c", self.extra)
        w = self.member(c, "walt")
        w.command("topic")
        w.notice(body="topic op -- welcome all")
        late = Peer.customer(c, "yan")
        late.notice(prefix="error banned")
        late.close()

    def test_kick_of_nobody_and_purge(self):
        a, b = self.node("a", self.extra), self.node("b", self.extra)
        op = operator(a)
        self.peers.append(op)
        reader = self.member(a, "reader")
        spammer = self.member(b, "spam")
        reader.notice(body="joined spam")
        op.command("kick ghost")
        op.notice(prefix="error no-such-nick")
        for i in range(3):
            spammer.say("buy %d" % i)
        reader.say("hello")
        read_tagged(reader, 4)
        op.command("purge spam")
        reader.notice(body="purged spam 3 op")
        reader.command("history 10")
        got, _ = read_tagged(reader, 1)
        self.assertEqual([m[3:] for m in got], [("reader", "hello")])
        reader.notice(body="history-end")


class WentBack(ClusterCase):
    def test_redis_that_lost_acknowledged_messages_gives_no_id_twice(self):
        """A replica promoted before it had the last writes: Redis's counter is behind what
        the nodes delivered. The counter is moved past what was seen: no ID comes twice (it
        would be dropped as seen), and chat goes on in the same epoch."""
        a, b = self.node("a"), self.node("b")
        p, before = ids_member(a, "pat")
        q = self.member(b, "quin")
        self.peers.append(p)
        for i in range(5):
            p.say("m%d" % i)
        last = read_tagged(q, 5)[0][-1][0]
        read_tagged(p, 5)
        self.redis.call("SET", "frontdesk:room:id", "2")  # what the new primary had
        self.redis.call("DEL", "frontdesk:room:log")
        self.redis.call("CLIENT", "KILL", "TYPE", "normal")
        self.redis.call("CLIENT", "KILL", "TYPE", "pubsub")
        wait_until(lambda: a.log().count("Redis lost messages") + b.log().count(
            "Redis lost messages") >= 1, what="the counter moved on")
        for d in (a, b):
            d.wait_log("is up", 2)
        p.say("after")
        got = read_tagged(q, 1)[0][0]
        self.assertEqual(got[3:], ("pat", "after"))
        self.assertGreater(got[0], last)
        self.assertNotIn("epoch ", str(q.sync()))


class Sessions(ClusterCase):
    """A member resumes on another node: what it missed comes from the stream, its name with it,
    and the node it left lets the session go."""

    def missed_and_resumed(self, a, b, resume_node):
        """A member of @a loses its connection; what a member of @b says meanwhile it gets on
        resuming on @resume_node, in order, then live messages."""
        b1 = self.member(b, "ben")
        token, last = self.lose_connection(a, "ann", b1)
        b1.say("missed 1")
        b1.say("missed 2")
        expected = read_tagged(b1, 2)[0]
        p = self.resume_on(resume_node, token, last, "ann")
        p.notice(body="resumed ann")
        got, _ = read_tagged(p, 2)
        self.assertEqual(got, expected)
        b1.say("live again")
        self.assertEqual(read_tagged(p, 1)[0][0][3:], ("ben", "live again"))
        return token

    def test_resume_on_the_same_node_reads_the_stream(self):
        a, b = self.node("a"), self.node("b")
        self.missed_and_resumed(a, b, a)

    def test_resume_on_the_other_node(self):
        a, b = self.node("a"), self.node("b")
        token = self.missed_and_resumed(a, b, b)
        # Its name came along: nobody else may take it, on either node.
        other = Peer.customer(a, "ann")
        self.peers.append(other)
        other.notice(prefix="welcome group ann")
        other.notice(body="renamed ann ann2")
        # The token is void now (a new one was given): the old one resumes nowhere.
        again = self.resume_on(a, token, 0, "ann")
        again.notice(prefix="error resume-failed")

    def test_resume_while_attached_takes_it_over(self):
        a, b = self.node("a"), self.node("b")
        a1, welcome = ids_member(a, "cleo", "ids resume")
        self.peers.append(a1)
        token = session_token(welcome)
        p = self.resume_on(b, token, 0, "cleo")
        p.notice(body="resumed cleo")
        # The old connection on a is closed: its session went to b.
        a1.notice(prefix="error session-resumed")
        with self.assertRaises(Closed):
            a1.wait_for(NOTICE, body="never")

    def test_resume_after_the_node_was_killed(self):
        a, b = self.node("a", "cluster_lease = 2\n"), self.node("b", "cluster_lease = 2\n")
        a1, welcome = ids_member(a, "dan", "ids resume")
        self.peers.append(a1)
        token = session_token(welcome)
        b1 = self.member(b, "eve")
        a1.notice(body="joined eve")
        a.killed = True
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        b1.say("while you were away")
        p = self.resume_on(b, token, 0, "dan")
        p.notice(body="resumed dan")
        got, _ = read_tagged(p, 1)
        self.assertEqual(got[0][3:], ("eve", "while you were away"))
        # The reaper then finds a dead: dan is not said to have left (it resumed here).
        b.wait_log("found dead")
        b1.command("time")
        heard = [body for t, body in b1.wait_for(NOTICE, prefix="time ") if t == NOTICE]
        self.assertNotIn("left dan", heard)

    def test_a_node_back_at_once_says_its_last_run_members_left(self):
        """Killed and started again under its name before its heartbeat expired: the set of
        members still holds the last run's; the room hears they left."""
        extra = "cluster_lease = 10\n"
        a, b = self.node("a", extra), self.node("b", extra)
        fay = self.member(a, "fay")
        b1 = self.member(b, "gus")
        fay.notice(body="joined gus")
        a.killed = True
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait()
        self.node("a", extra)
        b1.notice(body="left fay", timeout=10)


if __name__ == "__main__":
    unittest.main(verbosity=2)
