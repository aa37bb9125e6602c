# SPDX-License-Identifier: ISC
"""A room's moderation and private messages (issue 15, MOD-SPEC.md) in the interactive client:
the topic on the row above the prompt, private messages marked apart whichever way they come,
the moderation commands framed as the wire wants them, the notices and errors in words, an
operator key answered, and a kick that ends the run without an offer to reconnect. Against a
fake server driven from the test's thread; script mode marks private messages too."""

import hashlib
import hmac
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (COMMAND, DEADLINE, FRONTDESK, NICKNAME, NOTICE, Closed,  # noqa: E402
                    Peer, frame, main)
from fakeserver import FakeServer, tagged  # noqa: E402
from test_client_tmux import STAMP, TmuxCase  # noqa: E402
from test_client_windows import Driven  # noqa: E402

T = int(time.time() * 1000)


class Redriven(Driven):
    """A Driven server that takes several connections in turn (a client coming back): each
    is handed over as it comes, and stays open until the test closes it."""

    def __init__(self, connections=4):
        self.conns = queue.Queue()
        self.done = threading.Event()
        self.server = FakeServer(lambda conn: self.conns.put(conn.dup()), connections)
        self.port = self.server.port


def notice(body):
    return frame(NOTICE, body)


@unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
class Room(TmuxCase):
    def setUp(self):
        super().setUp()
        self.srv = Redriven()

    def tearDown(self):
        self.srv.close()
        super().tearDown()

    def join(self, *args, grant="ping resume", welcome=b""):
        """Start bob in the room; answer his opening as a room does. Return the peer."""
        self.start("--name", "bob", *args, "127.0.0.1:%d" % self.srv.port)
        peer = self.srv.peer()
        got = [peer.recv() for _ in range(3)]
        self.assertEqual(got, [(NICKNAME, "bob"), (COMMAND, "hello notices"),
                               (COMMAND, "caps ping ids resume files")])
        peer.sock.sendall(notice("welcome group bob") + welcome + notice("caps " + grant) +
                          (notice("epoch E1") if "ids" in grant.split() else b""))
        return peer

    def command(self, peer, typed, sent):
        """Type @typed; the server must get the command @sent."""
        self.enter(typed)
        self.assertEqual(peer.recv(), (COMMAND, sent))

    def test_topic_private_and_moderation(self):
        """Without ids: the topic above the prompt, private messages as notices and our own
        shown by the client, moderation commands as the wire wants them, a kick the end."""
        peer = self.join(welcome=notice("topic ann -- Release day: be kind"))
        screen = self.wait_screen(r"^Topic: Release day: be kind\nbob> ?$")
        self.assertRegex(screen, r"(?m)^%s\* Topic: Release day: be kind \(set by ann\)$" % STAMP)

        # Private messages, marked apart; ours shown as sent (nothing comes back without ids).
        peer.sock.sendall(notice("private ann -- psst, bob"))
        self.wait_screen(r"^%s\[private\] ann: psst, bob$" % STAMP)
        self.command(peer, "/msg ann hello -- there", "msg ann hello -- there")
        self.wait_screen(r"^%s\[private to ann\] hello -- there$" % STAMP)
        # A room message cannot pass for one: it starts with its sender's name.
        peer.sock.sendall(frame(2, "eve: [private] ann: hi"))
        self.wait_screen(r"^%seve: \[private\] ann: hi$" % STAMP)

        # Moderation commands; a reason goes after " --", a duration stays before it.
        self.command(peer, "/kick zed being rude", "kick zed -- being rude")
        self.command(peer, "/kick zed", "kick zed")
        self.command(peer, "/ban nick:zed 10m flooding -- again",
                     "ban nick:zed 10m -- flooding -- again")
        self.command(peer, "/ban addr:192.0.2.0/24 spam", "ban addr:192.0.2.0/24 -- spam")
        self.command(peer, "/unban nick:zed", "unban nick:zed")
        self.command(peer, "/mute zed 5m", "mute zed 5m")
        self.command(peer, "/unmute zed", "unmute zed")
        self.command(peer, "/purge zed 2h", "purge zed 2h")
        self.command(peer, "/bans", "bans")
        self.enter("/ban zed")  # the kind is said, never guessed: nothing goes
        self.wait_screen(r"^%s\* Say what to ban: nick:NAME or addr:ADDRESS\[/PREFIX\]$" % STAMP)

        # The room hears it, in words; errors that leave us in the room are said, no more.
        peer.sock.sendall(notice("kicked zed bob -- being rude") +
                          notice("banned nick:zed bob 10m -- flooding") +
                          notice("muted eve bob 5m") + notice("purged zed 3 bob") +
                          notice("error no-such-nick -- no member named zed") +
                          notice("error muted -- your messages go nowhere") +
                          notice("error not-operator -- only operators may kick"))
        self.wait_screen(r"^%s\* Only an operator may do that: only operators may kick$" % STAMP)
        screen = self.screen()
        for line in ("zed was kicked by bob: being rude",
                     "bob banned the nickname zed for 10m: flooding", "bob muted eve for 5m",
                     "bob removed 3 messages of zed from the room's history",
                     "No such member: no member named zed",
                     "You are muted: your messages go nowhere"):
            self.assertRegex(screen, r"(?m)^%s\* %s$" % (STAMP, re.escape(line)))

        # The topic: set, shown above the prompt; gone with topic-none.
        self.command(peer, "/topic Ship it", "topic Ship it")
        peer.sock.sendall(notice("topic bob -- Ship it"))
        self.wait_screen(r"^Topic: Ship it\nbob> ?$")
        self.command(peer, "/topic", "topic")
        peer.sock.sendall(notice("topic-none"))
        screen = self.wait_screen(r"^%s\* No topic is set\nbob> ?$" % STAMP)
        self.assertNotIn("Topic: Ship it\n", screen)

        # Kicked: said in words, and no offer to reconnect; the run ends with status 1.
        peer.sock.sendall(notice("error kicked -- by ann: spam"))
        peer.sock.close()
        self.wait_screen(r"You were kicked by ann: spam")
        self.assertEqual(self.wait_exit(), 1)
        self.assertNotIn("Reconnect?", self.screen())

    def test_ids_private_operator_and_who_pages(self):
        """With ids: private messages as type 5 (@NICK), ours once, as the server sends it
        back; the operator key answers the server's challenge; who's operators and pages."""
        key = os.path.join(self.dir, "oper.key")
        with open(key, "w") as f:
            f.write("sesame\n")
        os.chmod(key, 0o600)
        peer = self.join("--oper-key", key, grant="ping ids resume")
        # Right after joining: "oper", and the answer to its challenge.
        self.assertEqual(peer.recv(), (COMMAND, "oper"))
        challenge = "ab" * 32
        peer.sock.sendall(notice("oper-challenge " + challenge))
        answer = hmac.new(b"sesame", bytes.fromhex(challenge), hashlib.sha256).hexdigest()
        self.assertEqual(peer.recv(), (COMMAND, "oper " + answer))
        peer.sock.sendall(notice("oper") + notice("operator bob"))
        self.wait_screen(r"^%s\* You are now an operator\n@bob> ?$" % STAMP)
        self.assertNotIn("bob is now an operator", self.screen())

        peer.sock.sendall(tagged(5, T, "@ann", "ann", "psst"))
        self.wait_screen(r"^%s\[private\] ann: psst$" % STAMP)
        self.command(peer, "/msg ann hi there", "msg ann hi there")
        peer.sock.sendall(tagged(6, T, "@ann", "bob", "hi there"))
        screen = self.wait_screen(r"^%s\[private to ann\] hi there$" % STAMP)
        self.assertEqual(screen.count("[private to ann] hi there"), 1, screen)

        # who: operators marked; a big room's page summed up in one line, as the daemon
        # orders it (names, who-more, the count), the next page named.
        self.command(peer, "/who", "who")
        peer.sock.sendall(notice("member @ann") + notice("member bob") + notice("who-more") +
                          notice("members 401"))
        self.wait_screen(r"^%s\* 401 members; showing 1-2; /who 2 for more$" % STAMP)
        self.assertRegex(self.screen(), r"(?m)^%s\* ann is here \(operator\)$" % STAMP)
        self.assertNotIn("There are more members", self.screen())
        self.command(peer, "/who 2", "who 2")
        peer.sock.sendall(notice("member carol") + notice("who-more") + notice("members 401"))
        self.wait_screen(r"^%s\* 401 members; showing 201-201; /who 3 for more$" % STAMP)
        self.command(peer, "/who 3", "who 3")
        peer.sock.sendall(notice("member dave") + notice("members 401"))
        self.wait_screen(r"^%s\* 401 members; showing 401-401$" % STAMP)

        # An unasked challenge is not signed.
        peer.sock.sendall(notice("oper-challenge " + "cd" * 32))
        self.keys("C-d")
        try:
            self.assertEqual(peer.wait_for(COMMAND, body="quit")[-1:], [])
        except Closed:
            pass
        self.assertEqual(self.wait_exit(), 0)

    def test_refusals_are_no_end(self):
        """Errors that leave us in the room (no-such-nick, muted, not-operator, a refused
        nick) are said once in words and leave resume on: a drop right after them resumes.
        A nick counts only once the server renames us; a reason may come after the wire's
        "--"."""
        peer = self.join()
        peer.sock.sendall(notice("session " + "ab" * 32))
        self.wait_screen(r"^bob> ?$")
        self.command(peer, "/msg nobody x", "msg nobody x")
        self.command(peer, "/nick ivy", "nick ivy")
        self.command(peer, "/oper", "oper")
        self.command(peer, "/kick carol -- being rude", "kick carol -- being rude")
        self.command(peer, "/ban nick:zed 2w -- spam", "ban nick:zed 2w -- spam")
        self.command(peer, "/kick carol --", "kick carol")
        peer.sock.sendall(notice("error no-such-nick -- no member is called nobody") +
                          notice("error banned -- the name ivy is banned from this room; "
                                 "you keep yours") +
                          notice("oper-challenge " + "ab" * 32) +
                          notice("error not-operator -- wrong answer") +
                          notice("error muted -- an operator muted you: nothing you say is "
                                 "sent"))
        self.wait_screen(r"^%s\* An operator muted you: nothing you say is sent$" % STAMP)
        self.assertRegex(self.screen(), r"(?m)^%s\* Not an operator: wrong answer$" % STAMP)
        # The last error, then the connection drops: resumed at once, no question asked.
        peer.sock.close()
        again = self.srv.peer()
        self.assertEqual(again.recv(), (COMMAND, "resume %s 0" % ("ab" * 32)))
        screen = self.screen()
        self.assertNotIn("Reconnect?", screen)
        self.assertNotRegex(screen, r"closed by 127\.0\.0\.1:\d+:")
        # Refused: a fresh join asks for our name still, not the nick that was refused.
        again.sock.sendall(notice("error resume-failed -- unknown session"))
        self.assertEqual(again.recv(), (NICKNAME, "bob"))
        [again.recv() for _ in range(2)]
        again.sock.sendall(notice("welcome group bob") + notice("caps ping resume") +
                           notice("session " + "cd" * 32))
        # A renumbered rename is the name from now on.
        self.command(again, "/nick ivy", "nick ivy")
        again.sock.sendall(notice("renamed bob ivy2"))
        self.wait_screen(r"^ivy2> ?$")
        again.sock.close()
        third = self.srv.peer()
        self.assertEqual(third.recv(), (COMMAND, "resume %s 0" % ("cd" * 32)))
        third.sock.sendall(notice("error resume-failed -- unknown session"))
        self.assertEqual(third.recv(), (NICKNAME, "ivy2"))
        third.sock.close()

    def test_restart_is_resumed(self):
        """shutting-down: the session waits across the restart; tried again with back-off,
        never "Reconnect?"."""
        peer = self.join()
        peer.sock.sendall(notice("session " + "ab" * 32))
        self.wait_screen(r"^bob> ?$")
        port = self.srv.port
        peer.sock.sendall(notice("error shutting-down -- the server is shutting down"))
        peer.sock.close()
        again = self.srv.peer()
        self.assertEqual(again.recv(), (COMMAND, "resume %s 0" % ("ab" * 32)))
        again.sock.close()  # still stopping: closed without a word
        third = self.srv.peer()
        self.assertEqual(third.recv(), (COMMAND, "resume %s 0" % ("ab" * 32)))
        third.sock.sendall(notice("resumed bob"))
        self.wait_screen(r"Reconnected; you are back in the room as bob")
        screen = self.screen()
        self.assertIn("Resuming in 1 s", screen)
        self.assertNotIn("Reconnect?", screen)
        self.assertEqual(port, self.srv.port)
        third.sock.close()

    def test_agent_socket_operator(self):
        """The local admin on the agent socket: the "oper" notice gives the @ prompt, before
        or after the welcome."""
        for first, then in (("welcome group root", "oper"), ("oper", "welcome group root")):
            self.start("--agent", "--name", "root", "127.0.0.1:%d" % self.srv.port)
            peer = self.srv.peer()
            [peer.recv() for _ in range(3)]
            peer.sock.sendall(notice(first) + notice(then) + notice("caps ping"))
            self.wait_screen(r"^@root> ?$")
            self.keys("C-d")
            try:
                peer.wait_for(COMMAND, body="quit")
            except Closed:
                pass
            peer.sock.close()
            self.wait_exit()


