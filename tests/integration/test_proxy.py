# SPDX-License-Identifier: ISC
"""The PROXY protocol (issue 17, item 2) against the real daemon: a v1 or v2 header from a
proxy_from address names the client, whom the room, the log, max_per_address and address bans
then see; a header from anywhere else is not honoured; a balancer's connection without a good
header is closed (at the deadline when it sends nothing); on a TLS listener the header comes
before the handshake; proxy_from changes on SIGHUP."""

import os
import signal
import socket
import ssl
import struct
import sys
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import DEADLINE, NOTICE, Daemon, Peer, main  # noqa: E402
from grouptest import GROUP, LinePeer  # noqa: E402
from modtest import member, operator, room  # noqa: E402
from test_tls import make_cert  # noqa: E402

warnings.simplefilter("ignore", ResourceWarning)

# The balancer is 127.0.0.1; members who connect directly come from 127.0.0.2.
ROOM = GROUP + "max_joins_per_min = 0\nproxy_from = 127.0.0.1\n"
WELCOME = "* welcome group %s -- /nick NAME renames you, /who lists the members, quit leaves"
SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(src, sport, dst="127.0.0.1", dport=6666):
    family = "TCP6" if ":" in src else "TCP4"
    return ("PROXY %s %s %s %d %d\r\n" % (family, src, dst, sport, dport)).encode()


def v2(src=None, sport=0, dst="127.0.0.1", dport=6666, local=False, tlvs=b""):
    """A v2 header: PROXY (TCP over IPv4 or IPv6) from @src, or LOCAL."""
    if local:
        return SIG + b"\x20\x00" + struct.pack("!H", 0)
    if ":" in src:
        block = (socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
                 + struct.pack("!HH", sport, dport))
        fam = b"\x21"
    else:
        block = (socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport))
        fam = b"\x11"
    block += tlvs
    return SIG + b"\x21" + fam + struct.pack("!H", len(block)) + block


def balancer(port, source="127.0.0.1"):
    return socket.create_connection(("127.0.0.1", port), timeout=DEADLINE,
                                    source_address=(source, 0))


class ProxiedLine(LinePeer):
    """A line member through the balancer: @header first, then the client's lines."""

    def __init__(self, daemon, header, name=None, source="127.0.0.1", port=None):
        sock = balancer(port or daemon.line_port, source)
        sock.sendall(header)
        Peer.__init__(self, sock, name)
        self.lines = []


def proxied_member(d, header, nick, source="127.0.0.1"):
    """A framed member through the balancer, not yet welcomed."""
    p = Peer(balancer(d.port, source), nick)
    p.sock.sendall(header)
    p.join(nick)
    return p


def notice_bodies(frames):
    return [b for t, b in frames if t == NOTICE]


