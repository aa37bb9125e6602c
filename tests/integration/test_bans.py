# SPDX-License-Identifier: ISC
"""Bans (issue 15) against the real daemon in group mode: by nick and by address, present
members closed, newcomers refused at the door on the framed, line and TLS listeners and at a
resume, a rename into a banned name refused, what may not be banned, and bans that survive a
restart (SIGTERM and kill -9)."""

import os
import signal
import socket
import ssl
import struct
import sys
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import COMMAND, DEADLINE, NOTICE, Peer, frame, main  # noqa: E402
from grouptest import LinePeer  # noqa: E402
from modtest import (become_operator, framed, line, member, notices_until_sync,  # noqa: E402
                     operator, room)
from test_store import restart  # noqa: E402
from test_tls import make_cert  # noqa: E402

warnings.simplefilter("ignore", ResourceWarning)
BANNED_ADDR = "error banned -- your address is banned from this room"


def refused(p):
    """The frames a refused peer got before it was closed."""
    return [b for t, b in p.expect_closed() if t == NOTICE]


class ByNick(unittest.TestCase):
    def test_ban_closes_refuses_and_lifts(self):
        with room() as d:
            op, bob, alice, liner = operator(d), member(d, "bob"), member(d, "alice"), line(d)
            op.command("ban nick:bob 2h -- spam")
            self.assertIn("error banned -- nick:bob by op: spam", refused(bob))
            alice.notice(body="banned nick:bob op 2h -- spam")
            liner.wait_for("* banned nick:bob op 2h -- spam")
            self.assertNotIn("left bob", notices_until_sync(alice))
            self.assertIn("op banned nick:bob for 2h -- spam (1 present)", d.log())
            # At the door: refused before the room hears of it.
            again = framed(d, "bob")
            self.assertEqual(refused(again),
                             ["error banned -- the name bob is banned from this room"])
            self.assertNotIn("joined bob", notices_until_sync(alice))
            # A rename into it: refused, the name kept, nobody disturbed.
            liner.send("/nick bob")
            liner.wait_for(prefix="* error banned -- the name bob is banned")
            alice.command("nick bob")
            alice.notice(prefix="error banned -- ")
            self.assertEqual(notices_until_sync(alice), [])
            op.command("bans")
            op.notice(prefix="ban nick:bob op ")
            self.assertTrue(op.frames[-1][1].endswith(" -- spam"))
            op.notice(body="bans 1")
            op.command("unban nick:bob")
            alice.notice(body="unbanned nick:bob op")
            op.command("unban nick:bob")
            op.notice(body="error bad-command -- nick:bob is not banned")
            member(d, "bob")
            alice.notice(body="joined bob")

    def test_banned_nick_cannot_resume(self):
        with room() as d:
            op, alice = operator(d), member(d, "alice")
            bob = member(d, "bob")
            bob.command("caps resume")
            bob.notice(prefix="session ")
            token = bob.frames[-1][1].split()[1]
            # Its connection is lost (a reset): the session waits for it.
            bob.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            bob.close()
            d.wait_log("bob: connection lost; its session waits")
            op.command("ban nick:bob")
            alice.notice(body="banned nick:bob op")
            p = Peer.customer(d)
            p.send(COMMAND, "resume %s 0" % token)
            self.assertEqual(refused(p),
                             ["error banned -- the name bob is banned from this room"])
            self.assertNotIn("joined bob", notices_until_sync(alice))


class ByAddress(unittest.TestCase):
    def test_address_ban_on_every_listener(self):
        with room() as d:
            op, alice = operator(d), member(d, "alice")
            there = member(d, "there", source="127.0.0.2")
            liner_there = line(d, source="127.0.0.2")
            op.command("ban addr:127.0.0.2 -- abuse")
            self.assertIn("error banned -- addr:127.0.0.2 by op: abuse", refused(there))
            liner_there.wait_for("* error banned -- addr:127.0.0.2 by op: abuse")
            alice.notice(body="banned addr:127.0.0.2 op -- abuse")
            # Framed: told after its nickname and "hello notices"; line: at once.
            self.assertEqual(refused(framed(d, "again", source="127.0.0.2")), [BANNED_ADDR])
            p = LinePeer(d, source="127.0.0.2")
            self.assertEqual(p.recv(), "* " + BANNED_ADDR)
            p.expect_closed()
            # Resume from a banned address: refused at accept, before the resume is read.
            r = framed(d, "x", source="127.0.0.2", notices=False)
            r.send(COMMAND, "hello notices")
            self.assertEqual(refused(r), [BANNED_ADDR])
            # Another address is welcome, and the room heard nothing of those refused.
            line(d, source="127.0.0.3")
            heard = notices_until_sync(alice)
            self.assertFalse([n for n in heard if "127.0.0.2" in n or n == "joined again"], heard)

    def test_ipv4_network_ban(self):
        with room() as d:
            op, alice = operator(d), member(d, "alice")
            op.command("ban addr:127.5.9.77/16")
            alice.notice(body="banned addr:127.5.0.0/16 op")
            self.assertEqual(refused(framed(d, "x", source="127.5.200.1")), [BANNED_ADDR])
            member(d, "y", source="127.6.0.1")

    def test_what_may_not_be_banned(self):
        with room() as d:
            op = operator(d)
            alice = member(d, "alice")
            become_operator(alice)
            for spec, why in (("addr:0.0.0.0/0", "would ban too many"),
                              ("addr:::/0", "would ban too many"),
                              ("addr:10.0.0.0/7", "would ban too many"),
                              ("addr:2001:db8::/31", "would ban too many"),
                              ("addr:10.0.0.300", "not an IPv4 or IPv6 address"),
                              ("addr:10.0.0.1/33", "the prefix is not a number of bits"),
                              ("10.0.0.1", "write nick:NAME or addr:ADDRESS[/PREFIX]"),
                              ("nick:op", "nick:op would ban you"),
                              ("nick:a 1h extra", "too many words")):
                op.command("ban " + spec)
                op.notice(prefix="error bad-command -- ")
                self.assertIn(why, op.frames[-1][1])
            # A remote operator cannot ban its own address, nor its name.
            alice.command("ban addr:127.0.0.0/8")
            alice.notice(body="error bad-command -- addr:127.0.0.0/8 would ban you")
            alice.command("ban nick:alice")
            alice.notice(body="error bad-command -- nick:alice would ban you")
            op.command("ban nick:x 10y")
            op.notice(prefix="error bad-command -- 10y: a duration is")
            op.command("bans")
            op.notice(body="bans 0")
            self.assertEqual(notices_until_sync(alice), [])


