# SPDX-License-Identifier: ISC
"""web_listen's agents' door, TLS and web_public (issue 18, items 1 and 2) against the real
daemon.

/ws/agent makes a WebSocket an agent exactly as one on agent_listen (challenged under
agent_key_file or an agents_file key, agents_file's name check, the same slots and counts),
except that the answer is the plain HMAC of the challenge even over TLS: a browser cannot read
the TLS exporter. It is refused before the upgrade without agent keys or with web_agents = no
(404), from another
origin (403, whatever web_origins says), and over plain HTTP from a peer off loopback (403).
With tls_cert, web_listen speaks TLS (https, wss). With key_file, web clients are not
challenged, so the daemon starts only with web_public = yes."""

import hashlib
import hmac
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (CHALLENGE, DEADLINE, FRONTDESKD, NICKNAME, RESPONSE, Daemon, Peer,  # noqa: E402
                    main, notices)
from test_tls import make_cert  # noqa: E402
from test_web import WEB, WsPeer, exchange, read_head, upgrade_head  # noqa: E402

warnings.simplefilter("ignore", ResourceWarning)

AGENT_KEY = b"the agents' key, long enough to be one\n"  # the newline is not part of the key
KEYS = {"m": b"mary's own key for the web console", "b": b"bob's key, nobody else's at all"}


def answer(challenge, key=AGENT_KEY.rstrip(b"\n")):
    """What the console computes: hex(HMAC-SHA256(key bytes, the challenge's 32 bytes))."""
    return hmac.new(key, bytes.fromhex(challenge), hashlib.sha256).hexdigest()


def write_key(directory, name, data):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)
    return path


class WebDaemon(Daemon):
    """A desk with web_listen (on @web_host), and with @agent_key agent_key_file; @tls: a fresh
    self-signed certificate for every TCP listener."""

    def __init__(self, config="", agent_key=True, tls=False, web_host="127.0.0.1"):
        super().__init__(WEB.replace("127.0.0.1", web_host) + config)
        self.tls = tls
        with open(self.config_path, "a") as f:
            if agent_key:
                f.write("agent_key_file = %s\n" % write_key(self.dir, "agent.key", AGENT_KEY))
            if tls:
                self.cert, self.key = make_cert(self.dir, "server")
                f.write("tls_cert = %s\ntls_key = %s\n" % (self.cert, self.key))

    def start(self):
        super().start()
        self.web_port = int(re.search(r"web on \S+:(\d+) ", self.log()).group(1))
        return self

    def connect(self, host="127.0.0.1", source=None):
        sock = socket.create_connection((host, self.web_port), timeout=DEADLINE,
                                        source_address=(source, 0) if source else None)
        if not self.tls:
            return sock
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx.wrap_socket(sock, server_hostname=host)

    def own_origin(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.web_port)

    def request(self, head, **kw):
        """@head on a new connection: the answer's status and body, and whether it closed."""
        status, _, body, closed = exchange(self.connect(**kw), head)
        return status, body.decode(), closed

    def upgrade(self, path="/ws/agent", origin=None, **kw):
        return self.request(upgrade_head(self.web_port, origin=origin, path=path), **kw)


class WebSock(WsPeer):
    """WsPeer on @d's web_listen, TLS or not, upgraded on @path."""

    def __init__(self, d, path="/ws", nick=None, origin=None, challenged=False):
        sock = d.connect()
        Peer.__init__(self, sock, nick)
        sock.sendall(upgrade_head(d.web_port, origin=origin, path=path))
        status, headers, self.raw = read_head(sock)
        assert status == 101, status
        self.close_code = self.close_reason = None
        self.closing = False
        self.pongs = 0
        if challenged:
            t, self.challenge = self.recv()
            assert t == CHALLENGE, (t, self.challenge)
            assert re.fullmatch(r"[0-9a-f]{64}", self.challenge)
        if nick is not None:
            self.join(nick)


