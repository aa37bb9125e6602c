# SPDX-License-Identifier: ISC
"""The agent who comes back (issue 11, defect 4): taking over its own stale connection, and
what the customer wrote to an agent that vanished, given again to whoever serves next."""

import os
import socket
import subprocess
import sys
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (COMMAND, DEADLINE, MESSAGE, NICKNAME, NOTICE, Daemon, Peer, frame,  # noqa: E402
                    main, messages, notices)


def served(d, nick):
    c = Peer.customer(d, nick)
    c.notice(prefix="welcome single-agent " + nick)
    return c


def capped_agent(d, nick):
    """An agent that asks for "ping" in the same write as its nickname, as our client does:
    what the desk gives it on attaching is then already marked for a capable client."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(DEADLINE)
    s.connect(d.agent_socket)
    s.sendall(frame(NICKNAME, nick) + frame(COMMAND, "hello notices") + frame(COMMAND, "caps ping"))
    return Peer(s, nick)


def agent_as_other_user(d, nick, uid=65534):
    """Open the agent socket as another uid, say @nick, return the notices it got before EOF."""
    script = textwrap.dedent("""
        import os, socket, sys
        sys.path.insert(0, %r)
        from fdtest import Peer, notices
        os.setgid(%d); os.setuid(%d)
        p = Peer.agent(type("D", (), {"agent_socket": %r})(), %r)
        print("\\n".join(notices(p.expect_closed())))
    """) % (os.path.dirname(os.path.abspath(__file__)), uid, uid, d.agent_socket, nick)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=DEADLINE)
    return run.stdout + run.stderr


class Takeover(unittest.TestCase):
    def test_same_name_and_uid_take_over_others_are_busy(self):
        with Daemon() as d:
            mary = Peer.agent(d, "mary")
            mary.notice(prefix="welcome")
            bob = served(d, "bob")
            bob.notice(body="serving mary")
            bob.say("q1")
            self.assertEqual(mary.message(), "q1")
            mary.say("a1")
            self.assertEqual(bob.message(), "a1")
            mary.say("a2, written out of turn")  # held until bob writes again
            mary.notice(prefix="error not-your-turn")

            # Another name: busy, as always.
            john = Peer.agent(d, "john")
            self.assertIn("error agent-busy -- mary is already the agent; one agent at a time",
                          notices(john.expect_closed()))
            # The same name from another user: busy too.
            if os.geteuid() == 0:
                os.chmod(d.dir, 0o711)
                os.chmod(d.agent_socket, 0o666)
                self.assertIn("error agent-busy", agent_as_other_user(d, "mary"))

            # The same name and uid while the old connection is still open: a takeover.
            again = Peer.agent(d, "mary")
            again.notice(body="welcome single-agent mary")  # the name, not "mary2"
            again.notice(body="customer bob")
            self.assertIn("error replaced -- a new connection as mary took over",
                          notices(mary.expect_closed()))
            # The held reply passed to the new connection; bob saw no change of agent.
            bob.say("q2")
            self.assertEqual(again.message(), "q2")
            self.assertEqual(bob.message(), "a2, written out of turn")
            self.assertEqual([n for n in notices(bob.sync()) if n.startswith("agent-")], [])
            self.assertIn("agent mary (agent-socket) takes over from its old connection", d.log())

    def test_the_unanswered_question_goes_to_the_new_connection(self):
        with Daemon() as d:
            mary = capped_agent(d, "mary")
            mary.notice(body="caps ping")
            bob = served(d, "bob")
            bob.say("are you there?")
            self.assertEqual(mary.message(), "are you there?")
            again = capped_agent(d, "mary")
            frames = again.notice(body="replay-end")
            self.assertIn((NOTICE, "replay 1"), frames)
            self.assertEqual(messages(frames), ["are you there?"])
            mary.expect_closed()


class FreeTurnReplay(unittest.TestCase):
    def chat_then_vanish(self, d, caps=True):
        """mary answers m0, then gets m1 and m2 and disappears; bob writes m3 meanwhile."""
        mary = capped_agent(d, "mary") if caps else Peer.agent(d, "mary")
        bob = served(d, "bob")
        bob.notice(body="serving mary")
        bob.say("m0")
        self.assertEqual(mary.message(), "m0")
        mary.say("answer to m0")
        self.assertEqual(bob.message(), "answer to m0")
        bob.say("m1")
        bob.say("m2")
        self.assertEqual([mary.message(), mary.message()], ["m1", "m2"])
        mary.close()
        bob.notice(body="agent-offline")
        bob.say("m3")
        bob.sync()
        return bob

    def test_next_agent_gets_them_again_marked(self):
        with Daemon("turns = free\n") as d:
            bob = self.chat_then_vanish(d)
            john = capped_agent(d, "john")
            frames = john.notice(body="replay-end")
            frames.append((MESSAGE, john.message()))
            got = [f for f in frames if f[0] == MESSAGE or f[1].startswith("replay")]
            self.assertEqual(got, [(NOTICE, "replay 2"), (MESSAGE, "m1"), (MESSAGE, "m2"),
                                   (MESSAGE, "m3")])
            bob.notice(body="agent-online john")

    def test_wave1_agent_gets_them_unmarked(self):
        with Daemon("turns = free\n") as d:
            self.chat_then_vanish(d, caps=False)
            john = Peer.agent(d, "john")  # "hello notices" only: nothing new on the wire
            self.assertEqual([john.message() for _ in range(3)], ["m1", "m2", "m3"])
            self.assertEqual([n for n in notices(john.sync()) if n.startswith(("replay", "caps"))],
                             [])

    def test_kept_when_the_customer_leaves_before_the_next_agent(self):
        with Daemon("turns = free\n") as d:
            bob = self.chat_then_vanish(d, caps=False)
            bob.close()
            d.wait_log("3 message(s) from bob kept for the next agent")
            john = Peer.agent(d, "john")
            frames = [f for f in john.notice(body="customer-left bob")
                      if f[0] == MESSAGE or f[1].startswith("customer")]
            self.assertEqual(frames, [(NOTICE, "customer bob"), (MESSAGE, "m1"), (MESSAGE, "m2"),
                                      (MESSAGE, "m3")])  # then "customer-left bob"

    def test_bounded_the_newest_kept(self):
        # A quarter of max_output_bytes (4 KiB here): the replay can never drop the agent.
        with Daemon("turns = free\nmax_output_bytes = 16K\n") as d:
            mary = Peer.agent(d, "mary")
            bob = served(d, "bob")
            bob.notice(body="serving mary")
            texts = ["%d " % i + "x" * 998 for i in range(10)]  # 1007-byte frames
            for t in texts:
                bob.say(t)
            self.assertEqual([mary.message() for _ in texts], texts)
            mary.close()
            bob.notice(body="agent-offline")
            john = capped_agent(d, "john")
            frames = john.notice(body="replay-end")
            # The records carry each message's tag (ID, time, sender): 3 of them fit.
            self.assertIn((NOTICE, "replay 3"), frames)
            self.assertEqual(messages(frames), texts[7:])

    def test_nothing_again_once_the_agent_has_answered(self):
        with Daemon("turns = free\n") as d:
            bob = self.chat_then_vanish(d)
            john = capped_agent(d, "john")
            john.notice(body="replay-end")
            self.assertEqual(john.message(), "m3")
            john.say("hello, john here")
            self.assertEqual(bob.message(), "hello, john here")
            john.close()
            bob.notice(body="agent-offline")
            kate = capped_agent(d, "kate")
            frames = kate.sync()
            self.assertEqual([b for t, b in frames if t == MESSAGE or b.startswith("replay")], [])


if __name__ == "__main__":
    main()
