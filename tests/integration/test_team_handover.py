# SPDX-License-Identifier: ISC
"""The desk with several agents when a conversation changes hands: the next agent can answer
the question left (strict turns), is given what was unanswered (also without ids), a customer
passed on is not held back by the one it avoids, the line hears an agent is back, a customer
who leaves a lot behind is handed over paced, conversations no agent saw end are given in any
order."""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (COMMAND, NICKNAME, NOTICE, Closed, Daemon, Peer, frame,  # noqa: E402
                    messages, notices)
from test_resume import ResumeCase, Session, agent_resume, resume  # noqa: E402
from test_team import TEAM, agent, customer, next_customer, timed_out_to_john  # noqa: E402

TAGGED = 5
STRICT = TEAM.replace("turns = free", "turns = strict")


def token_of(a):
    return [b for t, b in a.frames if b.startswith("session ")][0].split()[1]


class Handover(unittest.TestCase):
    def test_strict_the_next_agent_answers_the_question_left(self):
        with Daemon(STRICT + "answer_timeout = 1s\n") as d:
            bob, john = timed_out_to_john(d, "where is my parcel?")
            john.notice(body="turn bob")
            john.say("bob: it ships today")
            self.assertEqual(bob.message(), "it ships today")
            self.assertNotIn("not-your-turn", " ".join(notices(john.frames)))

    def test_no_answer_is_owed_before_the_customer_speaks(self):
        with Daemon(STRICT + "answer_timeout = 1s\n") as d:
            mary = agent(d, "mary")
            dave = customer(d, "dave")
            self.assertEqual(next_customer(mary), "dave")
            agent(d, "john")
            time.sleep(2.5)
            self.assertNotIn("answer-timeout dave", notices(mary.sync()))

    def test_an_agent_without_ids_gets_the_unanswered_question(self):
        with Daemon("max_agents = 2\nturns = strict\n") as d:
            mary = Peer.agent(d, "mary")
            mary.notice(prefix="queue")
            bob = customer(d, "bob")
            mary.notice(body="customer bob")
            john = Peer.agent(d, "john")
            john.notice(prefix="queue")
            bob.say("my card was charged twice")
            self.assertEqual(mary.message(), "my card was charged twice")
            mary.close()
            john.notice(body="customer bob")
            self.assertEqual(john.message(), "my card was charged twice")
            john.notice(body="turn")
            john.say("let me check")
            self.assertEqual(bob.message(), "let me check")

    def test_a_customer_passed_on_does_not_hold_up_the_line(self):
        with Daemon("max_agents = 2\nturns = free\nanswer_timeout = 1s\n") as d:
            mary = agent(d, "mary", None)
            bob = customer(d, "bob")
            mary.notice(body="customer bob")
            john = agent(d, "john", None)
            carol = customer(d, "carol")
            john.notice(body="customer carol")
            john.say("hi carol")
            carol.message()
            dave = customer(d, "dave")
            dave.notice(body="queued 1")
            bob.say("hello?")
            mary.message()
            mary.notice(body="answer-timeout bob", timeout=10)
            # mary is free, bob avoids her and john is busy: dave, behind bob, goes to mary.
            mary.notice(body="customer dave")
            bob.notice(body="transferred")
            dave.notice(body="serving mary")

    def test_the_line_hears_the_agent_is_back(self):
        with Daemon("max_agents = 2\nturns = free\nagent_grace = 30s\n") as d:
            mary = agent(d, "mary", "ids resume")
            alice = customer(d, "alice")
            self.assertEqual(next_customer(mary), "alice")
            bob = customer(d, "bob")
            bob.notice(body="queued 1")
            mary.close()
            bob.notice(body="agent-offline")
            m2 = agent_resume(d, token_of(mary), 0)
            m2.notice(body="resumed mary")
            alice.notice(prefix="serving mary")
            bob.notice(body="agent-online mary")

    def test_what_a_leaving_customer_held_is_handed_over_paced(self):
        cfg = STRICT + "max_output_bytes = 16K\nmax_held_bytes = 64K\n"
        with Daemon(cfg) as d:
            mary = agent(d, "mary")
            bob = customer(d, "bob")
            self.assertEqual(next_customer(mary), "bob")
            bob.say("q1")
            self.assertEqual(mary.message(), "bob: q1")
            time.sleep(0.2)
            for i in range(7):
                bob.say(("%d" % i) * 8000)  # held: not bob's turn
            bob.sync()
            bob.close()
            got = []
            while "customer-left bob" not in notices(got):
                got.append(mary.recv())
            self.assertEqual([len(m) for m in messages(got)], [8005] * 7)


