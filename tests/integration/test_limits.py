# SPDX-License-Identifier: ISC
"""Resource limits against slow and greedy peers, in single-agent mode (group mode's are in
test_group.py and test_group_limits.py): a peer that trickles one byte a second is cut at its
deadline however long it keeps trickling, a customer that never reads cannot make the daemon's
memory grow, and customers filling max_clients cannot lock the agent out."""

import os
import re
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (CHALLENGE, COMMAND, DEADLINE, MESSAGE, NICKNAME, Daemon, Peer,  # noqa: E402
                    frame, main, notices)
from grouptest import under_memory_tool  # noqa: E402
from test_auth import keyed_daemon, write_key  # noqa: E402


class Trickle(threading.Thread):
    """Sends @data one byte every @interval seconds until it is all sent or the socket fails."""

    def __init__(self, sock, data, interval=1.0):
        super().__init__(daemon=True)
        self.sock, self.data, self.interval = sock, data, interval
        self.sent = 0
        self.stop = threading.Event()
        self.start()

    def run(self):
        for i in range(len(self.data)):
            try:
                self.sock.sendall(self.data[i:i + 1])
            except OSError:
                return
            self.sent = i + 1
            if self.stop.wait(self.interval):
                return


class Slowloris(unittest.TestCase):
    def test_trickled_nickname_is_cut_at_the_handshake_deadline(self):
        # The deadline counts from accept; bytes arriving do not extend it.
        data = frame(NICKNAME, "slowpoke-with-a-long-name") + frame(COMMAND, "hello notices")
        with Daemon("handshake_timeout = 2\n") as d:
            p = Peer(socket.create_connection(("127.0.0.1", d.port), timeout=DEADLINE), "slow")
            t = Trickle(p.sock, data)
            start = time.monotonic()
            self.assertEqual(p.expect_closed(), [])
            t.stop.set()
            self.assertLess(t.sent, len(data), "the whole nickname got through")
            self.assertIn("no nickname within 2 seconds", d.log())
            self.assertLess(time.monotonic() - start, DEADLINE)
            p.close()

    def test_trickled_challenge_answer_is_cut_at_the_handshake_deadline(self):
        with keyed_daemon() as d:  # handshake_timeout = 2
            p = Peer(socket.create_connection(("127.0.0.1", d.port), timeout=DEADLINE), "slow")
            self.assertEqual(p.recv()[0], CHALLENGE)
            t = Trickle(p.sock, frame(8, "0" * 64))
            self.assertEqual(notices(p.expect_closed()),
                             ["error auth-failed -- no answer to the challenge in time"])
            t.stop.set()
            p.close()

    def test_trickling_active_customer_is_cut_at_the_idle_deadline(self):
        # A message that never completes is not activity: the idle deadline still applies.
        with Daemon("customer_idle_timeout = 2\n") as d:
            agent = Peer.agent(d, "mary")
            slow = Peer.customer(d, "slow")
            slow.notice(body="serving mary")
            agent.notice(body="customer slow")
            t = Trickle(slow.sock, frame(MESSAGE, "x" * 100))
            self.assertIn("error timeout -- idle for too long", notices(slow.expect_closed()))
            t.stop.set()
            agent.notice(body="customer-left slow")
            self.assertEqual([m for m in agent.sync() if m[0] == MESSAGE], [])
            slow.close()
            agent.close()


class Greedy(unittest.TestCase):
    def test_customer_that_never_reads_is_dropped(self):
        cfg = "turns = free\nmax_output_bytes = 64K\n"
        with Daemon(cfg) as d:
            agent = Peer.agent(d, "mary")
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window
            s.connect(("127.0.0.1", d.port))
            sleepy = Peer(s, "sleepy")
            sleepy.join("sleepy")
            agent.notice(body="customer sleepy")
            rss_before = d.rss_kib()
            text = "y" * 1000
            batch = b"".join(frame(MESSAGE, text) for _ in range(100))
            sent, seen = 0, []
            deadline = time.monotonic() + DEADLINE
            # Far more than the kernel's buffers and the bound together, until the drop.
            while "customer-left sleepy" not in notices(seen):
                self.assertLess(time.monotonic(), deadline, "the sleeper was never dropped")
                agent.sock.sendall(batch)
                sent += 100
                seen += agent.sync("batch %d" % sent)  # the agent is not held back meanwhile
            self.assertIn("error slow-consumer -- more than 65536 bytes unread",
                          notices(sleepy.expect_closed()))
            if not under_memory_tool(d):  # its shadow memory and quarantine dominate RSS
                self.assertLess(d.rss_kib() - rss_before, 16 * 1024)
            self.assertTrue(d.alive())
            sleepy.close()
            agent.close()


class Capacity(unittest.TestCase):
    def test_full_desk_still_lets_the_agent_in(self):
        with Daemon("max_clients = 2\n") as d:
            a = Peer.customer(d, "a")
            a.notice(body="agent-offline")
            b = Peer.customer(d, "b")
            b.notice(body="queued 1")
            late = Peer.customer(d, "late")
            self.assertEqual(notices(late.expect_closed()),
                             ["error server-full -- the server is full; try again later"])
            agent = Peer.agent(d, "mary")
            agent.notice(body="welcome single-agent mary")
            a.notice(body="agent-online mary")
            # The agent does not take a customer's place either.
            agent.close()
            a.notice(body="agent-offline")
            c = Peer.customer(d, "c")
            self.assertEqual(notices(c.expect_closed()),
                             ["error server-full -- the server is full; try again later"])
            for p in (a, b, late, c):
                p.close()

    def test_agent_listen_keeps_few_unanswered_connections(self):
        d = Daemon("max_clients = 100\nhandshake_timeout = 30\n")
        with open(d.config_path, "a") as f:
            f.write("agent_listen = 127.0.0.1:0\nagent_key_file = %s\n" %
                    write_key(d, "agent.key", b"the agents' key, not the customers'"))
        with d:
            port = int(re.search(r"listening on \S+:(\d+) \(framed protocol, agents",
                                 d.log()).group(1))
            waiting = []
            for _ in range(8):  # challenged, never answering
                p = Peer(socket.create_connection(("127.0.0.1", port), timeout=DEADLINE), "x")
                self.assertEqual(p.recv()[0], CHALLENGE)
                waiting.append(p)
            extra = Peer(socket.create_connection(("127.0.0.1", port), timeout=DEADLINE), "x")
            self.assertEqual(extra.expect_closed(), [])  # closed at accept, unanswered
            self.assertIn("refused: too many agent connections", d.log())
            # Neither the local agent nor customers are affected.
            agent = Peer.agent(d, "mary")
            agent.notice(body="welcome single-agent mary")
            bob = Peer.customer(d, "bob")
            bob.notice(body="serving mary")
            for p in waiting + [extra, agent, bob]:
                p.close()


if __name__ == "__main__":
    main()
