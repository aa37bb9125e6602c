# SPDX-License-Identifier: ISC
"""Dead peers (issue 11, defect 4): TCP keepalive on accepted sockets, capabilities (protocol
7.1), server pings (7.6), and the client's side of them.

A peer that vanishes without a FIN or RST (a laptop that sleeps) is made with TCP_REPAIR: a
socket closed in repair mode just disappears from our kernel, so the daemon's side stays
established until it sends something (a keepalive probe), which our kernel answers with RST.
That needs CAP_NET_ADMIN; without it those tests are skipped.
"""

import os
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (CHALLENGE, COMMAND, DEADLINE, MESSAGE, NICKNAME, NOTICE, RESPONSE,  # noqa: E402
                    Closed, Daemon, Peer, frame, main, notices)
from clientrun import ScriptClient  # noqa: E402
from fakeserver import FakeServer  # noqa: E402
from test_auth import answer, write_key  # noqa: E402
from test_tls import TlsDaemon  # noqa: E402

TCP_REPAIR = 19
PINGS = "peer_timeout = 2s\n"  # pings after 1 s of silence, an answer due within 2 s


def can_vanish():
    s = socket.socket()
    try:
        s.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
        return True
    except OSError:
        return False
    finally:
        s.close()


def vanish(sock):
    """Close @sock without a FIN or RST, as if its machine had gone away."""
    sock.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    sock.close()


def tcp_state(local_port, remote_port):
    """An established IPv4 socket as the kernel sees it (/proc/net/tcp): (unacknowledged bytes
    sent, timer kind, clock ticks left), or None. Timer kind 2 is keepalive."""
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, remote, state = fields[1], fields[2], fields[3]
            if (state == "01" and int(local.split(":")[1], 16) == local_port
                    and int(remote.split(":")[1], 16) == remote_port):
                kind, when = fields[5].split(":")
                return int(fields[4].split(":")[0], 16), int(kind, 16), int(when, 16)
    return None


def wait_tcp(local_port, remote_port, ok, what):
    """Wait until ok(tcp_state(...)) holds for the daemon's socket; return that state."""
    deadline = time.monotonic() + DEADLINE
    while True:
        state = tcp_state(local_port, remote_port)
        if state is not None and ok(state):
            return state
        if time.monotonic() > deadline:
            raise AssertionError("%s never held: %r" % (what, state))
        time.sleep(0.02)


def capped(peer, words="ping"):
    """Ask for capabilities; return the granted words."""
    peer.command("caps " + words)
    peer.notice(prefix="caps")
    return [b for t, b in peer.frames if t == NOTICE and b.startswith("caps")][-1].split()[1:]


def wait_ping(peer, timeout=DEADLINE):
    """The next "ping TOKEN" notice; return TOKEN."""
    peer.notice(prefix="ping ", timeout=timeout)
    return [b for t, b in peer.frames if t == NOTICE and b.startswith("ping ")][-1].split()[1]


def remote_agent(d, port, nick, key):
    """An agent over agent_listen: answer the challenge, then the usual opening."""
    p = Peer(socket.create_connection(("127.0.0.1", port), timeout=DEADLINE), nick)
    t, challenge = p.recv()
    assert t == CHALLENGE
    p.sock.sendall(frame(RESPONSE, answer(challenge, key)) + frame(NICKNAME, nick) +
                   frame(COMMAND, "hello notices"))
    return p


