# SPDX-License-Identifier: ISC
"""Agents over TCP (issue 11): agent_listen off loopback needs TLS; over TLS an agent's answer
is bound to the session (RFC 9266 tls-exporter), so an answer made for another session, or
with the bare HMAC of protocol section 6, is refused; and the client answers a challenge only
as the server's first frame. Nothing here sends a byte to a non-loopback address: those
addresses are only ever checked (--check-config)."""

import hashlib
import hmac
import os
import re
import select
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (CHALLENGE, COMMAND, DEADLINE, FRONTDESK, FRONTDESKD, NICKNAME,  # noqa: E402
                    NOTICE, RESPONSE, Closed, Daemon, Peer, frame, notices)
from test_tls import TlsDaemon  # noqa: E402
from fakeserver import FakeServer  # noqa: E402

AGENT_KEY = b"agent secret over tls"
LABEL = "EXPORTER-Channel-Binding"


def write_key(directory, name, data=AGENT_KEY):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)
    return path


def answer(challenge, binding=b"", key=AGENT_KEY):
    """The answer: HMAC-SHA256 of the challenge bytes (then the exporter value, if bound)."""
    return hmac.new(key, bytes.fromhex(challenge) + binding, hashlib.sha256).hexdigest()


class CheckConfig(unittest.TestCase):
    def check(self, config):
        d = Daemon(config + "agent_key_file = %s\n" % "/nonexistent/agent.key")
        try:
            r = subprocess.run([FRONTDESKD, "--check-config", "-c", d.config_path],
                               capture_output=True, text=True, timeout=DEADLINE)
            return r.returncode, r.stderr, d.config_path
        finally:
            d.__exit__(None, None, None)

    def test_agent_listen_off_loopback_needs_tls(self):
        for listen, named in (("0.0.0.0:0", "0.0.0.0:0"), ("192.0.2.1:4000", "192.0.2.1:4000"),
                              ("127.0.0.1:0, [::]:0", "[::]:0"),
                              ("localhost:0", "localhost:0")):
            code, err, path = self.check("agent_listen = %s\n" % listen)
            self.assertEqual(code, 1, listen)
            self.assertEqual(err, "%s:1: agent_listen %s is not a loopback address "
                             "(127.0.0.0/8, ::1): it needs TLS (tls_cert and tls_key), agents "
                             "must not authenticate in the clear\n" % (path, named))
        for listen in ("127.0.0.1:0", "127.8.9.10:0, [::1]:0"):
            code, err, _ = self.check("agent_listen = %s\n" % listen)
            self.assertEqual((code, err), (0, ""), listen)
        code, err, _ = self.check("agent_listen = 0.0.0.0:0\ntls_cert = /etc/fd/cert.pem\n"
                                  "tls_key = /etc/fd/key.pem\n")
        self.assertEqual((code, err), (0, ""))


class AgentTlsDaemon(TlsDaemon):
    """TLS on every listener, agent_listen on loopback with a key; agent_port once started."""

    def __init__(self, config=""):
        super().__init__("handshake_timeout = 5\n" + config)
        with open(self.config_path, "a") as f:
            f.write("agent_listen = 127.0.0.1:0\nagent_key_file = %s\n" %
                    write_key(self.dir, "agent.key"))

    def wait_ready(self):
        super().wait_ready()
        m = re.search(r"listening on \S+:(\d+) \(framed protocol, agents", self.log())
        self.agent_port = int(m.group(1))
        return self

    def agent_peer(self, ctx=None):
        """A TLS connection to agent_listen; returns (peer, challenge)."""
        raw = socket.create_connection(("127.0.0.1", self.agent_port), timeout=DEADLINE)
        p = Peer((ctx or self.context()).wrap_socket(raw, server_hostname="127.0.0.1"), "agent")
        t, challenge = p.recv()
        assert t == CHALLENGE, (t, challenge)
        return p, challenge


def open_ssl_agent(d):
    """`openssl s_client` to agent_listen; it prints the session's RFC 9266 exporter value."""
    proc = subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:%d" % d.agent_port,
                             "-CAfile", d.cert, "-verify_return_error", "-nocommands",
                             "-ign_eof", "-keymatexport", LABEL, "-keymatexportlen", "32"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    os.set_blocking(proc.stdout.fileno(), False)
    return proc