def web_agent(d, nick, key=AGENT_KEY.rstrip(b"\n"), origin="own"):
    """An agent on /ws/agent that answers its challenge under @key and names itself."""
    a = WebSock(d, "/ws/agent", origin=d.own_origin() if origin == "own" else origin,
                challenged=True)
    a.name = nick
    a.send(RESPONSE, answer(a.challenge, key))
    a.join(nick)
    return a


class Agent(unittest.TestCase):
    def test_web_agent_serves_tcp_and_web_customers(self):
        with WebDaemon("metrics_listen = 127.0.0.1:0\n") as d:
            mary = web_agent(d, "mary")
            mary.notice(body="welcome single-agent mary")
            tina = Peer.customer(d, "tina")
            tina.notice(body="serving mary")
            mary.notice(body="customer tina")
            wes = WebSock(d, "/ws", nick="wes")
            wes.notice(prefix="queued")
            tina.say("hello from TCP")
            self.assertEqual(mary.message(), "hello from TCP")
            mary.say("hi tina")
            self.assertEqual(tina.message(), "hi tina")
            tina.command("quit")
            mary.notice(prefix="customer-left tina")
            mary.notice(body="customer wes")
            wes.say("hello from the web")
            self.assertEqual(mary.message(), "hello from the web")
            mary.say("hi wes")
            self.assertEqual(wes.message(), "hi wes")
            # Counted as any agent from afar: the desk's gauge and the agents' connections.
            s = socket.create_connection(("127.0.0.1", d.metrics_port), timeout=DEADLINE)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            text = b""
            while True:
                more = s.recv(65536)
                if not more:
                    break
                text += more
            s.close()
            text = text.decode()
            self.assertRegex(text, r'frontdesk_agents\{status="(available|busy)"\} 1\n')
            self.assertIn('frontdesk_connections_total{role="agent"} 1\n', text)
            self.assertIn("WebSocket on /ws/agent", d.log())

    def test_wrong_answer(self):
        with WebDaemon() as d:
            a = WebSock(d, "/ws/agent", origin=d.own_origin(), challenged=True)
            a.send(RESPONSE, answer(a.challenge, b"not the agents' key at all"))
            a.join("mallory")
            got = notices(a.expect_closed())
            self.assertEqual(got[0].split(" -- ")[0], "error auth-failed")
            self.assertEqual(a.close_code, 1000)
            # A TCP customer waits; an agent who answers serves it.
            c = Peer.customer(d, "bob")
            c.notice(prefix="agent-offline")
            web_agent(d, "mary").notice(body="welcome single-agent mary")
            c.notice(body="serving mary")

    def test_answer_is_not_bound_over_tls(self):
        """Over TLS too the answer is the plain HMAC (what a browser can compute)."""
        with WebDaemon(tls=True) as d:
            self.assertIn("(HTTPS; WebSocket on /ws, customers, agents on /ws/agent)", d.log())
            mary = web_agent(d, "mary")
            mary.notice(body="welcome single-agent mary")
            bob = WebSock(d, "/ws", nick="bob")
            bob.notice(body="serving mary")
            bob.say("hello over wss")
            self.assertEqual(mary.message(), "hello over wss")
            mary.say("hello back")
            self.assertEqual(bob.message(), "hello back")
            self.assertIn("WebSocket on /ws/agent (TLS)", d.log())

    def test_agents_file_name_check(self):
        d = WebDaemon(agent_key=False)
        paths = {k: write_key(d.dir, k + ".key", v + b"\n") for k, v in KEYS.items()}
        agents = os.path.join(d.dir, "agents")
        with open(agents, "w") as f:
            f.write("mary key=%s\nbob key=%s\n" % (paths["m"], paths["b"]))
        with open(d.config_path, "a") as f:
            f.write("agents_file = %s\n" % agents)
        with d:
            # Bob's key does not make its holder mary.
            wrong = web_agent(d, "mary", key=KEYS["b"])
            self.assertEqual(notices(wrong.expect_closed()),
                             ["error agent-not-allowed -- mary is not an agent you may be: "
                              "agents_file does not list it for the key you answered with"])
            mary = web_agent(d, "mary", key=KEYS["m"])
            mary.notice(body="welcome single-agent mary")
            # Her credential is her key, not the console's: the same key takes over...
            again = web_agent(d, "mary", key=KEYS["m"])
            again.notice(body="welcome single-agent mary")
            self.assertIn("error replaced -- a new connection as mary took over",
                          notices(mary.expect_closed()))
            # ...and another agent's key does not (max_agents = 1).
            bob = web_agent(d, "bob", key=KEYS["b"])
            self.assertIn("error agent-busy", notices(bob.expect_closed())[-1])
            again.sync("still mary")

    def test_no_agent_keys_no_door(self):
        with WebDaemon(agent_key=False) as d:
            self.assertNotIn("agents on /ws/agent", d.log())
            status, _, closed = d.upgrade(origin=d.own_origin())
            self.assertEqual((status, closed), (404, True))
            WebSock(d, "/ws", nick="wes").notice(prefix="agent-offline")

    def test_web_agents_no_shuts_the_door(self):
        """web_agents = no: agent keys set, yet no /ws/agent (agents stay on agent_listen or
        the socket); re-read on SIGHUP, so the door opens without a restart."""
        with WebDaemon("web_agents = no\n") as d:
            self.assertNotIn("agents on /ws/agent", d.log())
            status, _, closed = d.upgrade(origin=d.own_origin())
            self.assertEqual((status, closed), (404, True))
            with open(d.config_path) as f:
                text = f.read()
            with open(d.config_path, "w") as f:
                f.write(text.replace("web_agents = no\n", "web_agents = yes\n"))
            d.proc.send_signal(signal.SIGHUP)
            d.wait_log("configuration reloaded")
            self.assertIn("changed: web_agents", d.log())
            web_agent(d, "mary").notice(body="welcome single-agent mary")

    def test_not_get(self):
        """/ws/agent is a WebSocket only: 405 to anything but GET, and its Allow says GET alone
        (RFC 9110 section 10.2.1: the methods the target supports), as on /ws."""
        with WebDaemon() as d:
            for method in ("HEAD", "POST"):
                s = d.connect()
                s.sendall(("%s /ws/agent HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
                           % (method, d.web_port)).encode())
                status, headers, _ = read_head(s)
                s.close()
                self.assertEqual((status, headers.get("allow")), (405, "GET"), method)

    def test_cross_origin(self):
        conf = "web_origins = http://shop.example, http://127.0.0.1:1\n"
        with WebDaemon(conf) as d:
            for origin in ("http://evil.example", "http://shop.example", "null",
                           "https://127.0.0.1:%d.evil" % d.web_port):
                self.assertEqual(d.upgrade(origin=origin)[:3:2], (403, True), origin)
            # web_origins lets shop.example's page open /ws, but never /ws/agent.
            WebSock(d, "/ws", nick="shopper", origin="http://shop.example").notice(
                prefix="agent-offline")
            web_agent(d, "mary").notice(body="welcome single-agent mary")

    def test_plain_http_from_off_loopback(self):
        """From the machine's own non-loopback address, when it has one (the decision is unit
        tested in test-web-http.c either way)."""
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: it picks a source address
            here = probe.getsockname()[0]
        except OSError:
            here = None
        probe.close()
        if not here or here.startswith("127."):
            self.skipTest("no non-loopback IPv4 address on this machine")
        with WebDaemon(web_host="0.0.0.0") as d:
            origin = "http://%s:%d" % (here, d.web_port)
            head = upgrade_head(d.web_port, origin=origin, path="/ws/agent")
            head = head.replace(b"Host: 127.0.0.1:", ("Host: %s:" % here).encode())
            status, body, closed = d.request(head, host=here, source=here)
            self.assertEqual((status, closed), (403, True))
            self.assertIn("agents connect over TLS", body)
            self.assertIn("refused: an agent on /ws/agent over plain HTTP from another host",
                          d.log())
            # From loopback, the same door opens.
            web_agent(d, "mary").notice(body="welcome single-agent mary")


