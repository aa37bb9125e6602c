# SPDX-License-Identifier: ISC
"""metrics_listen: /metrics passes promtool and its counters move as a scripted session
happens (a customer queued and served, a slow consumer dropped, a refused connection, a room's
deliveries); /readyz flips while the daemon shuts down or its store cannot write, /healthz stays
200; the listener comes from systemd like the others; bad requests are answered and change
nothing."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (DEADLINE, MESSAGE, Daemon, Peer, find_promtool, frame, main,  # noqa: E402
                    notices)
from filepeer import FilePeer  # noqa: E402
from grouptest import GROUP, LinePeer, member  # noqa: E402

METRICS = "metrics_listen = 127.0.0.1:0\n"


def promtool():
    return find_promtool()


def get(d, path, method="GET", port=None):
    """(status, content type, body) of one request to the daemon's metrics listener."""
    c = http.client.HTTPConnection("127.0.0.1", port or d.metrics_port, timeout=DEADLINE)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, r.getheader("Content-Type"), r.read().decode()
    finally:
        c.close()


def scrape(d):
    """/metrics as {"name{labels}": value}."""
    status, ctype, body = get(d, "/metrics")
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4"), (status, ctype)
    samples = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def wait_metric(d, name, predicate, what):
    """Scrape until @predicate(value of @name) holds; the samples then."""
    deadline = time.monotonic() + DEADLINE
    while True:
        samples = scrape(d)
        if predicate(samples.get(name)):
            return samples
        if time.monotonic() > deadline:
            raise AssertionError("%s: %s is %r" % (what, name, samples.get(name)))
        time.sleep(0.05)


class Exposition(unittest.TestCase):
    @unittest.skipUnless(promtool(), "promtool (Debian's prometheus) not found; "
                                     "./contrib/test.sh provides it")
    def test_promtool_passes_in_both_modes(self):
        for mode in ("", GROUP):
            with Daemon(METRICS + mode) as d:
                agent = Peer.agent(d, "mary")
                agent.notice(prefix="welcome")
                _, _, body = get(d, "/metrics")
                r = subprocess.run([promtool(), "check", "metrics"], input=body.encode(),
                                   capture_output=True)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn("frontdesk_info{version=", body)
                self.assertIn("process_resident_memory_bytes ", body)
                agent.close()

    def test_off_by_default(self):
        with Daemon() as d:
            self.assertIsNone(d.metrics_port)
            self.assertNotIn("metrics on", d.log())


