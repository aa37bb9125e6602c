# SPDX-License-Identifier: ISC
"""Nicknames (issue 11): the limit counts characters, not bytes; "--" (and any name starting
with '-') is refused, as are names holding C1 controls, bidi controls or other invisible format
characters. The client shows every string a peer sent (names, error texts, messages on a
terminal) with such characters turned into spaces."""

import os
import pty
import select
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import DEADLINE, FRONTDESK, NOTICE, Closed, Daemon, Peer, frame, main  # noqa: E402
from clientrun import ScriptClient, run  # noqa: E402
from grouptest import GROUP, LinePeer, SharedRoom, member  # noqa: E402
from fakeserver import FakeServer  # noqa: E402

# What no terminal may receive from a peer: ESC, BEL, C1 NEL and CSI, bidi and zero-width.
FORBIDDEN = "\x1b\x07\x85\x9b\u200b\u200f\u202a\u202e\u2066\u2069\ufeff"


class AtTheDoor(unittest.TestCase):
    """The first frame's nickname, at the desk."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon().start()

    @classmethod
    def tearDownClass(cls):
        cls.d.__exit__(None, None, None)

    def refused(self, nick):
        """@nick is answered by closing the connection, and logged as bad-nick."""
        p = Peer(socket.create_connection(("127.0.0.1", self.d.port), timeout=DEADLINE), "x")
        here = "%s:%d" % p.sock.getsockname()
        p.join(nick)
        try:
            got = p.recv()
        except Closed:
            got = None
        p.close()
        self.assertIsNone(got, "%r was let in" % nick)
        self.d.wait_log("%s (-): error bad-nick" % here)

    def welcomed(self, nick):
        p = Peer.customer(self.d, nick)
        self.assertEqual(p.recv(), (NOTICE, "welcome single-agent " + nick))
        p.close()

    def test_double_dash_refused(self):
        for nick in ("--", "-", "-bob"):
            self.refused(nick)
        self.welcomed("bob--")

    def test_32_characters_of_several_bytes_accepted(self):
        for ch in ("é", "渡", "😀"):  # 64, 96 and 128 bytes
            self.welcomed(ch * 32)

    def test_33_characters_refused(self):
        for nick in ("é" * 33, "x" * 33, "é" * 32 + "x"):
            self.refused(nick)

    def test_bidi_controls_refused(self):
        for nick in ("ab\u202ecd", "\u202dx", "\u2066x\u2069", "x\u200f", "x\u061c"):
            self.refused(nick)

    def test_c1_controls_refused(self):
        for nick in ("a\u0085b", "a\u009b2J", "\u0080"):
            self.refused(nick)

    def test_format_characters_refused(self):
        for nick in ("bo\u200bb", "\ufeffbob", "bo\u00adb", "bo\u2060b", "a\u2028b",
                     "a\u00a0b", "\u3164"):
            self.refused(nick)


class InTheRoom(SharedRoom):
    """nick NAME in group mode follows the same rule; a clash keeps within 32 characters."""

    def test_rename_follows_the_rule(self):
        a = member(self.d, "ann")
        for bad in ("--", "-x", "é" * 33, "a\u202eb", "a\u0085b", "a\u200bb"):
            a.command("nick " + bad)
            a.notice(prefix="error bad-nick -- ")
        a.command("nick " + "é" * 32)
        a.notice(body="renamed ann " + "é" * 32)
        a.close()

    def test_clash_suffix_counts_characters(self):
        name = "ü" * 32
        a = member(self.d, name)
        b = Peer.customer(self.d, name)
        # The number replaces whole characters: 31 of them and "2", 63 bytes.
        self.assertEqual(b.recv(), (NOTICE, "welcome group " + "ü" * 31 + "2"))
        for p in (a, b):
            p.close()


    def test_line_members_get_message_text_sanitised(self):
        """nc shows what it reads on a bare terminal: no escape, C1 or bidi control reaches
        a line member from a framed member's message."""
        line = LinePeer(self.d)
        line.wait_for(prefix="* welcome group")
        a = member(self.d, "bidi")
        line.wait_for("* joined bidi")
        a.say("evil\u202e\u2066txt\x1b[2J\u0085 end")
        line.wait_for(prefix="bidi: evil")
        got = line.lines[-1]
        self.assertFalse([ch for ch in got if ch in FORBIDDEN], repr(got))
        self.assertTrue(got.endswith(" end"), repr(got))
        for p in (a, line):
            p.close()


