# SPDX-License-Identifier: ISC
"""TLS on the TCP listeners: Python's ssl module and the frontdesk client as peers, the
certificate reloaded by SIGHUP, TLS 1.2 as the floor, and a close without close_notify
treated as a plain EOF."""

import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (COMMAND, DEADLINE, FRONTDESK, FRONTDESKD, NICKNAME, Daemon, Peer,  # noqa: E402
                    frame)


def make_cert(directory, name, cn="localhost"):
    """A self-signed certificate for 127.0.0.1 and localhost; returns (cert, key) paths."""
    cert, key = os.path.join(directory, name + ".pem"), os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=" + cn, "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


class TlsDaemon(Daemon):
    """A daemon whose TCP listeners speak TLS with a fresh self-signed certificate."""

    def __init__(self, config="", **kw):
        super().__init__(config, **kw)
        self.cert, self.key = make_cert(self.dir, "server")
        with open(self.config_path, "a") as f:
            f.write("tls_cert = %s\ntls_key = %s\n" % (self.cert, self.key))

    def context(self, cafile=None):
        ctx = ssl.create_default_context(cafile=cafile or self.cert)
        return ctx

    def tls_peer(self, nick=None, port=None, ctx=None):
        raw = socket.create_connection(("127.0.0.1", port or self.port), timeout=DEADLINE)
        sock = (ctx or self.context()).wrap_socket(raw, server_hostname="127.0.0.1")
        p = Peer(sock, nick)
        if nick:
            p.join(nick)
        return p


def subject_cn(peer):
    cert = peer.sock.getpeercert()
    return dict(x[0] for x in cert["subject"])["commonName"]


class Tls(unittest.TestCase):
    def test_chat_over_tls(self):
        with TlsDaemon("turns = free\n") as d:
            self.assertIn("(framed protocol, customers, TLS)", d.log())
            agent = Peer.agent(d, "mary")
            cust = d.tls_peer("bob")
            cust.notice(body="welcome single-agent bob")
            self.assertIn(cust.sock.version(), ("TLSv1.2", "TLSv1.3"))
            cust.say("hello over TLS, é€")
            self.assertEqual(agent.message(), "hello over TLS, é€")
            agent.say("hello back")
            self.assertEqual(cust.message(), "hello back")

    def test_old_protocol_versions_are_refused(self):
        with TlsDaemon() as d:
            ctx = d.context()
            ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
            with self.assertRaises((ssl.SSLError, OSError)):
                d.tls_peer("old", ctx=ctx).notice(prefix="welcome")
            d.tls_peer("new").notice(prefix="welcome")  # the daemon carries on

    def test_plain_client_on_a_tls_listener_costs_only_itself(self):
        with TlsDaemon() as d:
            good = d.tls_peer("good")
            good.notice(prefix="welcome")
            plain = Peer.customer(d, "plain")
            plain.expect_closed()
            good.sync()
            self.assertRegex(d.log(), r"connection error: .*(wrong version number|http request)")

    def test_close_without_close_notify_is_an_eof(self):
        with TlsDaemon() as d:
            agent = Peer.agent(d, "mary")
            cust = d.tls_peer("bob")
            cust.notice(prefix="welcome")
            agent.notice(body="customer bob")
            cust.sock.close()  # Python closes TLS sockets without sending close_notify
            agent.notice(body="customer-left bob")
            self.assertRegex(d.log(), r"\(bob\): closed: peer closed the connection")
            self.assertNotRegex(d.log(), r"\(bob\): connection error")

    def test_sighup_reloads_the_certificate(self):
        with TlsDaemon("turns = free\n") as d:
            agent = Peer.agent(d, "mary")
            old = d.tls_peer("old")
            old.notice(prefix="welcome")
            self.assertEqual(subject_cn(old), "localhost")
            # Renewal: new files written beside, then renamed over the configured paths.
            cert2, key2 = make_cert(d.dir, "renewed", cn="renewed.localhost")
            os.rename(key2, d.key)
            os.rename(cert2, d.cert)
            d.proc.send_signal(signal.SIGHUP)
            d.wait_log("certificate %s loaded" % d.cert)
            both = d.context(cafile=d.cert)
            new = d.tls_peer("new", ctx=both)
            new.notice(prefix="welcome")
            self.assertEqual(subject_cn(new), "renewed.localhost")
            # The connection made before the reload is untouched.
            old.say("still here")
            self.assertEqual(agent.message(), "still here")

    def test_broken_certificate_on_reload_keeps_the_old(self):
        with TlsDaemon() as d:
            with open(d.cert + ".tmp", "w") as f:
                f.write("not a certificate\n")
            os.rename(d.cert + ".tmp", d.cert)
            d.proc.send_signal(signal.SIGHUP)
            d.wait_log("the running certificate stays in use")
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            p = d.tls_peer("after", ctx=ctx)
            p.notice(prefix="welcome")
            self.assertEqual(subject_cn(p) if p.sock.getpeercert() else "localhost", "localhost")

    def test_key_challenge_inside_tls(self):
        import hashlib
        import hmac
        d = TlsDaemon("handshake_timeout = 5\n")
        key = os.path.join(d.dir, "customer.key")
        with open(key, "wb") as f:
            f.write(b"shared secret for tls test")
        os.chmod(key, 0o600)
        with open(d.config_path, "a") as f:
            f.write("key_file = %s\n" % key)
        with d:
            p = d.tls_peer()
            t, challenge = p.recv()
            self.assertEqual(t, 7)
            mac = hmac.new(b"shared secret for tls test", bytes.fromhex(challenge),
                           hashlib.sha256).hexdigest()
            p.sock.sendall(frame(8, mac) + frame(NICKNAME, "bob") + frame(COMMAND, "hello notices"))
            p.notice(body="welcome single-agent bob")