def read_until(proc, pattern, seen=b""):
    """Read @proc's stdout until @pattern (bytes regex) matches; return (match, all read)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        m = re.search(pattern, seen)
        if m:
            return m, seen
        select.select([proc.stdout], [], [], max(0, deadline - time.monotonic()))
        chunk = proc.stdout.read()
        if chunk == b"":
            break  # EOF: s_client is gone
        seen += chunk or b""
    raise AssertionError("openssl s_client never printed %r:\n%s" % (pattern, seen[-2000:]))


class BoundAnswer(unittest.TestCase):
    def expect_refused(self, p, why):
        self.assertEqual(notices(p.expect_closed()), ["error auth-failed -- " + why])
        p.close()

    def test_unbound_answer_refused_over_tls(self):
        with AgentTlsDaemon() as d:
            p, challenge = d.agent_peer()
            p.sock.sendall(frame(RESPONSE, answer(challenge)) + frame(NICKNAME, "mallory") +
                           frame(COMMAND, "hello notices"))
            self.expect_refused(p, "wrong answer to the challenge (bound to this TLS session)")

    def test_answer_bound_to_the_exporter_gets_in(self):
        # An independent implementation of the binding: openssl's own exporter output.
        with AgentTlsDaemon() as d:
            proc = open_ssl_agent(d)
            try:
                m, seen = read_until(proc, rb"Keying material:\s*([0-9A-Fa-f]{64})")
                binding = bytes.fromhex(m.group(1).decode())
                m, seen = read_until(proc, rb"0071\|7\|([0-9a-f]{64})", seen)
                body = answer(m.group(1).decode(), binding)
                proc.stdin.write(frame(RESPONSE, body) + frame(NICKNAME, "remote-mary") +
                                 frame(COMMAND, "hello notices"))
                proc.stdin.flush()
                read_until(proc, rb"\|3\|welcome single-agent remote-mary", seen)
            finally:
                proc.kill()
                proc.communicate()

    def test_client_gets_in_where_an_unbound_answer_does_not(self):
        with AgentTlsDaemon() as d:
            p, challenge = d.agent_peer()
            p.send(RESPONSE, answer(challenge))
            self.assertEqual(notices(p.expect_closed()), ["error auth-failed -- wrong answer to "
                                                          "the challenge (bound to this TLS "
                                                          "session)"])
            p.close()
            key = write_key(d.dir, "client.key")
            client = subprocess.Popen([FRONTDESK, "--agent", "--tls", "--ca-file", d.cert,
                                       "--key-file", key, "--name", "mary",
                                       "127.0.0.1:%d" % d.agent_port],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
            try:
                d.wait_log(": agent mary")
                bob = d.tls_peer("bob")
                bob.notice(body="serving mary")
                bob.say("hello over a bound session")
                client.stdin.write("hello bob\n")
                client.stdin.close()
                self.assertEqual(bob.message(), "hello bob")
                bob.say("bye")
                client.stdin = None
                out, err = client.communicate(timeout=DEADLINE)
                self.assertEqual(client.returncode, 0, err)
                self.assertEqual(out, "hello over a bound session\nbye\n")
                bob.close()
            finally:
                if client.poll() is None:
                    client.kill()
                    client.communicate()

    def test_tls12_agent_refused(self):
        # RFC 9266 defines the binding for TLS 1.3; an agent on TLS 1.2 is refused.
        with AgentTlsDaemon() as d:
            ctx = d.context()
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            p, challenge = d.agent_peer(ctx)
            p.send(RESPONSE, answer(challenge))
            self.expect_refused(p, "TLS 1.3 needed: the answer is bound to the TLS session")


def scripted_server(script):
    """Sends each bytes of @script in turn (None: read frames until a response), then reads
    until a response or the client's close; the frames it read are in .frames."""
    frames = []

    def read(p):
        """Frames until a response (what the tests watch for) or the client's close."""
        try:
            while True:
                t, body = p.recv()
                frames.append((t, body))
                if t == RESPONSE:
                    return
        except (Closed, AssertionError, OSError):  # closed, or the deadline
            pass

    def handler(conn):
        p = Peer(conn, "client")
        for part in script:
            if part is None:
                read(p)
            else:
                conn.sendall(part)
        read(p)

    srv = FakeServer(handler)
    srv.frames = frames
    return srv


class LateChallenge(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="frontdesk-test-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_client(self, srv):
        key = write_key(self.dir, "client.key")
        client = subprocess.Popen([FRONTDESK, "--key-file", key, "--name", "bob", "--timeout",
                                   "5", "127.0.0.1:%d" % srv.port], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            client.wait(DEADLINE)  # stdin stays open: only the server can end the session
        finally:
            if client.poll() is None:
                client.kill()
            out, err = client.communicate()
        srv.join()
        return client.returncode, err

    def test_challenge_after_other_frames_is_not_answered(self):
        srv = scripted_server([frame(NOTICE, "welcome single-agent bob") +
                          frame(NOTICE, "turns strict") + frame(CHALLENGE, "ab" * 32)])
        code, err = self.run_client(srv)
        self.assertEqual(srv.frames, [])
        self.assertEqual(code, 1, err)
        self.assertIn("frontdesk: protocol error from 127.0.0.1:%d: a challenge after the "
                      "session began (not answered)" % srv.port, err)

    def test_second_challenge_is_not_answered(self):
        srv = scripted_server([frame(CHALLENGE, "cd" * 32), None,
                          frame(NOTICE, "welcome single-agent bob") + frame(CHALLENGE, "ef" * 32)])
        code, err = self.run_client(srv)
        # Nickname, "hello notices" and "caps ..."; nothing answers the second
        # challenge.
        self.assertEqual([t for t, _ in srv.frames], [RESPONSE, NICKNAME, COMMAND, COMMAND])
        self.assertEqual(srv.frames[0][1], answer("cd" * 32))
        self.assertEqual(code, 1, err)
        self.assertIn("a challenge after the session began (not answered)", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
