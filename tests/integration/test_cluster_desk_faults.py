# SPDX-License-Identifier: ISC
"""The desk across nodes through faults (the review of 857d427): Redis restarted without its
data while a node is cut off, an agent who comes and goes while Redis is down, a resume on the
other node while the old connection is still attached, a resume before the number came back,
a customer away when its node stops cleanly, many kept customers at the head of the line, acts'
names checked, a question asked while waiting shown to the agent found during a catch-up.
Multi-node: the plain build only (clustertest.ClusterCase), as test_cluster_desk.py."""

import os
import sys
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from clustertest import metric, read_tagged, session_token, wait_until  # noqa: E402
from cutproxy import CutProxy  # noqa: E402
from fdtest import DEADLINE, NOTICE, Closed, Peer, messages, notices  # noqa: E402
from test_cluster_desk import LEASE, DeskCase, desk_config, quiet  # noqa: E402

warnings.simplefilter("ignore", ResourceWarning)
LONG = 3 * DEADLINE  # a node that reconnects (its back-off) and catches up


class _Url:
    def __init__(self, port):
        self.url = "redis://127.0.0.1:%d" % port


class FaultCase(DeskCase):
    def cut_off_node(self, name, extra=""):
        """A node that reaches Redis through a CutProxy: (the node, the proxy)."""
        px = CutProxy(self.redis.port)
        self.addCleanup(px.close)  # after the node's stop (cleanups run last first)
        d = self.start_node(desk_config(_Url(px.port), name, extra, self.desk))
        d.name = name
        self.nodes.append(d)
        return d, px

    def with_session(self, p, caps="caps resume"):
        """@p asks for resume (with @caps): its token."""
        p.command(caps)
        self.see(p, prefix="session ")
        return session_token(p.frames)

    def settled(self, p, secs=1.0):
        """Everything @p was sent, read (what came within @secs and up to a pong)."""
        quiet(p, secs)
        p.sync("settled")
        return p.frames

    def never(self, p, what, pred):
        bad = [f for f in p.frames if pred(f)]
        if bad:
            raise self.report(p, "no %s" % what, "got %r" % bad)

    def logged(self, d, text):
        return [line for line in d.log().splitlines() if text in line]


class LostEpoch(FaultCase):
    appendonly = False  # a restart loses everything

    def test_redis_restarted_without_data_while_a_node_is_cut_off(self):
        extra = "turns = free\n"
        a = self.node("a", extra)
        b, px = self.cut_off_node("b", extra)
        mary = self.agent(b, "mary")
        carl = self.customer(b, "carl")
        self.see(carl, body="serving mary")
        self.assertEqual(self.next_customer(mary), "carl")
        john = self.agent(a, "john")
        bob = self.customer(a, "bob")
        self.see(bob, body="serving john")
        self.assertEqual(self.next_customer(john), "bob")
        px.down()
        b.wait_log("cluster: lost Redis")
        secret = "carl, your card number is 1234 (for carl only)"
        mary.say(secret)  # held by b: its conversation is of the epoch about to end
        mary.sync()
        self.redis.stop()
        self.redis.start()  # without its data: a new epoch
        self.see(bob, body="transferred", timeout=LONG)
        self.see(bob, body="serving john", timeout=LONG)
        px.up()
        self.see(carl, body="transferred", timeout=LONG)
        self.see(carl, body="serving mary", timeout=LONG)
        b.wait_log("held for conversations of the last epoch are dropped", timeout=LONG)
        for p in (bob, carl, john, mary):
            self.settled(p)
        john.say("after the epoch from john")
        mary.say("after the epoch from mary")
        self.hear(bob, "after the epoch from john", timeout=LONG)
        self.hear(carl, "after the epoch from mary", timeout=LONG)
        bob.say("bob after")
        carl.say("carl after")
        self.hear(john, "bob after", timeout=LONG)
        self.hear(mary, "carl after", timeout=LONG)
        for p in (bob, carl, john, mary):
            self.settled(p)
        self.assertEqual(messages(bob.frames), ["after the epoch from john"], bob.frames)
        self.assertEqual(messages(carl.frames), ["after the epoch from mary"], carl.frames)
        self.assertEqual(messages(john.frames), ["bob after"], john.frames)
        self.assertEqual(messages(mary.frames), ["carl after"], mary.frames)
        for p in (bob, carl, john, mary):
            self.never(p, "card number", lambda f: "card number" in f[1])
        logs = [b"frontdesk:room:log"] + self.redis.call("KEYS", "frontdesk:desk:log:*")
        for key in logs:
            for e in self.redis.call("XRANGE", key, "-", "+"):
                self.assertNotIn(b"card number", b"".join(e[1]), (key, e))