class OverTls(unittest.TestCase):
    def test_banned_address_refused_over_tls(self):
        d = room()
        cert, key = make_cert(d.dir, "server")
        with open(d.config_path, "a") as f:
            f.write("tls_cert = %s\ntls_key = %s\n" % (cert, key))
        with d:
            ctx = ssl.create_default_context(cafile=cert)
            op = operator(d)
            op.command("ban addr:127.0.0.2")
            op.notice(body="banned addr:127.0.0.2 op")

            def tls(port, source):
                raw = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE,
                                               source_address=(source, 0))
                return ctx.wrap_socket(raw, server_hostname="127.0.0.1")

            p = Peer(tls(d.port, "127.0.0.2"), "x")
            p.join("x")
            self.assertEqual(refused(p), [BANNED_ADDR])
            # A line peer is closed at once. (Its "* error banned" line is written before the
            # TLS handshake is done and does not reach it: as for any refusal at accept on a
            # TLS line listener; see the report of issue 15.)
            s = tls(d.line_port, "127.0.0.2")
            self.assertNotIn(b"welcome", s.recv(4096))
            self.assertIn("127.0.0.2:", d.log())
            self.assertNotIn("joined as 127.0.0.2", d.log())
            ok = Peer(tls(d.port, "127.0.0.3"), "ok")
            ok.join("ok")
            ok.notice(prefix="welcome group ok")
            op.notice(body="joined ok")


class Restart(unittest.TestCase):
    def survive(self, sig):
        with room() as d:
            op = operator(d)
            op.command("ban nick:bob -- for good")
            op.notice(body="banned nick:bob op -- for good")
            op.command("ban addr:127.0.0.2 1d")
            op.notice(body="banned addr:127.0.0.2 op 1d")
            op.command("topic kept")
            op.notice(body="topic op -- kept")
            op.close()
            d.stop(sig)
            restart(d)
            self.assertIn("room: 2 bans and the topic from the store", d.log())
            self.assertEqual(refused(framed(d, "bob")),
                             ["error banned -- the name bob is banned from this room"])
            self.assertEqual(refused(framed(d, "x", source="127.0.0.2")), [BANNED_ADDR])
            op = operator(d)
            self.assertEqual(op.recv(), (NOTICE, "topic op -- kept"))
            op.command("bans")
            listed = [b for t, b in op.wait_for(NOTICE, body="bans 2")]
            self.assertIn("ban nick:bob op - -- for good", listed)
            self.assertTrue([b for b in listed if b.startswith("ban addr:127.0.0.2 op 1")])

    def test_sigterm(self):
        self.survive(signal.SIGTERM)

    def test_kill_9(self):
        self.survive(signal.SIGKILL)


class ReviewCases(unittest.TestCase):
    """Ways around a ban or a reason found by review, each closed."""

    def test_a_ban_stops_a_connection_still_in_its_handshake(self):
        with room() as d:
            op = operator(d)
            watcher = member(d, "watcher", "127.0.0.5")
            s = socket.create_connection(("127.0.0.1", d.port), timeout=DEADLINE,
                                         source_address=("127.0.0.9", 0))
            op.command("ban addr:127.0.0.9")
            watcher.notice(prefix="banned addr:127.0.0.9")
            sp = Peer(s, "spammer")
            sp.join("spammer")  # its nickname, after the ban
            self.assertEqual(sp.recv(), (NOTICE, "error banned -- your address is banned "
                                                 "from this room"))
            self.assertNotIn("joined spammer", [b for t, b in watcher.sync()])

    def test_a_banned_name_is_not_reached_by_a_taken_names_number(self):
        with room() as d:
            op = operator(d)
            bob = member(d, "bob", "127.0.0.5")
            op.command("ban nick:bob2 -- the troll")
            op.notice(prefix="banned nick:bob2")
            troll = framed(d, "bob", "127.0.0.9")  # asks bob, would be bob2
            self.assertEqual(troll.recv(), (NOTICE, "error banned -- the name bob2 is banned "
                                                    "from this room"))
            bob.close()

    def test_nobody_passes_for_an_operator_by_name(self):
        with room() as d:
            fake = framed(d, "@root", "127.0.0.9")
            self.assertEqual(fake.recv()[1][:len("error bad-nick")], "error bad-nick")
            alice = member(d, "alice", "127.0.0.5")
            alice.command("nick @op")
            alice.notice(prefix="error bad-nick -- a name in a room does not start with @")

    def test_a_reason_is_refused_not_cut(self):
        with room() as d:
            op = operator(d)
            op.command("ban nick:troll -- " + "a" * 254 + "\u00e9 and more")
            op.notice(body="error bad-command -- a reason is at most 255 bytes")
            op.command("kick nobody -- two\x01lines")
            op.notice(prefix="error bad-command -- a reason is one line")


if __name__ == "__main__":
    main()