def hostile_server(notices):
    """Welcomes one client with @notices once it has sent its first message, then closes."""
    data = b"".join(frame(NOTICE, n) for n in notices)

    def handler(conn):
        got = b""
        while b"|2|hello" not in got:
            more = conn.recv(4096)
            if not more:
                return
            got += more
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(4096):  # until the client closes: no reset
            pass
    return FakeServer(handler)


def run_on_terminal(args, stdin_text, during):
    """Run the client with stdout on a pseudo-terminal and call @during(): (exit code, what
    the terminal showed, stderr)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([FRONTDESK] + args, stdin=subprocess.PIPE, stdout=slave,
                         stderr=subprocess.PIPE)
    os.close(slave)
    shown = b""
    try:
        p.stdin.write(stdin_text.encode())
        p.stdin.close()
        during()
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 0.1)[0]:
                if p.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the client has closed the terminal
                break
            if not data:
                break
            shown += data
        p.wait(DEADLINE)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
        err = p.stderr.read().decode()
        p.stderr.close()
    return p.returncode, shown.decode().replace("\r\n", "\n"), err


class ClientShowsPeerTextSanitised(unittest.TestCase):
    def assert_clean(self, text):
        for ch in FORBIDDEN:
            self.assertNotIn(ch, text, "U+%04X reached the terminal: %r" % (ord(ch), text))

    def test_names_and_error_text_from_the_server(self):
        notices = [
            "welcome single-agent bo\u202eb",
            "serving ma\u202eyr",
            "customer ev\u2066il\u2069",
            "renamed a\u200fb c\x1b[2Jd",
            "joined x\u0085y",
            "member z\ufeff",
            "error kicked -- go away\u202e\x07",
        ]
        with hostile_server(notices) as s:
            c = ScriptClient("--name", "bob", "127.0.0.1:%d" % s.port).feed("hello\n")
            try:
                code = c.proc.wait(DEADLINE)
            finally:
                c.finish()
        self.assertEqual(code, 1, c.err)
        self.assert_clean(c.err)
        # Each byte of a refused character is one space (U+202E: three).
        removed = "You were removed: go away" + " " * 4
        self.assertEqual(c.err.splitlines(), [
            "* Welcome, bo   b; you are connected to the desk",
            "* You are now talking to ma   yr",
            "* You are now talking to ev   il   ",
            "* a   b is now known as c [2Jd",
            "* x  y joined",
            "* z    is here",
            "* " + removed,
            "frontdesk: connection closed by 127.0.0.1:%d" % s.port,
        ])

    def test_message_on_a_terminal(self):
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            agent.notice(prefix="welcome")

            def answer():
                self.assertEqual(agent.message(), "hello")
                agent.say("\x1b[2J\u202eevil\u2066 \u0085x\nfake\u200b!")

            code, shown, err = run_on_terminal(["--name", "bob", "127.0.0.1:%d" % d.port],
                                               "hello\n", answer)
            agent.close()
        self.assertEqual(code, 0, err)
        self.assert_clean(shown)
        self.assertEqual(shown, " [2J" + " " * 3 + "evil" + " " * 6 + "x fake" + " " * 3 + "!\n")

    def test_name_option_counts_characters(self):
        code, out, err = run("--name=--", "127.0.0.1:1")
        self.assertEqual(code, 2, err)
        self.assertIn("bad nickname '--'", err)
        with Daemon(GROUP) as d:
            code, out, err = run("--name", "é" * 32, "127.0.0.1:%d" % d.port)
        self.assertEqual(code, 0, err)
        self.assertIn("* Welcome to the room, " + "é" * 32 + "\n", err)


if __name__ == "__main__":
    main()
