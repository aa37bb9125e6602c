# SPDX-License-Identifier: ISC
"""The interactive client as a person uses it: in a terminal (a private tmux server), typing
with send-keys and reading the screen with capture-pane. Every wait polls the screen with a
generous deadline; nothing sleeps to let things happen."""

import calendar
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (COMMAND, DEADLINE, FRONTDESK, MESSAGE, NOTICE,  # noqa: E402
                    Closed, Daemon, Peer, frame, main)
from fakeserver import FakeServer, opening, tagged  # noqa: E402

STAMP = r"\[\d\d:\d\d\] "


class TmuxCase(unittest.TestCase):
    """One private tmux server per test; the client runs in its one pane. No tests of its
    own: test_client_resume.py drives the terminal with it too."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="frontdesk-tmux-")
        self.socket_name = "frontdesk-test-%d-%s" % (os.getpid(), self.id().split(".")[-1])
        self.status_path = os.path.join(self.dir, "status")
        self.started = False

    def tearDown(self):
        if self.started:
            self.tmux("kill-server", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def tmux(self, *args, check=True):
        env = dict(os.environ, TMUX_TMPDIR=self.dir)
        env.pop("TMUX", None)
        r = subprocess.run(["tmux", "-L", self.socket_name, "-f", "/dev/null"] + list(args),
                           capture_output=True, text=True, env=env, timeout=DEADLINE)
        if check and r.returncode != 0:
            raise AssertionError("tmux %s: %s" % (" ".join(args), r.stderr))
        return r.stdout

    def start(self, *args, env=""):
        """Run `frontdesk ARGS` in an 80x24 pane; its exit status lands in self.status_path."""
        command = "%s %s %s; echo $? > %s; sleep 600" % (
            env, FRONTDESK, " ".join("'%s'" % a for a in args), self.status_path)
        self.tmux("new-session", "-d", "-x", "80", "-y", "24", "sh", "-c", command)
        self.started = True

    def keys(self, *keys):
        self.tmux("send-keys", *keys)

    def type(self, text):
        self.tmux("send-keys", "-l", text)

    def enter(self, text):
        """Type @text, then press Enter."""
        self.type(text)
        self.keys("Enter")

    def screen(self):
        return self.tmux("capture-pane", "-p")

    def cursor(self):
        x, y = self.tmux("display-message", "-p", "#{cursor_x} #{cursor_y}").split()
        return int(x), int(y)

    def wait_screen(self, pattern, timeout=DEADLINE):
        """Poll the screen until @pattern (a regex) matches it; return the screen."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if re.search(pattern, text, re.M):
                return text
            if time.monotonic() > deadline:
                raise AssertionError("screen never matched %r:\n%s" % (pattern, text))
            time.sleep(0.05)

    def wait_exit(self, timeout=DEADLINE):
        deadline = time.monotonic() + timeout
        while True:
            if os.path.exists(self.status_path):
                with open(self.status_path) as f:
                    status = f.read()
                if status.endswith("\n"):
                    return int(status)
            if time.monotonic() > deadline:
                raise AssertionError("client did not exit:\n" + self.screen())
            time.sleep(0.05)

    def prompt_line(self, text):
        """The last non-empty line of the screen (the prompt and what is typed)."""
        lines = [line for line in text.splitlines() if line.strip()]
        return lines[-1] if lines else ""


@unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
class Terminal(TmuxCase):
    def test_customer_session(self):
        with Daemon() as d:
            first = Peer.customer(d, "first")
            first.notice(prefix="welcome")
            second = Peer.customer(d, "second")
            second.notice(prefix="queued 1")

            # Connect: the queue position is on the screen, in words, with a timestamp.
            self.start("--name", "bob", "127.0.0.1:%d" % d.port)
            self.wait_screen(r"^%s\* You are number 2 in line$" % STAMP)
            self.assertEqual(self.prompt_line(self.screen()), "bob>")

            agent = Peer.agent(d, "mary")
            agent.notice(body="queue 2")
            first.close()
            second.close()
            self.wait_screen(r"^%s\* You are now talking to mary$" % STAMP)

            # Our turn: send; the line shows as ours, and the prompt says we wait for mary.
            self.enter("Hello, I need help")
            self.assertEqual(agent.message(), "Hello, I need help")
            screen = self.wait_screen(r"^\(waiting for mary to reply\) bob>")
            self.assertRegex(screen, r"(?m)^%sbob: Hello, I need help$" % STAMP)

            # Not our turn: Enter does not send, and the text stays in the line.
            self.enter("too soon")
            self.wait_screen(r"^\(waiting for mary to reply\) bob> too soon$")
            self.assertEqual([b for t, b in agent.sync("held") if t == MESSAGE], [])

            # A message arrives while we type: it prints above, the typed text is intact,
            # the cursor is still where we left it.
            self.type(" and more")
            self.wait_screen(r"bob> too soon and more$")
            self.keys("Left", "Left", "Left", "Left", "Left")
            before = self.cursor()
            agent.say("Of course, what is the order number?")
            screen = self.wait_screen(r"^%smary: Of course, what is the order number\?$" % STAMP)
            screen = self.wait_screen(r"^bob> too soon and more$")
            lines = [line for line in screen.splitlines() if line.strip()]
            self.assertRegex(lines[-2], r"^%smary: Of course, what is the order number\?$" % STAMP)
            self.assertEqual(lines[-1], "bob> too soon and more")
            # The prompt got shorter (our turn now); the cursor is still after "and".
            self.assertEqual(self.cursor(), (len("bob> too soon and"), before[1] + 1))

            # Editing still works where the cursor is; Enter sends the whole line.
            self.enter(" (2)")
            self.assertEqual(agent.message(), "too soon and (2) more")

            # /quit leaves cleanly with status 0.
            self.enter("/quit")
            self.assertEqual(self.wait_exit(), 0)
            agent.notice(body="customer-left bob")
            agent.close()

    def test_agent_commands_and_ctrl_d(self):
        with Daemon() as d:
            self.start("--agent", "--name", "mary", "unix:" + d.agent_socket)
            self.wait_screen(r"^%s\* Nobody is waiting$" % STAMP)
            self.wait_screen(r"^\(no customer yet\) mary>")
            bob = Peer.customer(d, "bob")
            bob.notice(prefix="serving mary")
            carol = Peer.customer(d, "carol")
            carol.notice(prefix="queued 1")
            self.wait_screen(r"^%s\* You are now talking to bob$" % STAMP)
            self.wait_screen(r"^\(bob's turn\) mary>")
            bob.say("hi")
            self.wait_screen(r"^%sbob: hi$" % STAMP)
            self.wait_screen(r"^mary>")
            self.enter("/queue")
            self.wait_screen(r"^%s\* 1\. carol, waiting \d+ s$" % STAMP)
            self.enter("/help")
            self.wait_screen(r"/kick NAME +agent: end that customer's connection")
            self.enter("/next")
            bob.expect_closed()
            bob.close()
            self.wait_screen(r"^%s\* You are now talking to carol$" % STAMP)
            self.keys("C-d")
            self.assertEqual(self.wait_exit(), 0)
            carol.close()

    def test_peer_escapes_inert(self):
        """Escape sequences from peers are shown, not obeyed."""
        with Daemon() as d:
            self.start("--agent", "--name", "mary", "unix:" + d.agent_socket)
            self.wait_screen(r"^\(no customer yet\) mary>")
            bob = Peer.customer(d, "bob")
            bob.notice(prefix="serving mary")
            self.wait_screen(r"^%s\* You are now talking to bob$" % STAMP)
            # Clear the screen, set the window title, and fake a notice on a line of its own.
            bob.say("\x1b[2J\x1b]0;owned\x07\rgotcha\n* You are now talking to nobody\u0085x")
            self.wait_screen(r"gotcha")
            screen = self.screen()
            self.assertIn("You are now talking to bob", screen)  # not cleared away
            self.assertNotRegex(screen, r"(?m)^\* You are now talking to nobody")
            self.assertIn(" [2J ]0;owned  gotcha * You are now talking to nobody  x", screen)
            title = self.tmux("display-message", "-p", "#{pane_title}")
            self.assertNotIn("owned", title)
            bob.close()

    def test_no_colour_when_asked(self):
        with Daemon() as d:
            self.start("--name", "bob", "127.0.0.1:%d" % d.port, env="NO_COLOR=1")
            self.wait_screen(r"\* Welcome, bob")
            raw = self.tmux("capture-pane", "-p", "-e")
            self.assertNotIn("\033[3", raw)
            self.keys("C-d")
            self.assertEqual(self.wait_exit(), 0)

    def test_refused_connection(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        self.start("127.0.0.1:%d" % port)
        self.assertEqual(self.wait_exit(), 1)
        self.wait_screen(r"^frontdesk: cannot connect to 127\.0\.0\.1:%d: Connection refused$"
                         % port)

    def test_lost_connection_offers_to_reconnect(self):
        """A crash (no word from the server): the one try to resume fails, then the offer."""
        d = Daemon("listen = 127.0.0.1:0\n").start()
        try:
            self.start("--name", "bob", "127.0.0.1:%d" % d.port)
            self.wait_screen(r"\* Welcome, bob")
            port = d.port
        finally:
            d.stop(signal.SIGKILL)  # not the clean stop the with statement wants
            d._log.close()
            shutil.rmtree(d.dir, ignore_errors=True)
        self.wait_screen(r"connection closed by 127\.0\.0\.1:%d" % port)
        self.wait_screen(r"^Reconnect\? \[Y/n\]")
        self.enter("n")
        self.assertEqual(self.wait_exit(), 1)

    def test_agent_waits_for_its_socket_to_come_back(self):
        """--reconnect on the agent socket: a daemon gone, its socket with it, is waited for.
        A connect that fails at once (no such file, refused) was taken for a refusal for good
        (-1 is -EPERM) and ended the run."""
        sock_dir = tempfile.mkdtemp(prefix="frontdesk-test-")
        path = os.path.join(sock_dir, "agent.sock")
        try:
            d = Daemon("agent_socket = %s\n" % path).start()
            try:
                self.start("-r", "--agent", "unix:" + path, "--name", "mary")
                self.wait_screen(r"\* Welcome, mary")
            finally:
                d.stop(signal.SIGKILL)  # not the clean stop the with statement wants
                d._log.close()
                shutil.rmtree(d.dir, ignore_errors=True)
            self.wait_screen(r"Reconnecting in 2 s")  # the second try failed at once too
            with Daemon("agent_socket = %s\n" % path) as d2:
                self.wait_screen(r"\* Welcome, mary[\s\S]*\* Welcome, mary")
                customer = Peer.customer(d2, "bob")
                customer.say("still there?")
                self.wait_screen(r"still there\?")
                self.keys("C-d")
                self.assertEqual(self.wait_exit(), 0)
        finally:
            shutil.rmtree(sock_dir, ignore_errors=True)

    def test_restart_is_waited_for(self):
        """A clean stop ("shutting-down"): the session waits across the restart, so the
        client tries to resume with back-off instead of offering a fresh join."""
        d = Daemon("listen = 127.0.0.1:0\n")
        with d:
            self.start("--name", "bob", "127.0.0.1:%d" % d.port)
            self.wait_screen(r"\* Welcome, bob")
            d.stop()
        self.wait_screen(r"\* The server is shutting down")
        self.wait_screen(r"\* Resuming in 1 s \(Ctrl-D to give up\)")
        self.assertNotIn("Reconnect?", self.screen())
        self.keys("C-d")
        self.assertEqual(self.wait_exit(), 0)

    def test_tagged_messages_show_the_server_time(self):
        """Message IDs (protocol 7.2): the time a message was accepted, a date when it is not
        today; /history asks for earlier messages; a message seen already is not shown."""
        now = time.gmtime()
        early = calendar.timegm((now.tm_year, now.tm_mon, now.tm_mday, 0, 4, 0)) * 1000
        got = []

        def serve(conn):
            peer = Peer(conn, "server")
            opening(peer, "welcome group bob")
            conn.sendall(tagged(7, 1000000000000, "*", "ann", "from long ago") +
                         tagged(8, early, "*", "ann", "early today") +
                         tagged(8, early, "*", "ann", "seen already"))
            peer.wait_for(COMMAND, prefix="history")
            got.append(peer.frames[-1])
            conn.sendall(frame(NOTICE, "history-start 1") +
                         tagged(7, 1000000000000, "*", "ann", "from long ago") +
                         frame(NOTICE, "history-end"))
            try:
                peer.wait_for(COMMAND, body="quit")
            except Closed:
                pass

        with FakeServer(serve) as srv:
            self.start("--name", "bob", "127.0.0.1:%d" % srv.port, env="TZ=UTC")
            self.wait_screen(r"^\[00:04\] ann: early today$")
            screen = self.screen()
            self.assertRegex(screen, r"(?m)^\[2001-09-09 01:46\] ann: from long ago$")
            self.assertNotIn("seen already", screen)
            self.enter("/history 5")
            self.wait_screen(r"^%s\* End of the earlier messages$" % STAMP)
            self.assertEqual(len(re.findall(r"(?m)^\[2001-09-09 01:46\] ann: from long ago$",
                                            self.screen())), 2)
            self.assertRegex(self.screen(), r"(?m)^%s\* 1 earlier message:$" % STAMP)
            self.keys("C-d")
            self.assertEqual(self.wait_exit(), 0)
        self.assertEqual(got, [(COMMAND, "history 5")])

    def test_reconnection_drops_what_was_seen(self):
        """The IDs seen outlive a connection: what the server gives again is not shown twice."""
        at = int(time.time() * 1000)
        count = []

        def serve(conn):
            peer = Peer(conn, "server")
            count.append(opening(peer, "welcome group bob"))
            if len(count) == 1:
                conn.sendall(tagged(1, at, "*", "ann", "first") +
                             tagged(2, at, "*", "ann", "second"))
                return  # gone: the client reconnects
            conn.sendall(tagged(2, at, "*", "ann", "second") + tagged(3, at, "*", "ann", "third"))
            try:
                peer.wait_for(COMMAND, body="quit")
            except Closed:
                pass

        with FakeServer(serve, connections=2) as srv:
            self.start("--reconnect", "--name", "bob", "127.0.0.1:%d" % srv.port)
            self.wait_screen(r"^%sann: third$" % STAMP)
            screen = self.screen()
            self.assertEqual(len(re.findall(r"(?m)^%sann: second$" % STAMP, screen)), 1, screen)
            self.assertRegex(screen, r"(?m)^%sann: first$" % STAMP)
            self.keys("C-d")
            self.assertEqual(self.wait_exit(), 0)
        self.assertEqual(len(count), 2)


if __name__ == "__main__":
    main()
