# SPDX-License-Identifier: ISC
"""The desk with several agents (max_agents, max_chats_per_agent; protocol 7.5), end to end:
fair assignment from one line, several chats with the NAME: prefix, positions, transfer,
away/back, answer_timeout, an agent lost (for good, kept for its resume, back), bad input."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import MESSAGE, NOTICE, Daemon, Peer, messages, notices  # noqa: E402
from test_resume import agent_resume  # noqa: E402

TEAM = "max_agents = 3\nmax_chats_per_agent = 2\nturns = free\n"
TAGGED = 5


def agent(d, nick, caps="agent"):
    """An agent granted @caps (the answer names what was granted)."""
    a = Peer.agent(d, nick)
    a.notice(prefix="welcome single-agent " + nick)
    if caps:
        a.command("caps " + caps)
        a.notice(prefix="caps")
    a.sync()
    return a


def customer(d, nick):
    c = Peer.customer(d, nick)
    c.notice(prefix="welcome single-agent " + nick)
    return c


def next_customer(a):
    """The name in @a's next "customer NAME" notice (one read by a sync() counts too)."""
    seen = getattr(a, "customers_seen", 0)
    while True:
        found = [b for t, b in a.frames if t == NOTICE and b.startswith("customer ")]
        if len(found) > seen:
            a.customers_seen = seen + 1
            return found[seen].split()[1]
        a.recv()


def messages_until(p, want):
    """Chat messages @p receives up to and including @want."""
    got = []
    while not got or got[-1] != want:
        got.append(p.message())
    return got


def timed_out_to_john(d, question):
    """bob asks @question of mary, who does not answer in answer_timeout: john gets bob."""
    mary = agent(d, "mary")
    bob = customer(d, "bob")
    assert next_customer(mary) == "bob"
    john = agent(d, "john")
    bob.say(question)
    mary.message()
    mary.notice(body="answer-timeout bob", timeout=10)
    assert next_customer(john) == "bob"
    return bob, john


class Assignment(unittest.TestCase):
    def test_three_agents_two_chats_ten_customers(self):
        with Daemon(TEAM) as d:
            agents = {n: agent(d, n) for n in ("mary", "john", "ann")}
            cs = [customer(d, "c%d" % i) for i in range(10)]
            served = {}
            for name, a in agents.items():
                for _ in range(2):
                    served[next_customer(a)] = name
            self.assertEqual(sorted(served), ["c%d" % i for i in range(6)])
            # Fewest open chats first: c0, c1, c2 went to three different agents.
            self.assertEqual(len({served["c0"], served["c1"], served["c2"]}), 3)
            for i in range(6, 10):
                cs[i].notice(body="queued %d" % (i - 5))
            # Both ways, to the right side; the agent sees whose message it is.
            for i in range(6):
                cs[i].say("hello from c%d" % i)
                a = agents[served["c%d" % i]]
                self.assertEqual(a.message(), "c%d: hello from c%d" % (i, i))
                a.say("c%d: answer %d" % (i, i))
                self.assertEqual(cs[i].message(), "answer %d" % i)
            # As chats end the line is served in order, each told its new place.
            for k, i in enumerate(range(6, 10)):
                a = agents[served["c%d" % k]]
                a.command("next c%d" % k)
                self.assertEqual(next_customer(a), "c%d" % i)
                self.assertIn("customer-left c%d" % k, notices(a.frames))
                cs[i].notice(body="serving " + served["c%d" % k])
                for j in range(i + 1, 10):
                    cs[j].notice(body="queued %d" % (j - i))
                served["c%d" % i] = served["c%d" % k]

    def test_message_naming_a_customer_who_left_goes_nowhere(self):
        with Daemon(TEAM) as d:
            a = agent(d, "mary")
            bob, carol = customer(d, "bob"), customer(d, "carol")
            self.assertEqual({next_customer(a), next_customer(a)}, {"bob", "carol"})
            bob.close()
            a.notice(body="customer-left bob")
            a.say("bob: are you there?")
            a.notice(prefix="error no-customer -- bob is not one of your customers")
            a.say("no prefix at all")
            a.notice(prefix="error no-customer -- start a message")
            self.assertEqual(messages(carol.sync()), [])
            a.say("carol: still here")
            self.assertEqual(carol.message(), "still here")

    def test_agent_without_the_capability_holds_one_chat_as_wave_1(self):
        with Daemon(TEAM.replace("free", "strict")) as d:
            a = agent(d, "mary", caps=None)
            bob, carol = customer(d, "bob"), customer(d, "carol")
            a.notice(body="customer bob")
            carol.notice(body="queued 1")
            bob.say("hi")
            self.assertEqual(a.message(), "hi")
            a.notice(body="turn")
            a.say("hello bob")
            self.assertEqual(bob.message(), "hello bob")

    def test_more_agents_than_max_agents(self):
        with Daemon(TEAM) as d:
            agents = [agent(d, n) for n in ("mary", "john", "ann")]
            extra = Peer.agent(d, "zoe")
            extra.notice(prefix="error agent-busy")
            extra.expect_closed()
            agents[0].command("agents")
            lines = notices(agents[0].notice(body="agents 3"))
            self.assertEqual([x.split()[1:3] for x in lines],
                             [["mary", "available"], ["john", "available"], ["ann", "available"]])

    def test_queue_shows_previews_and_customers_cannot_use_agent_commands(self):
        with Daemon(TEAM.replace("max_agents = 3", "max_agents = 2")
                    .replace("max_chats_per_agent = 2", "max_chats_per_agent = 1")) as d:
            a = agent(d, "mary", caps="ids")
            bob = customer(d, "bob")
            a.notice(prefix="customer bob")
            carol = customer(d, "carol")
            carol.say("my invoice 42 is wrong\x1b[2J please help")
            carol.sync()
            a.sync()
            a.command("queue")
            got = notices(a.notice(prefix="queue 1"))
            self.assertRegex(got[-1], r"^waiting 1 carol \d+ -- my invoice 42 is wrong \[2J please help$")
            self.assertEqual(messages(bob.sync()), [])
            for cmd in ("transfer bob mary", "agents", "away", "next"):
                carol.command(cmd)
                carol.notice(prefix="error ")