class Keepalive(unittest.TestCase):
    def test_accepted_socket_has_a_short_keepalive_timer(self):
        with Daemon() as d:  # the default peer_timeout (60 s): the first probe after 30 s
            c = Peer.customer(d, "bob")
            c.notice(prefix="welcome")
            unacked, kind, when = wait_tcp(d.port, c.sock.getsockname()[1],
                                           lambda st: st[1] == 2, "a keepalive timer")
            # In clock ticks (USER_HZ, 100/s): at most 30 s, not the kernel's two hours.
            self.assertLessEqual(when, 30 * 100)

    @unittest.skipUnless(can_vanish(), "TCP_REPAIR needs CAP_NET_ADMIN")
    def test_vanished_remote_agent_is_noticed_and_another_can_attach(self):
        key = b"agent secret, long enough"
        d = Daemon()
        akey = write_key(d, "agent.key", key)
        with open(d.config_path, "a") as f:
            f.write(PINGS + "agent_listen = 127.0.0.1:0\nagent_key_file = %s\n" % akey)
        with d:
            port = int(re.search(r"listening on \S+:(\d+) \(framed protocol, agents",
                                 d.log()).group(1))
            mary = remote_agent(d, port, "mary", key)  # no capabilities: keepalive only
            mary.notice(body="welcome single-agent mary")
            bob = Peer.customer(d, "bob")
            bob.notice(body="serving mary")
            # Nothing in flight either way, or a retransmission would meet a reset at once:
            # only a keepalive probe can find out.
            mary.sync()
            wait_tcp(port, mary.sock.getsockname()[1], lambda st: st[0] == 0,
                     "all sent to mary acknowledged")
            started = time.monotonic()
            vanish(mary.sock)
            bob.notice(body="agent-offline")
            self.assertLess(time.monotonic() - started, 10, "noticed within a few seconds")
            self.assertIn("(mary): connection error", d.log())
            john = remote_agent(d, port, "john", key)
            john.notice(body="welcome single-agent john")
            bob.notice(body="agent-online john")