class Tls(unittest.TestCase):
    def test_customer_and_agent_over_tls(self):
        with WebDaemon(tls=True) as d:
            # An http:// page on an https listener is not the daemon's own.
            http_origin = "http://127.0.0.1:%d" % d.web_port
            self.assertEqual(d.upgrade(origin=http_origin)[0], 403)
            mary = web_agent(d, "mary")
            mary.notice(body="welcome single-agent mary")
            self.assertEqual(mary.sock.version() in ("TLSv1.2", "TLSv1.3"), True)
            status, body, closed = d.request(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual((status, closed), (200, True))
            self.assertIn("<!DOCTYPE html>", body)

    def test_plain_http_to_tls_port(self):
        with WebDaemon(tls=True) as d:
            bob = WebSock(d, "/ws", nick="bob")
            bob.notice(prefix="agent-offline")
            s = socket.create_connection(("127.0.0.1", d.web_port), timeout=DEADLINE)
            s.sendall(upgrade_head(d.web_port))
            data = b""
            try:
                while True:
                    more = s.recv(65536)
                    if not more:
                        break
                    data += more
            except ConnectionResetError:
                pass
            s.close()
            self.assertNotIn(b"HTTP/1.1", data)  # a TLS alert at most, never an answer
            # Only that connection ended: bob carries on, a new client gets in.
            bob.sync("after")
            WebSock(d, "/ws", nick="carl").notice(prefix="queued")
            self.assertTrue(d.alive())

    def test_handshake_never_finished(self):
        with WebDaemon(tls=True) as d:
            s = socket.create_connection(("127.0.0.1", d.web_port), timeout=DEADLINE)
            s.sendall(b"\x16\x03\x01")  # the start of a ClientHello, and nothing more
            self.assertEqual(s.recv(100), b"")  # closed at handshake_timeout (2 s)
            s.close()
            WebSock(d, "/ws", nick="late").notice(prefix="agent-offline")

    def test_certificate_reloaded(self):
        with WebDaemon(tls=True) as d:
            first = WebSock(d, "/ws", nick="one").sock.getpeercert(binary_form=True)
            cert, key = make_cert(d.dir, "renewed", cn="renewed")
            os.replace(cert, d.cert)
            os.replace(key, d.key)
            n = d.log().count("reload: certificate")
            d.proc.send_signal(signal.SIGHUP)
            d.wait_log("reload: certificate", count=n + 1)
            second = WebSock(d, "/ws", nick="two").sock.getpeercert(binary_form=True)
            self.assertNotEqual(first, second)


class Public(unittest.TestCase):
    def keyed(self, extra=""):
        d = WebDaemon(agent_key=False)
        path = write_key(d.dir, "customer.key", b"the customers' shared key\n")
        with open(d.config_path, "a") as f:
            f.write("key_file = %s\n%s" % (path, extra))
        return d

    def test_key_file_without_web_public_refuses_to_start(self):
        d = self.keyed()
        try:
            with open(d.config_path) as f:
                line = 1 + [l.split(" =")[0] for l in f.read().split("\n")].index("web_listen")
            want = ("%s:%d: web_listen admits web clients without key_file's challenge (a "
                    "public page cannot hold a secret): set web_public = yes if the web door "
                    "is meant to be open, or drop web_listen or key_file\n" % (d.config_path, line))
            for args in (["--check-config"], []):
                run = subprocess.run([FRONTDESKD] + args + ["-c", d.config_path],
                                     capture_output=True, text=True, timeout=DEADLINE)
                self.assertEqual((run.returncode, run.stderr), (1, want))
        finally:
            d.__exit__(None, None, None)

    def test_web_public_web_customer_unchallenged(self):
        with self.keyed("web_public = yes\n") as d:
            self.assertIn("web customers are not challenged (web_public = yes)", d.log())
            wes = WebSock(d, "/ws", nick="wes")
            self.assertEqual(wes.recv(), (3, "welcome single-agent wes"))
            tcp = Peer(socket.create_connection(("127.0.0.1", d.port), timeout=DEADLINE))
            self.assertEqual(tcp.recv()[0], CHALLENGE)  # TCP customers still answer first
            tcp.send(NICKNAME, "nokey")
            self.assertIn("error auth-failed", notices(tcp.expect_closed())[0])
            wes.sync("still")


if __name__ == "__main__":
    main()