class DeskSession(unittest.TestCase):
    def test_counters_follow_a_customer_queued_and_served(self):
        with Daemon(METRICS + "turns = free\n") as d:
            before = scrape(d)
            self.assertEqual(before['frontdesk_agents{status="available"}'], 0)
            agent = Peer.agent(d, "mary")
            agent.notice(prefix="welcome")
            bob = Peer.customer(d, "bob")
            bob.notice(body="serving mary")
            alice = Peer.customer(d, "alice")
            alice.notice(body="queued 1")
            s = scrape(d)
            self.assertEqual(s['frontdesk_connections{role="customer",protocol="framed"}'], 2)
            self.assertEqual(s['frontdesk_connections{role="agent",protocol="framed"}'], 1)
            self.assertEqual(s['frontdesk_connections_total{role="customer"}'], 2)
            self.assertEqual(s["frontdesk_queue_length"], 1)
            self.assertEqual(s['frontdesk_agents{status="busy"}'], 1)
            self.assertEqual(s["frontdesk_conversations_total"], 2)
            # bob was served at once: one wait of 0 s so far.
            self.assertEqual(s['frontdesk_wait_seconds_bucket{le="1"}'], 1)
            self.assertEqual(s["frontdesk_wait_seconds_count"], 1)

            bob.say("hello")
            self.assertEqual(agent.message(), "hello")
            agent.say("hi bob")
            self.assertEqual(bob.message(), "hi bob")
            s = scrape(d)
            self.assertEqual(s["frontdesk_messages_total"], 2)
            self.assertEqual(s["frontdesk_deliveries_total"], 2)
            self.assertGreaterEqual(s["frontdesk_store_commit_seconds_count"], 1)

            time.sleep(1.1)  # alice's wait is over a second: the next bucket
            agent.command("next")
            alice.notice(body="serving mary")
            s = scrape(d)
            self.assertEqual(s["frontdesk_queue_length"], 0)
            self.assertEqual(s["frontdesk_wait_seconds_count"], 2)
            self.assertEqual(s['frontdesk_wait_seconds_bucket{le="1"}'], 1)
            self.assertEqual(s['frontdesk_wait_seconds_bucket{le="5"}'], 2)
            self.assertGreater(s["frontdesk_wait_seconds_sum"], 1)

            status, ctype, body = get(d, "/status")
            self.assertEqual((status, ctype), (200, "application/json"))
            st = json.loads(body)
            self.assertEqual(st["mode"], "single-agent")
            self.assertEqual(st["agents"], [{"name": "mary", "status": "busy", "chats": 1,
                                             "capacity": 1}])
            self.assertEqual(st["line"]["length"], 0)
            self.assertEqual(st["counters"]["conversations"], 2)
            self.assertNotIn("alice", body)  # customers by place in line, never by name
            for p in (agent, alice):
                p.close()

    def test_status_lists_the_line_without_names(self):
        with Daemon(METRICS + "max_agents = 2\nmax_chats_per_agent = 1\n") as d:
            agent = Peer.agent(d, "mary")
            agent.notice(prefix="welcome")
            agent.command("away")
            agent.notice(prefix="away")
            waiting = [Peer.customer(d, n) for n in ("carol", "dave")]
            for p in waiting:
                p.notice(prefix="queued")
            st = json.loads(get(d, "/status")[2])
            self.assertEqual(st["line"]["length"], 2)
            self.assertEqual([w["position"] for w in st["line"]["waiting"]], [1, 2])
            self.assertEqual(st["agents"][0]["status"], "away")
            self.assertNotIn("carol", json.dumps(st))
            s = scrape(d)
            self.assertEqual(s['frontdesk_agents{status="away"}'], 1)
            self.assertEqual(s["frontdesk_queue_length"], 2)
            for p in waiting + [agent]:
                p.close()

    def test_refused_and_dropped_by_reason(self):
        cfg = METRICS + "turns = free\nmax_clients = 2\nmax_output_bytes = 64K\n"
        with Daemon(cfg) as d:
            agent = Peer.agent(d, "mary")
            agent.notice(prefix="welcome")
            sleepy = Peer.sleeper(d, "sleepy")
            agent.notice(body="customer sleepy")
            other = Peer.customer(d, "other")
            other.notice(prefix="queued")
            late = Peer.customer(d, "late")
            self.assertEqual(notices(late.expect_closed()),
                             ["error server-full -- the server is full; try again later"])
            wait_metric(d, 'frontdesk_refused_total{reason="server-full"}', lambda v: v == 1,
                        "the full server's refusal")

            batch = b"".join(frame(MESSAGE, "y" * 1000) for _ in range(100))
            seen = []
            deadline = time.monotonic() + DEADLINE
            while "customer-left sleepy" not in notices(seen):
                self.assertLess(time.monotonic(), deadline, "the sleeper was never dropped")
                agent.sock.sendall(batch)
                seen += agent.sync("batch")
            s = wait_metric(d, 'frontdesk_dropped_total{reason="slow-consumer"}',
                            lambda v: v == 1, "the slow consumer's drop")
            self.assertEqual(s['frontdesk_refused_total{reason="slow-consumer"}'], 0)
            self.assertEqual(s['frontdesk_dropped_total{reason="server-full"}'], 0)
            st = json.loads(get(d, "/status")[2])
            self.assertEqual((st["counters"]["refused"], st["counters"]["dropped"]), (1, 1))
            for p in (sleepy, other, agent):
                p.close()


