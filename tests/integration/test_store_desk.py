#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""The desk's durable state: held messages and unanswered questions survive a restart (SIGTERM
or kill -9) and reach the next agent; transcripts are kept, read by frontdeskctl; a customer's
"history" is its own conversation; clients granted "ids" get type 5 and "cN"."""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

import socket

from fdtest import (COMMAND, DEADLINE, NICKNAME, NOTICE, VALGRIND, Daemon, Peer, desk_exchange,
                    frame, main, messages)

FRONTDESKCTL = os.environ.get("FRONTDESKCTL", "build/src/frontdeskctl")
TAGGED = 5


def tagged(frames):
    """The type 5 frames as (id, conv, from, text)."""
    out = []
    for t, b in frames:
        if t == TAGGED:
            mid, _time, conv, sender, text = b.split(" ", 4)
            out.append((int(mid), conv, sender, text))
    return out


def agent_with_ids(d, nick):
    """An agent that asks for ids in the same write as its nickname, as our client does: what
    the desk gives it on attaching is then already tagged."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(DEADLINE)
    s.connect(d.agent_socket)
    s.sendall(frame(NICKNAME, nick) + frame(COMMAND, "hello notices") +
              frame(COMMAND, "caps ids"))
    return Peer(s, nick)


def last_tagged(peer):
    """Wait for the next type 5 frame; (id, conv, from, text)."""
    peer.wait_for(TAGGED)
    return tagged([peer.frames[-1]])[0]


def capped(peer):
    """Ask for ids; return the epoch."""
    peer.command("caps ids")
    peer.notice(body="caps ids")
    t, b = peer.recv()
    assert t == NOTICE and b.startswith("epoch "), (t, b)
    return b.split()[1]


class Store:
    """A store file that outlives one daemon: the restart tests start several on it."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="frontdesk-store-")
        self.path = os.path.join(self.tmp, "frontdesk.db")
        self.config = "store = sqlite:%s\n" % self.path

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def killed(self, d):
        """kill -9 @d (started without `with`) and clean up after it."""
        d.stop(signal.SIGKILL)
        d._log.close()
        shutil.rmtree(d.dir, ignore_errors=True)

    def rows(self, sql, *args):
        db = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()


class Restart(Store, unittest.TestCase):
    def test_held_messages_reach_the_next_agent_after_sigterm(self):
        with Daemon(self.config) as d:
            bob = Peer.customer(d, "bob")
            bob.notice(body="agent-offline")
            bob.say("my card was charged twice")
            bob.say("order 1234")
            bob.sync()
        with Daemon(self.config) as d:
            mary = Peer.agent(d, "mary")
            frames = mary.notice(body="customer-left bob")
            self.assertIn((NOTICE, "customer bob"), frames)
            self.assertEqual(messages(frames), ["my card was charged twice", "order 1234"])
        # Both were released to mary: they have IDs now, in order; the transcript ended.
        ids = [r[0] for r in self.rows("SELECT id FROM messages ORDER BY seq")]
        self.assertTrue(all(ids) and ids == sorted(ids), ids)
        self.assertEqual(self.rows("SELECT customer, end_reason FROM conversations"),
                         [("bob", "shutdown")])

    def test_unanswered_question_survives_kill_9(self):
        d = Daemon(self.config).start()
        try:
            mary = Peer.agent(d, "mary")
            capped(mary)
            bob = Peer.customer(d, "bob")
            mary.notice(prefix="customer bob")
            bob.say("where is my parcel?")
            mid, conv, sender, text = last_tagged(mary)
        finally:
            self.killed(d)
        self.assertEqual((sender, text), ("bob", "where is my parcel?"))
        # What mary received is in the store with the ID she saw.
        self.assertEqual(self.rows("SELECT id, text FROM messages"), [(mid, text)])
        with Daemon(self.config) as d:
            john = agent_with_ids(d, "john")
            frames = john.notice(body="customer-left bob")
            self.assertEqual(tagged(frames), [(mid, conv, "bob", "where is my parcel?")])
        self.assertEqual(self.rows("SELECT end_reason FROM conversations"), [("restart",)])

    def test_the_epoch_and_the_ids_go_on_after_a_restart(self):
        with Daemon(self.config) as d:
            mary = Peer.agent(d, "mary")
            epoch = capped(mary)
            bob = Peer.customer(d, "bob")
            bob.say("one")
            first = last_tagged(mary)[0]
        with Daemon(self.config) as d:
            mary = agent_with_ids(d, "mary")
            # "one" was never answered: it is given again, with the ID it had.
            frames = mary.notice(body="customer-left bob")
            self.assertIn((NOTICE, "epoch " + epoch), frames)
            self.assertEqual([x[0] for x in tagged(frames)], [first])
            bob = Peer.customer(d, "bob")
            mary.notice(prefix="customer bob")
            bob.say("two")
            self.assertGreater(last_tagged(mary)[0], first)


class Transcripts(Store, unittest.TestCase):
    def ctl(self, *args):
        r = subprocess.run([FRONTDESKCTL, "--store", "sqlite:" + self.path] + list(args),
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_a_conversation_is_a_transcript(self):
        with Daemon(self.config) as d:
            mary, bob = desk_exchange(d)
            carol = Peer.customer(d, "carol")
            carol.notice(body="queued 1")
            mary.command("next")
            mary.notice(body="customer carol")
            carol.close()
            mary.notice(body="customer-left carol")
        listed = json.loads(self.ctl("transcripts", "--json"))
        self.assertEqual([(t["customer"], t["agent"]) for t in listed],
                         [("bob", "mary"), ("carol", "mary")])
        bob_t = listed[0]
        self.assertEqual(bob_t.get("end_reason"), "next")
        one = json.loads(self.ctl("transcript", str(bob_t["conv"]), "--json"))
        self.assertEqual([m["text"] for m in one["messages"]], ["hello", "hi bob"])
        self.assertTrue(all(m["id"] for m in one["messages"]))
        text = self.ctl("transcript", "c%d" % bob_t["conv"])
        self.assertIn("hi bob", text)
        self.ctl("purge", "--customer", "bob")
        self.assertEqual(self.rows("SELECT customer FROM conversations"), [("carol",)])
        self.assertEqual(self.rows("SELECT count(*) FROM messages WHERE text = 'hello'"), [(0,)])


class Tagged(Store, unittest.TestCase):
    def test_ids_peers_get_type_5_and_the_conversation(self):
        with Daemon(self.config) as d:
            mary = Peer.agent(d, "mary")
            capped(mary)
            bob = Peer.customer(d, "bob")
            capped(bob)
            mary.notice(prefix="customer bob c")
            conv = mary.frames[-1][1].split()[2]
            bob.say("hello")
            mid, c, sender, text = last_tagged(mary)
            self.assertEqual((c, sender, text), (conv, "bob", "hello"))
            mary.say("hi")
            mid2, c2, sender2, text2 = last_tagged(bob)
            self.assertEqual((c2, sender2, text2), (conv, "mary", "hi"))
            self.assertGreater(mid2, mid)
            # A customer's history is its own conversation.
            bob.command("history")
            frames = bob.notice(body="history-end")
            self.assertEqual([x[3] for x in tagged(frames)], ["hello", "hi"])
            # A wave-1 customer in line sees no type 5 and no "cN".
            carol = Peer.customer(d, "carol")
            self.assertEqual(carol.notice(prefix="queued"), [(NOTICE, "welcome single-agent carol"),
                                                            (NOTICE, "turns strict")])


class Earlier(Store, unittest.TestCase):
    def test_an_agent_reads_a_customers_earlier_conversations_by_name(self):
        with Daemon(self.config) as d:
            mary = agent_with_ids(d, "mary")
            bob = Peer.customer(d, "bob")
            mary.notice(prefix="customer bob")
            bob.say("my first visit")
            first = last_tagged(mary)
            mary.say("welcome")
            bob.message()
            mary.command("next")
            bob.expect_closed()
            bob = Peer.customer(d, "bob")
            mary.notice(prefix="customer bob")
            bob.say("back again")
            last_tagged(mary)
            mary.command("earlier bob")
            frames = mary.notice(body="history-end")
            self.assertIn((NOTICE, "history-start 2 by-name bob"), frames)
            self.assertEqual([(x[1], x[3]) for x in tagged(frames)],
                             [(first[1], "my first visit"), (first[1], "welcome")])
            mary.command("earlier nobody")
            self.assertIn((NOTICE, "history-start 0 by-name nobody"),
                          mary.notice(body="history-end"))
            mary.command("earlier bob bob")
            mary.notice(prefix="error bad-command")
            # Customers may not, and agents without ids are told what they lack.
            bob.command("earlier bob")
            bob.notice(prefix="error unknown-command")


class WalSampler(threading.Thread):
    """The largest the store's WAL file was, sampled every few milliseconds."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path, self.most, self.done = path + "-wal", 0, threading.Event()

    def run(self):
        while not self.done.wait(0.005):
            try:
                self.most = max(self.most, os.path.getsize(self.path))
            except OSError:
                pass