class Client(unittest.TestCase):
    def run_client(self, d, *args, stdin="hello from the client\n"):
        lines = os.path.join(d.dir, "lines.txt")
        with open(lines, "w") as f:
            f.write(stdin)
        with open(lines) as inp:
            return subprocess.Popen([FRONTDESK, "--name", "bob", "--timeout", "20"] + list(args) +
                                    ["127.0.0.1:%d" % d.port], stdin=inp, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True,
                                    env=dict(os.environ, NO_COLOR="1"))

    def test_client_with_ca_file(self):
        with TlsDaemon() as d:
            agent = Peer.agent(d, "mary")
            client = self.run_client(d, "--tls", "--ca-file", d.cert)
            self.assertEqual(agent.message(), "hello from the client")
            agent.say("hello back over TLS")
            out, err = client.communicate(timeout=DEADLINE)
            self.assertEqual(client.returncode, 0, err)
            self.assertEqual(out, "hello back over TLS\n")

    def test_client_refuses_an_untrusted_certificate(self):
        with TlsDaemon() as d:
            client = self.run_client(d, "--tls")  # the system's CAs do not know this one
            out, err = client.communicate(timeout=DEADLINE)
            self.assertEqual(client.returncode, 1)
            self.assertIn("frontdesk: TLS with 127.0.0.1:%d failed: the server's certificate "
                          "is not trusted: self-signed certificate" % d.port, err)

    def test_client_insecure(self):
        with TlsDaemon() as d:
            agent = Peer.agent(d, "mary")
            client = self.run_client(d, "--tls", "--insecure")
            self.assertEqual(agent.message(), "hello from the client")
            agent.say("ok")
            out, err = client.communicate(timeout=DEADLINE)
            self.assertEqual(client.returncode, 0, err)

    def test_client_usage(self):
        for args, msg in ((["--insecure"], "--ca-file and --insecure go with --tls"),
                          (["--tls", "--ca-file", "/nonexistent.pem"],
                           "cannot load trusted certificates from /nonexistent.pem")):
            r = subprocess.run([FRONTDESK] + args + ["127.0.0.1:1"], capture_output=True,
                               text=True, stdin=subprocess.DEVNULL)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(msg, r.stderr)


class Group(unittest.TestCase):
    def test_line_listener_over_tls(self):
        with TlsDaemon("mode = group\n") as d:
            self.assertIn("(line protocol, members, TLS)", d.log())
            framed = d.tls_peer("framed")
            framed.notice(prefix="welcome group framed")
            line = d.context().wrap_socket(
                socket.create_connection(("127.0.0.1", d.line_port), timeout=DEADLINE),
                server_hostname="127.0.0.1")
            line.sendall(b"/nick liner\nhello from a line member\n")
            self.assertEqual(framed.message(), "liner: hello from a line member")
            line.close()


class Refusals(unittest.TestCase):
    def test_missing_key_and_bad_pairs(self):
        d = Daemon("tls_cert = /nonexistent/cert.pem\ntls_key = /nonexistent/key.pem\n")
        try:
            r = subprocess.run([FRONTDESKD, "-c", d.config_path], capture_output=True, text=True,
                               timeout=DEADLINE)
            self.assertEqual(r.returncode, 1)
            self.assertIn("tls_cert /nonexistent/cert.pem:", r.stderr)
            with open(d.config_path, "a") as f:
                f.write("")
            only = os.path.join(d.dir, "only.conf")
            with open(only, "w") as f:
                f.write("tls_cert = /etc/ssl/certs/ca-certificates.crt\n")
            r = subprocess.run([FRONTDESKD, "--check-config", "-c", only], capture_output=True,
                               text=True)
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr, "%s:1: tls_cert and tls_key go together\n" % only)
        finally:
            d.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main(verbosity=2)
