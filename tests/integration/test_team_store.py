# SPDX-License-Identifier: ISC
"""The desk with several agents and its store: kill -9 loses nothing anyone received, and what
no agent answered reaches the next agent; a customer who leaves while its agent is away is
given to another agent; transfers are in the transcript (frontdeskctl)."""

import json
import os
import signal
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (COMMAND, DEADLINE, NICKNAME, NOTICE, Daemon, Peer, frame,  # noqa: E402
                    messages, notices)
from test_resume import Session, resume_session  # noqa: E402
from test_store_desk import Store, tagged  # noqa: E402
from test_team import TEAM, agent, customer, next_customer  # noqa: E402


def tagged_of(peer, count):
    """The next @count type 5 messages @peer gets, as (id, conv, from, text)."""
    got = []
    while len(got) < count:
        t, b = peer.recv()
        if t == 5:
            got += tagged([(t, b)])
    return got


class TeamStore(Store, unittest.TestCase):
    def test_kill_9_keeps_what_was_received_and_the_next_agent_gets_the_unanswered(self):
        d = Daemon(TEAM + self.config).start()
        received = []
        try:
            mary = agent(d, "mary", "ids agent")
            john = agent(d, "john", "ids agent")
            cs = {n: customer(d, n) for n in ("bob", "carol", "dave")}
            for c in cs.values():
                c.command("caps ids")
                c.notice(prefix="epoch")
            owner = {}
            for a in (mary, john):
                for f in a.frames:
                    if f[0] == NOTICE and f[1].startswith("customer "):
                        owner[f[1].split()[1]] = a
            while len(owner) < 3:
                for a in (mary, john):
                    a.sync()
                    for f in a.frames:
                        if f[0] == NOTICE and f[1].startswith("customer "):
                            owner[f[1].split()[1]] = a
            for round_ in range(3):
                for name, c in cs.items():
                    c.say("%s says %d" % (name, round_))
                    received += tagged_of(owner[name], 1)
                    owner[name].say("%s: answer %d" % (name, round_))
                    received += tagged_of(c, 1)
            cs["bob"].say("bob's last question")
            received += tagged_of(owner["bob"], 1)
        finally:
            self.killed(d)
        # Everything anyone received is in the store, with the ID it was received with, in order.
        stored = self.rows("SELECT id, text FROM messages WHERE id IS NOT NULL ORDER BY id")
        got = sorted((m[0], m[3]) for m in received)
        self.assertEqual([r for r in stored if r[0] in {g[0] for g in got}], got)
        self.assertEqual(len(set(g[0] for g in got)), len(got))
        # The next agent is given what bob asked that nobody answered.
        with Daemon(TEAM + self.config) as d:
            ann = agent(d, "ann", "ids agent")
            while "customer-left bob" not in notices(ann.frames):
                ann.recv()
            frames = ann.frames
            self.assertIn((NOTICE, "customer bob"), frames)
            # Given at once: before its "caps" (sent after the welcome), as plain messages.
            texts = [m[3] for m in tagged(frames)] + messages(frames)
            self.assertEqual(texts[-1:], ["bob's last question"])

    def test_customer_leaving_while_its_agent_is_away_goes_to_another_agent(self):
        with Daemon(TEAM + self.config + "agent_grace = 60s\n") as d:
            mary = agent(d, "mary", "ids agent resume")
            bob = customer(d, "bob")
            self.assertEqual(next_customer(mary), "bob")
            john = agent(d, "john", "ids agent")
            bob.say("hello?")
            tagged_of(mary, 1)
            mary.close()
            bob.notice(body="agent-offline")
            bob.say("is anyone there?")
            bob.sync()
            bob.close()
            frames = john.notice(body="customer-left bob")
            self.assertIn((NOTICE, "customer bob"), frames)
            self.assertEqual([m[3] for m in tagged(frames)], ["hello?", "is anyone there?"])

    def test_transfers_are_in_the_transcript(self):
        with Daemon(TEAM + self.config) as d:
            mary, john = agent(d, "mary"), agent(d, "john")
            bob = customer(d, "bob")
            self.assertEqual(next_customer(mary), "bob")
            bob.say("hi")
            mary.message()
            mary.command("transfer bob john")
            self.assertEqual(next_customer(john), "bob")
            john.say("bob: john here")
            bob.message()
            john.command("transfer bob")
            mary.notice(prefix="customer bob")
            mary.command("next bob")
            mary.notice(body="customer-left bob")
        listed = json.loads(self.ctl("transcripts", "--json"))
        self.assertEqual(len(listed), 1)
        one = json.loads(self.ctl("transcript", str(listed[0]["conv"]), "--json"))
        self.assertEqual([(t["from"], t["to"], t["reason"]) for t in one["transfers"]],
                         [("mary", "john", "transfer"), ("john", None, "transfer")])
        self.assertIn("transferred from mary to john (transfer)",
                      self.ctl("transcript", str(listed[0]["conv"])))

    def check_line_across_a_restart(self, sig):
        with Daemon(TEAM.replace("max_agents = 3", "max_agents = 1")) as d:
            mary = agent(d, "mary")
            ann, eve = customer(d, "ann"), customer(d, "eve")  # served when it stops
            next_customer(mary), next_customer(mary)
            line = [Session(d, n, None, "welcome single-agent ") for n in ("bob", "carol", "dave")]
            line[0].peer.say("bob's question")
            line[0].peer.sync()
            d.stop(sig)
            d.start()
            d.wait_log("3 session(s) kept across the restart")
            for pos, s in reversed(list(enumerate(line, 1))):
                self.assertEqual(resume_session(d, s).recv(), (NOTICE, "queued %d" % pos))
            # Asking for the capabilities in its first write, as the client does.
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(DEADLINE)
            sock.connect(d.agent_socket)
            john = Peer(sock, "john")
            sock.sendall(frame(NICKNAME, "john") + frame(COMMAND, "hello notices") +
                         frame(COMMAND, "caps ids agent"))
            self.assertEqual([next_customer(john), next_customer(john)], ["bob", "carol"])
            while not tagged(john.frames):
                john.recv()
            # In its own conversation, kept across the restart, once.
            self.assertEqual([m[2:] for m in tagged(john.frames)], [("bob", "bob's question")])
            line[2].peer.notice(body="queued 1")
            for p in [s.peer for s in line] + [mary, ann, eve, john]:
                p.close()

    def test_the_line_survives_sigterm(self):
        self.check_line_across_a_restart(signal.SIGTERM)

    def test_the_line_survives_kill_9(self):
        self.check_line_across_a_restart(signal.SIGKILL)

    def ctl(self, *args):
        import subprocess
        from test_store_desk import FRONTDESKCTL
        r = subprocess.run([FRONTDESKCTL, "--store", "sqlite:" + self.path] + list(args),
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout


if __name__ == "__main__":
    unittest.main(verbosity=2)
