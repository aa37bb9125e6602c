# SPDX-License-Identifier: ISC
"""frontdeskctl status: the running daemon's state over its metrics_listen (GET /status).

The real daemon listens with metrics_listen = 127.0.0.1:0 and logs "metrics on HOST:PORT";
status is pointed at it with --url, or with -c and a configuration that names a fixed port.
A fake HTTP server stands in for a daemon that is not ready, or answers wrongly, or not at
all: those are about how frontdeskctl takes answers, which the real daemon rarely gives.
"""

import http.server
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import DEADLINE, Daemon, Peer, main  # noqa: E402
from grouptest import GROUP, LinePeer, member  # noqa: E402

FRONTDESKCTL = os.environ.get("FRONTDESKCTL", "build/src/frontdeskctl")
LABEL = 13  # the label column: "since start" and two spaces


def free_port():
    """A port nothing listens on (bound and let go: the kernel hands it out again only later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ctl(*args, config=None):
    env = dict(os.environ, TZ="UTC")
    argv = [FRONTDESKCTL] + (["-c", config] if config else []) + list(args)
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)


class MetricsDaemon(Daemon):
    """A daemon with metrics_listen; self.url is where it serves /status."""

    def __init__(self, config="", metrics="127.0.0.1:0", **kw):
        super().__init__(config + "\nmetrics_listen = %s\n" % metrics, **kw)
        self.url = None

    def wait_ready(self):
        super().wait_ready()
        self.wait_log("metrics on ")
        m = re.search(r"metrics on (\S+):(\d+)", self.log())
        self.url = "http://127.0.0.1:%s" % m.group(2)
        return self


class StatusCase(unittest.TestCase):
    def ok(self, *args, config=None, code=0):
        r = ctl("status", *args, config=config)
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        self.assertEqual(r.stderr, "")
        return r.stdout

    def fails(self, code, *args, config=None):
        r = ctl("status", *args, config=config)
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertTrue(r.stderr.startswith("frontdeskctl: "), r.stderr)
        return r.stderr

    def rows(self, text):
        """{label: its line after the label column, then each line under it}: lines that
        start in the label column are continued there, others ("  1. waiting") whole."""
        rows, last = {}, None
        for line in text.splitlines()[1:]:
            if not line.startswith(" "):
                last = line[:LABEL].strip()
                rows[last] = [line[LABEL:]]
            else:
                rows[last].append(line[LABEL:] if line.startswith(" " * LABEL) else line)
        return rows


class Desk(StatusCase):
    """One agent, busy with bob; carol and dave wait in line."""

    @classmethod
    def setUpClass(cls):
        cls.daemon = MetricsDaemon().start()
        cls.agent = Peer.agent(cls.daemon, "mary")
        cls.bob = Peer.customer(cls.daemon, "bob")
        cls.agent.notice(body="customer bob")
        cls.carol = Peer.customer(cls.daemon, "carol")
        cls.carol.notice(prefix="queued 1")
        cls.dave = Peer.customer(cls.daemon, "dave")
        cls.dave.notice(prefix="queued 2")
        cls.bob.say("hello")
        assert cls.agent.message() == "hello"

    @classmethod
    def tearDownClass(cls):
        for p in (cls.agent, cls.bob, cls.carol, cls.dave):
            p.close()
        cls.daemon.__exit__(None, None, None)

    def test_text(self):
        out = self.ok("--url", self.daemon.url)
        head = out.splitlines()[0]
        self.assertRegex(head, r"^frontdeskd \S+ on \S+, single-agent desk, up [\dhms ]+ "
                               r"\(since \d{4}-\d\d-\d\d \d\d:\d\d\)   ready$")
        rows = self.rows(out)
        self.assertEqual(list(rows), ["connections", "line", "agents", "store", "cluster",
                                      "since start"])
        self.assertTrue(rows["connections"][0].startswith("4 ("), rows)
        self.assertIn("customer framed 3", rows["connections"][0])
        self.assertIn("agent framed 1", rows["connections"][0])
        self.assertRegex(rows["connections"][0], r"   unsent \d+(\.\d)? (B|KiB)$")
        self.assertRegex(rows["line"][0], r"^2 waiting, longest \d+s$")
        self.assertRegex(rows["line"][1], r"^  1\. waiting \d+s$")
        self.assertRegex(rows["line"][2], r"^  2\. waiting \d+s$")
        self.assertEqual(rows["agents"], ["mary  busy       1/1 chats"])
        self.assertRegex(rows["store"][0], r"^sqlite %s, writable, last ID \d+$"
                         % re.escape(self.daemon.store_path))
        self.assertEqual(rows["cluster"], ["off"])
        self.assertRegex(rows["since start"][0],
                         r"^\d+ connections, 1 message, 1 delivery, \d+ conversations, "
                         r"\d+ refused, \d+ dropped$")
        for name in ("bob", "carol", "dave"):
            self.assertNotIn(name, out)

    def test_json(self):
        out = self.ok("--json", "--url", self.daemon.url + "/")
        doc = json.loads(out)
        self.assertEqual((doc["mode"], doc["ready"], doc["not_ready"]),
                         ("single-agent", True, None))
        self.assertEqual(doc["line"]["length"], 2)
        self.assertEqual([w["position"] for w in doc["line"]["waiting"]], [1, 2])
        self.assertEqual(doc["agents"], [{"name": "mary", "status": "busy", "chats": 1,
                                          "capacity": 1}])
        self.assertIsNone(doc["members"])
        self.assertEqual(doc["store"]["backend"], "sqlite")
        self.assertEqual(doc["counters"]["messages"], 1)
        for name in ("bob", "carol", "dave"):
            self.assertNotIn(name, out)


class Group(StatusCase):
    def test_room(self):
        with MetricsDaemon(GROUP) as d:
            ann, ben = member(d, "ann"), member(d, "ben")
            line = LinePeer(d)
            line.skip_history()
            ann.say("hi")
            ben.wait_for(2, body="ann: hi")
            out = self.ok("--url", d.url)
            self.assertRegex(out.splitlines()[0], r", group room, up .*   ready$")
            rows = self.rows(out)
            self.assertEqual(list(rows), ["connections", "members", "store", "cluster",
                                          "since start"])
            self.assertIn("member framed 2", rows["connections"][0])
            self.assertIn("member line 1", rows["connections"][0])
            self.assertEqual(rows["members"], ["3"])
            self.assertNotIn("conversations", rows["since start"][0])
            doc = json.loads(self.ok("--json", "--url", d.url))
            self.assertEqual((doc["mode"], doc["members"], doc["line"], doc["agents"]),
                             ("group", 3, None, []))
            for p in (ann, ben, line):
                p.close()


class FromConfig(StatusCase):
    """Without --url, the first metrics_listen of -c FILE (a wildcard is asked on loopback)."""

    def test_wildcard_asked_on_loopback(self):
        port = free_port()
        with MetricsDaemon(metrics="0.0.0.0:%d, 127.0.0.1:%d" % (port, free_port())) as d:
            out = self.ok(config=d.config_path)
            self.assertRegex(out.splitlines()[0], r"single-agent desk, .*   ready$")
            self.assertIn("line         0 waiting", out)
            self.assertIn("agents       none attached", out)

    def test_daemon_not_running(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            port = free_port()
            f.write("metrics_listen = 127.0.0.1:%d\n" % port)
            f.flush()
            err = self.fails(1, config=f.name)
            self.assertEqual(err, "frontdeskctl: cannot reach frontdeskd at 127.0.0.1:%d: "
                                  "Connection refused\n" % port)
            err = self.fails(1, "--json", "--url", "http://[::1]:%d" % port)
            self.assertTrue(err.startswith("frontdeskctl: cannot reach frontdeskd at "
                                           "[::1]:%d: " % port), err)

    def test_no_metrics_listen(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write("mode = group\n")
            f.flush()
            err = self.fails(1, config=f.name)
            self.assertIn("%s: metrics_listen is not set" % f.name, err)
            self.assertIn("metrics_listen = 127.0.0.1:9167", err)
            self.assertIn("--url", err)
        missing = os.path.join(tempfile.gettempdir(), "frontdesk-no-such-%d.conf" % os.getpid())
        self.assertIn("No such file", self.fails(1, config=missing))

    def test_kernel_picked_port(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write("metrics_listen = 127.0.0.1:0\n")
            f.flush()
            self.assertIn("give --url", self.fails(1, config=f.name))

    def test_bad_url_is_a_usage_error(self):
        for url in ("127.0.0.1:9167", "https://127.0.0.1:9167", "http://:9167",
                    "http://host:99999", "http://[::1:9167", "http://a@host:1",
                    "http://host:1/x?y"):
            err = self.fails(2, "--url", url)
            self.assertIn("--url takes http://HOST:PORT", err)
        self.assertIn("does not take --url", ctl("history", "--url", "http://x:1").stderr)


class Fake(http.server.BaseHTTPRequestHandler):
    """Answers as the class attributes say; records the paths asked."""

    status, body, paths, silent = 200, b"{}", [], False

    def do_GET(self):
        Fake.paths.append(self.path)
        if Fake.silent:
            time.sleep(DEADLINE)
            return
        self.send_response(Fake.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(Fake.body)))
        self.end_headers()
        self.wfile.write(Fake.body)

    def log_message(self, *args):
        pass


NOT_READY = {
    "version": "0.2.0", "mode": "single-agent", "node": "desk1",
    "started": "2026-11-30T04:26:24+01:00", "uptime_seconds": 3725, "ready": False,
    "not_ready": "store unwritable", "extra": {"future": [1, 2.5e3, None, True]},
    "connections": [{"role": "agent", "protocol": "framed", "count": 1}],
    "connections_total": 7, "output_bytes": 5000,
    "store": {"backend": "sqlite", "path": "/var/lib/frontdesk/frontdesk.db",
              "writable": False, "last_id": 1234},
    "cluster": None,
    "line": {"length": 101, "longest_wait_seconds": 5000,
             "waiting": [{"position": 1, "wait_seconds": 5000, "away": True}]},
    "agents": [{"name": "al\u202eice", "status": "away", "chats": 0, "capacity": 2},
               {"name": "bob", "status": "detached", "chats": 2, "capacity": 2}],
    "members": None,
    "counters": {"messages": 5, "deliveries": 9, "conversations": 3, "refused": 2,
                 "dropped": 1},
}


class Answers(StatusCase):
    """How frontdeskctl takes what a server answers: not ready, wrong, or nothing."""

    @classmethod
    def setUpClass(cls):
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fake)
        cls.server.daemon_threads = True
        cls.url = "http://127.0.0.1:%d" % cls.server.server_address[1]
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        Fake.status, Fake.body, Fake.paths, Fake.silent = 200, b"{}", [], False

    def test_not_ready_exits_3(self):
        Fake.body = json.dumps(NOT_READY).encode()
        out = self.ok("--url", self.url, code=3)
        lines = out.splitlines()
        self.assertEqual(lines[0], "frontdeskd 0.2.0 on desk1, single-agent desk, up 1h 02m "
                                   "(since 2026-11-30 03:26)   not ready: store unwritable")
        self.assertEqual(lines[1], "connections  1 (agent framed 1)   unsent 4.9 KiB")
        self.assertEqual(lines[2:5], ["line         101 waiting, longest 1h 23m",
                                      "  1. waiting 1h 23m (away)", "     and 100 more"])
        # A name's control characters are blanked, its column still aligned.
        self.assertEqual(lines[5:7], ["agents       al   ice  away       0/2 chats",
                                      "             bob       detached   2/2 chats"])
        self.assertEqual(lines[7], "store        sqlite /var/lib/frontdesk/frontdesk.db, "
                                   "NOT WRITABLE, last ID 1234")
        # --json exits by readiness too, and gives the document as it came.
        self.assertEqual(self.ok("--json", "--url", self.url, code=3).rstrip("\n"),
                         Fake.body.decode())
        self.assertEqual(Fake.paths, ["/status", "/status"])

    def test_path_prefix(self):
        Fake.body = b'{"ready": true, "mode": "group", "members": 0}\n'
        self.assertEqual(self.ok("--json", "--url", self.url + "/frontdesk/"),
                         Fake.body.decode())
        self.ok("--url", self.url + "/a/status")
        self.assertEqual(Fake.paths, ["/frontdesk/status", "/a/status"])

    def test_wrong_answers(self):
        Fake.status = 404
        self.assertIn('answered GET /status with "HTTP/1.0 404 Not Found"', self.fails(1))
        Fake.status = 200
        for body, words in ((b"<html>", "not JSON (at byte 0"),
                            (b'{"ready": true', "not JSON (at byte 14"),
                            (b"[" * 100000, "nested too deep"),
                            (b'{"ready": "yes"}', 'without "ready"'),
                            (b"[]", 'without "ready"')):
            Fake.body = body
            self.assertIn(words, self.fails(1, "--json"))

    def test_no_answer_times_out(self):
        Fake.silent = True
        start = time.monotonic()
        err = self.fails(1)
        self.assertLess(time.monotonic() - start, DEADLINE)
        self.assertIn("timed out", err)

    def fails(self, code, *args):
        return super().fails(code, "--url", self.url, *args)


if __name__ == "__main__":
    main()