class GhostAgent(FaultCase):
    appendonly = True  # stopped and started again, it keeps its data

    def test_agent_who_came_and_went_while_redis_was_down_leaves_no_agent(self):
        a = self.node("a")
        self.redis.stop()
        m = Peer.agent(a, "mary")
        self.peers.append(m)
        self.see(m, body="welcome single-agent mary")
        m.sync()
        m.close()
        wait_until(lambda: [ln for ln in self.logged(a, "(mary): ") if ln.endswith("-> dead")],
                   what="mary's connection gone")
        self.redis.start()
        a.wait_log("node a is up", count=2, timeout=LONG)
        bob = self.queued(a, "bob", 1)
        self.assertEqual(self.redis.call("HGETALL", "frontdesk:desk:agents"), [])
        self.settled(bob)
        self.never(bob, "serving", lambda f: f[0] == NOTICE and f[1].startswith("serving"))
        mary = self.agent(a, "mary")  # the name is free: accepted
        self.assertEqual(self.next_customer(mary), "bob")
        self.see(bob, body="serving mary")
        self.assertEqual([n for n in notices(bob.frames) if n.startswith("serving")],
                         ["serving mary"])
        bob.say("hello mary")
        self.hear(mary, "hello mary")


class TakeoverElsewhere(FaultCase):
    def test_resume_on_the_other_node_while_the_old_connection_is_attached(self):
        extra = "turns = free\n"
        a, b = self.node("a", extra), self.node("b", extra)
        x = self.agent(b, "xena")
        for i in range(5):
            here, there = (a, b) if i % 2 == 0 else (b, a)
            nick = "yv%d" % i
            y = self.customer(here, nick)
            token = self.with_session(y, "caps ids resume")  # "serving" may come before it
            if not [n for n in notices(y.frames) if n.startswith("serving xena")]:
                self.see(y, prefix="serving xena")
            self.assertEqual(self.next_customer(x), nick)
            y.say("one %d" % i)
            self.hear(x, "one %d" % i)
            p = self.resume_on(there, token, 0, nick)  # y is still attached
            self.see(p, body="resumed " + nick)
            self.see(y, prefix="error session-resumed")
            try:
                y.expect_closed()
            except AssertionError as e:
                raise self.report(y, "its connection closed", e) from None
            p.say("two %d" % i)
            self.hear(x, "two %d" % i)
            x.say("answer %d" % i)
            deadline = time.monotonic() + DEADLINE
            while True:
                try:
                    got, _ = read_tagged(p, 1, max(0.01, deadline - time.monotonic()))
                except (AssertionError, Closed) as e:
                    raise self.report(p, "type 5 'answer %d'" % i, e) from None
                if got[0][3:] == ("xena", "answer %d" % i):
                    break
            x.sync()
            self.never(x, "customer-left " + nick,
                       lambda f: f[0] == NOTICE and f[1] == "customer-left " + nick)
            self.settled(p, 0.5)
            self.assertEqual(notices(p.frames).count("resumed " + nick), 1, p.frames)
            self.assertFalse(p.eof, p.frames)
            x.command("next")
            self.assertIn("bye -- xena ended the conversation", notices(p.expect_closed()))
            self.see(x, body="customer-left " + nick)
        self.assertEqual(messages(x.frames),
                         [w % i for i in range(5) for w in ("one %d", "two %d")])


class ResumeBeforeNumber(FaultCase):
    appendonly = True

    def test_resume_on_the_same_node_before_the_enqueue_came_back(self):
        a = self.node("a")
        self.redis.stop()
        p = self.customer(a, "rita")
        token = self.with_session(p)
        p.close()
        a.wait_log("rita is away")
        q = self.resume_on(a, token, 0, "rita")
        self.see(q, body="resumed rita")
        q.sync()
        self.redis.start()
        self.see_place(q, 1, timeout=LONG)
        self.settled(q)
        self.assertEqual(len(self.redis.call("ZRANGE", "frontdesk:desk:line", 0, -1)), 1)
        self.assertEqual(len(self.redis.call("HGETALL", "frontdesk:desk:who")), 2)
        self.assertEqual(metric(a.metrics_port, "frontdesk_queue_length"), 1)
        told = [n for n in notices(q.frames) if n.startswith("queued ")]
        self.assertEqual(told, ["queued 1"] * len(told), q.frames)
        x = self.agent(a, "xena")
        self.assertEqual(self.next_customer(x), "rita")
        self.see(q, body="serving xena")
        q.say("hi, rita here")
        self.hear(x, "hi, rita here")
        wait_until(lambda: metric(a.metrics_port, "frontdesk_queue_length") == 0,
                   what="frontdesk_queue_length 0")
        self.assertEqual(self.redis.call("ZRANGE", "frontdesk:desk:line", 0, -1), [])
        self.assertEqual(notices(x.frames).count("customer rita"), 1, x.frames)


