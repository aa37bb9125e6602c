# SPDX-License-Identifier: ISC
"""Resource limits against slow and greedy peers, in single-agent mode (group mode's are in
test_group.py and test_group_limits.py): a peer that trickles one byte a second is cut at its
deadline however long it keeps trickling, a customer that never reads cannot make the daemon's
memory grow, customers filling max_clients cannot lock the agent out, closing connections
still count against max_clients, a silent crowd is held to max_startups, and unanswered
agent_listen connections cannot keep a real agent out."""

import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (CHALLENGE, COMMAND, DEADLINE, FRONTDESKD, MESSAGE, NICKNAME, RESPONSE,  # noqa: E402
                    VALGRIND, Daemon, Peer, frame, main, notices)
from grouptest import GROUP, LinePeer, member, under_memory_tool  # noqa: E402
from test_auth import answer, keyed_daemon, write_key  # noqa: E402

MAX_REFUSING = 32  # admit.h: refused peers kept open at once to be told why
CLOSE_TIMEOUT = 5  # conn.c: how long a closing connection may linger
AGENT_AUTH_TIMEOUT = 5  # admit.h: an agent_listen peer's time to answer the challenge
AGENT_KEY = b"the agents' key, not the customers'"


def is_closed(sock):
    """Whether the daemon has closed (or half-closed) @sock, without waiting."""
    sock.setblocking(False)
    try:
        return sock.recv(65536) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


class FdSampler(threading.Thread):
    """Samples the daemon's open descriptors until stopped; @peak is the highest seen."""

    def __init__(self, daemon):
        super().__init__(daemon=True)
        self.d, self.peak = daemon, 0
        self.done = threading.Event()
        self.start()

    def run(self):
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, self.d.fd_count())
            except OSError:
                return
            self.done.wait(0.002)

    def stop(self):
        self.done.set()
        self.join()
        return self.peak


def agent_listen_daemon(config):
    d = Daemon(config)
    with open(d.config_path, "a") as f:
        f.write("agent_listen = 127.0.0.1:0\nagent_key_file = %s\n" %
                write_key(d, "agent.key", AGENT_KEY))
    return d


def agent_listen_port(d):
    return int(re.search(r"listening on \S+:(\d+) \(framed protocol, agents", d.log()).group(1))


class Trickle(threading.Thread):
    """Sends @data one byte every @interval seconds until it is all sent or the socket fails."""

    def __init__(self, sock, data, interval=1.0):
        super().__init__(daemon=True)
        self.sock, self.data, self.interval = sock, data, interval
        self.sent = 0
        self.stop = threading.Event()
        self.start()

    def run(self):
        for i in range(len(self.data)):
            try:
                self.sock.sendall(self.data[i:i + 1])
            except OSError:
                return
            self.sent = i + 1
            if self.stop.wait(self.interval):
                return


class Slowloris(unittest.TestCase):
    def test_trickled_nickname_is_cut_at_the_handshake_deadline(self):
        # The deadline counts from accept; bytes arriving do not extend it.
        data = frame(NICKNAME, "slowpoke-with-a-long-name") + frame(COMMAND, "hello notices")
        with Daemon("handshake_timeout = 2\n") as d:
            p = Peer(socket.create_connection(("127.0.0.1", d.port), timeout=DEADLINE), "slow")
            t = Trickle(p.sock, data)
            start = time.monotonic()
            self.assertEqual(p.expect_closed(), [])
            t.stop.set()
            self.assertLess(t.sent, len(data), "the whole nickname got through")
            self.assertIn("no nickname within 2 seconds", d.log())
            self.assertLess(time.monotonic() - start, DEADLINE)
            p.close()

    def test_trickled_challenge_answer_is_cut_at_the_handshake_deadline(self):
        with keyed_daemon() as d:  # handshake_timeout = 2
            p = Peer(socket.create_connection(("127.0.0.1", d.port), timeout=DEADLINE), "slow")
            self.assertEqual(p.recv()[0], CHALLENGE)
            t = Trickle(p.sock, frame(8, "0" * 64))
            self.assertEqual(notices(p.expect_closed()),
                             ["error auth-failed -- no answer to the challenge in time"])
            t.stop.set()
            p.close()

    def test_trickling_active_customer_is_cut_at_the_idle_deadline(self):
        # A message that never completes is not activity: the idle deadline still applies.
        with Daemon("customer_idle_timeout = 2\n") as d:
            agent = Peer.agent(d, "mary")
            slow = Peer.customer(d, "slow")
            slow.notice(body="serving mary")
            agent.notice(body="customer slow")
            t = Trickle(slow.sock, frame(MESSAGE, "x" * 100))
            self.assertIn("error timeout -- idle for too long", notices(slow.expect_closed()))
            t.stop.set()
            agent.notice(body="customer-left slow")
            self.assertEqual([m for m in agent.sync() if m[0] == MESSAGE], [])
            slow.close()
            agent.close()