class Earlier(unittest.TestCase):
    def test_earlier_leaves_out_the_conversation_held_now(self):
        with Daemon(TEAM) as d:
            mary = agent(d, "mary", "ids agent")
            bob = customer(d, "bob")
            self.assertEqual(next_customer(mary), "bob")
            bob.say("my first visit")
            mary.wait_for(TAGGED)
            mary.command("next bob")
            mary.notice(body="customer-left bob")
            bob = customer(d, "bob")
            carol = customer(d, "carol")
            self.assertEqual({next_customer(mary), next_customer(mary)}, {"bob", "carol"})
            bob.say("back again")
            carol.say("hello")
            mary.sync()
            mary.command("earlier bob")
            before = mary.notice(body="history-end")
            self.assertIn((NOTICE, "history-start 1 by-name bob"), before)
            self.assertEqual([b.split(" ", 4)[4] for t, b in before if t == TAGGED][-1:],
                             ["my first visit"])


class Canned(unittest.TestCase):
    def test_canned_reply_names_its_customer(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "canned")
            with open(path, "w") as f:
                f.write("greet Hello! How can I help?\n")
            with Daemon(TEAM + "canned_file = %s\n" % path) as d:
                mary = agent(d, "mary")
                bob, carol = customer(d, "bob"), customer(d, "carol")
                next_customer(mary), next_customer(mary)
                mary.command("canned greet carol")
                self.assertEqual(carol.message(), "Hello! How can I help?")
                mary.command("canned greet")
                mary.notice(prefix="error bad-command -- canned NAME CUSTOMER")
                mary.command("canned greet zed")
                mary.notice(prefix="error no-customer -- zed is not one of your customers")
                self.assertEqual(messages(bob.sync()), [])


class Transfer(unittest.TestCase):
    def test_transfer_to_an_agent_and_to_the_line(self):
        with Daemon(TEAM) as d:
            mary, john = agent(d, "mary", "ids agent"), agent(d, "john", "ids agent")
            bob = customer(d, "bob")
            self.assertEqual(next_customer(mary), "bob")
            bob.say("my order is late")
            mary.wait_for(TAGGED)
            mary.say("bob: let me ask john")
            bob.message()
            mary.command("transfer bob john")
            mary.notice(body="transferred bob john")
            bob.notice(body="transferred john")
            bob.notice(prefix="serving john")
            john.notice(prefix="customer bob c")
            john.notice(prefix="history-start 2")
            john.notice(body="history-end")
            seen = [b.split(" ", 4)[3:] for t, b in john.frames if t == TAGGED]
            self.assertEqual(seen, [["bob", "my order is late"], ["mary", "let me ask john"]])
            bob.say("hello john")
            self.assertTrue(john.wait_for(TAGGED) is not None)
            self.assertTrue(john.frames[-1][1].endswith(" bob hello john"))
            mary.say("bob: still mine?")
            mary.notice(prefix="error no-customer")
            # Back to the line: another agent with room takes it (not john again).
            john.command("transfer bob")
            john.notice(body="transferred bob")
            bob.notice(body="transferred mary")
            bob.notice(prefix="serving mary")

    def test_transfer_refusals(self):
        with Daemon(TEAM) as d:
            mary, john = agent(d, "mary"), agent(d, "john")
            kept = [customer(d, n) for n in ("bob", "carol", "dave")]
            mine = [next_customer(mary), next_customer(mary)]
            self.assertEqual(next_customer(john), "carol")
            mary.command("transfer zed john")
            mary.notice(prefix="error no-customer")
            mary.command("transfer %s nobody" % mine[0])
            mary.notice(prefix="error no-agent")
            mary.command("transfer %s mary" % mine[0])
            mary.notice(prefix="error no-agent")
            john.command("away")
            john.notice(body="away 1")
            mary.command("transfer %s john" % mine[0])
            mary.notice(prefix="error agent-unavailable -- john is away")
            john.command("back")
            john.notice(body="back")
            kept.append(customer(d, "erin"))
            self.assertEqual(next_customer(john), "erin")
            mary.command("transfer %s john" % mine[0])
            mary.notice(prefix="error agent-unavailable -- john is full")