class Room(unittest.TestCase):
    def test_deliveries_count_every_recipient(self):
        with Daemon(METRICS + GROUP) as d:
            a, b = member(d, "ann"), member(d, "ben")
            line = LinePeer(d)
            line.recv()
            a.notice(prefix="joined")
            a.notice(prefix="joined")
            a.say("hello room")
            self.assertEqual(b.message(), "ann: hello room")
            line.wait_for("ann: hello room")
            s = scrape(d)
            self.assertEqual(s["frontdesk_messages_total"], 1)
            self.assertEqual(s["frontdesk_deliveries_total"], 3)  # ann's echo too
            self.assertEqual(s["frontdesk_members"], 3)
            self.assertEqual(s['frontdesk_connections{role="member",protocol="line"}'], 1)
            self.assertNotIn("frontdesk_queue_length", s)
            st = json.loads(get(d, "/status")[2])
            self.assertEqual((st["mode"], st["members"], st["line"]), ("group", 3, None))
            for p in (a, b, line):
                p.close()


class Files(unittest.TestCase):
    def test_files_directory_and_transfers_by_result(self):
        """The directory's bytes and quota, uploads and downloads by result, bytes each way;
        a full quota is said once at warning level, however many offers it refuses."""
        with Daemon(METRICS + "turns = free\nfiles_max_bytes = 1M\nmax_file_size = 600K\n") as d:
            mary = FilePeer.agent(d, "mary")
            mary.notice(prefix="queue ")
            bob = FilePeer.customer(d, "bob")
            mary.notice(body="customer bob")
            mary.grant()
            bob.grant()
            data = os.urandom(500 * 1024)
            sha = bob.upload(data)
            got, _ = mary.fetch(sha)
            self.assertEqual(got, data)
            bob.command("file-offer big 700000 %s a/b * big.bin" % ("0" * 64))
            bob.notice(prefix="error file-too-large big ")
            for tag in ("f1", "f2", "f3"):  # 500 KiB kept: 600 KiB more do not fit
                bob.command("file-offer %s 600000 %s a/b * x.bin" % (tag, "1" * 64))
                bob.notice(prefix="error files-full %s " % tag)
            bob.command("file-offer c1 10 %s a/b * c.bin" % ("2" * 64))
            bob.notice(body="file-go c1")
            bob.command("file-cancel c1")
            mary.command("file-get g2 " + "3" * 64)
            mary.notice(prefix="error file-gone g2 ")
            s = wait_metric(d, 'frontdesk_file_uploads_total{result="cancelled"}',
                            lambda v: v == 1, "the cancel")
            up = {r: s['frontdesk_file_uploads_total{result="%s"}' % r]
                  for r in ("kept", "too-large", "full", "cancelled", "corrupt", "timeout")}
            self.assertEqual(up, {"kept": 1, "too-large": 1, "full": 3, "cancelled": 1,
                                  "corrupt": 0, "timeout": 0})
            self.assertEqual(s['frontdesk_file_downloads_total{result="sent"}'], 1)
            self.assertEqual(s['frontdesk_file_downloads_total{result="gone"}'], 1)
            self.assertEqual(s["frontdesk_file_uploaded_bytes_total"], len(data))
            self.assertEqual(s["frontdesk_file_downloaded_bytes_total"], len(data))
            self.assertEqual(s["frontdesk_files_bytes"], (125 + 1) * 4096)  # blocks + .type
            self.assertEqual(s["frontdesk_files_quota_bytes"], 1024 * 1024)
            self.assertEqual(d.log().count("(said at most once a minute)"), 1)
            if promtool():
                body = get(d, "/metrics")[2]
                r = subprocess.run([promtool(), "check", "metrics"], input=body.encode(),
                                   capture_output=True)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class Readiness(unittest.TestCase):
    def test_readyz_fails_while_shutting_down_healthz_stays(self):
        cfg = METRICS + GROUP + ("max_msgs_per_sec = 0\nmax_bytes_per_sec = 0\n"
                                 "max_output_bytes = 4M\n")
        with Daemon(cfg) as d:
            self.assertEqual(get(d, "/readyz")[::2], (200, "ready\n"))
            # A member that reads nothing keeps the shutdown waiting for its last bytes.
            sleepy = Peer.sleeper(d, "sleepy", notices=False)
            bob = member(d, "bob")
            text = "z" * 1000
            deadline = time.monotonic() + DEADLINE
            while scrape(d)["frontdesk_output_bytes"] < 200000:
                self.assertLess(time.monotonic(), deadline, "sleepy's output never grew")
                bob.sock.sendall(b"".join(frame(MESSAGE, text) for _ in range(100)))
                bob.sync("batch")
            d.proc.send_signal(signal.SIGTERM)
            d.wait_log("shutting down")
            self.assertEqual(get(d, "/readyz")[::2], (503, "not ready: shutting down\n"))
            self.assertEqual(get(d, "/healthz")[::2], (200, "ok\n"))
            self.assertEqual(scrape(d)["frontdesk_ready"], 0)
            self.assertEqual(d.stop(), 0)
            for p in (sleepy, bob):
                p.close()

    @unittest.skipUnless(shutil.which("prlimit"), "needs prlimit (util-linux)")
    def test_readyz_fails_while_the_store_cannot_write(self):
        with Daemon(METRICS + GROUP) as d:
            a = member(d, "ann")
            for i in range(3):
                a.say("ok%d" % i)
                a.message()
            wal = os.path.getsize(d.store_path + "-wal")
            subprocess.run(["prlimit", "--pid", str(d.proc.pid), "--fsize=%d:unlimited" % wal],
                           check=True)
            a.say("fails")
            a.notice(prefix="error store-unavailable")
            self.assertEqual(get(d, "/readyz")[::2], (503, "not ready: store unwritable\n"))
            self.assertEqual(get(d, "/healthz")[0], 200)
            self.assertEqual(scrape(d)["frontdesk_store_writable"], 0)
            st = json.loads(get(d, "/status")[2])
            self.assertEqual((st["ready"], st["not_ready"], st["store"]["writable"]),
                             (False, "store unwritable", False))
            subprocess.run(["prlimit", "--pid", str(d.proc.pid), "--fsize=unlimited:unlimited"],
                           check=True)
            self.assertEqual(a.message(), "ann: fails")  # held, then sent: nothing lost
            self.assertEqual(get(d, "/readyz")[::2], (200, "ready\n"))
            a.close()


