# SPDX-License-Identifier: ISC
"""The client resumes by itself (protocol 7.3, issue 13 item 5), against the real daemon with a
cutting proxy (cutproxy.py) between them. Script mode: a piped conversation survives cuts, each
line reaching the agent once and each reply the customer once, in order; a refused resume ends
the run as a lost connection always did. The terminal (tmux, as in test_client_tmux.py): with
--reconnect, and without it (no question asked while the conversation can be resumed), the
client says in words where it stands again; a refused resume joins afresh and says so; the
agent sees its customer go away and come back. Where no resume is granted (resume_grace = 0,
an agent), a drop is what it always was."""

import os
import re
import shutil
import sys
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from clientrun import ScriptClient, WatchedClient  # noqa: E402
from cutproxy import CutProxy  # noqa: E402
from fdtest import COMMAND, DEADLINE, MESSAGE, Daemon, Peer, main  # noqa: E402
from test_auth import write_key  # noqa: E402
from test_client_tmux import STAMP, TmuxCase  # noqa: E402

# Sockets the proxy reset are left to the garbage collector.
warnings.simplefilter("ignore", ResourceWarning)
GROUP = "mode = group\nmax_msgs_per_sec = 0\nmax_bytes_per_sec = 0\nmax_joins_per_min = 0\n"


def notices_of(err):
    return [line[2:] for line in err.splitlines() if line.startswith("* ")]


def messages(frames):
    return [body for t, body in frames if t == MESSAGE]


def capable_agent(d):
    """The agent mary on raw frames, granted a capability: it hears customer-away/back."""
    agent = Peer.agent(d, "mary")
    agent.notice(prefix="queue ")
    agent.command("caps ping")
    agent.notice(body="caps ping")
    return agent


class Desk:
    """A daemon (started here from @config, or @daemon) with a cutting proxy before its
    customer port (or @port), and the agent mary on raw frames (unless not @agent)."""

    def __init__(self, config="", daemon=None, port=None, agent=True):
        self.d = daemon or Daemon(config).start()
        self.proxy = CutProxy(port or self.d.port)
        self.agent = None
        if agent:
            self.agent = capable_agent(self.d)

    @property
    def target(self):
        return "127.0.0.1:%d" % self.proxy.port

    def resumed(self, nick, count=1):
        """Wait until @nick resumed @count times in all (the daemon's log says so)."""
        self.d.wait_log("resumes %s, missed messages" % nick, count)

    def close(self):
        if self.agent:
            self.agent.close()
        self.proxy.close()
        self.d.__exit__(None, None, None)