class AwayAndTimeout(unittest.TestCase):
    def test_away_gets_no_new_customers_back_does(self):
        with Daemon(TEAM) as d:
            mary = agent(d, "mary")
            mary.command("away")
            mary.notice(body="away 0")
            mary.command("away")
            mary.notice(prefix="error bad-command")
            bob = customer(d, "bob")
            bob.notice(body="queued 1")
            mary.command("back")
            self.assertEqual(next_customer(mary), "bob")
            bob.notice(prefix="serving mary")

    def test_answer_timeout_moves_the_chat_to_another_agent(self):
        with Daemon(TEAM + "answer_timeout = 1s\n") as d:
            bob, john = timed_out_to_john(d, "anyone?")
            bob.notice(body="transferred john")
            bob.notice(prefix="serving john")
            john.say("bob: here")
            self.assertEqual(bob.message(), "here")


class AgentLost(unittest.TestCase):
    def test_hang_up_without_a_session_gives_customers_back_at_once(self):
        with Daemon(TEAM) as d:
            mary = agent(d, "mary")
            bob, carol = customer(d, "bob"), customer(d, "carol")
            next_customer(mary), next_customer(mary)
            dave = customer(d, "dave")
            dave.notice(body="queued 1")
            mary.close()
            bob.notice(body="queued 1")
            carol.notice(body="queued 2")
            dave.notice(body="queued 3")
            john = agent(d, "john")
            self.assertEqual([next_customer(john), next_customer(john)], ["bob", "carol"])

    def test_lost_agent_kept_for_the_grace_then_customers_to_the_head(self):
        with Daemon(TEAM + "agent_grace = 2s\n") as d:
            mary = agent(d, "mary", "ids agent resume")
            bob, carol = customer(d, "bob"), customer(d, "carol")
            next_customer(mary), next_customer(mary)
            bob.say("first")
            mary.wait_for(TAGGED)
            john = agent(d, "john", "ids agent")
            dave, erin = customer(d, "dave"), customer(d, "erin")
            next_customer(john), next_customer(john)
            frank = customer(d, "frank")
            frank.notice(body="queued 1")
            mary.close()
            bob.notice(body="agent-offline")
            carol.notice(body="agent-offline")
            bob.say("second, while nobody is there")
            carol.say("carol waits too")
            bob.notice(body="queued 1", timeout=10)
            carol.notice(body="queued 2")
            frank.notice(body="queued 3")
            john.command("next dave")
            self.assertEqual(next_customer(john), "bob")
            john.notice(prefix="history-start 1")
            john.notice(body="history-end")
            texts = [b.split(" ", 4)[4] for t, b in john.frames if t == TAGGED]
            self.assertEqual(texts[-1:], ["first"])
            got = john.wait_for(TAGGED)
            self.assertTrue(john.frames[-1][1].endswith("bob second, while nobody is there"))
            self.assertEqual(messages(got), [])

    def test_agent_resumes_its_conversations(self):
        with Daemon(TEAM + "agent_grace = 30s\n") as d:
            mary = agent(d, "mary", "ids agent resume")
            token = [b for t, b in mary.frames if b.startswith("session ")][0].split()[1]
            bob = customer(d, "bob")
            self.assertEqual(next_customer(mary), "bob")
            mary.close()
            bob.notice(body="agent-offline")
            bob.say("are you back?")
            m2 = agent_resume(d, token, 0)
            m2.notice(body="resumed mary")
            m2.notice(prefix="customer bob")
            m2.wait_for(TAGGED)
            self.assertTrue(m2.frames[-1][1].endswith("bob are you back?"))
            bob.notice(prefix="serving mary")
            m2.say("bob: yes")
            self.assertEqual(bob.message(), "yes")


if __name__ == "__main__":
    unittest.main(verbosity=2)
