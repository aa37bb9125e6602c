# SPDX-License-Identifier: ISC
"""The desk's promises under the edge cases a review found (issue 11): the idle timeout runs
only while an agent is there to answer; messages handed to an agent that is dropped mid
hand-over are kept for the next one; the `queue` answer is bounded however long the line."""

import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import DEADLINE, MESSAGE, Daemon, Peer, frame, main, messages, notices  # noqa: E402


def served(d, nick):
    c = Peer.customer(d, nick)
    c.notice(prefix="welcome single-agent " + nick)
    return c


class IdleTimeout(unittest.TestCase):
    def test_no_agent_no_timeout(self):
        """Overnight, with nobody at the desk, the served customer keeps its place."""
        with Daemon("customer_idle_timeout = 1\n") as d:
            cust = served(d, "night")
            cust.notice(body="agent-offline")
            behind = Peer.customer(d, "behind")
            behind.notice(body="queued 1")
            # Over two timeouts long with no agent: proving something did NOT happen needs a
            # wait; the barrier after it shows nothing was sent meanwhile.
            time.sleep(2.5)
            self.assertNotIn("error timeout -- idle for too long", notices(cust.sync()))
            self.assertNotIn("timeout", d.log())
            # Once an agent is there, silence counts again: the full timeout from its arrival.
            agent = Peer.agent(d, "mary")
            agent.notice(body="customer night")
            self.assertIn("error timeout -- idle for too long", notices(cust.expect_closed()))
            behind.notice(body="serving mary")

    def test_agent_leaving_stops_the_clock(self):
        with Daemon("customer_idle_timeout = 1\n") as d:
            agent = Peer.agent(d, "mary")
            cust = served(d, "bob")
            agent.notice(body="customer bob")
            agent.close()
            cust.notice(body="agent-offline")
            time.sleep(2.5)
            self.assertNotIn("error timeout -- idle for too long", notices(cust.sync()))


class HandOver(unittest.TestCase):
    def test_hand_over_is_paced_by_the_agent(self):
        """The served customer leaves with 40 KB held (strict turns), 2.5 times the agent's
        output bound: the messages go as the agent reads, so it is not dropped as a slow
        consumer and gets every one, in order, then customer-left."""
        with Daemon("max_output_bytes = 16K\nmax_held_bytes = 64K\n") as d:
            agent = Peer.agent(d, "mary")
            cust = served(d, "bob")
            agent.notice(body="customer bob")
            texts = ["%03d " % i + "q" * 996 for i in range(40)]
            cust.sock.sendall(b"".join(frame(MESSAGE, t) for t in texts))
            cust.sync()  # all 40 are taken in: one relayed, the rest held by strict turns
            cust.close()
            got = messages(agent.notice(body="customer-left bob"))
            self.assertEqual(got, texts)
            agent.sync()


class FreeTurnsBackPressure(unittest.TestCase):
    def test_fast_customer_is_slowed_not_the_agent_dropped(self):
        """Free turns, an agent that does not read for a while, a customer that sends 2 MB:
        relays stop while the agent has half of soft_output_bytes unread, the customer's
        messages are held and then its reading paused; the agent is never dropped, and once
        it reads it gets every message, in order."""
        with Daemon("turns = free\nmax_output_bytes = 64K\n") as d:
            agent = Peer.agent(d, "mary")
            cust = served(d, "bob")
            agent.notice(body="customer bob")
            texts = ["%04d " % i + "f" * 995 for i in range(2000)]
            sender = threading.Thread(target=cust.sock.sendall, daemon=True,
                                      args=(b"".join(frame(MESSAGE, t) for t in texts),))
            sender.start()
            d.wait_log("reading paused")  # the customer, held past max_held_bytes
            got = [agent.message() for _ in texts]
            self.assertEqual(got, texts)
            sender.join(DEADLINE)
            self.assertNotIn("slow-consumer", d.log())


class QueueAnswer(unittest.TestCase):
    def test_queue_answer_is_bounded(self):
        """A line of 120 with the smallest output bound: the agent asking who waits is not
        dropped; it gets the first 50 and how many more there are."""
        n = 120
        with Daemon("max_output_bytes = 16K\nmax_queue = 1000\n") as d:
            agent = Peer.agent(d, "mary")
            first = served(d, "first")
            agent.notice(body="customer first")
            # 32-character names of 61 bytes: long names make the answer longest.
            waiting = [Peer.customer(d, "%s%03d" % ("\u00e9" * 29, i)) for i in range(n)]
            waiting[-1].notice(body="queued %d" % n)
            agent.sync()  # the "queue N" notices of 120 arrivals are behind us
            agent.command("queue")
            lines = notices(agent.notice(body="waiting-more %d" % (n - 50)))
            self.assertEqual(len(lines), 50, lines[-3:])
            self.assertTrue(lines[0].startswith("waiting 1 " + "\u00e9" * 29 + "000 "))
            self.assertTrue(lines[49].startswith("waiting 50 " + "\u00e9" * 29 + "049 "))
            agent.notice(body="queue %d" % n)
            agent.sync()
            for p in waiting:
                p.close()


if __name__ == "__main__":
    main()