class Caps(unittest.TestCase):
    def test_only_known_words_are_granted(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            self.assertEqual(capped(agent, "ping foo"), ["ping"])
            self.assertEqual(capped(agent, "foo bar"), [])
            cust = Peer.customer(d, "bob")
            # Customers and the agent are granted resume (resume_grace, agent_grace).
            self.assertEqual(capped(cust, "ids ping resume foo"), ["ids", "ping", "resume"])
            self.assertEqual(capped(agent, "ids ping resume"), ["ids", "ping", "resume"])

    def test_no_ping_granted_while_peer_timeout_is_off(self):
        with Daemon("peer_timeout = 0\n") as d:
            agent = Peer.agent(d, "mary")
            self.assertEqual(capped(agent, "ping"), [])

    def test_wave1_clients_are_never_pinged(self):
        with Daemon(PINGS) as d:
            old = Peer.customer(d, "old")  # "hello notices" only
            old.notice(prefix="welcome")
            new = Peer.customer(d, "new")
            self.assertEqual(capped(new), ["ping"])
            # Both stay silent: by the second ping to "new", "old" was silent as long.
            wait_ping(new)
            new.command("pong x")
            wait_ping(new)
            frames = old.sync()
            self.assertEqual([n for n in notices(frames) if n.startswith(("ping", "caps"))], [])


class Pings(unittest.TestCase):
    def test_silent_agent_is_pinged_then_closed_and_the_desk_is_free(self):
        with Daemon(PINGS) as d:
            mary = Peer.agent(d, "mary")
            self.assertEqual(capped(mary), ["ping"])
            bob = Peer.customer(d, "bob")
            bob.notice(body="serving mary")
            token = wait_ping(mary)
            self.assertRegex(token, r"^\S+$")
            started = time.monotonic()
            frames = mary.expect_closed()  # it never answers
            self.assertIn("error timeout -- no answer to ping", notices(frames))
            self.assertLess(time.monotonic() - started, 6, "closed about peer_timeout after")
            bob.notice(body="agent-offline")
            john = Peer.agent(d, "john")
            john.notice(body="welcome single-agent john")
            self.assertNotIn("agent-busy", " ".join(notices(john.sync())))

    def test_an_answering_agent_stays(self):
        with Daemon(PINGS) as d:
            mary = Peer.agent(d, "mary")
            capped(mary)
            for _ in range(3):
                mary.command("pong " + wait_ping(mary))
            # Any frame is an answer too: a message (here one with nobody to go to).
            wait_ping(mary)
            mary.say("still here")
            mary.notice(prefix="error no-customer")
            wait_ping(mary)
            mary.command("pong late")
            mary.sync()
            self.assertNotIn("no answer to ping", d.log())

    def test_customers_and_members_are_pinged_too(self):
        with Daemon(PINGS) as d:
            first = Peer.customer(d, "first")  # kept: a dropped socket is a customer leaving
            first.notice(prefix="welcome")
            waiting = Peer.customer(d, "waiting")
            waiting.notice(body="queued 1")
            capped(waiting)
            wait_ping(waiting)
            self.assertIn("error timeout -- no answer to ping",
                          notices(waiting.expect_closed()))
        with Daemon("mode = group\n" + PINGS) as d:
            member = Peer.customer(d, "ann")
            capped(member)
            wait_ping(member)
            line = socket.create_connection(("127.0.0.1", d.line_port), timeout=DEADLINE)
            line.sendall(b"/caps ping\n")
            got = b""
            while b"* ping " not in got:
                data = line.recv(4096)
                self.assertTrue(data, "closed before a ping: %r" % got)
                got += data
            self.assertIn(b"* caps ping\n", got)
            line.close()


    def test_pings_over_tls(self):
        # A TLS bufferevent keeps reading when its timeout fires; a socket one stops: both work.
        with TlsDaemon(PINGS) as d:
            bob = d.tls_peer("bob")
            self.assertEqual(capped(bob), ["ping"])
            bob.command("pong " + wait_ping(bob))
            wait_ping(bob)
            self.assertIn("error timeout -- no answer to ping", notices(bob.expect_closed()))


class Client(unittest.TestCase):
    def test_client_answers_pings_and_does_not_show_them(self):
        with Daemon(PINGS) as d:
            agent = ScriptClient("--agent", "--name", "mary", "unix:" + d.agent_socket)
            try:
                d.wait_log("(mary): pong ", count=3)
                self.assertIsNone(agent.proc.poll(), "the client is still connected")
                bob = Peer.customer(d, "bob")
                bob.notice(body="serving mary")
                self.assertEqual(agent.finish(), 0, agent.err)
            finally:
                agent.kill()
            self.assertNotIn("no answer to ping", d.log())
            for word in ("ping", "pong", "caps", "nknown"):
                self.assertNotIn(word, agent.err)

    def test_client_copes_with_a_wave1_server(self):
        """A wave-1 frontdeskd answers "caps" with error unknown-command: not shown."""
        got = []

        def serve(conn):
            peer = Peer(conn, "server")
            while True:
                try:
                    t, body = peer.recv()
                except (Closed, AssertionError):
                    return
                got.append((t, body))
                if (t, body) == (COMMAND, "hello notices"):
                    conn.sendall(frame(NOTICE, "welcome single-agent bob") +
                                 frame(NOTICE, "turns free"))
                elif t == COMMAND and body.startswith("caps"):
                    conn.sendall(frame(NOTICE, "error unknown-command -- 'caps' is not "
                                               "a command here"))
                elif t == MESSAGE:
                    conn.sendall(frame(MESSAGE, "you said: " + body))
                elif (t, body) == (COMMAND, "quit"):
                    return

        with FakeServer(serve) as srv:
            c = ScriptClient("--name", "bob", "127.0.0.1:%d" % srv.port)
            code = c.finish("hello\n")
        self.assertEqual(code, 0, c.err)
        self.assertEqual(c.out, "you said: hello\n")
        self.assertIn((COMMAND, "caps ping ids resume files"), got)
        self.assertNotIn("nknown", c.err)

    def test_replaced_client_ends_without_error(self):
        with Daemon() as d:
            agent = ScriptClient("--agent", "--name", "mary", "unix:" + d.agent_socket)
            try:
                d.wait_log("agent-socket: agent mary")
                again = Peer.agent(d, "mary")  # the same name and uid: takes over
                again.notice(body="welcome single-agent mary")
                # It ends by itself (its input is still open) and does not come back.
                agent.proc.wait(DEADLINE)
                self.assertEqual(agent.finish(), 0, agent.err)
                again.sync()
            finally:
                agent.kill()
            self.assertIn("* Replaced: a new connection as mary took over", agent.err)


if __name__ == "__main__":
    main()