class ScriptResume(unittest.TestCase):
    def setUp(self):
        self.desk = None

    def tearDown(self):
        if self.desk:
            self.desk.close()

    def test_piped_conversation_survives_cuts(self):
        """Strict turns: cut while a reply is due (it arrives while the customer is away), and
        again; every line reaches the agent once, every reply the customer once, in order."""
        self.desk = desk = Desk()
        agent = desk.agent
        c = ScriptClient("--name", "bob", "--timeout", "30", desk.target)
        try:
            c.feed("one\ntwo\nthree\nfour\nfive\n", close=True)
            self.assertEqual(agent.message(), "one")
            agent.say("reply 1")
            # "two" went after "reply 1" came, so after the session's token too.
            self.assertEqual(agent.message(), "two")
            desk.proxy.cut()
            agent.notice(body="customer-away bob")
            agent.say("reply 2")  # held for bob until he is back
            desk.resumed("bob")
            agent.notice(body="customer-back bob")
            self.assertEqual(agent.message(), "three")
            agent.say("reply 3")
            self.assertEqual(agent.message(), "four")
            desk.proxy.cut()  # the second cut resumes with the token of the first resume
            desk.resumed("bob", 2)
            agent.say("reply 4")
            self.assertEqual(agent.message(), "five")
            agent.say("reply 5")
            self.assertEqual(c.finish(), 0, c.err)
        finally:
            c.kill()
        self.assertEqual(c.out, "reply 1\nreply 2\nreply 3\nreply 4\nreply 5\n")
        said = notices_of(c.err)
        self.assertEqual(said.count("Reconnected; you are still talking to mary"), 2, c.err)
        self.assertEqual(said.count("Resuming the conversation"), 2, c.err)
        self.assertEqual(said.count("You are now talking to mary"), 1, c.err)
        # Nothing came twice to the agent, and bob never joined afresh.
        agent.notice(body="customer-left bob")
        self.assertEqual(messages(agent.frames), ["one", "two", "three", "four", "five"])
        self.assertEqual(desk.d.log().count("joined as bob"), 1)

    def test_lost_on_the_way_comes_again(self):
        """Free turns, a keyed listener (the resume goes after the answer to the challenge).
        A reply the daemon sent that never arrived is given again, once; what the agent
        wrote while the customer was away follows."""
        d = Daemon("turns = free\n")
        key = write_key(d, "customer.key")
        with open(d.config_path, "a") as f:
            f.write("key_file = %s\n" % key)
        self.desk = desk = Desk(daemon=d.start())
        agent = desk.agent
        c = WatchedClient("--name", "bob", "--key-file", key, "--timeout", "30", desk.target)
        try:
            c.feed("hello\n")
            self.assertEqual(agent.message(), "hello")
            agent.say("a")
            c.wait_out("a\n")  # and the session's token before it
            desk.proxy.stall()
            agent.say("b")  # sent, and lost on the way
            agent.sync()
            desk.proxy.cut()
            agent.notice(body="customer-away bob")
            agent.say("c")
            desk.resumed("bob")
            c.wait_out("c\n")
            c.feed("thanks\n", close=True)
            self.assertEqual(agent.message(), "thanks")
            agent.say("d")
            agent.command("next")
            self.assertEqual(c.finish(), 0, c.err)
        finally:
            c.kill()
        self.assertEqual(c.out, "a\nb\nc\nd\n")
        self.assertIn("Reconnected; you are still talking to mary", notices_of(c.err))
        self.assertIn("resumes bob, missed messages after ID 2", d.log())

    def test_room_member_misses_nothing(self):
        self.desk = desk = Desk(GROUP, agent=False)
        desk.agent = ann = Peer.customer(desk.d, "ann")  # closed with the desk
        ann.notice(prefix="welcome group ann")
        c = WatchedClient("--name", "bob", "--timeout", "30", desk.target)
        try:
            c.feed("hi\n")
            c.wait_out("bob: hi\n")
            desk.proxy.cut()
            ann.notice(body="left bob")
            ann.say("while you were away")
            ann.say("and more")  # before or after the resume: bob gets both, once, in order
            desk.resumed("bob")
            c.wait_out("and more\n")
            c.feed("back\n", close=True)
            while ann.message() != "bob: back":  # ann's own come back to her too
                pass
            self.assertEqual(c.finish(), 0, c.err)
        finally:
            c.kill()
        self.assertEqual(c.out, "bob: hi\nann: while you were away\nann: and more\nbob: back\n")
        self.assertIn("Reconnected; you are back in the room as bob", notices_of(c.err))

    def test_agent_reconnects_in_words(self):
        """The agent dropped and came back: the customer is told so, in one sentence."""
        self.desk = desk = Desk()
        c = WatchedClient("--name", "bob", desk.target)
        try:
            c.feed("hi\n")
            self.assertEqual(desk.agent.message(), "hi")
            desk.agent.close()
            c.wait_err("The agent is offline")
            desk.agent = Peer.agent(desk.d, "mary")
            desk.agent.say("sorry, I was away")
            c.wait_out("sorry, I was away\n")
            self.assertEqual(c.finish(), 0, c.err)
        finally:
            c.kill()
        said = notices_of(c.err)
        self.assertIn("The agent mary reconnected", said)
        self.assertEqual(said.count("You are now talking to mary"), 1, c.err)

    def exchange_one(self, config):
        """A desk from @config and bob's client through its proxy, one message each way
        ("one", "reply 1"): (desk, client). The test kills the client."""
        self.desk = desk = Desk(config)
        c = WatchedClient("--name", "bob", desk.target)
        try:
            c.feed("one\n")
            self.assertEqual(desk.agent.message(), "one")
            desk.agent.say("reply 1")
            c.wait_out("reply 1\n")
        except BaseException:
            c.kill()
            raise
        return desk, c

    def test_refused_resume_ends_the_run(self):
        """The session ended while the client could not reach the server: exit status 1."""
        desk, c = self.exchange_one("resume_grace = 1\n")
        try:
            desk.proxy.down()
            desk.d.wait_log("bob: not resumed within 1 s: its session ended")
            desk.proxy.up()
            self.assertEqual(c.finish("two\n"), 1, c.err)
        finally:
            c.kill()
        self.assertEqual(c.out, "reply 1\n")
        self.assertIn("* Resuming the conversation\n", c.err)
        self.assertTrue(c.err.endswith(
            "frontdesk: the connection to %s was lost and the server could not resume the "
            "conversation\n" % desk.target), c.err)
        self.assertEqual(desk.d.log().count("joined as bob"), 1)  # no new join
        self.assertEqual(messages(desk.agent.frames), ["one"])

    def test_no_resume_granted(self):
        """resume_grace = 0: no resume is granted, and a drop ends the run as it always did."""
        desk, c = self.exchange_one("resume_grace = 0\n")
        try:
            desk.proxy.cut()
            self.assertEqual(c.wait(), 1, c.err)
        finally:
            c.kill()
        self.assertNotIn("Resuming", c.err)
        self.assertRegex(c.err, r"\nfrontdesk: connection (to %s lost|closed by %s)"
                         % ((re.escape(desk.target),) * 2))
        self.assertNotIn("resume", desk.d.log())

    def test_agent_resumes(self):
        """The agent over TCP (a key): cut, it resumes after the challenge; nothing is lost."""
        d, port, akey = agent_over_tcp()
        self.desk = desk = Desk(daemon=d, port=port, agent=False)
        desk.agent = bob = Peer.customer(d, "bob")  # closed with the desk
        c = WatchedClient("--agent", "--name", "mary", "--key-file", akey,
                          "127.0.0.1:%d" % desk.proxy.port)
        try:
            bob.notice(prefix="serving mary")
            bob.say("hi")
            c.wait_out("hi\n")
            desk.proxy.cut()
            desk.resumed("mary")
            c.feed("yes\n")  # its turn (strict turns), as before the cut
            self.assertEqual(bob.message(), "yes")
            bob.say("thanks")
            c.wait_out("thanks\n")
            c.feed("", close=True)
            self.assertEqual(c.finish(), 0, c.err)
        finally:
            c.kill()
        self.assertIn("Reconnected; you are still talking to bob", notices_of(c.err))
        self.assertEqual(c.out.count("hi\n"), 1, c.out)


