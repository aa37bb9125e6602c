# SPDX-License-Identifier: ISC
"""Moderation (issue 15) against the real daemon in group mode, framed and line members
together: operators (the agent socket, operator_key_file's challenge), kick, mute, topic,
purge, and what members who are not operators get when they try."""

import os
import signal
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import COMMAND, MESSAGE, NOTICE, main  # noqa: E402
from grouptest import Closed  # noqa: E402
from modtest import (answer, become_operator, line, member, notices_until_sync,  # noqa: E402
                     operator, room)
from test_store import restart  # noqa: E402


class NotOperators(unittest.TestCase):
    def test_commands_are_refused_and_nothing_happens(self):
        with room() as d:
            alice, bob, liner = member(d, "alice"), member(d, "bob"), line(d)
            for cmd in ("kick bob", "ban nick:bob", "unban nick:bob", "bans", "mute bob",
                        "unmute bob", "topic spam here", "purge bob"):
                alice.command(cmd)
                alice.notice(prefix="error not-operator -- ")
            liner.send("/kick bob")
            liner.wait_for(prefix="* error not-operator -- ")
            # Nobody heard anything, and bob is still there.
            self.assertEqual([n for n in notices_until_sync(bob) if not n.startswith("joined ")],
                             [])
            alice.say("still here?")
            self.assertEqual(bob.message(), "alice: still here?")
            self.assertIn("* member bob", self.who(liner))

    def who(self, liner):
        liner.send("/who")
        return liner.wait_for(prefix="* members ")

    def test_no_operator_key_file(self):
        from modtest import ROOM, Daemon
        with Daemon(ROOM) as d:
            alice = member(d, "alice")
            alice.command("oper")
            alice.notice(body="error not-operator -- no operator_key_file is set")


class Operators(unittest.TestCase):
    def test_agent_socket_member_is_an_operator(self):
        with room() as d:
            alice = member(d, "alice")
            op = operator(d, "admin")
            op.notice(body="oper")  # told, as one who proved it
            alice.notice(body="joined admin")
            op.say("hello from the admin")
            self.assertEqual(alice.message(), "admin: hello from the admin")
            op.command("topic from the socket")
            alice.notice(body="topic admin -- from the socket")
            # who marks operators, to clients granted a capability only.
            alice.command("who")
            self.assertIn("member admin", notices_until_sync(alice))
            alice.command("caps ids")
            alice.notice(prefix="epoch")
            alice.command("who")
            self.assertIn("member @admin", notices_until_sync(alice))

    def test_oper_challenge(self):
        with room() as d:
            alice, bob = member(d, "alice"), member(d, "bob")
            become_operator(alice)
            bob.notice(body="operator alice")
            alice.command("mute bob")
            bob.notice(body="muted bob alice")
            self.assertIn("(alice): is an operator", d.log())

    def test_wrong_answers(self):
        with room() as d:
            alice, bob = member(d, "alice"), member(d, "bob")
            alice.command("oper " + "0" * 64)  # no challenge asked for
            alice.notice(prefix="error not-operator -- send oper first")
            for i in range(3):
                alice.command("oper")
                alice.notice(prefix="oper-challenge ")
                challenge = alice.frames[-1][1].split()[1]
                alice.command("oper " + answer(challenge)[::-1])
                if i < 2:
                    alice.notice(body="error not-operator -- wrong answer")
                    # One try per challenge: the right answer now comes too late.
                    alice.command("oper " + answer(challenge))
                    alice.notice(prefix="error not-operator -- send oper first")
            rest = alice.expect_closed()
            self.assertIn((NOTICE, "error auth-failed -- 3 wrong answers to oper-challenge"),
                          rest)
            bob.notice(body="left alice")
            self.assertNotIn("operator alice", [b for _, b in bob.frames])


class Kick(unittest.TestCase):
    def test_kick_with_reason(self):
        with room() as d:
            op, bob = operator(d), member(d, "bob")
            bob.command("caps resume")
            alice, liner = member(d, "alice"), line(d)
            op.command("kick bob -- spamming links")
            rest = bob.expect_closed()
            self.assertIn((NOTICE, "error kicked -- by op: spamming links"), rest)
            alice.notice(body="kicked bob op -- spamming links")
            liner.wait_for("* kicked bob op -- spamming links")
            # Said once: no "left bob" after it.
            self.assertNotIn("left bob", notices_until_sync(alice))
            self.assertIn("op kicked bob", d.log())
            op.command("kick bob")
            op.notice(prefix="error no-such-nick -- ")
            op.command("kick op")
            op.notice(prefix="error bad-command -- you cannot kick yourself")

    def test_kick_a_line_member(self):
        with room() as d:
            op, alice, liner = operator(d), member(d, "alice"), line(d)
            liner.send("/nick noisy")
            alice.notice(body="renamed %s noisy" % liner.name)
            op.command("kick noisy")
            liner.wait_for("* error kicked -- by op")
            liner.expect_closed()
            alice.notice(body="kicked noisy op")


