# SPDX-License-Identifier: ISC
"""The client in script mode (stdin not a terminal) against the real daemon and against a
server that knows only types 1 and 2: exact output, strict turns, the end of a run."""

import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import Daemon, Peer, main  # noqa: E402
from clientrun import ScriptClient, run  # noqa: E402
from fdtest import FRONTDESK  # noqa: E402
import subprocess  # noqa: E402
from seed_server import SeedServer  # noqa: E402


def notices_of(err):
    return [line[2:] for line in err.splitlines() if line.startswith("* ")]


class AgainstDaemon(unittest.TestCase):
    def test_customer_and_agent_in_strict_turns(self):
        with Daemon() as d:
            agent = ScriptClient("--agent", "--name", "mary", "unix:" + d.agent_socket)
            # The agent waits for the customer; start it first so it is there to answer.
            agent_result = {}
            t = threading.Thread(target=lambda: agent_result.setdefault(
                "code", agent.finish("Hello bob, how can I help?\nYou are welcome.\n")))
            t.start()
            try:
                watcher = Peer.customer(d, "watcher")  # proves the agent is attached first
                watcher.notice(prefix="welcome")
                watcher.close()
                code, out, err = run("--name", "bob", "127.0.0.1:%d" % d.port,
                                     stdin_text="Hi, my order is late.\nThanks!\n")
                t.join(60)
            finally:
                agent.kill()
            self.assertEqual(code, 0, err)
            self.assertEqual(out, "Hello bob, how can I help?\nYou are welcome.\n")
            self.assertIn("You are now talking to mary", notices_of(err))
            self.assertEqual(agent_result.get("code"), 0, agent.err)
            self.assertEqual(agent.out, "Hi, my order is late.\nThanks!\n")
            self.assertIn("You are now talking to bob", notices_of(agent.err))
            self.assertIn("bob left the conversation", notices_of(agent.err))
            # The daemon never had to hold a message: neither side wrote out of turn.
            self.assertNotIn("not-your-turn", d.log())
            self.assertNotIn("Not your turn", err + agent.err)

    def test_customer_waits_for_each_reply(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            agent.notice(prefix="welcome")
            c = ScriptClient("--name", "bob", "127.0.0.1:%d" % d.port)
            c.feed("one\ntwo\nthree\n", close=True)
            self.assertEqual(agent.message(), "one")
            # Nothing more until we answer: the barrier returns everything sent before it.
            self.assertEqual([b for t, b in agent.sync() if t == 2], [])
            agent.say("reply 1")
            self.assertEqual(agent.message(), "two")
            self.assertEqual([b for t, b in agent.sync() if t == 2], [])
            agent.say("reply 2")
            self.assertEqual(agent.message(), "three")
            agent.say("reply 3")
            self.assertEqual(c.finish(), 0, c.err)
            self.assertEqual(c.out, "reply 1\nreply 2\nreply 3\n")
            agent.notice(body="customer-left bob")
            agent.close()

    def test_free_turns_send_everything_at_once(self):
        with Daemon("turns = free\n") as d:
            agent = Peer.agent(d, "mary")
            agent.notice(prefix="welcome")
            c = ScriptClient("--name", "bob", "127.0.0.1:%d" % d.port)
            c.feed("one\ntwo\nthree\n")
            self.assertEqual([agent.message() for _ in range(3)], ["one", "two", "three"])
            agent.say("all noted")
            self.assertEqual(c.finish(), 0, c.err)
            self.assertEqual(c.out, "all noted\n")
            agent.close()
            self.assertIn("Free turns: write whenever you like", notices_of(c.err))

    def test_queued_customer_is_told_its_place(self):
        with Daemon() as d:
            first = Peer.customer(d, "first")
            first.notice(prefix="welcome")
            c = ScriptClient("--name", "bob", "--timeout", "60", "127.0.0.1:%d" % d.port)
            c.feed("hello\n")
            d.wait_log("bob (127.0.0.1")  # in line before the agent comes
            d.wait_log("waits in line at position 1")
            agent = Peer.agent(d, "mary")
            agent.notice(body="queue 1")
            first.close()
            agent.notice(body="customer-left first")
            self.assertEqual(agent.message(), "hello")
            agent.say("hi bob")
            self.assertEqual(c.finish(), 0, c.err)
            self.assertEqual(c.out, "hi bob\n")
            agent.close()
            words = notices_of(c.err)
            self.assertIn("You are next in line", words)
            self.assertIn("The agent is offline; your messages will be delivered", words)
            self.assertIn("You are now talking to mary", words)

    def test_agent_ends_conversation(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            agent.notice(prefix="welcome")
            c = ScriptClient("--name", "bob", "127.0.0.1:%d" % d.port).feed("hello\nmore\n")
            self.assertEqual(agent.message(), "hello")
            agent.command("next")
            self.assertEqual(c.finish(), 0, c.err)
            agent.close()
            self.assertIn("The conversation is over: mary ended the conversation",
                          notices_of(c.err))

    def test_timeout_without_an_answer(self):
        with Daemon() as d:
            code, out, err = run("--name", "bob", "--timeout", "1", "127.0.0.1:%d" % d.port,
                                 stdin_text="anyone there?\n")
            self.assertEqual(code, 1)
            self.assertEqual(out, "")
            self.assertIn("frontdesk: no answer from 127.0.0.1:%d within 1 seconds\n" % d.port,
                          err)

    def test_stdin_from_a_file(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            agent.notice(prefix="welcome")
            path = os.path.join(d.dir, "lines.txt")
            with open(path, "w") as f:
                f.write("from a file\n")
            with open(path) as f:
                p = subprocess.Popen([FRONTDESK, "--name", "carol", "127.0.0.1:%d" % d.port],
                                     stdin=f, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                self.assertEqual(agent.message(), "from a file")
                agent.say("got it")
                out, err = p.communicate(timeout=60)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.communicate()
            self.assertEqual(p.returncode, 0, err)
            self.assertEqual(out, b"got it\n")
            agent.close()


class AgainstSeedServer(unittest.TestCase):
    """A server that knows only nickname and message frames still gets a proper chat."""

    def test_chat_in_strict_turns(self):
        with SeedServer(reply_delay=0.2) as s:
            code, out, err = run("--name", "bob", "127.0.0.1:%d" % s.port,
                                 stdin_text="one\ntwo\nthree\n")
            self.assertEqual(code, 0, err)
            self.assertEqual(out, "you said: one\nyou said: two\nyou said: three\n")
            self.assertEqual(s.nicknames, ["bob"])
            self.assertEqual(s.messages, [("bob", "one"), ("bob", "two"), ("bob", "three")])
            self.assertEqual(s.overlaps, 0, "a message was sent before the previous reply")
            # The command it does not know was sent, ignored, and never waited for.
            self.assertEqual(s.ignored, [(4, "hello notices"), (4, "caps ping ids resume files"),
                                         (4, "quit")])
            self.assertEqual(err, "")


class LineProtocol(unittest.TestCase):
    """--line: a room's newline listener; notices are lines starting with "* "."""

    def test_line_room(self):
        import socket
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        got = []

        def serve():
            conn, _ = srv.accept()
            with conn, conn.makefile("rwb") as f:
                for raw in f:
                    line = raw.decode().rstrip("\n")
                    got.append(line)
                    if line.startswith("/nick "):
                        f.write(b"* renamed 127.0.0.1:1 bob\n* joined bob\n")
                    elif line == "quit":
                        break
                    else:
                        f.write(("bob: %s\n" % line).encode())
                    f.flush()

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        code, out, err = run("--line", "--name", "bob", "127.0.0.1:%d" % srv.getsockname()[1],
                             stdin_text="hello room\n")
        t.join(30)
        srv.close()
        self.assertEqual(code, 0, err)
        self.assertEqual(got, ["/nick bob", "hello room", "quit"])
        self.assertEqual(out, "bob: hello room\n")
        self.assertEqual(notices_of(err), ["127.0.0.1:1 is now known as bob", "bob joined"])


class InGroupMode(unittest.TestCase):
    """The same client in the broadcast room, over frames and over the line listener."""

    def test_framed_and_line_clients_share_the_room(self):
        with Daemon("mode = group\n") as d:
            watcher = Peer.customer(d, "watcher")
            watcher.notice(prefix="welcome group watcher")
            code, out, err = run("--name", "zed", "127.0.0.1:%d" % d.port,
                                 stdin_text="hello room\n")
            self.assertEqual(code, 0, err)
            self.assertEqual(watcher.message(), "zed: hello room")
            self.assertIn("Welcome to the room, zed", notices_of(err))
            code, out, err = run("--line", "--name", "lin", "127.0.0.1:%d" % d.line_port,
                                 stdin_text="hello from a line client\n")
            self.assertEqual(code, 0, err)
            self.assertEqual(watcher.message(), "lin: hello from a line client")


if __name__ == "__main__":
    main()
