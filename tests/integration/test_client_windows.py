# SPDX-License-Identifier: ISC
"""An agent with several conversations (protocol 7.5, TEAM-SPEC.md) in the interactive client:
one window per conversation, a status line with unread counts, /win and Ctrl-N to switch, the
"NAME: " prefix added to what is typed, commands about the customer in view, canned replies
completed with Tab. Against a fake server that speaks the team desk's wire, driven from the
test's thread; and against a server that does not grant "agent", where nothing changes."""

import os
import queue
import re
import shutil
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (COMMAND, DEADLINE, MESSAGE, NICKNAME, NOTICE, Daemon, Peer,  # noqa: E402
                    frame, main)
from clientrun import WatchedClient  # noqa: E402
from fakeserver import FakeServer, tagged  # noqa: E402
from test_client_tmux import STAMP, TmuxCase  # noqa: E402

T = int(time.time() * 1000)


class Driven:
    """A FakeServer whose one connection the test drives itself: peer() hands it over, and it
    stays open until the test is done with it."""

    def __init__(self):
        self.conns = queue.Queue()
        self.done = threading.Event()
        self.server = FakeServer(self._serve)
        self.port = self.server.port

    def _serve(self, conn):
        self.conns.put(conn)
        self.done.wait(DEADLINE)

    def peer(self):
        return Peer(self.conns.get(timeout=DEADLINE), "server")

    def close(self):
        self.done.set()
        self.server.join()


def notice(body):
    return frame(NOTICE, body)


class DrivenCase(TmuxCase):
    """A client in tmux against a Driven fake desk (self.srv), closed after each test."""

    def setUp(self):
        super().setUp()
        self.srv = Driven()

    def tearDown(self):
        self.srv.close()
        super().tearDown()


@unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
class Windows(DrivenCase):

    def attach(self, grant="ping ids resume agent", canned=True):
        """Start the agent mary; answer its opening as the team desk does. Return the peer."""
        self.start("--agent", "--name", "mary", "127.0.0.1:%d" % self.srv.port)
        peer = self.srv.peer()
        got = [peer.recv() for _ in range(3)]
        self.assertEqual(got, [(NICKNAME, "mary"), (COMMAND, "hello notices"),
                               (COMMAND, "caps ping ids resume agent files")])
        peer.sock.sendall(notice("welcome single-agent mary") + notice("caps " + grant) +
                          (notice("epoch E1") if "ids" in grant.split() else b""))
        # Once per connection, the canned replies; an older desk answers with an error.
        self.assertEqual(peer.recv(), (COMMAND, "canned"))
        if canned:
            peer.sock.sendall(notice("canned-reply hello Hello there, how can I help?") +
                              notice("canned-reply help -- See our help page") +
                              notice("canned-reply bye Goodbye!") + notice("canned-end 3"))
        else:
            peer.sock.sendall(notice("error unknown-command -- 'canned' is not a command"))
        peer.sock.sendall(notice("turns strict") + notice("queue 0"))
        return peer

    def status(self, pattern):
        """Wait for the status line (the row just above the prompt) to match @pattern."""
        return self.wait_screen(r"^%s$" % pattern)

    def test_two_conversations(self):
        peer = self.attach()
        screen = self.status(r"\[\*0:desk\]")
        self.wait_screen(r"^\[desk\] mary>")
        self.wait_screen(r"^%s\* Nobody is waiting$" % STAMP)
        # One status line, just above the prompt; the lines before the grant stay.
        screen = self.screen()
        self.assertEqual(len(re.findall(r"(?m)^\[\*0:desk\]$", screen)), 1, screen)
        self.assertRegex(screen, r"(?m)^%s\* Welcome, mary" % STAMP)
        lines = [line for line in screen.splitlines() if line.strip()]
        self.assertEqual(lines[-2:], ["[*0:desk]", "[desk] mary>"])
        peer.sock.sendall(notice("customer bob c1") + notice("customer carol c2") +
                          tagged(1, T, "c1", "bob", "hi from bob") +
                          tagged(2, T, "c2", "carol", "carol one") +
                          tagged(3, T, "c2", "carol", "carol two") + notice("turn bob") +
                          notice("turn carol"))
        # Unread: the "now talking to" line and the messages; "!": they wait for an answer.
        screen = self.status(r"\[\*0:desk\] \[1:bob\(2\)!\] \[2:carol\(3\)!\]")
        self.assertNotIn("carol one", screen)  # not in view: kept in carol's window

        self.enter("/win 2")
        screen = self.status(r"\[0:desk\] \[1:bob\(2\)!\] \[\*2:carol!\]")
        self.assertRegex(screen, r"(?m)^%s\* You are now talking to carol$" % STAMP)
        self.assertRegex(screen, r"(?m)^%scarol: carol one\n%scarol: carol two$" % (STAMP, STAMP))
        self.assertNotIn("hi from bob", screen)
        self.assertEqual(self.prompt_line(screen), "[carol] mary>")

        # What is typed goes to the customer in view, the prefix added.
        self.enter("hello carol")
        self.assertEqual(peer.message(), "carol: hello carol")
        screen = self.wait_screen(r"^\[carol\] \(waiting for carol to reply\) mary>")
        self.assertRegex(screen, r"(?m)^%smary: hello carol$" % STAMP)
        self.status(r"\[0:desk\] \[1:bob\(2\)!\] \[\*2:carol\]")

        # Ctrl-N: the next window (wrapping to the desk), Ctrl-P back.
        self.keys("C-n")
        self.status(r"\[\*0:desk\] \[1:bob\(2\)!\] \[2:carol\]")
        self.keys("C-p")
        self.status(r"\[0:desk\] \[1:bob\(2\)!\] \[\*2:carol\]")

        # A message in a window not in view counts as unread there.
        peer.sock.sendall(tagged(4, T, "c1", "bob", "are you there?"))
        self.status(r"\[0:desk\] \[1:bob\(3\)!\] \[\*2:carol\]")
        self.enter("/win 1")
        screen = self.status(r"\[0:desk\] \[\*1:bob!\] \[2:carol\]")
        self.assertRegex(screen, r"(?m)^%sbob: hi from bob\n%sbob: are you there\?$"
                         % (STAMP, STAMP))
        self.enter("yes, bob")
        self.assertEqual(peer.message(), "bob: yes, bob")

        # Commands about a customer take the one in view; queue, agents... go as typed.
        for typed, sent in (("/next", "next bob"), ("/transfer ann", "transfer bob ann"),
                            ("/kick", "kick bob"), ("/kick carol", "kick carol"),
                            ("/agents", "agents"), ("/away", "away"), ("/back", "back"),
                            ("/queue", "queue")):
            self.enter(typed)
            self.assertEqual(peer.wait_for(COMMAND, body=sent, timeout=DEADLINE), [])
        # Their answers show where they were asked.
        peer.sock.sendall(notice("agent mary available 2 2 0") + notice("agents 1") +
                          notice("waiting 1 dave 5 -- my parcel did not arrive at all, help"))
        self.wait_screen(r"^%s\* mary: available, 2 of 2 conversations, idle 0 s$" % STAMP)
        # A queue preview is free text, however many words.
        self.wait_screen(r"^%s\* 1\. dave, waiting 5 s: my parcel did not arrive at all, help$"
                         % STAMP)

        # Tab completes a canned reply's name; it goes to the customer in view.
        self.type("/canned he")
        self.keys("Tab")
        self.wait_screen(r"^\[bob\] .*mary> /canned hel$")
        self.type("p")
        self.keys("Enter")
        self.assertEqual(peer.wait_for(COMMAND, body="canned help bob"), [])
        self.enter("/canned")
        self.wait_screen(r"^%s\* help: See our help page$" % STAMP)

        # The conversation ends: said in its window, marked, gone once left.
        peer.sock.sendall(notice("customer-left bob"))
        self.wait_screen(r"^%s\* bob left the conversation$" % STAMP)
        self.status(r"\[0:desk\] \[\*1:bob~\] \[2:carol\]")
        self.wait_screen(r"^\[bob: ended\] mary>")
        self.enter("/win 2")
        self.status(r"\[0:desk\] \[\*2:carol\]")
        # carol is passed on: her window says so.
        peer.sock.sendall(notice("transferred carol ann"))
        self.wait_screen(r"^%s\* carol was transferred to ann$" % STAMP)
        self.status(r"\[0:desk\] \[\*2:carol~\]")
        # A new customer takes the lowest free number; "queue 2" is no news worth a count.
        peer.sock.sendall(notice("customer dave c3") + notice("queue 2"))
        self.status(r"\[0:desk\] \[1:dave\(1\)\] \[\*2:carol~\]")

        self.enter("/quit")
        peer.wait_for(COMMAND, body="quit")
        peer.sock.close()
        self.assertEqual(self.wait_exit(), 0)

    def test_without_ids_and_without_canned(self):
        """Type 2 "NAME: TEXT" goes to NAME's window; an error to "canned" is not shown."""
        peer = self.attach(grant="ping resume agent", canned=False)
        peer.sock.sendall(notice("customer bob") + frame(MESSAGE, "bob: hello: there"))
        self.status(r"\[\*0:desk\] \[1:bob\(2\)!\]")
        self.enter("/win 1")
        screen = self.wait_screen(r"^%sbob: hello: there$" % STAMP)
        self.assertNotIn("nknown", screen)
        self.enter("hi")
        self.assertEqual(peer.message(), "bob: hi")
        # In the desk window only "NAME: text" goes, as typed.
        self.enter("/win 0")
        self.enter("bob: from the desk")
        self.assertEqual(peer.message(), "bob: from the desk")
        self.enter("no name")
        self.wait_screen(r"This is the desk: /win N to talk to a customer")
        self.wait_screen(r"^\[desk\] mary> no name$")
        self.keys("C-u", "C-d")
        self.assertEqual(self.wait_exit(), 0)

    def sync(self, peer, token):
        peer.sock.sendall(notice("ping " + token))
        peer.wait_for(COMMAND, body="pong " + token)

    def test_canned_and_held_replies(self):
        """/canned NAME shows the reply as ours and passes the turn; Tab's trailing blank is
        not sent; a reply held for its turn uses up the "turn" that comes with the customer's
        next message."""
        peer = self.attach()
        peer.sock.sendall(notice("customer bob c1") + tagged(1, T, "c1", "bob", "hello?") +
                          notice("turn bob"))
        self.status(r"\[\*0:desk\] \[1:bob\(2\)!\]")
        self.enter("/win 1")
        self.status(r"\[0:desk\] \[\*1:bob!\]")
        self.type("/canned hel")
        self.keys("Tab")
        self.wait_screen(r"^\[bob\] mary> /canned hel$")  # hello and help: no single match
        self.keys("l", "Tab")
        self.wait_screen(r"^\[bob\] mary> /canned hello$")  # its blank: cut by tmux
        self.keys("Enter")
        # The blank Tab left is not sent; the reply shows as ours and the turn is bob's.
        self.assertEqual(peer.wait_for(COMMAND, body="canned hello bob"), [])
        screen = self.wait_screen(r"^%smary: Hello there, how can I help\?$" % STAMP)
        self.wait_screen(r"^\[bob\] \(waiting for bob to reply\) mary>")
        self.status(r"\[0:desk\] \[\*1:bob\]")
        # Any command loses its trailing blanks.
        self.enter("/queue   ")
        self.assertEqual(peer.wait_for(COMMAND, body="queue"), [])

        # A second one, before bob answered: the desk holds it.
        self.enter("/canned bye")
        self.assertEqual(peer.wait_for(COMMAND, body="canned bye bob"), [])
        peer.sock.sendall(notice("error not-your-turn -- held until bob replies"))
        self.wait_screen(r"^%s\* Not your turn yet: held until bob replies$" % STAMP)
        # bob writes: "turn bob", and at once the held reply goes; the turn is bob's again.
        peer.sock.sendall(tagged(2, T, "c1", "bob", "and?") + notice("turn bob"))
        self.sync(peer, "a")
        self.wait_screen(r"^%sbob: and\?$" % STAMP)
        screen = self.status(r"\[0:desk\] \[\*1:bob\]")
        self.assertEqual(self.prompt_line(screen), "[bob] (waiting for bob to reply) mary>")
        # bob answers that: our turn now.
        peer.sock.sendall(tagged(3, T, "c1", "bob", "bye") + notice("turn bob"))
        self.status(r"\[0:desk\] \[\*1:bob!\]")
        self.wait_screen(r"^\[bob\] mary>")
        self.keys("C-d")
        self.assertEqual(self.wait_exit(), 0)

    def test_one_conversation_canned_and_held(self):
        """Without "agent": "canned NAME" (no customer), shown as ours; a held reply uses up
        the plain "turn" that follows the customer's next message."""
        peer = self.attach(grant="ping ids resume")
        peer.sock.sendall(notice("customer bob c1") + tagged(1, T, "c1", "bob", "hello?") +
                          notice("turn"))
        screen = self.wait_screen(r"^%sbob: hello\?$" % STAMP)
        self.wait_screen(r"^mary>$")
        self.enter("/canned hello")
        self.assertEqual(peer.wait_for(COMMAND, body="canned hello"), [])
        self.wait_screen(r"^%smary: Hello there, how can I help\?$" % STAMP)
        self.wait_screen(r"^\(waiting for bob to reply\) mary>")
        self.enter("/canned bye")
        self.assertEqual(peer.wait_for(COMMAND, body="canned bye"), [])
        peer.sock.sendall(notice("error not-your-turn -- held until bob replies") +
                          tagged(2, T, "c1", "bob", "and?") + notice("turn"))
        self.sync(peer, "b")
        screen = self.wait_screen(r"^%sbob: and\?$" % STAMP)
        self.assertEqual(self.prompt_line(screen), "(waiting for bob to reply) mary>")
        peer.sock.sendall(tagged(3, T, "c1", "bob", "bye") + notice("turn"))
        self.wait_screen(r"^mary>$")
        self.keys("C-d")
        self.assertEqual(self.wait_exit(), 0)

    def test_desk_notices_history_and_ended_windows(self):
        """The line's size is no unread news; history markers go with their messages; what
        is answered in an ended window stays at the desk; "canned-changed" asks anew."""
        peer = self.attach()
        peer.sock.sendall(notice("customer bob c1"))
        self.status(r"\[\*0:desk\] \[1:bob\(1\)\]")
        self.enter("/win 1")
        self.status(r"\[0:desk\] \[\*1:bob\]")
        peer.sock.sendall(notice("queue 3") + notice("queue 2"))
        self.sync(peer, "q")
        self.status(r"\[0:desk\] \[\*1:bob\]")
        # Passed to us with what was said: the markers are in carol's window, not the desk.
        peer.sock.sendall(notice("customer carol c2") + notice("history-start 2") +
                          tagged(5, T, "c2", "carol", "my invoice") +
                          tagged(6, T, "c2", "john", "passing you on") +
                          notice("history-end") + frame(MESSAGE, "zed: whose is this?"))
        self.status(r"\[0:desk\(1\)\] \[\*1:bob\] \[2:carol\(5\)\]")
        self.enter("/win 2")
        screen = self.wait_screen(r"^%s\* End of the earlier messages$" % STAMP)
        self.assertRegex(screen, r"(?m)^%s\* You are now talking to carol\n%s\* 2 earlier "
                         r"messages:\n%scarol: my invoice\n%sjohn: passing you on\n"
                         % (STAMP, STAMP, STAMP, STAMP))
        # A message counts at the desk, and the queue's lines are there, uncounted.
        self.enter("/win 0")
        screen = self.status(r"\[\*0:desk\] \[1:bob\] \[2:carol\]")
        self.assertRegex(screen, r"(?m)^%s\* 3 customers are waiting$" % STAMP)
        self.assertRegex(screen, r"(?m)^%szed: whose is this\?$" % STAMP)
        self.assertNotIn("earlier", screen)

        # carol leaves; asked in her ended window, the answer shows there and stays at the desk.
        self.enter("/win 2")
        peer.sock.sendall(notice("customer-left carol"))
        self.status(r"\[0:desk\] \[1:bob\] \[\*2:carol~\]")
        self.enter("/agents")
        self.assertEqual(peer.wait_for(COMMAND, body="agents"), [])
        peer.sock.sendall(notice("agent mary available 1 2 0") + notice("agents 1"))
        self.wait_screen(r"^%s\* 1 agent at the desk$" % STAMP)
        self.enter("/win 0")
        screen = self.status(r"\[\*0:desk\] \[1:bob\]")
        self.assertRegex(screen, r"(?m)^%s\* mary: available, 1 of 2 conversations, idle 0 s\n"
                         r"%s\* 1 agent at the desk$" % (STAMP, STAMP))

        # The desk's file was read again: the client asks anew and completes the new names.
        peer.sock.sendall(notice("canned-changed"))
        self.assertEqual(peer.wait_for(COMMAND, body="canned"), [])
        peer.sock.sendall(notice("canned-reply thanks Thank you for your patience.") +
                          notice("canned-end 1"))
        self.sync(peer, "c")
        self.enter("/canned")
        self.wait_screen(r"^%s\* thanks: Thank you for your patience\.$" % STAMP)
        self.enter("/win 1")
        self.type("/canned t")
        self.keys("Tab")
        self.wait_screen(r"^\[bob\] .*mary> /canned thanks$")
        self.keys("Enter")
        self.assertEqual(peer.wait_for(COMMAND, body="canned thanks bob"), [])
        # A reload that takes the file away: the list empties.
        peer.sock.sendall(notice("canned-changed"))
        self.assertEqual(peer.wait_for(COMMAND, body="canned"), [])
        peer.sock.sendall(notice("error no-such-reply -- no canned_file is set"))
        self.sync(peer, "d")
        self.enter("/canned")
        self.wait_screen(r"^%s\* No canned replies$" % STAMP)
        self.assertNotIn("no canned_file", self.screen())
        self.keys("C-d")
        self.assertEqual(self.wait_exit(), 0)

    def test_refusals(self):
        """agent-not-allowed is final: no offer to reconnect, status 1; agent-busy is worded
        for either desk."""
        for code, text, shown in (
                ("agent-not-allowed", "mary is not an agent you may be: not listed",
                 r"Error agent-not-allowed: mary is not an agent you may be: not listed"),
                ("agent-busy", "3 agents are already at the desk (max_agents)",
                 r"No room for another agent: 3 agents are already")):
            with self.subTest(code=code):
                self.start("--agent", "--name", "mary", "127.0.0.1:%d" % self.srv.port)
                peer = self.srv.peer()
                [peer.recv() for _ in range(3)]
                peer.sock.sendall(notice("error %s -- %s" % (code, text)))
                peer.sock.close()
                screen = self.wait_screen(shown)
                if code == "agent-not-allowed":
                    self.assertEqual(self.wait_exit(), 1)
                    self.assertNotIn("Reconnect?", self.screen())
                else:
                    self.wait_screen(r"^Reconnect\? \[Y/n\]")
                    self.keys("n", "Enter")
                    self.assertEqual(self.wait_exit(), 1)
                self.tearDown()
                self.setUp()

    def test_not_granted_agent(self):
        """A desk that does not grant "agent": one conversation, no windows, as before."""
        peer = self.attach(grant="ping ids resume", canned=False)
        peer.sock.sendall(notice("customer bob c1") + tagged(1, T, "c1", "bob", "hello"))
        screen = self.wait_screen(r"^%sbob: hello$" % STAMP)
        self.assertNotIn("[", self.prompt_line(screen))
        self.assertNotRegex(screen, r"desk\]")
        self.enter("hi")
        self.assertEqual(peer.message(), "hi")  # no prefix
        self.enter("/next")
        self.assertEqual(peer.wait_for(COMMAND, body="next"), [])
        self.keys("C-d")
        self.assertEqual(self.wait_exit(), 0)


@unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
class Customer(DrivenCase):
    """A customer's prompt names its agent only while one is there for it."""

    def test_back_in_line_forgets_the_agent(self):
        self.start("--name", "bob", "127.0.0.1:%d" % self.srv.port)
        peer = self.srv.peer()
        got = [peer.recv() for _ in range(3)]
        self.assertEqual(got[2], (COMMAND, "caps ping ids resume files"))
        peer.sock.sendall(notice("welcome single-agent bob") + notice("caps ping ids resume") +
                          notice("epoch E1") + notice("turns strict") + notice("serving john"))
        self.wait_screen(r"^%s\* You are now talking to john$" % STAMP)
        self.enter("hi")
        self.assertEqual(peer.message(), "hi")
        self.wait_screen(r"^\(waiting for john to reply\) bob>")
        # Back to the line: nobody is talking to bob.
        peer.sock.sendall(notice("transferred") + notice("queued 1"))
        self.wait_screen(r"^%s\* You are next in line$" % STAMP)
        self.wait_screen(r"^\(waiting for a reply\) bob>")
        peer.sock.sendall(notice("serving ann"))
        self.wait_screen(r"^\(waiting for ann to reply\) bob>")
        # ann goes offline: not her name while she is gone; said when she is back.
        peer.sock.sendall(notice("agent-offline"))
        self.wait_screen(r"^\(waiting for a reply\) bob>")
        peer.sock.sendall(notice("agent-online ann") + notice("serving ann"))
        self.wait_screen(r"^%s\* The agent ann reconnected$" % STAMP)
        self.wait_screen(r"^\(waiting for ann to reply\) bob>")
        # In line again, "queued" alone: the same.
        peer.sock.sendall(notice("queued 2"))
        self.wait_screen(r"^\(waiting for a reply\) bob>")
        self.keys("C-d")
        self.assertEqual(self.wait_exit(), 0)


@unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
class TeamDesk(TmuxCase):
    """The same against the real team desk."""

    def test_two_customers(self):
        with Daemon("max_agents = 3\nmax_chats_per_agent = 2\n") as d:
            self.start("--agent", "--name", "mary", "unix:" + d.agent_socket)
            self.wait_screen(r"^\[\*0:desk\]$")
            bob = Peer.customer(d, "bob")
            bob.notice(prefix="serving mary")
            carol = Peer.customer(d, "carol")
            carol.notice(prefix="serving mary")
            bob.say("hello from bob")
            carol.say("carol here")
            # In strict turns carol's second message waits for an answer: not relayed yet.
            carol.say("anyone?")
            self.wait_screen(r"^\[\*0:desk(\(\d+\))?\] \[1:bob\(2\)!\] \[2:carol\(2\)!\]$")

            self.enter("/win 2")
            screen = self.wait_screen(r"^\[0:desk\] \[1:bob\(2\)!\] \[\*2:carol!\]$")
            self.assertRegex(screen, r"(?m)^%scarol: carol here$" % STAMP)
            self.enter("hi carol")
            self.assertEqual(carol.message(), "hi carol")
            # The answer releases what carol wrote meanwhile: her turn was taken, ours again.
            self.wait_screen(r"^%scarol: anyone\?$" % STAMP)
            self.wait_screen(r"^\[carol\] mary>")

            self.enter("anyone? yes")
            self.assertEqual(carol.message(), "anyone? yes")
            self.wait_screen(r"^\[carol\] \(waiting for carol to reply\) mary>")
            self.enter("/win 1")
            self.wait_screen(r"^%sbob: hello from bob$" % STAMP)
            self.enter("hi bob")
            self.assertEqual(bob.message(), "hi bob")
            self.assertEqual([b for t, b in carol.sync() if t == MESSAGE], [])

            # /next ends the conversation in view; its window says so and goes when left.
            self.enter("/next")
            bob.expect_closed()
            bob.close()
            self.wait_screen(r"^%s\* bob left the conversation$" % STAMP)
            self.wait_screen(r"^\[0:desk\] \[\*1:bob~\] \[2:carol\]$")
            carol.say("thanks")
            self.wait_screen(r"^\[0:desk\] \[\*1:bob~\] \[2:carol\(1\)!\]$")
            self.keys("C-n")
            self.wait_screen(r"^\[0:desk\] \[\*2:carol!\]$")
            self.wait_screen(r"^%scarol: thanks$" % STAMP)
            self.keys("C-d")
            self.assertEqual(self.wait_exit(), 0)
            carol.close()


    def test_script_agent(self):
        """Script mode: lines are "NAME: text", sent as they are; messages come the same way."""
        with Daemon("max_agents = 3\nmax_chats_per_agent = 2\n") as d:
            agent = WatchedClient("--agent", "--name", "mary", "unix:" + d.agent_socket)
            d.wait_log("agent mary")
            bob = Peer.customer(d, "bob")
            bob.notice(prefix="serving mary")
            carol = Peer.customer(d, "carol")
            carol.notice(prefix="serving mary")
            bob.say("hello")
            carol.say("hi there")
            agent.wait_out("bob: hello\n")
            agent.wait_out("carol: hi there\n")
            agent.feed("carol: hi carol\nbob: hi bob\n", close=True)
            self.assertEqual(carol.message(), "hi carol")
            self.assertEqual(bob.message(), "hi bob")
            # Input is over, but both answers are due: the run waits for them.
            bob.say("thanks")
            carol.say("bye")
            self.assertEqual(agent.wait(), 0, agent.err)
            self.assertEqual(sorted(agent.out.splitlines()),
                             ["bob: hello", "bob: thanks", "carol: bye", "carol: hi there"])
            bob.close()
            carol.close()


if __name__ == "__main__":
    main()
