# SPDX-License-Identifier: ISC
"""The room across nodes: several frontdeskd (mode = group, cluster = redis://...) share one room
through a private Redis. One order everywhere, IDs from one sequence, notices across nodes;
Redis stopped, restarted without its data, paused; a node killed; history and resume read from
Redis's stream; the outbox's bound; the metrics. Multi-node: the plain build only
(clustertest.ClusterCase)."""

import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clustertest import (TAGGED, ClusterCase, http_get, ids_member, metric,  # noqa: E402
                         node_config, read_tagged, tagged, wait_until)
from fdtest import DEADLINE, NOTICE, Daemon, Peer, find_promtool, frame  # noqa: E402
from grouptest import LinePeer  # noqa: E402


def texts(got):
    return [(frm, text) for _, _, _, frm, text in got]


def wait_notices(peer, *wanted, timeout=DEADLINE):
    """Read until a notice starting with each of @wanted came (in any order); return them."""
    found = {}
    deadline = time.monotonic() + timeout
    while len(found) < len(wanted):
        t, b = peer.recv(max(0.01, deadline - time.monotonic()))
        for w in wanted:
            if t == NOTICE and b.startswith(w) and w not in found:
                found[w] = b
    return found


class Order(ClusterCase):
    def assert_one_order(self, lists, count):
        first = lists[0]
        self.assertEqual(len(first), count)
        ids = [m[0] for m in first]
        self.assertEqual(ids, sorted(set(ids)), "IDs not strictly increasing")
        self.assertEqual(len(set(texts(first))), count, "a message came twice")
        for other in lists[1:]:
            self.assertEqual([(m[0],) + m[3:] for m in other], [(m[0],) + m[3:] for m in first])

    def test_one_order_on_both_nodes(self):
        a, b = self.node("a"), self.node("b")
        names = ["a1", "b1", "a2", "b2", "a3", "b3"]
        peers = [self.member(a if n[0] == "a" else b, n) for n in names]
        for i, p in enumerate(peers):
            for later in names[i + 1:]:
                p.notice(body="joined " + later)
        start = threading.Barrier(len(peers))

        def send(p):
            start.wait()
            for k in range(30):
                p.send(2, "%s-%02d" % (p.name, k))

        threads = [threading.Thread(target=send, args=(p,)) for p in peers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        lists = [read_tagged(p, 180, timeout=60)[0] for p in peers]
        self.assert_one_order(lists, 180)
        for n in names:  # each sender's own order kept
            mine = [text for _, _, conv, frm, text in lists[0] if frm == n]
            self.assertEqual(mine, ["%s-%02d" % (n, k) for k in range(30)])
        self.assertTrue(all(conv == "*" for _, _, conv, _, _ in lists[0]))
        for p in peers:  # nothing more: no copy came late
            self.assertEqual([f for f in p.sync() if f[0] == TAGGED], [])


class Membership(ClusterCase):
    def test_joins_leaves_renames_across_nodes(self):
        a, b = self.node("a"), self.node("b")
        ann = self.member(a, "ann")
        bob = self.member(b, "bob")
        ann.notice(body="joined bob")
        line = LinePeer(b)
        self.peers.append(line)
        line.wait_for(prefix="* welcome group ")
        ann.notice(body="joined " + line.name)
        bob.command("nick bobby")
        for p in (ann, bob):
            p.notice(body="renamed bob bobby")
        line.wait_for("* renamed bob bobby")
        ann.command("nick anna")
        bob.notice(body="renamed ann anna")
        line.wait_for("* renamed ann anna")
        bob.say("hi")
        self.assertEqual(read_tagged(ann, 1)[0][0][3:], ("bobby", "hi"))
        self.assertEqual(line.wait_for("bobby: hi"), [])
        bob.close()
        ann.notice(body="left bobby")
        line.wait_for("* left bobby")
        line.send("quit")
        ann.notice(body="left " + line.name)


class RedisStopped(ClusterCase):
    appendonly = True

    def test_stopped_two_seconds(self):
        a, b = self.node("a"), self.node("b")
        a1, b1 = self.member(a, "a1"), self.member(b, "b1")
        line = LinePeer(b)
        self.peers.append(line)
        a1.notice(body="joined b1")
        a1.notice(prefix="joined 127.0.0.1:")
        a1.say("before")
        for p in (a1, b1):
            read_tagged(p, 1)
        self.assertEqual(http_get(a.metrics_port, "/readyz")[0], 200)
        self.redis.stop()
        down = time.monotonic()
        for p in (a1, b1):
            p.notice(body="cluster-down")
        line.wait_for("* cluster-down")
        for d in (a, b):
            status, body = http_get(d.metrics_port, "/readyz")
            self.assertEqual((status, body.strip()), (503, "not ready: cluster unreachable"))
        for k in range(3):
            a1.say("a-down-%d" % k)
            b1.say("b-down-%d" % k)
        time.sleep(max(0, 2 - (time.monotonic() - down)))  # Redis is away for 2 s
        self.redis.start()
        lists = []
        for p in (a1, b1):
            got, seen = read_tagged(p, 6, timeout=30)
            lists.append(got)
            self.assertNotIn("cluster-down", seen)
        line.wait_for("* cluster-up")
        said = ["a-down-%d" % k for k in range(3)] + ["b-down-%d" % k for k in range(3)]
        self.assertEqual(sorted(text for _, _, _, _, text in lists[0]), sorted(said))
        for node in "ab":  # each member's own order kept
            self.assertEqual([m[4] for m in lists[0] if m[3] == node + "1"],
                             [t for t in said if t[0] == node])
        self.assertEqual(lists[0], lists[1])
        ids = [m[0] for m in lists[0]]
        self.assertEqual(ids, sorted(set(ids)))
        for p in (a1, b1):
            self.assertIn((NOTICE, "cluster-up"), p.frames)
            self.assertEqual([f for f in p.sync() if f[0] == TAGGED], [])  # none twice
        for d in (a, b):
            wait_until(lambda: http_get(d.metrics_port, "/readyz")[0] == 200, what="readyz 200")
        b1.say("after")
        for p in (a1, b1):
            self.assertEqual(read_tagged(p, 1)[0][0][4], "after")


class RedisLostData(ClusterCase):
    appendonly = False  # a restart loses everything

    def test_restart_without_data_is_a_new_epoch(self):
        a, b = self.node("a"), self.node("b")
        a1, welcome = ids_member(a, "a1")
        self.peers.append(a1)
        b1 = self.member(b, "b1")
        epoch = [body for t, body in welcome if body.startswith("epoch ")][0]
        a1.notice(body="joined b1")
        a1.say("first")
        for p in (a1, b1):
            self.assertEqual(read_tagged(p, 1)[0][0][4], "first")
        self.redis.stop()
        self.redis.start()
        for p in (a1, b1):
            got = wait_notices(p, "cluster-down", "epoch ")
            self.assertNotEqual(got["epoch "], epoch)
            self.assertRegex(got["epoch "], r"^epoch [0-9a-f]+$")
        b1.say("again")
        for p in (a1, b1):
            (mid, _, _, frm, text), = read_tagged(p, 1)[0]
            self.assertEqual((mid, frm, text), (1, "b1", "again"))  # IDs start again

    def test_held_messages_go_into_the_new_epoch(self):
        a, b = self.node("a"), self.node("b")
        a1, b1 = self.member(a, "a1"), self.member(b, "b1")
        a1.notice(body="joined b1")
        for k in range(3):
            a1.say("old %d" % k)
        for p in (a1, b1):
            read_tagged(p, 3)
        self.redis.stop()
        for p in (a1, b1):
            p.notice(body="cluster-down")
        a1.say("held on a")
        b1.say("held on b")
        self.redis.start()
        lists = []
        for p in (a1, b1):
            got, seen = read_tagged(p, 2, timeout=30)
            self.assertTrue(any(n.startswith("epoch ") for n in seen + [b for t, b in p.frames
                                                                         if t == NOTICE]))
            lists.append(got)
        self.assertEqual(lists[0], lists[1])
        self.assertEqual(sorted(m[0] for m in lists[0]), [1, 2])  # the new epoch's first IDs
        for p in (a1, b1):
            self.assertEqual([f for f in p.sync() if f[0] == TAGGED], [])
        b2, welcome = ids_member(b, "b2")  # the new epoch's history only
        self.peers.append(b2)
        start = welcome.index((NOTICE, "history-start 2"))
        self.assertEqual([tagged(body) for t, body in welcome[start + 1:]], lists[0])


class NodeKilled(ClusterCase):
    def test_killed_node_heartbeat_expires(self):
        a, b = self.node("a", "cluster_lease = 2\n"), self.node("b", "cluster_lease = 2\n")
        a1, a2, b1 = self.member(a, "a1"), self.member(a, "a2"), self.member(b, "b1")
        a1.notice(body="joined b1")
        key = "frontdesk:node:b"
        wait_until(lambda: self.redis.call("EXISTS", key) == 1, what="b's heartbeat key")
        ttl = self.redis.call("PTTL", key)
        self.assertTrue(0 < ttl <= 2000, ttl)
        b.proc.kill()
        b.proc.wait()
        b.killed = True
        killed = time.monotonic()
        a1.say("still here")
        for p in (a1, a2):
            self.assertEqual(read_tagged(p, 1)[0][0][3:], ("a1", "still here"))
        wait_until(lambda: self.redis.call("EXISTS", key) == 0, timeout=10, what="key gone")
        self.assertLess(time.monotonic() - killed, 2 + 1.5)
        self.assertEqual(self.redis.call("EXISTS", "frontdesk:node:a"), 1)
        a2.say("and chatting")
        self.assertEqual(read_tagged(a1, 1)[0][0][3:], ("a2", "and chatting"))


class RedisPaused(ClusterCase):
    def test_paused_four_seconds(self):
        a, b = self.node("a"), self.node("b")
        a1, b1 = self.member(a, "a1"), self.member(b, "b1")
        a1.notice(body="joined b1")
        a1.say("before")
        for p in (a1, b1):
            read_tagged(p, 1)
        self.redis.pause()
        self.addCleanup(self.redis.cont)
        paused = time.monotonic()
        a1.say("a-paused")
        a1.command("time")
        asked = time.monotonic()
        a1.notice(prefix="time ", timeout=1.5)  # the loop is not waiting for Redis
        self.assertLess(time.monotonic() - asked, 1.5)
        b1.say("b-paused")
        for p in (a1, b1):
            p.notice(body="cluster-down", timeout=10)
        self.assertLess(time.monotonic() - paused, 6)
        b1.command("time")
        b1.notice(prefix="time ", timeout=1.5)
        b1.command("history 5")  # answered at once, not after Redis: it cannot be read now
        b1.notice(prefix="error store-unavailable -- ", timeout=1.5)
        time.sleep(max(0, 4 - (time.monotonic() - paused)))
        self.redis.cont()
        lists = [read_tagged(p, 2, timeout=30)[0] for p in (a1, b1)]
        self.assertEqual(sorted(m[4] for m in lists[0]), ["a-paused", "b-paused"])
        self.assertEqual(lists[0], lists[1])
        for p in (a1, b1):
            self.assertEqual([f for f in p.sync() if f[0] == TAGGED], [])  # none twice


class History(ClusterCase):
    def test_history_across_nodes(self):
        a, b = self.node("a"), self.node("b")
        a1, b1 = self.member(a, "a1"), self.member(b, "b1")
        a1.notice(body="joined b1")
        for k in range(3):
            a1.say("said on a %d" % k)
        live = read_tagged(b1, 3)[0]
        b1.command("history 10")
        frames = b1.wait_for(NOTICE, body="history-end")
        self.assertEqual(frames[0], (NOTICE, "history-start 3"))
        self.assertEqual([tagged(body) for t, body in frames[1:]], live)
        b2, welcome = ids_member(b, "b2")
        self.peers.append(b2)
        start = welcome.index((NOTICE, "history-start 3"))
        self.assertEqual([tagged(body) for t, body in welcome[start + 1:]], live)
        self.assertEqual([m[0] for m in live], sorted(set(m[0] for m in live)))


class Hold(ClusterCase):
    appendonly = True

    def test_outbox_full_pauses_readers(self):
        a = self.node("a", "cluster_hold_bytes = 64K\nmax_held_bytes = 1M\n"
                      "msg_burst = 100000\nbytes_burst = 1024M\n")
        b = self.node("b")
        s, s2, r = self.member(a, "s"), self.member(a, "s2"), self.member(b, "r")
        s.notice(body="joined r")
        self.redis.stop()
        for p in (s, s2):
            p.notice(body="cluster-down")
        sent = ["%03d " % k + "x" * 1020 for k in range(100)]  # ~100 KiB
        data = b"".join(frame(2, text) for text in sent)
        sender = threading.Thread(target=s.sock.sendall, args=(data,))
        sender.start()
        for p in (s, s2):
            p.notice(prefix="error cluster-unavailable -- ")
        held = metric(a.metrics_port, "frontdesk_cluster_held_bytes")
        self.assertGreaterEqual(held, 64 * 1024)
        self.assertLess(held, 100 * 1024)  # the rest waits, unread
        self.redis.start()
        got, _ = read_tagged(r, 100, timeout=60)
        self.assertEqual([m[3:] for m in got], [("s", text) for text in sent])
        sender.join(DEADLINE)
        self.assertEqual(texts(read_tagged(s, 100, timeout=30)[0]), [("s", t) for t in sent])
        s2.say("reading again")
        self.assertEqual(read_tagged(r, 1)[0][0][3:], ("s2", "reading again"))
        self.assertEqual(metric(a.metrics_port, "frontdesk_cluster_held_bytes"), 0)


class Metrics(ClusterCase):
    def test_metrics(self):
        a = self.node("a")
        a1 = self.member(a, "a1")
        a1.say("one")
        read_tagged(a1, 1)
        _, text = http_get(a.metrics_port, "/metrics")
        promtool = find_promtool()
        if promtool:
            check = subprocess.run([promtool, "check", "metrics"], input=text, text=True,
                                   capture_output=True)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        for name in ("frontdesk_cluster_up", "frontdesk_cluster_held_bytes",
                     "frontdesk_cluster_publish_seconds_count"):
            self.assertIsNotNone(metric(a.metrics_port, name), name)
        self.assertEqual(metric(a.metrics_port, "frontdesk_cluster_up"), 1)
        self.assertGreaterEqual(
            metric(a.metrics_port, "frontdesk_cluster_publish_seconds_count"), 1)
        self.redis.stop()
        wait_until(lambda: metric(a.metrics_port, "frontdesk_cluster_up") == 0, what="up 0")
        self.redis.start()
        wait_until(lambda: metric(a.metrics_port, "frontdesk_cluster_up") == 1, what="up 1")
        if not promtool:
            self.skipTest("promtool is not installed: the format was not checked")


class Private(ClusterCase):
    def test_private_messages(self):
        a, b = self.node("a"), self.node("b")
        a1, a2, b1 = self.member(a, "a1"), self.member(a, "a2"), self.member(b, "b1")
        a1.notice(body="joined b1")
        a2.notice(body="joined b1")
        a1.command("msg a2 a secret")
        (mid, _, conv, frm, text), = read_tagged(a2, 1)[0]
        self.assertEqual((conv, frm, text), ("@a1", "a1", "a secret"))
        own = read_tagged(a1, 1)[0][0]
        self.assertEqual(own[0], mid)
        self.assertEqual(own[2:], ("@a2", "a1", "a secret"))
        a1.say("public")
        got = read_tagged(b1, 1)[0]
        self.assertEqual(got[0][3:], ("a1", "public"))
        self.assertGreater(got[0][0], mid)
        self.assertNotIn("a secret", str(b1.frames + b1.sync()))
        self.assertEqual(read_tagged(a2, 1)[0][0][3:], ("a1", "public"))
        # To a member of the other node: the cluster says which node has it, and it delivers.
        a1.command("msg b1 across")
        (xid, _, conv, frm, text), = read_tagged(b1, 1)[0]
        self.assertEqual((conv, frm, text), ("@a1", "a1", "across"))
        own = read_tagged(a1, 2)[0][1]  # after its own "public"
        self.assertEqual((own[0],) + own[2:], (xid, "@b1", "a1", "across"))
        self.assertNotIn("across", str(a2.sync()))
        a1.command("msg nobody hello")
        a1.notice(prefix="error no-such-nick")


if __name__ == "__main__":
    unittest.main(verbosity=2)
