# SPDX-License-Identifier: ISC
"""sd_notify(3) as systemd would see it, on a NOTIFY_SOCKET the test creates: READY=1 with a
status, STATUS= lines that follow the desk (or the room's membership in group mode),
RELOADING=1/READY=1 around SIGHUP, STOPPING=1 on SIGTERM, and WATCHDOG=1 pings from the event
loop at half of WATCHDOG_USEC."""

import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import Daemon, Peer, main  # noqa: E402
from grouptest import GROUP, LinePeer, member  # noqa: E402
from servicetest import NotifySocket  # noqa: E402


class Notify(unittest.TestCase):
    def setUp(self):
        self.d = Daemon("turns = free\n")
        self.notify = NotifySocket(self.d.dir)

    def tearDown(self):
        self.d.__exit__(None, None, None)
        self.notify.close()

    def test_ready_status_reload_stopping(self):
        self.d.env = self.notify.env(WATCHDOG_USEC="30000000")
        self.d.start()
        msg, before = self.notify.wait_for("READY", "1")
        self.assertEqual(before, [], "nothing before READY=1")
        self.assertEqual(msg["STATUS"], "no customer, 0 waiting, no agent")

        agent = Peer.agent(self.d, "mary")
        agent.notice(prefix="welcome")
        self.notify.wait_for("STATUS", "no customer, 0 waiting")
        bob = Peer.customer(self.d, "bob")
        bob.notice(body="serving mary")
        self.notify.wait_for("STATUS", "serving bob, 0 waiting")
        carol = Peer.customer(self.d, "carol")
        carol.notice(body="queued 1")
        dave = Peer.customer(self.d, "dave")
        dave.notice(body="queued 2")
        self.notify.wait_for("STATUS", "serving bob, 2 waiting")
        bob.close()
        carol.notice(body="serving mary")
        self.notify.wait_for("STATUS", "serving carol, 1 waiting")

        self.d.proc.send_signal(signal.SIGHUP)
        msg, _ = self.notify.wait_for("RELOADING", "1")
        # Type=notify-reload (systemd 253+) wants CLOCK_MONOTONIC in microseconds.
        self.assertAlmostEqual(int(msg["MONOTONIC_USEC"]) / 1e6, time.monotonic(), delta=60)
        msg, before = self.notify.wait_for("READY", "1")
        self.assertEqual(msg["STATUS"], "serving carol, 1 waiting")
        self.assertEqual(before, [], "READY=1 right after RELOADING=1")

        self.d.proc.send_signal(signal.SIGTERM)
        msg, _ = self.notify.wait_for("STOPPING", "1")
        self.assertTrue(msg["STATUS"].startswith("shutting down"), msg)
        for p in (agent, carol, dave):
            p.close()
        self.assertEqual(self.d.proc.wait(20), 0)
        # The 30 s watchdog never fired in this short run: no ping yet is right.
        self.assertNotIn({"WATCHDOG": "1"}, self.notify.received)

    def test_watchdog_pings_at_half_the_interval(self):
        self.d.env = self.notify.env(WATCHDOG_USEC="400000")
        self.d.start()
        self.notify.wait_for("READY", "1")
        start = time.monotonic()
        for _ in range(4):
            self.notify.wait_for("WATCHDOG", "1")
        elapsed = time.monotonic() - start
        # Four pings at 0.2 s take about 0.8 s; far less would mean a busy loop.
        self.assertGreater(elapsed, 0.5)
        self.assertIn("watchdog: pinging systemd every 200 ms", self.d.log())

    def test_watchdog_for_another_pid_is_ignored(self):
        # WATCHDOG_PID names the process the watchdog is meant for (sd_watchdog_enabled(3)).
        self.d.env = self.notify.env(WATCHDOG_USEC="200000", WATCHDOG_PID="1")
        self.d.start()
        self.notify.wait_for("READY", "1")
        bob = Peer.customer(self.d, "bob")
        bob.sync()  # a round trip through the loop
        time.sleep(0.5)  # proving an absence: two intervals with no ping
        bob.close()
        self.d.proc.send_signal(signal.SIGTERM)
        self.notify.wait_for("STOPPING", "1")
        self.assertEqual(self.d.proc.wait(20), 0)
        self.assertNotIn({"WATCHDOG": "1"}, self.notify.received)

    def test_without_notify_socket_nothing_breaks(self):
        self.d.start()
        c = Peer.customer(self.d, "bob")
        c.notice(prefix="welcome")
        self.d.proc.send_signal(signal.SIGHUP)
        c.sync()
        c.close()
        self.assertEqual(self.d.stop(), 0)
        self.assertNotIn("cannot notify", self.d.log())


class GroupNotify(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(GROUP)
        self.notify = NotifySocket(self.d.dir)

    def tearDown(self):
        self.d.__exit__(None, None, None)
        self.notify.close()

    def test_group_status_counts_members(self):
        self.d.env = self.notify.env()
        self.d.start()
        msg, _ = self.notify.wait_for("READY", "1")
        self.assertEqual(msg["STATUS"], "no members")
        alice = member(self.d, "alice")
        self.notify.wait_for("STATUS", "1 member")
        bob = member(self.d, "bob")
        self.notify.wait_for("STATUS", "2 members")
        line = LinePeer(self.d)
        line.wait_for(prefix="* welcome group ")
        self.notify.wait_for("STATUS", "3 members (1 on the line protocol)")
        line.close()
        alice.close()
        self.notify.wait_for("STATUS", "1 member")
        bob.close()
        self.notify.wait_for("STATUS", "no members")
        self.d.proc.send_signal(signal.SIGTERM)
        msg, _ = self.notify.wait_for("STOPPING", "1")
        self.assertEqual(self.d.proc.wait(20), 0)


if __name__ == "__main__":
    main()
