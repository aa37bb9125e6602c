# SPDX-License-Identifier: ISC
"""frontdeskctl history in a cluster: the room is in Redis's stream, not in the node's store, so
history reads it there (the config's cluster = redis://..., or --redis URL), printed exactly as
from the store. Multi-node machinery (a Redis and a node): the plain build only
(clustertest.ClusterCase)."""

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clustertest import ClusterCase, read_tagged  # noqa: E402

FRONTDESKCTL = os.environ.get("FRONTDESKCTL", "build/src/frontdeskctl")


def utc(ms):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000))


class HistoryFromRedis(ClusterCase):
    def ctl(self, *args):
        return subprocess.run([FRONTDESKCTL] + list(args), env=dict(os.environ, TZ="UTC"),
                              capture_output=True, text=True, timeout=30)

    def ok(self, *args):
        r = self.ctl(*args)
        self.assertEqual((r.returncode, r.stderr), (0, ""), args)
        return r.stdout

    def said(self):
        """A node, and what its member said: three messages as (ID, TIME, FROM, TEXT)."""
        d = self.node("a")
        ann = self.member(d, "ann")
        for text in ("first", "second  two spaces", 'third "quoted" \\ done'):
            ann.say(text)
        got = read_tagged(ann, 3)[0]
        return d, [(mid, ms, frm, text) for mid, ms, _, frm, text in got]

    def test_history_reads_the_stream_of_the_configs_cluster(self):
        d, msgs = self.said()
        text = self.ok("-c", d.config_path, "history", "-n", "2")
        self.assertEqual(text, "".join("%-8d %s  %s: %s\n" % (mid, utc(ms), frm, t)
                                       for mid, ms, frm, t in msgs[1:]))
        docs = json.loads(self.ok("-c", d.config_path, "history", "-n", "2", "--json"))
        self.assertEqual([(m["id"], m["time_ms"], m["sender"], m["text"]) for m in docs],
                         msgs[1:])
        self.assertEqual([(m["held"], m["dropped"], m["from_agent"]) for m in docs],
                         [(False, False, False)] * 2)
        self.assertEqual(len(json.loads(self.ok("-c", d.config_path, "history", "-n", "0",
                                                "--json"))), 3)
        # Without a configuration, --redis: the same room (cluster_name's default).
        self.assertEqual(self.ok("--redis", self.redis.url, "history", "-n", "2"), text)
        # Another database of the same Redis holds no room.
        self.assertEqual(self.ok("--redis", self.redis.url + "/5", "history"), "no messages\n")
        self.assertEqual(self.ok("--redis", self.redis.url + "/5", "history", "--json"), "[]\n")

    def test_purge_before_says_the_room_is_not_purged_in_redis(self):
        d, msgs = self.said()
        r = self.ctl("-c", d.config_path, "purge", "--before", "1d", "--no-vacuum")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("the room's messages in Redis are not purged here", r.stderr)
        self.assertEqual(len(json.loads(self.ok("-c", d.config_path, "history", "--json"))), 3)

    def test_redis_unreachable_is_an_error(self):
        d, _ = self.said()
        self.redis.stop()
        for args in (["-c", d.config_path], ["--redis", self.redis.url]):
            r = self.ctl(*(args + ["history"]))
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stdout, "")
            self.assertEqual(r.stderr, "frontdeskctl: cannot reach Redis at 127.0.0.1:%d: "
                             "Connection refused\n" % self.redis.port)
        r = self.ctl("--redis", "http://127.0.0.1:1", "history")
        self.assertEqual(r.returncode, 2, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
