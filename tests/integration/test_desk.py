# SPDX-License-Identifier: ISC
"""Single-agent mode end to end: the line, held messages, turns, the absent agent, commands,
limits, the original-protocol customer, and the console agent in a real terminal (tmux)."""

import fcntl
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import termios
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (DEADLINE, daemon_argv, MESSAGE, NOTICE, Closed, Daemon, Peer,  # noqa: E402
                    RssPeak, frame, messages, notices, NICKNAME, COMMAND)
from grouptest import under_memory_tool  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def served(d, nick, **kw):
    """A customer who is served at once (nobody ahead)."""
    c = Peer.customer(d, nick, **kw)
    c.notice(prefix="welcome single-agent " + nick)
    return c


class Line(unittest.TestCase):
    def test_queue_order_and_held_messages(self):
        with Daemon("turns = free\n") as d:
            agent = Peer.agent(d, "mary")
            agent.notice(body="queue 0")
            a = served(d, "alice")
            a.notice(body="serving mary")
            agent.notice(body="customer alice")
            b = Peer.customer(d, "bob")
            b.notice(body="queued 1")
            c = Peer.customer(d, "carol")
            c.notice(body="queued 2")
            agent.notice(body="queue 2")

            for i in range(3):
                b.say("bob while waiting %d" % i)
            b.sync()
            # Held, not relayed: the agent has seen nothing from bob.
            self.assertEqual(messages(agent.sync()), [])

            a.close()
            before = agent.notice(body="customer bob")
            self.assertIn((NOTICE, "customer-left alice"), before)
            self.assertEqual([agent.message() for _ in range(3)],
                             ["bob while waiting %d" % i for i in range(3)])
            b.notice(body="serving mary")
            c.notice(body="queued 1")

            agent.command("next")
            self.assertIn((NOTICE, "bye -- mary ended the conversation"), b.expect_closed())
            agent.notice(body="customer-left bob")
            agent.notice(body="customer carol")
            c.notice(body="serving mary")
            self.assertEqual([n for n in notices(c.frames) if n.startswith(("queued", "serving"))],
                             ["queued 2", "queued 1", "serving mary"])

    def test_strict_turns_hold_the_second_message(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            cust = served(d, "bob")
            cust.notice(body="turn")
            cust.say("first")
            cust.say("second")
            # The second message is held, and bob is told so.
            cust.notice(prefix="error not-your-turn -- held until mary replies")
            self.assertEqual(agent.message(), "first")
            self.assertEqual(messages(agent.sync("a1")), [])
            self.assertIn("turn", notices(agent.frames))  # the agent was told it is its turn
            agent.say("reply to first")
            self.assertEqual(cust.message(), "reply to first")
            # The reply released bob's held message.
            self.assertEqual(agent.message(), "second")
            agent.say("reply to second")
            self.assertEqual(cust.message(), "reply to second")

    def test_strict_turns_agent_waits_for_customer(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            cust = served(d, "bob")
            agent.notice(body="customer bob")
            agent.say("hello, how can I help?")  # out of turn: the customer speaks first
            agent.notice(prefix="error not-your-turn")
            self.assertEqual(messages(cust.sync()), [])
            cust.say("my order is late")
            self.assertEqual(agent.message(), "my order is late")
            self.assertEqual(cust.message(), "hello, how can I help?")

    def test_free_turns_relay_everything_at_once(self):
        with Daemon("turns = free\n") as d:
            agent = Peer.agent(d, "mary")
            cust = served(d, "bob")
            agent.notice(body="customer bob")
            cust.say("one")
            cust.say("two")
            self.assertEqual([agent.message(), agent.message()], ["one", "two"])
            agent.say("a")
            agent.say("b")
            self.assertEqual([cust.message(), cust.message()], ["a", "b"])
            self.assertNotIn("turn", notices(cust.frames) + notices(agent.frames))

    def test_queued_customer_leaves_and_the_line_closes_up(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            alice = served(d, "alice")
            alice.notice(body="serving mary")
            waiting = {}
            for i, nick in enumerate(["bob", "carol", "dave"], 1):
                waiting[nick] = Peer.customer(d, nick)
                waiting[nick].notice(body="queued %d" % i)
            waiting["carol"].close()
            waiting["dave"].notice(body="queued 2")
            agent.sync()  # past every "queue N" sent so far
            agent.command("queue")
            listing = agent.notice(body="queue 2")
            self.assertEqual([re.sub(r" \d+$", "", n) for n in notices(listing)],
                             ["waiting 1 bob", "waiting 2 dave"])
            # bob, ahead of carol, was not told anything new.
            self.assertEqual([n for n in notices(waiting["bob"].sync()) if n.startswith("queued")], [])

    def test_two_hundred_customers(self):
        with Daemon("turns = free\nmax_clients = 400\n") as d:
            agent = Peer.agent(d, "mary")
            agent.notice(body="queue 0")
            peers = [Peer.customer(d, "c%03d" % i) for i in range(200)]
            position = {}
            for p in peers:
                t, body = p.recv()
                while not (body.startswith("queued ") or body.startswith("serving ")):
                    t, body = p.recv()
                position[p.name] = 0 if body.startswith("serving") else int(body.split()[1])
            self.assertEqual(sorted(position.values()), list(range(200)),
                             "one served, the rest at positions 1..199 without gaps or repeats")
            order = sorted(position, key=position.get)
            by_name = {p.name: p for p in peers}
            current = order[0]
            for expected in order[1:]:
                agent.command("next")
                agent.notice(body="customer-left " + current)
                agent.notice(body="customer " + expected)
                by_name[expected].notice(body="serving mary")
                current = expected
            # Every customer saw its position count down by one at a time, then served.
            for name in order[1:]:
                seen = [int(n.split()[1]) for n in notices(by_name[name].frames)
                        if n.startswith("queued ")]
                self.assertEqual(seen, list(range(position[name], 0, -1)), name)
            for p in peers:
                p.close()

    def test_pipelined_next(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            keep = [served(d, "a1")]  # hold references: a dropped socket is a customer leaving
            for i, nick in enumerate(["a2", "a3", "a4"], 1):
                keep.append(Peer.customer(d, nick))
                keep[-1].notice(body="queued %d" % i)
            agent.sock.sendall(frame(COMMAND, "next") * 3)
            agent.notice(body="customer a4")
            self.assertEqual([n for n in notices(agent.frames) if n.startswith("customer ")],
                             ["customer a1", "customer a2", "customer a3", "customer a4"])


class Agent(unittest.TestCase):
    def test_messages_wait_for_an_absent_agent(self):
        with Daemon() as d:
            cust = served(d, "bob")
            cust.notice(body="agent-offline")
            cust.say("is anyone there?")
            cust.sync()
            agent = Peer.agent(d, "mary")
            self.assertEqual(agent.message(), "is anyone there?")
            self.assertIn("customer bob", notices(agent.frames))
            cust.notice(body="agent-online mary")
            cust.notice(body="serving mary")
            agent.say("yes, hello")
            self.assertEqual(cust.message(), "yes, hello")

    def test_agent_drops_mid_chat_and_comes_back(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            cust = served(d, "bob")
            cust.say("question one")
            self.assertEqual(agent.message(), "question one")
            agent.close()  # gone before answering
            cust.notice(body="agent-offline")
            agent = Peer.agent(d, "mary")
            # The unanswered question is delivered to the returning agent.
            self.assertEqual(agent.message(), "question one")
            cust.notice(body="agent-online mary")
            agent.say("answer one")
            self.assertEqual(cust.message(), "answer one")

    def test_customer_who_left_while_no_agent_is_not_lost(self):
        with Daemon() as d:
            bob = served(d, "bob")
            bob.notice(body="agent-offline")
            bob.say("my card was charged twice")
            bob.sync()
            bob.close()  # gives up before any agent attaches
            carol = Peer.customer(d, "carol")
            carol.notice(body="agent-offline")
            agent = Peer.agent(d, "mary")
            agent.notice(body="customer carol")
            # bob's conversation, replayed as if the agent had been there, then carol again.
            frames = [f for f in agent.notice(body="customer carol")
                      if not f[1].startswith(("queue ", "turn"))]
            self.assertEqual(frames, [(3, "customer bob"), (2, "my card was charged twice"),
                                      (3, "customer-left bob")])
            self.assertIn("1 message(s) from bob kept for the next agent", d.log())

    def test_free_turns_messages_held_while_agent_away(self):
        with Daemon("turns = free\n") as d:
            agent = Peer.agent(d, "mary")
            cust = served(d, "bob")
            agent.notice(body="customer bob")
            agent.close()
            cust.notice(body="agent-offline")
            for i in range(5):
                cust.say("while away %d" % i)
            cust.sync()
            agent = Peer.agent(d, "mary")
            self.assertEqual([agent.message() for _ in range(5)],
                             ["while away %d" % i for i in range(5)])

    def test_agent_socket_is_group_only(self):
        with Daemon() as d:
            self.assertEqual(os.stat(d.agent_socket).st_mode & 0o777, 0o660)

    def test_second_agent_is_refused(self):
        with Daemon() as d:
            first = Peer.agent(d, "mary")
            first.notice(prefix="welcome")
            second = Peer.agent(d, "john")
            frames = second.expect_closed()
            self.assertIn("error agent-busy -- mary is already the agent; one agent at a time",
                          notices(frames))
            first.sync()  # the first agent is untouched

    def test_agent_message_without_customer(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            agent.say("hello?")
            agent.notice(prefix="error no-customer")
            agent.sync()

    def test_kick(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            alice = served(d, "alice")
            bob = Peer.customer(d, "bob")
            bob.notice(body="queued 1")
            agent.command("kick alice")
            self.assertIn("error kicked -- mary ended your connection",
                          notices(alice.expect_closed()))
            bob.notice(body="serving mary")
            agent.notice(body="customer bob")
            agent.command("kick nobody")
            agent.notice(prefix="error no-customer -- no customer is called nobody")

    def test_customers_cannot_use_agent_commands(self):
        with Daemon() as d:
            cust = served(d, "bob")
            for cmd in ("next", "queue", "kick bob"):
                cust.command(cmd)
                cust.notice(prefix="error unknown-command")


class Limits(unittest.TestCase):
    def test_queue_full(self):
        with Daemon("max_queue = 2\n") as d:
            keep = [served(d, "a"), Peer.customer(d, "b"), Peer.customer(d, "c")]
            keep[1].notice(body="queued 1")
            keep[2].notice(body="queued 2")
            late = Peer.customer(d, "d")
            self.assertIn("error queue-full -- 2 customers are already waiting; try again later",
                          notices(late.expect_closed()))

    def test_idle_timeout_serves_the_next(self):
        with Daemon("customer_idle_timeout = 1\n") as d:
            agent = Peer.agent(d, "mary")
            idle = served(d, "idle")
            nxt = Peer.customer(d, "next")
            nxt.notice(body="queued 1")
            self.assertIn("error timeout -- idle for too long", notices(idle.expect_closed()))
            nxt.notice(body="serving mary")
            agent.notice(body="customer next")

    def test_held_bytes_pause_reading_then_all_is_delivered(self):
        with Daemon("turns = free\nmax_held_bytes = 4K\n") as d:
            agent = Peer.agent(d, "mary")
            first = served(d, "first")
            agent.notice(body="customer first")
            bob = Peer.customer(d, "bob")
            bob.notice(body="queued 1")
            texts = ["%04d " % i + "x" * 495 for i in range(200)]  # 100 KB, far past 4K
            bob.sock.sendall(b"".join(frame(MESSAGE, t) for t in texts))
            d.wait_log("reading paused")
            first.close()
            agent.notice(body="customer bob")
            got = [agent.message() for _ in texts]
            self.assertEqual(got, texts)

    def test_paused_customer_resetting_leaves_the_line(self):
        """A queued customer past max_held_bytes (reading paused) resets: the one behind it
        must move up, though no EOF reaches a paused bufferevent. (An abortive close: epoll
        reports EPOLLHUP|EPOLLERR, which an EV_CLOSED-only watch never consumes; the loop spun
        and the ghost kept its place in line.)"""
        with Daemon("max_held_bytes = 1K\n") as d:
            first = served(d, "first")
            paused = Peer.customer(d, "paused")
            paused.notice(body="queued 1")
            behind = Peer.customer(d, "behind")
            behind.notice(body="queued 2")
            paused.sock.sendall(b"".join(frame(MESSAGE, "y" * 300) for _ in range(50)))
            d.wait_log("reading paused")
            paused.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            paused.sock.close()
            behind.notice(body="queued 1")
            first.sync()

    def finished_while_queued(self, finish, opt_in):
        """A queued customer writes 144 KB, past max_held_bytes (64K), then @finish(sock).
        Its reading is paused and the rest waits in the daemon's kernel buffer: the daemon
        must not read it all when the peer's FIN comes (that bypassed max_held_bytes: all of it
        up to the EOF was taken in, as much as the kernel had buffered, megabytes with a grown
        receive buffer). The customer keeps its place (a half-close only ends its sending, and
        a close looks the same until the daemon writes to it); served, everything reaches the
        agent, in order, then customer-left."""
        with Daemon("turns = free\n") as d:
            agent = Peer.agent(d, "mary")
            first = served(d, "first")
            agent.notice(body="customer first")
            bob = Peer.customer(d, "bob", notices=opt_in)
            d.wait_log("bob (127.0.0.1:")
            d.wait_log(") waits in line at position 1")
            texts = ["%03d " % i + "b" * 8996 for i in range(16)]
            rss = RssPeak(d)
            bob.sock.sendall(b"".join(frame(MESSAGE, t) for t in texts))
            d.wait_log("reading paused")
            # Only once every byte is in the daemon's kernel buffer can the FIN follow them.
            deadline = time.monotonic() + DEADLINE
            while struct.unpack("i", fcntl.ioctl(bob.sock, termios.TIOCOUTQ, b"\0" * 4))[0]:
                self.assertLess(time.monotonic(), deadline, "the daemon's window stayed full")
                time.sleep(0.02)
            finish(bob.sock)
            # The hang-up check sees the FIN (it used to read everything and close).
            deadline = time.monotonic() + DEADLINE
            while not re.search(r"\(bob\): (finished sending while paused|closed)", d.log()):
                self.assertLess(time.monotonic(), deadline, "the FIN was never seen")
                time.sleep(0.02)
            agent.sync("before")  # past the "queue 1" of bob's arrival
            agent.command("queue")
            waiting = notices(agent.wait_for(NOTICE, prefix="queue "))
            growth = rss.stop()
            self.assertEqual([w.split()[:3] for w in waiting], [["waiting", "1", "bob"]])
            # At most one partial frame and one read (4 KiB) of input, 64K and a frame held.
            m = re.search(r"\(bob\): finished sending while paused; (\d+) bytes read, (\d+) held",
                          d.log())
            self.assertLess(int(m.group(1)), 9999 + 4096)
            self.assertLessEqual(int(m.group(2)), 65536 + 9007)
            if not under_memory_tool(d):
                self.assertLess(growth, 400, "RSS grew by %d KiB" % growth)
            first.close()
            agent.notice(body="customer bob")
            got = messages(agent.wait_for(NOTICE, body="customer-left bob"))
            self.assertEqual(got, texts)
            agent.close()

    def test_half_closed_queued_customer_keeps_its_place_within_bounds(self):
        self.finished_while_queued(lambda sock: sock.shutdown(socket.SHUT_WR), opt_in=True)

    def test_closed_queued_customer_keeps_its_place_within_bounds(self):
        # Without notices: nothing is written to it, so nothing can find out it is gone.
        self.finished_while_queued(lambda sock: sock.close(), opt_in=False)


class SeedClient(unittest.TestCase):
    """The original customer client: types 1 and 2 only, one blocking recv per reply."""

    def run_seed(self, d, nick, lines):
        return subprocess.Popen([sys.executable, os.path.join(HERE, "seed_customer.py"),
                                 str(d.port), nick] + lines,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def answer(self, agent, n):
        for i in range(n):
            q = agent.message()
            agent.say("answer to " + q)

    def test_as_the_active_customer(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            seed = self.run_seed(d, "oldtimer", ["hello", "second question", "bye"])
            self.answer(agent, 3)
            out, err = seed.communicate(timeout=DEADLINE)
            self.assertEqual(seed.returncode, 0, out + err)
            self.assertEqual(out, "CONNECTED\nREPLY answer to hello\n"
                                  "REPLY answer to second question\nREPLY answer to bye\n")

    def test_while_queued(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            first = served(d, "first")
            agent.notice(body="customer first")
            seed = self.run_seed(d, "oldtimer", ["waiting patiently", "thanks"])
            self.assertEqual(seed.stdout.readline(), "CONNECTED\n")
            agent.notice(body="queue 1")
            agent.command("queue")
            agent.notice(prefix="waiting 1 oldtimer")
            # Activity all around the waiting seed client; it must receive nothing.
            first.say("hi")
            agent.message()
            agent.say("hello first")
            first.message()
            first.close()
            agent.notice(body="customer oldtimer")
            self.answer(agent, 2)
            out, err = seed.communicate(timeout=DEADLINE)
            self.assertEqual(seed.returncode, 0, out + err)
            self.assertEqual(out, "REPLY answer to waiting patiently\nREPLY answer to thanks\n")


@unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
class Console(unittest.TestCase):
    """`frontdeskd --console` in a real terminal: a person types the agent's replies."""

    def setUp(self):
        self.d = Daemon()
        self.sock = "fdtest-%d" % os.getpid()
        self.tmux = ["tmux", "-L", self.sock, "-f", "/dev/null"]

    def tearDown(self):
        subprocess.run(self.tmux + ["kill-server"], capture_output=True)
        shutil.rmtree(self.d.dir, ignore_errors=True)

    def screen(self):
        return subprocess.run(self.tmux + ["capture-pane", "-p", "-J"], capture_output=True,
                              text=True).stdout

    def wait_screen(self, text):
        deadline = time.monotonic() + DEADLINE
        while text not in self.screen():
            if time.monotonic() > deadline:
                self.fail("%r never appeared on the console; screen:\n%s" % (text, self.screen()))
            time.sleep(0.05)

    def test_typed_reply_reaches_the_customer(self):
        cmd = "%s --console -v -c %s 2>%s" % (" ".join(daemon_argv(self.d.dir)),
                                              self.d.config_path, self.d.log_path)
        subprocess.run(self.tmux + ["new-session", "-d", "-x", "120", "-y", "30", cmd], check=True)
        self.wait_screen("You are the agent")
        deadline = time.monotonic() + DEADLINE
        while not re.search(r"listening on \S+:(\d+) \(framed", self.d.log()):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        self.d.port = int(re.search(r"listening on \S+:(\d+) \(framed", self.d.log()).group(1))
        cust = served(self.d, "bob")
        cust.notice(body="serving %s" % (os.environ.get("USER") or "agent"))
        self.wait_screen("You are now talking to bob")
        cust.say("where is my parcel?")
        self.wait_screen("bob: where is my parcel?")
        subprocess.run(self.tmux + ["send-keys", "-l", "It left the depot this morning."])
        subprocess.run(self.tmux + ["send-keys", "Enter"])
        self.assertEqual(cust.message(), "It left the depot this morning.")
        subprocess.run(self.tmux + ["send-keys", "C-d"])
        self.assertIn("error shutting-down -- the server is shutting down",
                      notices(cust.expect_closed()))
        # The session ends when the daemon exits; under valgrind its report must be empty.
        deadline = time.monotonic() + DEADLINE
        while subprocess.run(self.tmux + ["has-session"], capture_output=True).returncode == 0:
            self.assertLess(time.monotonic(), deadline, "the daemon did not exit on Ctrl-D")
            time.sleep(0.05)
        self.assertEqual(self.d.memcheck_report(), "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