@unittest.skipIf(VALGRIND, "thousands of commits: too slow under memcheck")
class Checkpoints(Store, unittest.TestCase):
    """A desk's load commits thousands of times: the WAL is checkpointed as it goes and stays
    bounded, a SIGTERM then closes the store cleanly (no WAL left behind), nothing is lost."""

    ROUND_TRIPS = 2500  # 5,000 commits of 3 pages or more: 60 MiB of WAL without checkpoints
    PAD = "x" * 1000  # 5 MB of messages: the database file grows only by checkpoints

    def test_the_wal_stays_bounded_and_sigterm_is_clean(self):
        d = Daemon(self.config).start()
        sampler = WalSampler(self.path)
        sampler.start()
        try:
            mary, bob = desk_exchange(d)
            for i in range(self.ROUND_TRIPS):
                bob.say("q%d %s" % (i, self.PAD))
                self.assertEqual(mary.message(), "q%d %s" % (i, self.PAD))
                mary.say("a%d %s" % (i, self.PAD))
                self.assertEqual(bob.message(), "a%d %s" % (i, self.PAD))
            # Checkpoints ran while it worked: the database file holds most of it already.
            self.assertGreater(os.path.getsize(self.path), 3 << 20)
            # The loop and the thread that syncs the WAL as it grows (store-walsync.c).
            self.assertEqual(len(os.listdir("/proc/%d/task" % d.proc.pid)), 2)
        finally:
            began = time.monotonic()
            code = d.stop()
            stopped = time.monotonic() - began
            sampler.done.set()
            sampler.join()
            d._log.close()
            log = d.log()
            shutil.rmtree(d.dir, ignore_errors=True)
        self.assertEqual(code, 0, log[-3000:])
        self.assertLess(stopped, 5)
        # Without checkpoints it would pass 60 MiB; they keep it near 4 MiB (1,000 pages), and
        # below 8 MiB (2,000) when the thread syncing it falls behind (store-walsync.c).
        self.assertLess(sampler.most, 12 << 20)
        # The last connection closed checkpoints and removes the WAL.
        self.assertFalse(os.path.exists(self.path + "-wal"))
        self.assertEqual(self.rows("SELECT count(*) FROM messages")[0][0],
                         2 * self.ROUND_TRIPS + 2)


if __name__ == "__main__":
    main()