class Honoured(unittest.TestCase):
    def test_v1_and_v2_name_the_client(self):
        with Daemon(ROOM) as d:
            alice, kept = member(d, "alice", source="127.0.0.2"), []
            for header, name in ((v1("203.0.113.7", 51234), "203.0.113.7:51234"),
                                 (v2("203.0.113.8", 443), "203.0.113.8:443"),
                                 (v2("2001:db8::7", 1000, dst="::1"), "[2001:db8::7]:1000"),
                                 (v2("203.0.113.9", 7, tlvs=b"\x01\x00\x02h2"),
                                  "203.0.113.9:7")):
                n = ProxiedLine(d, header)
                kept.append(n)
                self.assertEqual(n.recv(), WELCOME % name)
                alice.notice(body="joined " + name)
                d.wait_log("%s: via 127.0.0.1:" % name)
                self.assertIn("%s: connected as member" % name, d.log())
            bob = proxied_member(d, v1("198.51.100.4", 4000), "bob")
            bob.notice(prefix="welcome group bob")
            alice.notice(body="joined bob")
            self.assertIn("198.51.100.4:4000: connected as member", d.log())
            alice.command("who")
            members = notice_bodies(alice.wait_for(NOTICE, prefix="members "))
            self.assertIn("member 203.0.113.7:51234", members)
            self.assertIn("member [2001:db8::7]:1000", members)
            # The balancer's health check keeps its own address.
            for header in (b"PROXY UNKNOWN\r\n", v2(local=True)):
                hc = ProxiedLine(d, header)
                welcome = hc.recv()
                self.assertTrue(welcome.startswith("* welcome group 127.0.0.1:"), welcome)
                hc.send("quit")
                hc.expect_closed()

    def test_desk_customer(self):
        with Daemon("proxy_from = 127.0.0.1\n") as d:
            p = proxied_member(d, v2("203.0.113.7", 5555, dport=21567), "carol")
            p.notice(body="welcome single-agent carol")
            d.wait_log("serving carol (203.0.113.7:5555)")

    def test_header_trickled_byte_by_byte(self):
        with Daemon(ROOM) as d:
            s = balancer(d.line_port)
            for b in v1("203.0.113.7", 6000):
                s.sendall(bytes([b]))
                time.sleep(0.01)
            n = Peer(s)
            n.__class__ = ProxiedLine
            n.lines = []
            self.assertEqual(n.recv(), WELCOME % "203.0.113.7:6000")


class Limits(unittest.TestCase):
    def test_max_per_address_counts_the_client(self):
        with Daemon(ROOM + "max_per_address = 1\n") as d:
            a = ProxiedLine(d, v1("203.0.113.7", 1))
            self.assertEqual(a.recv(), WELCOME % "203.0.113.7:1")
            b = ProxiedLine(d, v2("203.0.113.8", 2))
            self.assertEqual(b.recv(), WELCOME % "203.0.113.8:2")
            c = ProxiedLine(d, v1("203.0.113.7", 3))
            self.assertEqual(c.expect_closed(), [
                "* error too-many-from-address -- too many connections from your address"])
            f = proxied_member(d, v2("203.0.113.8", 4), "f")
            self.assertEqual(notice_bodies(f.expect_closed()), [
                "error too-many-from-address -- too many connections from your address"])
            # Three connections from the balancer itself: its address is never counted.
            e = ProxiedLine(d, v1("203.0.113.9", 5))
            self.assertEqual(e.recv(), WELCOME % "203.0.113.9:5")

    def test_ban_on_the_client_address(self):
        with room("proxy_from = 127.0.0.1\n") as d:
            op = operator(d)
            there = ProxiedLine(d, v1("203.0.113.7", 1))
            there.wait_for(prefix="* welcome group ")
            op.notice(body="joined 203.0.113.7:1")
            op.command("ban addr:203.0.113.0/24 -- abuse")
            there.wait_for("* error banned -- addr:203.0.113.0/24 by op: abuse")
            op.notice(body="banned addr:203.0.113.0/24 op -- abuse")
            again = proxied_member(d, v2("203.0.113.7", 2), "x")
            self.assertEqual(notice_bodies(again.expect_closed()),
                             ["error banned -- your address is banned from this room"])
            line = ProxiedLine(d, v1("203.0.113.9", 3))
            self.assertEqual(line.expect_closed(),
                             ["* error banned -- your address is banned from this room"])
            ok = proxied_member(d, v1("198.51.100.1", 4), "ok")
            ok.notice(prefix="welcome group ok")