class Script(unittest.TestCase):
    def test_private_marked_in_script_mode(self):
        """Piped: a private message is marked, a room message is as it came."""
        def serve(conn):
            peer = Peer(conn, "server")
            [peer.recv() for _ in range(3)]
            # Then the server ends it (bye): the script's input never ended.
            conn.sendall(notice("welcome group bob") + notice("caps ping") +
                         notice("private ann -- psst") + frame(2, "ann: hello all") +
                         notice("bye"))

        with FakeServer(serve) as srv:
            p = subprocess.Popen([FRONTDESK, "--name", "bob", "127.0.0.1:%d" % srv.port],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            try:
                p.wait(timeout=DEADLINE)
                out, err = p.stdout.read(), p.stderr.read()
            finally:
                p.stdin.close()
                p.stdout.close()
                p.stderr.close()
        self.assertEqual(out, "[private] ann: psst\nann: hello all\n", err)
        self.assertEqual(p.returncode, 0, err)

    def run_script(self, serve, *args):
        with FakeServer(serve) as srv:
            p = subprocess.run([FRONTDESK, *args, "127.0.0.1:%d" % srv.port],
                               stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=DEADLINE)
        return p

    def test_refused_at_the_door(self):
        """A banned address, stdin already over: the quit waits for the server's first word,
        so the refusal is not lost with the connection; said once, exit status 1."""
        got = []

        def serve(conn):
            peer = Peer(conn, "server")
            got.extend(peer.recv() for _ in range(3))
            time.sleep(0.3)  # a quit sent now would cross the refusal
            conn.setblocking(False)
            try:
                got.append(conn.recv(100))
            except BlockingIOError:
                pass
            conn.setblocking(True)
            conn.sendall(notice("error banned -- your address is banned from this room"))

        p = self.run_script(serve, "--name", "frank")
        self.assertEqual(len(got), 3, got)  # nothing after the opening: no early quit
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(p.stderr.count("your address is banned"), 1, p.stderr)
        self.assertIn("* You are banned: your address is banned from this room\n", p.stderr)

    def test_line_nick_refused_is_no_end(self):
        """--line: a refused "/nick" is a mere no; the run ends normally, exit status 0."""
        def serve(conn):
            f = conn.makefile("rwb", buffering=0)
            self.assertEqual(f.readline(), b"/nick bob\n")
            f.write(b"* welcome group bob\n")
            self.assertEqual(f.readline(), b"/nick ivy\n")
            f.write(b"* error banned -- the name ivy is banned from this room; you keep yours\n"
                    b"ann: hello\n")
            f.readline()  # the quit
            f.close()

        def run():
            with FakeServer(serve) as srv:
                return subprocess.run([FRONTDESK, "--line", "--name", "bob",
                                       "127.0.0.1:%d" % srv.port], input="/nick ivy\n",
                                      capture_output=True, text=True, timeout=DEADLINE)

        p = run()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("you keep yours", p.stderr)
        self.assertNotIn("frontdesk:", p.stderr)


if __name__ == "__main__":
    main()
