# SPDX-License-Identifier: ISC
"""The room's and the store's reused buffers (issue 20): an entry waiting for a commit
(room-fanout.c) and a message's op in the store's queue (store-op.c) are kept once done and
given to the next message, up to 512 of each, and only small ones (512 and 1,024 bytes).

So each test mixes texts of every size (1 byte, a chat line, past both caps, the longest) from
senders with short and long nicknames, in runs longer than what is kept, and checks that every
member got exactly what was sent, in the store's order, and that the store holds exactly it:
a reused buffer that kept a longer message's tail, or one freed while still queued, shows as
a wrong text (or, under valgrind, FRONTDESK_VALGRIND=1, as an invalid read). A member that
closes in the middle of the stream and a slow one dropped in it change nothing for the others.
"""

import os
import sqlite3
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import DEADLINE, MESSAGE, NOTICE, Peer, main  # noqa: E402
from grouptest import GROUP, Daemon, Reader, member  # noqa: E402

FREE = GROUP + "max_msgs_per_sec = 0\nmax_bytes_per_sec = 0\n"
LONG_NICK = "n" * 32
SIZES = [1, 100, 511, 512, 513, 1023, 1024, 1025, 3000, 9000, 40, 600]
RUN = 60  # messages a sender sends at once, then waits for its echo


def texts(sender, n):
    """@n texts of cycling sizes, each telling its sender and number."""
    out = []
    for i in range(n):
        head = "%s-%d-" % (sender[0], i)
        size = max(SIZES[i % len(SIZES)], len(head))
        out.append((head + "abcdefghijklmnopqrstuvwxyz" * (size // 26 + 1))[:size])
    return out


def room_rows(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=DEADLINE)
    try:
        return db.execute("SELECT sender, text FROM messages WHERE conv = 0 ORDER BY seq"
                          ).fetchall()
    finally:
        db.close()


class Reuse(unittest.TestCase):
    def stream(self, d, n, extra=()):
        """Two senders (nicknames of 1 and 32 bytes) send @n messages each in runs; returns
        what a type 2 member read, and what each sender sent, after @extra ran mid-stream."""
        senders = {nick: member(d, nick) for nick in ("a", LONG_NICK)}
        watcher = Reader(member(d, "w"))
        readers = {nick: Reader(p) for nick, p in senders.items()}
        sent = {nick: texts(nick, n) for nick in senders}
        for start in range(0, n, RUN):
            for nick, p in senders.items():
                p.sock.sendall(b"".join(
                    b"%04d|2|" % (len(t.encode()) + 7) + t.encode()
                    for t in sent[nick][start:start + RUN]))
            if start == RUN:
                for f in extra:
                    f()
            for nick, r in readers.items():
                want = 2 * min(n, start + RUN)
                r.wait(lambda r, want=want: len(r.messages) >= want, timeout=DEADLINE * 4)
        watcher.wait(lambda r: len(r.messages) >= 2 * n, timeout=DEADLINE * 4)
        for p in list(senders.values()) + [watcher.peer]:
            p.close()
        return watcher.messages, sent

    def check(self, d, got, sent):
        rows = room_rows(d.store_path)
        self.assertEqual(len(got), sum(len(v) for v in sent.values()))
        self.assertEqual(got, ["%s: %s" % row for row in rows])  # the store's order, each byte
        for nick, texts_sent in sent.items():
            self.assertEqual([t for s, t in rows if s == nick], texts_sent, nick)

    def test_sizes_across_reuse(self):
        with Daemon(FREE) as d:
            got, sent = self.stream(d, 600)  # 1,200 messages: past 512 kept entries and ops
            self.check(d, got, sent)

    def test_leaver_and_slow_member_mid_stream(self):
        with Daemon(FREE + "max_output_bytes = 65536\n") as d:
            quitter = member(d, "quitter")
            slow = Peer.sleeper(d, "slow")
            # 2 x 2,000 messages, 5.6 MB: the kernel's buffers fill first, then its output.
            got, sent = self.stream(d, 2000, extra=[quitter.close])
            self.check(d, got, sent)
            frames = slow.expect_closed()
            self.assertIn(MESSAGE, [t for t, _ in frames])  # it got some, then out
            self.assertEqual(frames[-1], (NOTICE, "error slow-consumer -- "
                                          "more than 65536 bytes unread"))


if __name__ == "__main__":
    main()