class Requests(unittest.TestCase):
    def test_bad_requests_are_answered_and_change_nothing(self):
        with Daemon(METRICS) as d:
            self.assertEqual(get(d, "/nothing")[0], 404)
            self.assertIn(get(d, "/metrics", method="POST")[0], (405, 501))
            self.assertEqual(get(d, "/metrics?x=1")[0], 200)
            # A head past 8 KiB is refused; the daemon carries on.
            with socket.create_connection(("127.0.0.1", d.metrics_port), timeout=DEADLINE) as s:
                s.sendall(b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
                reply = b""
                try:
                    while chunk := s.recv(4096):
                        reply += chunk
                except ConnectionResetError:
                    pass
                self.assertNotIn(b"frontdesk_info", reply)
            self.assertEqual(get(d, "/healthz")[0], 200)
            bob = Peer.customer(d, "bob")
            bob.notice(body="agent-offline")
            bob.close()



@unittest.skipUnless(subprocess.run(["systemd-socket-activate", "--version"],
                                    capture_output=True).returncode == 0,
                     "systemd-socket-activate is not installed (package systemd)")
class Activation(unittest.TestCase):
    def test_metrics_socket_from_systemd(self):
        from servicetest import ActivatedDaemon
        d = ActivatedDaemon(tcp=2)
        with open(d.config_path, "a") as f:
            f.write("metrics_listen = 127.0.0.1:%d\n" % d.ports[1])
        with d:
            self.assertIn("metrics on 127.0.0.1:%d (HTTP: /metrics, /healthz, /readyz, "
                          "/status, socket from systemd)" % d.ports[1], d.log())
            self.assertEqual(get(d, "/healthz", port=d.ports[1])[0], 200)
            d.trigger.close()
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    main()