class Refused(unittest.TestCase):
    def test_header_from_elsewhere_is_not_honoured(self):
        with Daemon(GROUP + "max_joins_per_min = 0\nproxy_from = 127.0.0.2\n") as d:
            alice = member(d, "alice", source="127.0.0.3")
            # A line peer: the header is its first line, said in the room under its own name.
            n = ProxiedLine(d, v1("203.0.113.7", 51234), source="127.0.0.1")
            welcome = n.recv()
            self.assertTrue(welcome.startswith("* welcome group 127.0.0.1:"), welcome)
            name = welcome.split()[3]
            alice.notice(body="joined " + name)
            self.assertEqual(alice.message(),
                             "%s: PROXY TCP4 203.0.113.7 127.0.0.1 51234 6666" % name)
            # A framed peer: a bad frame, closed.
            p = proxied_member(d, v2("203.0.113.7", 1), "x", source="127.0.0.3")
            p.expect_closed()
            d.wait_log("127.0.0.3:%d (-): error bad-frame" % p.sock.getsockname()[1])
            self.assertNotIn("203.0.113.7", d.log())

    def test_balancer_without_a_good_header_is_closed(self):
        with Daemon(ROOM + "handshake_timeout = 2\n") as d:
            alice = member(d, "alice", source="127.0.0.2")
            # Nothing at all: closed at the deadline, unanswered.
            start = time.monotonic()
            silent = Peer(balancer(d.line_port))
            bad = [Peer(balancer(d.line_port)), Peer(balancer(d.port)), Peer(balancer(d.port))]
            bad[0].sock.sendall(b"PROXY TCP4 203.0.113.7 nowhere 1 2\r\nhello\n")
            bad[1].sock.sendall(b"0010|1|bob")  # the client's frame without the header
            bad[2].sock.sendall(SIG + b"\x21\x12\x00\x0c" + bytes(12))  # UDP
            for p in bad:
                self.assertEqual(p.expect_closed(timeout=1.5), [])
            self.assertEqual(silent.expect_closed(), [])
            self.assertGreater(time.monotonic() - start, 1.5)
            log = d.log()
            self.assertIn("refused: PROXY header: none within the deadline", log)
            self.assertIn("refused: PROXY header: v1: the destination is not an address", log)
            self.assertIn("refused: PROXY header: not a PROXY header", log)
            self.assertIn("refused: PROXY header: v2: neither TCP over IPv4 or IPv6", log)
            # The balancer hanging up before its header: a health check, only a debug line.
            hc = balancer(d.line_port)
            hc.close()
            d.wait_log("closed before its PROXY header")
            self.assertEqual(notice_bodies(alice.sync()), [])  # nobody joined

    def test_proxy_from_changes_on_sighup(self):
        with Daemon(GROUP + "proxy_from = 127.0.0.2\n") as d:
            n = ProxiedLine(d, v1("203.0.113.7", 1), source="127.0.0.1")
            self.assertTrue(n.recv().startswith("* welcome group 127.0.0.1:"))
            with open(d.config_path) as f:
                text = f.read().replace("proxy_from = 127.0.0.2", "proxy_from = 127.0.0.1")
            with open(d.config_path, "w") as f:
                f.write(text)
            d.proc.send_signal(signal.SIGHUP)
            d.wait_log("changed: proxy_from")
            m = ProxiedLine(d, v1("203.0.113.7", 2), source="127.0.0.1")
            self.assertEqual(m.recv(), WELCOME % "203.0.113.7:2")


class OverTls(unittest.TestCase):
    def test_header_before_the_tls_handshake(self):
        d = Daemon(ROOM)
        cert, key = make_cert(d.dir, "server")
        with open(d.config_path, "a") as f:
            f.write("tls_cert = %s\ntls_key = %s\n" % (cert, key))
        with d:
            ctx = ssl.create_default_context(cafile=cert)

            def tls(port, header):
                raw = balancer(port)
                raw.sendall(header)
                return ctx.wrap_socket(raw, server_hostname="127.0.0.1")

            p = Peer(tls(d.port, v2("203.0.113.7", 1234)), "tina")
            p.join("tina")
            p.notice(prefix="welcome group tina")
            d.wait_log("203.0.113.7:1234: connected as member")
            n = Peer(tls(d.line_port, v1("203.0.113.8", 99)))
            n.__class__ = ProxiedLine
            n.lines = []
            self.assertEqual(n.recv(), WELCOME % "203.0.113.8:99")
            p.notice(body="joined 203.0.113.8:99")


if __name__ == "__main__":
    main()