class Mute(unittest.TestCase):
    def test_muted_member_reads_and_is_not_relayed(self):
        with room() as d:
            op, alice, bob, liner = operator(d), member(d, "alice"), member(d, "bob"), line(d)
            op.command("mute bob 10m")
            alice.notice(body="muted bob op 10m")
            liner.wait_for("* muted bob op 10m")
            bob.notice(body="muted bob op 10m")
            bob.say("can anyone hear me?")
            bob.notice(prefix="error muted -- ")
            bob.command("msg alice a private word, then")  # not privately either
            bob.notice(prefix="error muted -- ")
            alice.say("bob still reads")
            self.assertEqual(bob.message(), "alice: bob still reads")
            self.assertEqual(alice.message(), "alice: bob still reads")  # not bob's line
            # A rename takes the mute along.
            bob.command("nick bobby")
            alice.notice(body="renamed bob bobby")
            bob.say("new name, same mute")
            bob.notice(prefix="error muted -- ")
            op.command("unmute bobby")
            alice.notice(body="unmuted bobby op")
            bob.say("back")
            self.assertEqual(alice.message(), "bobby: back")
            op.command("unmute bobby")
            op.notice(body="error bad-command -- bobby is not muted")
            op.command("mute nobody")
            op.notice(prefix="error no-such-nick -- ")

    def test_muted_flood_relays_nothing_and_keeps_the_pace(self):
        with room("max_msgs_per_sec = 5\nmsg_burst = 3\n") as d:
            op, alice, bob, liner = operator(d), member(d, "alice"), member(d, "bob"), line(d)
            op.command("mute bob")
            bob.notice(body="muted bob op")
            alice.notice(body="muted bob op")
            n = 10
            for i in range(n):
                bob.say("spam %d" % i)
            errors, flood = 0, 0
            while errors < n:
                t, b = bob.recv()
                if t == NOTICE and b.startswith("error muted -- "):
                    errors += 1
                elif t == NOTICE and b.startswith("error flood -- "):
                    flood += 1
            self.assertEqual(flood, 1)  # the pace applies to a muted member too
            alice.say("quiet now")
            self.assertEqual(alice.message(), "alice: quiet now")
            self.assertFalse([x for x in liner.wait_for("alice: quiet now") if "spam" in x])
            self.assertFalse([b for t, b in alice.frames if t == MESSAGE and "spam" in b])


class Topic(unittest.TestCase):
    def test_topic_set_shown_and_kept(self):
        with room() as d:
            alice = member(d, "alice")
            alice.command("topic")
            alice.notice(body="topic-none")
            op = operator(d)
            op.command("topic Welcome; be kind")
            alice.notice(body="topic op -- Welcome; be kind")
            alice.command("topic")
            alice.notice(body="topic op -- Welcome; be kind")
            op.command("topic two\x01lines")
            op.notice(body="error bad-command -- a topic is one line of text")
            bob = member(d, "bob")
            self.assertEqual(bob.recv(), (NOTICE, "topic op -- Welcome; be kind"))
            liner = LineAfterWelcome(d)
            self.assertEqual(liner.recv(), "* topic op -- Welcome; be kind")
            self.assertIn("op set the topic: Welcome; be kind", d.log())
            d.stop(signal.SIGKILL)
            restart(d)
            carol = member(d, "carol")
            self.assertEqual(carol.recv(), (NOTICE, "topic op -- Welcome; be kind"))
            # "topic --" clears it, for good: a restart does not bring it back.
            op = operator(d)
            op.command("topic --")
            carol.notice(body="topic-none")
            d.stop(signal.SIGTERM)
            restart(d)
            dave = member(d, "dave")
            dave.command("topic")
            dave.notice(body="topic-none")


class Leavers(unittest.TestCase):
    """A member gone while what it held still goes out at its pace: a kick, a ban or a mute
    stops that too."""

    def flood_then_vanish(self, d, nick, source):
        from fdtest import frame
        spam = member(d, nick, source)
        spam.sock.sendall(b"".join(frame(MESSAGE, "room spam %d" % i) for i in range(8)))
        spam.notice(prefix="error flood")
        spam.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        spam.close()  # reset: what it held is a leaver's now
        d.wait_log("left the room, 2 members")  # it is a leaver now

    def test_kick_ban_and_mute_stop_a_leaver(self):
        for cmd, said in (("kick spam", "kicked spam op"), ("ban nick:spam", "banned nick:spam"),
                          ("mute spam", "muted spam op")):
            with room("max_msgs_per_sec = 1\nmsg_burst = 1\n") as d:
                op, victim = operator(d), member(d, "victim", "127.0.0.5")
                self.flood_then_vanish(d, "spam", "127.0.0.9")
                op.command(cmd)
                victim.notice(prefix=said)
                if not cmd.startswith("mute"):
                    d.wait_log("gone, is stopped")
                time.sleep(2.5)  # its pace would have let two more go by now
                rest = victim.sync()
                self.assertEqual([m for t, m in rest if t == MESSAGE], [], cmd)
                self.assertFalse([b for t, b in rest if b.startswith("left spam")], cmd)


def LineAfterWelcome(d):
    from grouptest import LinePeer
    p = LinePeer(d)
    p.wait_for(prefix="* welcome group ")
    return p


class Purge(unittest.TestCase):
    def test_purge_leaves_history(self):
        with room("history_on_join = 20\n") as d:
            op, alice, bob = operator(d), member(d, "alice"), member(d, "bob")
            for i in range(3):
                bob.say("buy now %d" % i)
            alice.say("hi all")
            for i in range(4):
                alice.message()
            op.command("purge bob 10m")
            alice.notice(body="purged bob 3 op")
            self.assertIn("op purged 3 messages of bob", d.log())
            carol = member(d, "carol")
            carol.command("caps ids")
            carol.notice(prefix="history-start ")
            self.assertEqual(carol.frames[-1][1], "history-start 1")
            carol.notice(body="history-end")
            texts = [b for t, b in carol.frames if t == 5]
            self.assertEqual(len(texts), 1)
            self.assertTrue(texts[0].endswith("alice hi all"), texts)
            op.command("purge bob")
            alice.notice(body="purged bob 0 op")


if __name__ == "__main__":
    main()