class AwayAtStop(FaultCase):
    def test_customer_away_when_its_node_stops_keeps_its_place(self):
        extra = "cluster_lease = %d\n" % LEASE
        a, b = self.node("a", extra), self.node("b", extra)
        self.queued(b, "c1", 1)
        p = self.queued(a, "rita", 2)
        rita = self.with_session(p)
        c3 = self.queued(b, "c3", 3)
        p.close()
        a.wait_log("rita is away; its place is kept for a resume")
        a.stop()
        a.wait_log("stopped")
        time.sleep(2 * LEASE)  # past two leases: the reaper ran, and left the place kept
        q = self.resume_on(b, rita, 0, "rita")
        self.see(q, body="resumed rita")
        self.see_place(q, 2)
        self.settled(q)
        told = [n.split()[:2] for n in notices(q.frames) if n.startswith("queued ")]
        self.assertEqual(told, [["queued", "2"]] * len(told), q.frames)
        self.position_is(c3, 3)
        x = self.agent(b, "xena")
        self.assertEqual(self.next_customer(x), "c1")
        x.command("next")
        self.assertEqual(self.next_customer(x), "rita")
        self.see(q, body="serving xena")


class KeptHead(FaultCase):
    def test_fifty_kept_customers_at_the_head_do_not_stop_the_line(self):
        a = self.node("a", "max_queue = 200\nmax_clients = 500\n")
        ps = []
        for i in range(50):
            p = Peer.customer(a, "k%d" % i)
            self.peers.append(p)
            p.command("caps resume")
            ps.append(p)
        for p in ps:
            self.see(p, prefix="session ")
        for p in ps:
            p.close()
        a.wait_log("is away; its place is kept for a resume", count=50)
        zed = self.customer(a, "zed")
        x = self.agent(a, "xena")
        self.assertEqual(self.next_customer(x), "zed")
        self.see(zed, body="serving xena")
        zed.say("hi")
        self.hear(x, "hi")


class ActNames(FaultCase):
    def test_transfer_with_a_trailing_space_and_kick_of_two_words(self):
        a = self.node("a")
        x = self.agent(a, "xena")
        carl = self.customer(a, "carl")
        self.see(carl, body="serving xena")
        self.assertEqual(self.next_customer(x), "carl")
        for cmd in ("transfer carl ", "kick a b"):
            x.command(cmd)
            self.see(x, prefix="error bad-command")
        self.settled(x)
        self.assertEqual(self.logged(a, "could not run"), [])
        carl.say("still here")  # the conversation goes on
        self.hear(x, "still here")
        self.assertEqual(self.logged(a, "could not run"), [])


class CatchUpSoFar(FaultCase):
    appendonly = True

    def test_question_asked_while_waiting_shown_to_the_agent_taking_it_in_a_catch_up(self):
        extra = "turns = free\ncluster_lease = 10\n"
        a = self.node("a", extra)
        b, px = self.cut_off_node("b", extra)
        x = self.agent(b, "xena")
        carl = self.customer(a, "carl")
        self.see(carl, body="serving xena")
        self.assertEqual(self.next_customer(x), "carl")
        dan = self.queued(a, "dan", 1)
        question = "question from dan while waiting"
        dan.say(question)
        wait_until(lambda: any(question.encode() in b"".join(e[1]) for e in
                               self.redis.call("XRANGE", "frontdesk:room:log", "-", "+")),
                   what="the question in Redis")
        px.down()
        b.wait_log("cluster: lost Redis")
        carl.close()  # Redis gives dan to xena: node b is cut off, but within its lease
        self.see(dan, body="serving xena", timeout=LONG)
        px.up()
        before = self.see(x, body="customer dan", timeout=LONG)
        self.assertEqual(messages(before), [], "nothing of dan's before 'customer dan'")
        self.hear(x, question, timeout=LONG)
        dan.say("and now?")
        self.hear(x, "and now?", timeout=LONG)
        self.settled(x)
        self.assertEqual(messages(x.frames).count(question), 1, x.frames)
        self.assertEqual(notices(x.frames).count("customer dan"), 1, x.frames)



class Partition(FaultCase):
    def test_node_cut_off_longer_than_the_lease_puts_its_customers_back_in_line(self):
        """The others take node b for dead and end its conversations; b's customer, still
        connected to it, goes back in line when b reaches Redis again, and is served."""
        extra = "turns = free\ncluster_lease = %d\n" % LEASE
        a = self.node("a", extra)
        b, px = self.cut_off_node("b", extra)
        x = self.agent(b, "xena")
        walt = self.customer(b, "walt")
        self.see(walt, body="serving xena")
        self.assertEqual(self.next_customer(x), "walt")
        px.down()
        b.wait_log("cluster: lost Redis")
        a.wait_log("let go of 1 dead node", timeout=LONG)  # the reaper ended walt's conversation
        px.up()
        self.see(walt, body="transferred", timeout=LONG)
        self.see(walt, body="serving xena", timeout=LONG)
        self.see(x, body="customer-left walt", timeout=LONG)
        self.assertEqual(self.next_customer(x), "walt")
        walt.say("still here")
        self.hear(x, "still here", timeout=LONG)
        x.say("so am I")
        self.hear(walt, "so am I", timeout=LONG)


if __name__ == "__main__":
    unittest.main(verbosity=2)