class Resume(unittest.TestCase):
    def test_an_agent_with_two_chats_resumes_missing_nothing(self):
        with Daemon(TEAM + "agent_grace = 30s\n") as d:
            mary = agent(d, "mary", "ids agent resume")
            bob, carol = customer(d, "bob"), customer(d, "carol")
            self.assertEqual({next_customer(mary), next_customer(mary)}, {"bob", "carol"})
            mary.sync()
            bob.say("bob in flight")
            carol.say("carol in flight")
            bob.sync()
            carol.sync()
            d.wait_log("mary", count=1)
            time.sleep(0.3)  # relayed into mary's socket, which she never reads
            mary.close()
            bob.notice(body="agent-offline")
            m2 = agent_resume(d, token_of(mary), 0)
            m2.notice(body="resumed mary")
            got = []
            while len([f for f in got if f[0] == TAGGED]) < 2:
                got.append(m2.recv())
            texts = sorted(b.split(" ", 4)[3:][1] for t, b in got if t == TAGGED)
            self.assertEqual(texts, ["bob in flight", "carol in flight"])


class CutCustomer(ResumeCase):
    def setUp(self):
        self.start(TEAM)

    def test_a_cut_customer_resumes_its_chat_missing_nothing(self):
        mary = agent(self.d, "mary", "ids agent")
        bob = Session(self.d, "bob", self.proxy, "welcome single-agent ")
        carol = customer(self.d, "carol")
        self.assertEqual({next_customer(mary), next_customer(mary)}, {"bob", "carol"})
        bob.peer.say("my order is late")
        mary.wait_for(TAGGED)
        mary.say("bob: checking")
        bob.got("mary", "checking")
        self.cut("bob")
        mary.notice(body="customer-away bob")
        mary.say("bob: it ships today")  # held for bob, who is away
        mary.say("carol: hello carol")
        self.assertEqual(carol.message(), "hello carol")
        p = resume(self.d, bob.token, bob.last_id)
        p.notice(body="resumed bob")
        bob.peer = p
        bob.got("mary", "it ships today")
        mary.notice(body="customer-back bob")
        p.say("thanks")
        mary.wait_for(TAGGED)
        self.assertTrue(mary.frames[-1][1].endswith(" bob thanks"))


class OfflineOrder(unittest.TestCase):
    def test_an_agent_taking_over_a_half_given_conversation_is_told_whose(self):
        cfg = TEAM + "agent_grace = 60s\nsoft_output_bytes = 4K\nmax_held_bytes = 4M\n"
        with Daemon(cfg) as d:
            mary = agent(d, "mary", "ids agent resume")
            bob = customer(d, "bob")
            self.assertEqual(next_customer(mary), "bob")
            mary.close()
            bob.notice(body="agent-offline")
            for i in range(300):  # more than the agent socket's buffers hold
                bob.say("%03d " % i + "x" * 8000)
            bob.sync()
            bob.close()
            d.wait_log("what bob said that no agent answered is kept for the next agent")
            # ann reads nothing: what its socket's buffers cannot hold waits for it.
            ann = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            ann.connect(d.agent_socket)
            ann.sendall(frame(NICKNAME, "ann") + frame(COMMAND, "hello notices") +
                        frame(COMMAND, "caps ids agent"))
            d.wait_log("agent-socket (ann): 80")  # paused: "8010 bytes unsent"
            ann.close()
            john = agent(d, "john", "ids agent")
            while "customer-left bob" not in notices(john.frames):
                john.recv()
            # The rest comes at once, before john's "caps": as plain messages, after the name.
            seen = [f for f in john.frames if f[0] != NOTICE or f[1].startswith("customer")]
            self.assertEqual(seen[0], (NOTICE, "customer bob"))
            self.assertEqual(seen[-1], (NOTICE, "customer-left bob"))
            self.assertTrue(seen[-2][1].startswith("299 "))
            self.assertTrue(0 < len(seen) - 2 < 300)

    def test_conversations_no_agent_saw_end_are_given_in_any_order(self):
        with Daemon(TEAM + "agent_grace = 60s\n") as d:
            mary = agent(d, "mary", "ids agent resume")
            alice = customer(d, "alice")
            self.assertEqual(next_customer(mary), "alice")  # c1
            john = agent(d, "john", "ids agent resume")
            bob = customer(d, "bob")
            self.assertEqual(next_customer(john), "bob")  # c2
            ann = agent(d, "ann", "ids agent")
            john.close()
            bob.notice(body="agent-offline")
            bob.say("bob unanswered")
            bob.sync()
            bob.close()
            ann.notice(body="customer-left bob")
            mary.close()
            alice.notice(body="agent-offline")
            alice.say("alice unanswered")
            alice.sync()
            alice.close()
            before = ann.notice(body="customer-left alice")
            self.assertTrue(any(t == TAGGED and b.endswith("alice alice unanswered")
                                for t, b in before))


if __name__ == "__main__":
    unittest.main(verbosity=2)
