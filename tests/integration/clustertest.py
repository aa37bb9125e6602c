# SPDX-License-Identifier: ISC
"""Helpers for the cluster's tests: one private Redis and several frontdeskd nodes sharing one
room through it (cluster = redis://..., mode = group).

These are multi-node tests, for the plain build only (as test_group_big): under valgrind
(FRONTDESK_VALGRIND=1) they are skipped before anything starts, under AddressSanitizer (seen in
a node's maps) right after the first node starts."""

import os
import shutil
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import DEADLINE, MESSAGE, NOTICE, VALGRIND, Daemon, Peer, Redis  # noqa: E402
from grouptest import under_memory_tool  # noqa: E402

TAGGED = 5  # a type 5 frame: ID TIME CONV FROM TEXT
# No flood control: the tests send as fast as they can and count on nothing being slowed.
NO_FLOOD = "max_msgs_per_sec = 0\nmax_bytes_per_sec = 0\n"
HAVE_REDIS = bool(shutil.which("redis-server") or os.path.exists("/usr/bin/redis-server"))


def node_config(redis, name, extra=""):
    return ("mode = group\ncluster = %s\nnode_name = %s\nmetrics_listen = 127.0.0.1:0\n%s%s"
            % (redis.url, name, NO_FLOOD, extra))


def tagged(body):
    """A type 5 body as (ID, TIME, CONV, FROM, TEXT)."""
    mid, ms, conv, frm, text = body.split(" ", 4)
    return int(mid), int(ms), conv, frm, text


def ids_member(daemon, nick, caps="ids"):
    """A framed member granted @caps (ids, resume ...); returns (peer, the frames of its
    welcome up to the end of its history)."""
    p = Peer.customer(daemon, nick)
    p.command("caps " + caps)
    before = p.wait_for(NOTICE, body="history-end")
    return p, before


def session_token(frames):
    """The token of the `session TOKEN` notice among @frames."""
    return [body.split()[1] for t, body in frames if t == NOTICE and body.startswith("session ")][0]


def read_tagged(peer, count, timeout=DEADLINE):
    """Read until @count type 5 frames came; return them parsed, and the notices between."""
    got, seen = [], []
    deadline = time.monotonic() + timeout
    while len(got) < count:
        t, b = peer.recv(max(0.01, deadline - time.monotonic()))
        if t == TAGGED:
            got.append(tagged(b))
        elif t == NOTICE:
            seen.append(b)
        elif t == MESSAGE:
            raise AssertionError("%s: a type 2 message to an ids member: %r" % (peer.name, b))
    return got, seen


def http_get(port, path):
    """(status, body) of GET http://127.0.0.1:PORT/PATH."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=DEADLINE) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metric(port, name):
    """The value of the unlabelled sample @name on /metrics (None when absent)."""
    _, text = http_get(port, "/metrics")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def wait_until(predicate, timeout=DEADLINE, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("%s not met within %ss" % (what, timeout))
        time.sleep(0.05)


@unittest.skipUnless(HAVE_REDIS, "redis-server is not installed")
@unittest.skipIf(VALGRIND and not os.environ.get("FRONTDESK_CLUSTER_ANYWAY"),
                 "several nodes and a Redis: the plain build only")
class ClusterCase(unittest.TestCase):
    """Each test gets its own Redis (self.redis, started) and starts nodes with self.node()."""

    appendonly = False

    def setUp(self):
        self.redis = Redis(appendonly=self.appendonly)
        self.redis.start()
        self.addCleanup(self.redis.__exit__, None, None, None)
        self.peers = []

    def node(self, name, extra=""):
        """A node of the room, started and ready (start_node())."""
        return self.start_node(node_config(self.redis, name, extra))

    def start_node(self, config):
        """A node of @config, started and ready: /readyz says so once it reached Redis and
        caught up (a member who joins before then gets no history: it cannot be read yet)."""
        d = Daemon(config)
        d.start()
        self.addCleanup(self._stop_node, d)
        # FRONTDESK_CLUSTER_ANYWAY=1 runs them under a memory tool all the same (by hand).
        if under_memory_tool(d) and not os.environ.get("FRONTDESK_CLUSTER_ANYWAY"):
            self.skipTest("several nodes and a Redis: the plain build only")
        wait_until(lambda: http_get(d.metrics_port, "/readyz")[0] == 200, what="node ready")
        return d

    def _stop_node(self, d):
        for p in self.peers:
            p.close()
        self.peers = []
        if getattr(d, "killed", False):  # killed on purpose: no clean stop to check
            d._log.close()
            return
        d.__exit__(None, None, None)

    def resume_on(self, daemon, token, last, nick):
        """A new connection to @daemon that sends `resume TOKEN LAST` (its answer not read)."""
        p = Peer(Peer.customer(daemon).sock, nick)
        self.peers.append(p)
        p.command("resume %s %d" % (token, last))
        return p

    def lose_connection(self, daemon, nick, witness):
        """A member of @daemon granted ids and resume that hears @witness say "seen", then drops
        its connection: (its token, the last ID it saw). @witness hears it leave."""
        p, welcome = ids_member(daemon, nick, "ids resume")
        witness.notice(body="joined " + nick)
        witness.say("seen")
        last = read_tagged(p, 1)[0][0][0]
        p.close()
        witness.notice(body="left " + nick)
        return session_token(welcome), last

    def member(self, daemon, nick, caps="ids"):
        p, _ = ids_member(daemon, nick, caps)
        self.peers.append(p)
        return p

    def joined_everywhere(self, peers, nicks):
        """Wait until each of @peers has heard `joined` for each of @nicks but its own."""
        for p in peers:
            for n in nicks:
                if n != p.name:
                    p.notice(body="joined " + n)
