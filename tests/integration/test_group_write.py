# SPDX-License-Identifier: ISC
"""The room's output written once per loop turn (conn-write.c): under megabytes of traffic the
readers get everything in order, a member that never reads is dropped as a slow consumer at
max_output_bytes, and one that stops reading for a while (the kernel's buffers full, so the
daemon waits for its socket to be writable again) gets everything once it reads again. A member
that quits while its output waits for the store (its gate, deliver.h) gets that output before
its connection is closed."""

import os
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import COMMAND, MESSAGE, NOTICE, VALGRIND, frame, main  # noqa: E402
from grouptest import GROUP, Daemon, Peer, Reader, member  # noqa: E402


class KernelFull(unittest.TestCase):
    def test_non_reader_dropped_paused_reader_catches_up(self):
        cfg = GROUP + ("max_msgs_per_sec = 0\nmax_bytes_per_sec = 0\nmax_output_bytes = 1M\n"
                       "max_per_address = 0\n")
        # 8 MB of messages (3 MB under valgrind, still three times max_output_bytes).
        text, total = "x" * 1000, 3000 if VALGRIND else 8000
        with Daemon(cfg) as d:
            alice, bob = member(d, "alice"), member(d, "bob")
            sleepy = Peer.sleeper(d, "sleepy")    # never reads
            pauser = Peer.sleeper(d, "pauser")    # reads after the first 400 KB
            alice.notice(body="joined bob")
            ra, rb = Reader(alice), Reader(bob)
            ra.wait(lambda r: "joined pauser" in r.notices and "joined sleepy" in r.notices)
            rp = None
            sent = 0
            deadline = time.monotonic() + 120
            # Until the sleeper is dropped too (the kernel's buffers take a few MB first).
            while sent < total or not any(n.startswith("left sleepy") for n in ra.notices):
                self.assertLess(time.monotonic(), deadline, "the traffic did not flow")
                bob.sock.sendall(b"".join(frame(MESSAGE, "%d %s" % (sent + i, text))
                                          for i in range(100)))
                sent += 100
                rb.wait(lambda r: len(r.messages) >= sent - 200)  # bob's echo keeps pace
                if rp:
                    # Once it reads again it keeps up: within 500 KB, under max_output_bytes
                    # (TCP_NOTSENT_LOWAT leaves the kernel no more slack than that).
                    rp.wait(lambda r: len(r.messages) >= sent - 500)
                if sent == 400:
                    # Its output is past what the kernel takes: 400 KB are waiting for it.
                    rp = Reader(pauser)
            bob.say("END")
            want = ["bob: %d %s" % (i, text) for i in range(sent)] + ["bob: END"]
            for r in (ra, rb, rp):
                r.wait(lambda r: r.messages and r.messages[-1] == "bob: END", 60)
                self.assertEqual(r.messages, want, r.peer.name)  # everything, in order
            self.assertFalse(rp.closed)
            frames = sleepy.expect_closed()
            self.assertEqual(frames[-1], (NOTICE, "error slow-consumer -- "
                                          "more than 1048576 bytes unread"))
            ra.wait(lambda r: "left sleepy" in " ".join(r.notices))
            self.assertTrue(d.alive())
            for p in (alice, bob, pauser, sleepy):
                p.close()


class ClosingBehindGate(unittest.TestCase):
    def test_quit_while_store_locked_gets_its_echo(self):
        # The store is locked by another writer (frontdeskctl purge, say): the commit is
        # retried, and alice's echo waits behind her gate. Her quit must not close the
        # connection before the gate opens: the close flushes what waited, then ends.
        with Daemon(GROUP + "max_msgs_per_sec = 0\n") as d:
            alice, bob = member(d, "alice"), member(d, "bob")
            alice.sync()
            bob.sync()
            lock = sqlite3.connect(d.store_path, timeout=0, isolation_level=None)
            lock.execute("BEGIN EXCLUSIVE")
            alice.sock.sendall(frame(MESSAGE, "one") + frame(MESSAGE, "two") +
                               frame(COMMAND, "quit"))
            d.wait_log("store: locked by another writer")
            time.sleep(0.5)  # a few retries, and loop turns in which her socket is writable
            lock.execute("COMMIT")
            lock.close()
            self.assertEqual(alice.expect_closed(), [(MESSAGE, "alice: one"),
                                                     (MESSAGE, "alice: two")])
            self.assertEqual(bob.sync(), [(MESSAGE, "alice: one"), (MESSAGE, "alice: two"),
                                          (NOTICE, "left alice")])
            bob.close()

    def test_quit_with_output_sent_and_gate_held(self):
        # Output already on its way when it quits (9926ec4 lost the rest too): "caps ids"
        # holds alice's gate for the history on joining, the second history's refusal waits
        # behind it, and her quit's flush of the first notices must not end the connection.
        with Daemon(GROUP) as d:
            bob = member(d, "bob")
            bob.say("x")
            bob.sync()
            alice = member(d, "alice")
            alice.sync()
            lock = sqlite3.connect(d.store_path, timeout=0, isolation_level=None)
            lock.execute("BEGIN EXCLUSIVE")
            alice.sock.sendall(frame(COMMAND, "caps ids") + frame(COMMAND, "history 5") +
                               frame(COMMAND, "quit"))
            d.wait_log("store: locked by another writer")
            time.sleep(0.5)
            lock.execute("COMMIT")
            lock.close()
            frames = alice.expect_closed()
            self.assertEqual(frames[0], (NOTICE, "caps ids"))
            self.assertEqual(frames[-1], (NOTICE, "error bad-command -- one history at a time:"
                                          " wait for history-end"))
            bob.close()


if __name__ == "__main__":
    main()
