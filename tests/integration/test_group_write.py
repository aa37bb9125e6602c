# SPDX-License-Identifier: ISC
"""The room's output written once per loop turn (conn-write.c): under megabytes of traffic the
readers get everything in order, a member that never reads is dropped as a slow consumer at
max_output_bytes, and one that stops reading for a while (the kernel's buffers full, so the
daemon waits for its socket to be writable again) gets everything once it reads again."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import MESSAGE, NOTICE, VALGRIND, frame, main  # noqa: E402
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


if __name__ == "__main__":
    main()