def agent_over_tcp():
    """A started daemon with an agent listener on TCP (a key): (daemon, its port, key file)."""
    d = Daemon()
    akey = write_key(d, "agent.key", b"agent secret")
    with open(d.config_path, "a") as f:
        f.write("agent_listen = 127.0.0.1:0\nagent_key_file = %s\n" % akey)
    d.start()
    port = int(re.search(r"listening on \S+:(\d+) \(framed protocol, agents", d.log()).group(1))
    return d, port, akey


@unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
class TerminalResume(TmuxCase):
    def setUp(self):
        super().setUp()
        self.desk = None

    def tearDown(self):
        super().tearDown()
        if self.desk:
            self.desk.close()

    def settled(self):
        """Barrier: the client has read all the daemon sent before our command's answer (the
        session's token too), as the answer to /history is on the screen."""
        self.enter("/history")
        self.wait_screen(r"\* (No earlier messages|End of the earlier messages)$")

    def test_place_and_talk_kept(self):
        self.desk = desk = Desk(agent=False)
        d = desk.d
        first = Peer.customer(d, "first")
        first.notice(prefix="agent-offline")
        second = Peer.customer(d, "second")
        second.notice(body="queued 1")
        self.start("--reconnect", "--name", "bob", desk.target)
        self.wait_screen(r"^%s\* You are number 2 in line$" % STAMP)
        self.settled()

        # Cut while waiting in line: the place is kept, and said so.
        desk.proxy.cut()
        screen = self.wait_screen(r"^%s\* Reconnected; you are still number 2 in line$" % STAMP)
        self.assertRegex(screen, r"(?m)^%s\* connection (to %s lost|closed by %s)"
                         % (STAMP, re.escape(desk.target), re.escape(desk.target)))
        self.assertRegex(screen, r"(?m)^%s\* Resuming the conversation" % STAMP)
        self.assertNotIn("Reconnecting in", screen)
        self.assertEqual(screen.count("Connected to"), 1, screen)
        self.assertEqual(self.prompt_line(screen), "bob>")

        # Served, cut again: the conversation goes on, what mary wrote meanwhile comes once.
        desk.agent = agent = capable_agent(d)
        first.close()
        second.close()
        self.wait_screen(r"^%s\* You are now talking to mary$" % STAMP)
        self.enter("Hello, I need help")
        self.assertEqual(agent.message(), "Hello, I need help")
        agent.say("Sure, one moment")
        self.wait_screen(r"^%smary: Sure, one moment$" % STAMP)
        self.enter("Thanks")
        self.assertEqual(agent.message(), "Thanks")
        desk.proxy.cut()
        agent.notice(body="customer-away bob")
        agent.say("Still there?")  # held until bob is back
        screen = self.wait_screen(r"^%smary: Still there\?$" % STAMP)
        self.assertRegex(screen, r"(?m)^%s\* Reconnected; you are still talking to mary$"
                         % STAMP)
        self.assertEqual(screen.count("Still there?"), 1, screen)
        agent.notice(body="customer-back bob")
        self.wait_screen(r"^bob>")
        self.enter("yes")
        self.assertEqual(agent.message(), "yes")
        self.keys("C-d")
        self.assertEqual(self.wait_exit(), 0)
        self.assertEqual(d.log().count("joined as bob"), 1)

    def test_refused_joins_afresh(self):
        """Without --reconnect: resumed without a question while it can be; the question once
        the server cannot be reached; a refused resume is a new join, and said so."""
        self.desk = desk = Desk("resume_grace = 1\n")
        self.start("--name", "bob", desk.target)
        self.wait_screen(r"^%s\* You are now talking to mary$" % STAMP)
        self.settled()
        desk.proxy.cut()
        self.wait_screen(r"^%s\* Reconnected; you are still talking to mary$" % STAMP)
        self.assertNotIn("Reconnect?", self.screen())

        desk.proxy.down()
        self.wait_screen(r"^Reconnect\? \[Y/n\]")
        desk.d.wait_log("bob: not resumed within 1 s: its session ended")
        desk.agent.notice(body="customer-left bob")
        desk.proxy.up()
        self.enter("y")
        screen = self.wait_screen(r"(?s)Could not resume.*You are now talking to mary\s*bob>")
        self.assertRegex(screen, r"(?m)^%s\* Could not resume the conversation; joining again "
                         r"from the start$" % STAMP)
        self.assertRegex(screen, r"(?m)^%s\* Connected to %s as bob$"
                         % (STAMP, re.escape(desk.target)))
        desk.agent.notice(body="customer bob")
        self.keys("C-d")
        self.assertEqual(self.wait_exit(), 0)

    def test_agent_sees_away_back(self):
        self.desk = desk = Desk(agent=False)
        d = desk.d
        self.start("--agent", "--name", "mary", "unix:" + d.agent_socket)
        self.wait_screen(r"^\(no customer yet\) mary>")
        bob = Peer(desk.proxy.connect(DEADLINE), "bob")
        bob.join("bob")
        bob.command("caps ids resume")
        bob.notice(prefix="session ")
        token = bob.frames[-1][1].split()[1]
        self.wait_screen(r"^%s\* You are now talking to bob$" % STAMP)
        desk.proxy.cut()
        self.wait_screen(r"^%s\* bob's connection dropped; waiting for bob to come back$"
                         % STAMP)
        desk.agent = back = Peer.customer(d)
        back.send(COMMAND, "resume %s 0" % token)
        back.notice(body="resumed bob")
        self.wait_screen(r"^%s\* bob is back$" % STAMP)
        back.say("here again")
        self.wait_screen(r"^%sbob: here again$" % STAMP)
        self.keys("C-d")
        self.assertEqual(self.wait_exit(), 0)

    def test_agent_resumed(self):
        """The agent's drop is resumed too (agent_grace), without asking "Reconnect?"."""
        d, port, akey = agent_over_tcp()
        self.desk = desk = Desk(daemon=d, port=port, agent=False)
        self.start("--agent", "--name", "mary", "--key-file", akey,
                   "127.0.0.1:%d" % desk.proxy.port)
        self.wait_screen(r"^%s\* Nobody is waiting$" % STAMP)
        desk.proxy.cut()
        screen = self.wait_screen(r"^%s\* Resuming the conversation" % STAMP)
        desk.resumed("mary")
        self.assertNotIn("Reconnect?", screen)


if __name__ == "__main__":
    main()
