# SPDX-License-Identifier: ISC
"""The daemon's framing over real sockets: split and joined frames, every protocol error,
garbage, timeouts, shutdown. The daemon must answer each bad peer alone and keep serving."""

import os
import random
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (COMMAND, MESSAGE, NICKNAME, NOTICE, Daemon, Peer, frame, main,  # noqa: E402
                    messages, FRONTDESKD)
import unittest  # noqa: E402


def send_in_random_pieces(sock, data, rng):
    """Send @data cut at random points, each piece its own send() with TCP_NODELAY."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    i = 0
    while i < len(data):
        n = rng.randint(1, 9)
        sock.sendall(data[i:i + n])
        i += n


class Framing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("turns = free\nhandshake_timeout = 2\nmax_frame = 2000\n").start()
        cls.agent = Peer.agent(cls.d, "mary")
        cls.agent.notice(prefix="welcome single-agent mary")

    @classmethod
    def tearDownClass(cls):
        cls.agent.close()
        cls.d.__exit__(None, None, None)

    def assert_still_serving(self):
        """A new peer gets through the handshake: the daemon was not disturbed."""
        self.assertTrue(self.d.alive())
        p = Peer.customer(self.d, "probe")
        p.notice(prefix="welcome single-agent probe")
        p.sync("alive")
        p.close()
        self.agent.notice(body="customer-left probe")

    def test_split_at_random_points(self):
        rng = random.Random(1234)
        for round_ in range(5):
            c = Peer(socket.create_connection(("127.0.0.1", self.d.port)), "split")
            texts = ["round %d message %d: %s" % (round_, i, "é€😀|" * rng.randint(0, 30))
                     for i in range(20)]
            data = frame(NICKNAME, "split") + frame(COMMAND, "hello notices")
            data += b"".join(frame(MESSAGE, t) for t in texts)
            send_in_random_pieces(c.sock, data, rng)
            c.notice(prefix="welcome single-agent split")
            got = [self.agent.message() for _ in texts]
            self.assertEqual(got, texts)
            c.close()
            self.agent.notice(body="customer-left split")

    def test_many_frames_in_one_send(self):
        c = Peer(socket.create_connection(("127.0.0.1", self.d.port)), "batch")
        texts = ["batch %d" % i for i in range(100)]
        c.sock.sendall(frame(NICKNAME, "batch") + b"".join(frame(MESSAGE, t) for t in texts))
        self.assertEqual([self.agent.message() for _ in texts], texts)
        c.close()
        self.agent.notice(body="customer-left batch")

    def bad(self, data, code, notices=True):
        """Send @data after the handshake; expect `error CODE` (when opted in) and a close."""
        c = Peer.customer(self.d, "bad", notices=notices)
        if notices:
            c.notice(prefix="welcome")
        c.sock.sendall(data)
        frames = c.expect_closed()
        errors = [b for t, b in frames if t == NOTICE and b.startswith("error ")]
        if notices:
            self.assertEqual(len(errors), 1, frames)
            self.assertTrue(errors[0].startswith("error %s -- " % code), errors[0])
        else:
            self.assertEqual([f for f in frames if f[0] == NOTICE], [])
        self.agent.notice(body="customer-left bad")
        self.assert_still_serving()

    def test_non_digit_length(self):
        self.bad(b"00x8|2|hello", "bad-frame")

    def test_missing_separator(self):
        self.bad(b"0012|2-hello", "bad-frame")
        self.bad(b"0012-2|hello", "bad-frame")

    def test_non_digit_type(self):
        self.bad(b"0012|x|hello", "bad-frame")

    def test_length_below_header(self):
        self.bad(b"0003|2|", "bad-frame")

    def test_too_long_refused_on_header(self):
        # Only the header is sent: the daemon must not wait for 9000 bytes of body.
        self.bad(b"9000|2|", "frame-too-long")

    def test_bad_utf8(self):
        self.bad(frame(MESSAGE, b"caf\xc3"), "bad-utf8")
        self.bad(frame(MESSAGE, b"\xed\xa0\x80"), "bad-utf8")

    def test_reserved_types(self):
        for t in (0, 5, 6, 9):
            self.bad(b"0008|%d|x" % t, "unknown-type")

    def test_server_only_types(self):
        self.bad(frame(NOTICE, "welcome"), "unknown-type")

    def test_error_without_notices_just_closes(self):
        self.bad(b"garbage!", "bad-frame", notices=False)

    def test_expected_nickname(self):
        c = Peer(socket.create_connection(("127.0.0.1", self.d.port)), "anon")
        c.sock.sendall(frame(MESSAGE, "hello without a name"))
        self.assertEqual(c.expect_closed(), [])
        self.assert_still_serving()

    def test_bad_nickname(self):
        for nick in ("", "two words", "a:b", "x" * 33, "tab\there"):
            c = Peer(socket.create_connection(("127.0.0.1", self.d.port)), "badnick")
            c.sock.sendall(frame(NICKNAME, nick))
            self.assertEqual(c.expect_closed(), [])
        self.assertIn("error bad-nick", self.d.log())
        self.assert_still_serving()

    def test_random_garbage(self):
        rng = random.Random(99)
        for _ in range(30):
            c = Peer(socket.create_connection(("127.0.0.1", self.d.port)), "garbage")
            c.sock.sendall(bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000))))
            c.close()
        self.assert_still_serving()

    def test_truncated_frame_then_hangup(self):
        for _ in range(10):
            c = Peer(socket.create_connection(("127.0.0.1", self.d.port)), "trunc")
            c.sock.sendall(frame(NICKNAME, "trunc") + b"0100|2|only part")
            c.close()
        self.assert_still_serving()

    def test_handshake_timeout(self):
        c = Peer(socket.create_connection(("127.0.0.1", self.d.port)), "silent")
        # Sends nothing: closed at handshake_timeout (2 s); the deadline is generous.
        self.assertEqual(c.expect_closed(), [])
        self.assertIn("no nickname within 2 seconds", self.d.log())

    def test_slowloris_handshake(self):
        c = Peer(socket.create_connection(("127.0.0.1", self.d.port)), "slow")
        c.sock.sendall(b"00")  # a header that never completes
        self.assertEqual(c.expect_closed(), [])

    def test_unknown_command_is_not_fatal(self):
        c = Peer.customer(self.d, "cmd")
        c.notice(prefix="welcome")
        c.command("dance")
        c.notice(prefix="error unknown-command")
        c.command("next")  # an agent command, not for customers
        c.notice(prefix="error unknown-command")
        c.sync()
        c.close()
        self.agent.notice(body="customer-left cmd")


class Lifecycle(unittest.TestCase):
    def test_sigterm_tells_peers_and_exits_zero(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            agent.notice(prefix="welcome")
            cust = Peer.customer(d, "bob")
            cust.notice(prefix="welcome")
            d.proc.send_signal(signal.SIGTERM)
            for p in (agent, cust):
                frames = p.expect_closed()
                self.assertIn("error shutting-down -- the server is shutting down",
                              [b for t, b in frames if t == NOTICE])
            self.assertEqual(d.proc.wait(20), 0)
            self.assertFalse(os.path.exists(d.agent_socket), "agent socket left behind")

    def test_check_config(self):
        with Daemon() as d:
            ok = subprocess.run([FRONTDESKD, "--check-config", "-c", d.config_path],
                                capture_output=True, text=True)
            self.assertEqual(ok.returncode, 0, ok.stderr)
            bad_path = os.path.join(d.dir, "bad.conf")
            with open(bad_path, "w") as f:
                f.write("mode = single-agent\nturns = sometimes\n")
            bad = subprocess.run([FRONTDESKD, "--check-config", "-c", bad_path],
                                 capture_output=True, text=True)
            self.assertNotEqual(bad.returncode, 0)
            self.assertEqual(bad.stderr,
                             "%s:2: turns must be one of strict, free, not 'sometimes'\n" % bad_path)

    def test_help_and_version(self):
        for prog in (FRONTDESKD, os.environ.get("FRONTDESK", "build/src/frontdesk")):
            h = subprocess.run([prog, "--help"], capture_output=True, text=True)
            self.assertEqual(h.returncode, 0)
            self.assertIn("Usage:", h.stdout)
            v = subprocess.run([prog, "--version"], capture_output=True, text=True)
            self.assertEqual(v.returncode, 0)
            self.assertRegex(v.stdout, r"^frontdeskd? \d+\.\d+\.\d+\n$")

    def test_stale_agent_socket_is_replaced(self):
        d = Daemon()
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(d.agent_socket)  # a socket file nobody listens on, as after a crash
        stale.close()
        with d:
            a = Peer.agent(d, "mary")
            a.notice(prefix="welcome")
            a.close()


if __name__ == "__main__":
    main()