class Greedy(unittest.TestCase):
    def test_customer_that_never_reads_is_dropped(self):
        cfg = "turns = free\nmax_output_bytes = 64K\n"
        with Daemon(cfg) as d:
            agent = Peer.agent(d, "mary")
            sleepy = Peer.sleeper(d, "sleepy")
            agent.notice(body="customer sleepy")
            rss_before = d.rss_kib()
            text = "y" * 1000
            batch = b"".join(frame(MESSAGE, text) for _ in range(100))
            sent, seen = 0, []
            deadline = time.monotonic() + DEADLINE
            # Far more than the kernel's buffers and the bound together, until the drop.
            while "customer-left sleepy" not in notices(seen):
                self.assertLess(time.monotonic(), deadline, "the sleeper was never dropped")
                agent.sock.sendall(batch)
                sent += 100
                seen += agent.sync("batch %d" % sent)  # the agent is not held back meanwhile
            self.assertIn("error slow-consumer -- more than 65536 bytes unread",
                          notices(sleepy.expect_closed()))
            if not under_memory_tool(d):  # its shadow memory and quarantine dominate RSS
                self.assertLess(d.rss_kib() - rss_before, 16 * 1024)
            self.assertTrue(d.alive())
            sleepy.close()
            agent.close()


class Capacity(unittest.TestCase):
    def test_full_desk_still_lets_the_agent_in(self):
        with Daemon("max_clients = 2\n") as d:
            a = Peer.customer(d, "a")
            a.notice(body="agent-offline")
            b = Peer.customer(d, "b")
            b.notice(body="queued 1")
            late = Peer.customer(d, "late")
            self.assertEqual(notices(late.expect_closed()),
                             ["error server-full -- the server is full; try again later"])
            agent = Peer.agent(d, "mary")
            agent.notice(body="welcome single-agent mary")
            a.notice(body="agent-online mary")
            # The agent does not take a customer's place either.
            agent.close()
            a.notice(body="agent-offline")
            c = Peer.customer(d, "c")
            self.assertEqual(notices(c.expect_closed()),
                             ["error server-full -- the server is full; try again later"])
            for p in (a, b, late, c):
                p.close()

    def test_closing_connections_count_against_max_clients(self):
        # Each peer sends a broken frame and more than one read takes, then neither reads nor
        # hangs up: the daemon closes it but lingers up to CLOSE_TIMEOUT for its EOF, holding
        # its descriptor. Those descriptors must count: at most max_clients admitted peers plus
        # MAX_REFUSING being told "server-full", whatever the peers do; the rest are closed at
        # accept. The limit below is what a daemon that lets them pile up runs into (EMFILE),
        # and the agent socket must keep accepting meanwhile.
        with Daemon("max_clients = 4\n") as d:
            base = d.fd_count()
            # + the agent, + one peer between its accept and its close at accept
            allowed = base + 4 + MAX_REFUSING + 2
            limit = base + 50
            resource.prlimit(d.proc.pid, resource.RLIMIT_NOFILE, (limit, limit))
            sampler = FdSampler(d)
            junk = []
            for _ in range(80):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 18)  # one send: all
                s.connect(("127.0.0.1", d.port))
                s.setblocking(False)
                try:
                    s.send(b"00x8|2|" + b"j" * 40000)
                except OSError:
                    pass  # closed at accept
                junk.append(s)
            d.wait_log("error bad-frame", count=4)
            agent = Peer.agent(d, "mary")
            agent.notice(body="welcome single-agent mary")
            # Meanwhile: the lingering peers have not yet been cut off.
            self.assertLess(d.log().count("closing -> dead"), 4 + MAX_REFUSING,
                            "the agent got in only once lingering peers were cut off")
            # The crowd is refused at accept once MAX_REFUSING are being told: in the batch
            # of accepts after the agent's, on a slow daemon (valgrind), so wait for it.
            d.wait_log("refused: server-full")
            d.wait_log("agent-socket: agent mary")
            # Once they are cut off, customers get in again.
            d.wait_log("closing -> dead", count=4 + MAX_REFUSING)
            bob = Peer.customer(d, "bob")
            bob.notice(body="serving mary")
            peak = sampler.stop()
            self.assertLessEqual(peak, allowed, "descriptors: %d at start, %d at most" %
                                 (base, peak))
            self.assertNotIn("accept failed", d.log())
            for p in junk:
                p.close()
            agent.close()
            bob.close()

    @unittest.skipIf(VALGRIND, "valgrind keeps descriptors of its own and reports lower limits")
    def test_max_clients_must_fit_the_descriptor_limit(self):
        # 1000 clients cannot get a descriptor each under a hard limit of 256: refuse to start
        # rather than run into EMFILE, which would shut the agent socket out too.
        d = Daemon("max_clients = 1000\n")

        def low_limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
        try:
            proc = subprocess.Popen([FRONTDESKD, "-c", d.config_path], preexec_fn=low_limit,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                out, _ = proc.communicate(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
            self.assertEqual(proc.returncode, 1, out)
            self.assertRegex(out, r"max_clients = 1000 needs \d+ file descriptors, but the limit "
                             r"is 256: lower max_clients or raise LimitNOFILE=")
        finally:
            d.__exit__(None, None, None)
        # Below the hard limit the soft one is raised to what max_clients needs.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (200, hard))
        d = Daemon("max_clients = 100\n")
        try:
            d.start()
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        try:
            with open("/proc/%d/limits" % d.proc.pid) as f:
                limit = int(re.search(r"Max open files\s+(\d+)", f.read()).group(1))
            self.assertGreaterEqual(limit, 100 + MAX_REFUSING + 16)
            self.assertIn("descriptor limit raised to %d for max_clients = 100" % limit, d.log())
        finally:
            d.__exit__(None, None, None)

    def test_silent_crowd_is_held_to_max_startups(self):
        # Members past their handshake do not count; silent connections do, and past FULL
        # every newcomer is closed at accept, while the room goes on.
        cfg = GROUP + "max_startups = 4:50:8\nhandshake_timeout = 15\nmax_msgs_per_sec = 0\n"
        with Daemon(cfg) as d:
            members = [member(d, "m%d" % i) for i in range(10)]
            silent = [socket.create_connection(("127.0.0.1", d.port), timeout=DEADLINE)
                      for _ in range(30)]
            deadline = time.monotonic() + 10
            while sum(is_closed(s) for s in silent) < 22:
                self.assertLess(time.monotonic(), deadline, "%d of 30 silent connections held"
                                % sum(not is_closed(s) for s in silent))
                time.sleep(0.05)
            # Refusals are logged one a second in full, the rest counted (log_refusal()): at
            # least 22 refusals, a few seconds at most, so a few lines, not one per refusal.
            self.assertIn("refused: too many unauthenticated connections", d.log())
            self.assertLessEqual(d.log().count(": refused: "), 10)
            held = sum(not is_closed(s) for s in silent)
            self.assertLessEqual(held, 8)
            # Ordinary chat continues, and a line peer (no handshake) still joins.
            members[0].say("still here")
            for m in members:
                self.assertEqual(m.message(), "m0: still here")
            line = LinePeer(d)
            members[0].notice(body="joined " + line.name)
            # The crowd hangs up; a new member gets in.
            for s in silent:
                s.close()
            d.wait_log("(-): closed: peer closed the connection", count=held)
            late = member(d, "late")
            members[0].notice(body="joined late")
            for p in members + [line, late]:
                p.close()

    def test_unanswered_agent_connections_cannot_keep_the_agent_out(self):
        d = agent_listen_daemon("handshake_timeout = 30\n")
        with d:
            port = agent_listen_port(d)

            def challenged():  # and never answering, from another address
                s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE,
                                             source_address=("127.0.0.2", 0))
                p = Peer(s, "x")
                self.assertEqual(p.recv()[0], CHALLENGE)
                return p

            waiting = [challenged() for _ in range(8)]
            start = time.monotonic()
            agent = Peer(socket.create_connection(("127.0.0.1", port), timeout=DEADLINE),
                         "mary")
            t, challenge = agent.recv()
            self.assertEqual(t, CHALLENGE)
            agent.sock.sendall(frame(RESPONSE, answer(challenge, AGENT_KEY)) +
                               frame(NICKNAME, "mary") + frame(COMMAND, "hello notices"))
            agent.notice(body="welcome single-agent mary")
            # The agent made room by dropping the oldest unanswered one; once it answered, it
            # no longer counts among them, and newcomers drop the oldest of those, never it.
            waiting += [challenged() for _ in range(4)]
            for p in waiting[:4]:
                self.assertEqual(p.expect_closed(), [])
            self.assertEqual(d.log().count("dropped: a newer agent connection takes its place"),
                             4)
            # The rest are cut at their own short deadline, not at handshake_timeout.
            self.assertEqual(notices(waiting[-1].expect_closed(timeout=AGENT_AUTH_TIMEOUT + 10)),
                             ["error auth-failed -- no answer to the challenge in time"])
            self.assertLess(time.monotonic() - start, AGENT_AUTH_TIMEOUT + 10)
            # The agent serves customers as ever.
            bob = Peer.customer(d, "bob")
            bob.notice(body="serving mary")
            agent.notice(body="customer bob")
            for p in waiting + [agent, bob]:
                p.close()

if __name__ == "__main__":
    main()
