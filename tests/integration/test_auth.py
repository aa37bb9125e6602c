# SPDX-License-Identifier: ISC
"""Key authentication (protocol section 6): the challenge comes first, only the right HMAC
gets in, and every failure costs the peer its connection and nothing else."""

import hashlib
import hmac
import os
import re
import socket
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (CHALLENGE, COMMAND, DEADLINE, FRONTDESK, FRONTDESKD, NICKNAME, RESPONSE,  # noqa: E402
                    Daemon, Peer, frame, notices)

KEY = b"correct horse battery staple\n"  # the trailing newline is not part of the key


def write_key(d, name, data=KEY, mode=0o600):
    path = os.path.join(d.dir, name)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


def keyed_daemon(extra="", mode=0o600):
    d = Daemon()
    path = write_key(d, "customer.key", mode=mode)
    with open(d.config_path, "a") as f:
        f.write("key_file = %s\nhandshake_timeout = 2\n%s" % (path, extra))
    return d


def answer(challenge, key=KEY.rstrip(b"\n")):
    return hmac.new(key, bytes.fromhex(challenge), hashlib.sha256).hexdigest()


class Challenge(unittest.TestCase):
    def connect(self, d):
        p = Peer(socket.create_connection(("127.0.0.1", d.port), timeout=DEADLINE), "keyed")
        t, body = p.recv()
        self.assertEqual(t, CHALLENGE)
        self.assertRegex(body, r"^[0-9a-f]{64}$")
        return p, body

    def test_right_answer_gets_in(self):
        with keyed_daemon() as d:
            p, challenge = self.connect(d)
            p.sock.sendall(frame(RESPONSE, answer(challenge)) + frame(NICKNAME, "bob") +
                           frame(COMMAND, "hello notices"))
            p.notice(body="welcome single-agent bob")

    def test_upper_case_hex_is_accepted(self):
        with keyed_daemon() as d:
            p, challenge = self.connect(d)
            p.sock.sendall(frame(RESPONSE, answer(challenge).upper()) + frame(NICKNAME, "bob") +
                           frame(COMMAND, "hello notices"))
            p.notice(body="welcome single-agent bob")

    def test_challenges_are_fresh(self):
        with keyed_daemon() as d:
            seen = {self.connect(d)[1] for _ in range(20)}
            self.assertEqual(len(seen), 20)

    def expect_refused(self, d, p, why):
        frames = p.expect_closed()
        self.assertEqual(notices(frames), ["error auth-failed -- " + why])
        self.assertIn("error auth-failed: " + why, d.log())

    def test_wrong_key(self):
        with keyed_daemon() as d:
            p, challenge = self.connect(d)
            p.send(RESPONSE, answer(challenge, b"not the key"))
            self.expect_refused(d, p, "wrong answer to the challenge")
            # The log names the peer address.
            self.assertRegex(d.log(), r"127\.0\.0\.1:\d+ \(-\): error auth-failed")

    def test_answer_for_another_challenge(self):
        with keyed_daemon() as d:
            p1, c1 = self.connect(d)
            p2, c2 = self.connect(d)
            p2.send(RESPONSE, answer(c1))  # a replayed answer is worthless
            self.expect_refused(d, p2, "wrong answer to the challenge")

    def test_nickname_instead_of_answer(self):
        with keyed_daemon() as d:
            p, _ = self.connect(d)
            p.send(NICKNAME, "bob")
            self.expect_refused(d, p, "answer the challenge (a type 8 frame) first")

    def test_truncated_answer(self):
        with keyed_daemon() as d:
            p, challenge = self.connect(d)
            p.send(RESPONSE, answer(challenge)[:63])
            self.expect_refused(d, p, "wrong answer to the challenge")

    def test_late_answer(self):
        with keyed_daemon() as d:
            p, _ = self.connect(d)  # and never answers: the 2 s handshake deadline passes
            self.expect_refused(d, p, "no answer to the challenge in time")

    def test_others_unaffected(self):
        with keyed_daemon() as d:
            agent = Peer.agent(d, "mary")  # the Unix socket has no key: file modes guard it
            agent.notice(prefix="welcome")
            good, challenge = self.connect(d)
            good.sock.sendall(frame(RESPONSE, answer(challenge)) + frame(NICKNAME, "good"))
            agent.notice(body="customer good")
            for _ in range(10):
                bad, _ = self.connect(d)
                bad.send(RESPONSE, "0" * 64)
                bad.expect_closed()
            good.say("still here")
            self.assertEqual(agent.message(), "still here")

    def test_client_key_file(self):
        with keyed_daemon() as d:
            key = write_key(d, "client.key")
            agent = Peer.agent(d, "mary")
            lines = os.path.join(d.dir, "lines.txt")
            with open(lines, "w") as f:
                f.write("hello with a key\n")
            with open(lines) as stdin:
                client = subprocess.Popen([FRONTDESK, "--key-file", key, "--name", "bob",
                                           "127.0.0.1:%d" % d.port], stdin=stdin,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(agent.message(), "hello with a key")
            agent.say("welcome, keyed customer")
            out, err = client.communicate(timeout=DEADLINE)
            self.assertEqual(client.returncode, 0, err)
            self.assertEqual(out, "welcome, keyed customer\n")


class AgentOverTcp(unittest.TestCase):
    def test_remote_agent_answers_the_challenge(self):
        d = Daemon()
        akey = write_key(d, "agent.key", b"agent secret, not the customers'")
        with open(d.config_path, "a") as f:
            f.write("agent_listen = 127.0.0.1:0\nagent_key_file = %s\n" % akey)
        with d:
            import re
            port = int(re.search(r"listening on \S+:(\d+) \(framed protocol, agents", d.log()).group(1))
            p = Peer(socket.create_connection(("127.0.0.1", port), timeout=DEADLINE), "remote")
            t, challenge = p.recv()
            self.assertEqual(t, CHALLENGE)
            p.sock.sendall(frame(RESPONSE, answer(challenge, b"agent secret, not the customers'")) +
                           frame(NICKNAME, "remote-mary") + frame(COMMAND, "hello notices"))
            p.notice(body="welcome single-agent remote-mary")
            cust = Peer.customer(d, "bob")
            cust.notice(body="serving remote-mary")


class Refusals(unittest.TestCase):
    def start_fails(self, d):
        run = subprocess.run([FRONTDESKD, "-c", d.config_path], capture_output=True, text=True,
                             timeout=DEADLINE)
        return run.returncode, run.stderr

    def test_world_readable_key_refused(self):
        d = keyed_daemon(mode=0o644)
        try:
            code, err = self.start_fails(d)
            self.assertEqual(code, 1)
            self.assertIn("others may access it; run chmod o-rwx", err)
        finally:
            d.__exit__(None, None, None)

    def test_agent_listen_needs_a_key(self):
        d = Daemon("agent_listen = 127.0.0.1:0\n")
        try:
            code, err = self.start_fails(d)
            self.assertEqual(code, 1)
            self.assertIn("agent_listen needs agent_key_file or agents_file: remote agents must "
                          "authenticate", err)
        finally:
            d.__exit__(None, None, None)


def listening_ports(d=None):
    """The TCP ports the daemon's own sockets listen on (from /proc, not from its log); with
    no daemon, every listening port of this network namespace."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % d.proc.pid) if d else ():
        try:
            m = re.match(r"socket:\[(\d+)\]$", os.readlink("/proc/%d/fd/%s" % (d.proc.pid, fd)))
        except OSError:
            continue
        if m:
            inodes.add(m.group(1))
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in f.readlines()[1:]:
                fields = row.split()
                if fields[3] == "0A" and (not d or fields[9] in inodes):  # 0A: LISTEN
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class LineListenerWithKey(unittest.TestCase):
    """Line peers cannot answer a challenge, so key_file and a line listener do not mix."""

    def keyed_room(self, line_listen=None):
        d = Daemon("mode = group\n")
        with open(d.config_path) as f:  # the fixture added line_listen = 127.0.0.1:0
            text = re.sub(r"^line_listen\s*=.*\n", "", f.read(), flags=re.M)
        if line_listen:
            text += "line_listen = %s\n" % line_listen
        text += "key_file = %s\n" % write_key(d, "member.key")
        with open(d.config_path, "w") as f:
            f.write(text)
        return d

    def test_key_file_keeps_the_default_line_listener_shut(self):
        with self.keyed_room() as d:
            self.assertIsNone(d.line_port)
            self.assertEqual(listening_ports(d), {d.port})  # not 6666, not any line port
            if 6666 not in listening_ports():  # unless something else on this machine has it
                with self.assertRaises(ConnectionRefusedError):
                    socket.create_connection(("127.0.0.1", 6666), timeout=DEADLINE)
            self.assertIn("line_listen is off: key_file is set and line peers (nc, telnet) "
                          "cannot answer its challenge", d.log())
            p = Peer(socket.create_connection(("127.0.0.1", d.port), timeout=DEADLINE), "ann")
            t, challenge = p.recv()
            self.assertEqual(t, CHALLENGE)
            p.sock.sendall(frame(RESPONSE, answer(challenge)) + frame(NICKNAME, "ann") +
                           frame(COMMAND, "hello notices"))
            p.notice(body="welcome group ann")
            p.close()

    def test_line_listen_with_key_file_is_refused(self):
        d = self.keyed_room("127.0.0.1:0")
        try:
            with open(d.config_path) as f:
                line = 1 + f.read().split("\n").index("line_listen = 127.0.0.1:0")
            want = ("%s:%d: line_listen admits anyone: line peers cannot answer key_file's "
                    "challenge; set line_listen = off, or drop key_file\n" % (d.config_path, line))
            check = subprocess.run([FRONTDESKD, "--check-config", "-c", d.config_path],
                                   capture_output=True, text=True, timeout=DEADLINE)
            self.assertEqual((check.returncode, check.stderr), (1, want))
            start = subprocess.run([FRONTDESKD, "-c", d.config_path], capture_output=True,
                                   text=True, timeout=DEADLINE)
            self.assertEqual((start.returncode, start.stderr), (1, want))
        finally:
            d.__exit__(None, None, None)

    def test_line_listen_off_with_key_file_is_fine(self):
        d = self.keyed_room("off")
        try:
            check = subprocess.run([FRONTDESKD, "--check-config", "-c", d.config_path],
                                   capture_output=True, text=True, timeout=DEADLINE)
            self.assertEqual(check.returncode, 0, check.stderr)
        finally:
            d.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main(verbosity=2)
