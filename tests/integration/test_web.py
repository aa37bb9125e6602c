# SPDX-License-Identifier: ISC
"""web_listen (issue 18, first part) against the real daemon: the HTTP request head and the
upgrade to a WebSocket on /ws, each WebSocket text message one frame of the framed protocol.
A web customer talks with a TCP agent at the desk, a web member with a TCP member in a room.
Bad input gets its HTTP status or close code, and only that connection ends: in every case a
TCP customer served by the agent and a web customer waiting in line carry on (Bystanders).

The WebSocket client is written here on raw sockets (WsPeer), so that tests can send what no
library would (unmasked frames, a message never finished); one test uses python3-websockets,
when the interpreter has it, to show that an ordinary client library gets on with the daemon."""

import asyncio
import base64
import hashlib
import os
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import COMMAND, DEADLINE, MESSAGE, NICKNAME, NOTICE, Closed, Daemon, Peer, frame, main  # noqa: E402,E501

warnings.simplefilter("ignore", ResourceWarning)

WEB = "web_listen = 127.0.0.1:0\nhandshake_timeout = 2\n"
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
TEXT, BINARY, CLOSE, PING, PONG = 1, 2, 8, 9, 10


def web_port(daemon):
    return int(re.search(r"web on 127\.0\.0\.1:(\d+) ", daemon.log()).group(1))


def upgrade_head(port, key=KEY, version="13", origin=None, path="/ws", extra=""):
    head = "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % (path, port)
    head += "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    if key is not None:
        head += "Sec-WebSocket-Key: %s\r\n" % key
    if version is not None:
        head += "Sec-WebSocket-Version: %s\r\n" % version
    if origin is not None:
        head += "Origin: %s\r\n" % origin
    return (head + extra + "\r\n").encode()


def read_head(sock):
    """The answer's status and headers (lower-case names), and the bytes after them."""
    data = b""
    deadline = time.monotonic() + DEADLINE
    while b"\r\n\r\n" not in data:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        more = sock.recv(65536)
        if not more:
            raise Closed("no answer: %r" % data)
        data += more
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    return status, headers, rest


def exchange(s, request):
    """Send @request (bytes) on @s, a new connection (plain or TLS), and close it: the
    answer's status, headers, body; and whether the daemon closed the connection first."""
    s.sendall(request)
    status, headers, body = read_head(s)
    closed = False
    try:
        while True:
            more = s.recv(65536)
            if not more:
                closed = True
                break
            body += more
    except (socket.timeout, ssl.SSLError):
        pass
    s.close()
    return status, headers, body, closed


def http(port, request):
    """exchange() on a new plain connection to @port."""
    return exchange(socket.create_connection(("127.0.0.1", port), timeout=DEADLINE), request)


def data_frame(tag, data):
    """A type 6 frame (a file's bytes, issue 19): "LLLL|6|TAG BYTES", BYTES as they are."""
    body = tag.encode() + b" " + data
    return b"%04d|6|" % (len(body) + 7) + body


def ws_frame(opcode, payload, fin=True, mask=True):
    """One WebSocket frame as a client sends it (masked unless told otherwise)."""
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
    else:
        head = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


class WsPeer(Peer):
    """A framed-protocol peer over a WebSocket: Peer's methods (recv, notice, sync,
    expect_closed) read the frames that text messages carry. A close from the daemon is
    kept in close_code / close_reason; pongs are counted."""

    def __init__(self, daemon, nick=None, notices=True, origin=None, rcvbuf=None):
        port = web_port(daemon)
        sock = socket.socket()
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # a small window
        sock.settimeout(DEADLINE)
        sock.connect(("127.0.0.1", port))
        super().__init__(sock, nick)
        sock.sendall(upgrade_head(port, origin=origin))
        status, headers, self.raw = read_head(sock)
        assert status == 101, status
        want = base64.b64encode(hashlib.sha1(KEY.encode() + GUID).digest()).decode()
        assert headers["sec-websocket-accept"] == want, headers
        self.close_code = self.close_reason = None
        self.closing = False
        self.pongs = 0
        self.data = []  # the data frames received, each in a binary message: (TAG, BYTES)
        if nick is not None:
            self.join(nick, notices)

    def join(self, nick, notices=True):
        self.send(NICKNAME, nick)
        if notices:
            self.send(COMMAND, "hello notices")

    def send(self, ftype, body):
        self.send_ws(TEXT, frame(ftype, body))

    def send_ws(self, opcode, payload, fin=True, mask=True):
        self.sock.sendall(ws_frame(opcode, payload, fin, mask))

    def _parse(self):
        """One whole frame off self.raw, or None."""
        if len(self.raw) < 2:
            return None
        b0, b1 = self.raw[0], self.raw[1]
        assert not b1 & 0x80, "the server masked a frame"
        n, at = b1 & 0x7F, 2
        if n == 126:
            if len(self.raw) < 4:
                return None
            n, at = struct.unpack("!H", self.raw[2:4])[0], 4
        elif n == 127:
            if len(self.raw) < 10:
                return None
            n, at = struct.unpack("!Q", self.raw[2:10])[0], 10
        if len(self.raw) < at + n:
            return None
        payload, self.raw = self.raw[at:at + n], self.raw[at + n:]
        return b0 & 0x80, b0 & 0x0F, payload

    def _fill(self, deadline):
        got = False
        while True:
            f = None if self.closing else self._parse()
            if f is None:
                if got:
                    return True
                if self.closing:
                    raise Closed()
                data = self._recv(deadline)
                if data is None:
                    return False
                self.raw += data
                continue
            fin, opcode, payload = f
            assert fin, "the server fragmented a message"
            if opcode == TEXT:
                payload.decode()  # a text message is UTF-8
                assert payload[5:6] != b"6", "a data frame in a text message"
                self.buf += payload
                got = True
            elif opcode == BINARY:
                # A data frame, whose bytes need not be UTF-8: kept aside as (TAG, BYTES)
                # rather than among the frames recv() decodes.
                assert payload[5:6] == b"6", "a binary message of another frame type"
                assert int(payload[:4]) == len(payload), "not one frame"
                tag, data = payload[7:].split(b" ", 1)
                self.data.append((tag.decode(), data))
            elif opcode == CLOSE:
                self.close_code = struct.unpack("!H", payload[:2])[0] if payload else 0
                self.close_reason = payload[2:].decode()
                self.closing = True
            elif opcode == PONG:
                self.pongs += 1
            else:
                raise AssertionError("unexpected opcode %d" % opcode)

    def expect_close(self, code):
        """The daemon closes the WebSocket with @code, then the TCP connection."""
        self.expect_closed()
        assert self.close_code == code, (self.close_code, self.close_reason)
        # After its close frame: nothing but the end of the connection.
        self.sock.settimeout(DEADLINE)
        try:
            self.sock.sendall(ws_frame(CLOSE, struct.pack("!H", 1000)))
        except OSError:
            pass
        while True:
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                return
            self.raw += data


class Bystanders:
    """A TCP agent serving a TCP customer, and a web customer waiting in line: check() proves
    all three still carry on."""

    def __init__(self, daemon):
        self.agent = Peer.agent(daemon, "mary")
        self.tcp = Peer.customer(daemon, "tina")
        self.agent.notice(body="customer tina")
        self.web = WsPeer(daemon, "wanda")
        self.web.notice(prefix="queued")
        self.n = 0

    def check(self):
        self.n += 1
        self.tcp.say("still here %d" % self.n)
        assert self.agent.message() == "still here %d" % self.n
        self.agent.say("good %d" % self.n)
        assert self.tcp.message() == "good %d" % self.n
        self.web.sync("web%d" % self.n)


class WebTest(unittest.TestCase):
    def daemon(self, config=""):
        return Daemon(WEB + config)

    def test_web_customer_talks_with_tcp_agent(self):
        with self.daemon() as d:
            agent = Peer.agent(d, "mary")
            bob = WsPeer(d, "bob")
            self.assertEqual(bob.recv(), (NOTICE, "welcome single-agent bob"))
            agent.notice(body="customer bob")
            bob.say("hello from the web")
            self.assertEqual(agent.message(), "hello from the web")
            agent.say("hi bob, ünïcode ✓")
            self.assertEqual(bob.message(), "hi bob, ünïcode ✓")
            self.assertIn("127.0.0.1", d.log().split("joined as bob")[0].splitlines()[-1])
            # "quit" ends the conn: its last words, then the WebSocket's close (1000).
            bob.command("quit")
            agent.notice(prefix="customer-left bob")
            bob.expect_close(1000)

    def test_web_customer_resumes_after_a_cut(self):
        with self.daemon() as d:
            agent = Peer.agent(d, "mary")
            agent.command("caps ping")  # any capability: it is told "customer-away"
            agent.notice(body="caps ping")
            bob = WsPeer(d, "bob")
            bob.command("caps ids resume")
            bob.notice(body="caps ids resume")
            bob.notice(prefix="session ")
            token = bob.frames[-1][1].split(" ", 1)[1]
            agent.notice(body="customer bob")
            bob.say("hello")
            self.assertEqual(agent.message(), "hello")
            bob.sock.close()  # the connection is cut: no close frame
            agent.notice(body="customer-away bob")
            agent.say("still there?")
            again = WsPeer(d)
            again.send(COMMAND, "resume %s 0" % token)
            again.notice(body="resumed bob")
            # What it missed, with its ID (type 5, "ID TIME CONV FROM TEXT").
            again.wait_for(5, prefix="")
            self.assertTrue(again.frames[-1][1].endswith(" mary still there?"))
            agent.notice(body="customer-back bob")
            again.say("yes")
            self.assertEqual(agent.message(), "yes")

    def test_shutdown_closes_with_going_away(self):
        d = self.daemon().start()
        try:
            w = WsPeer(d, "late")
            w.notice(prefix="agent-offline")
            d.proc.send_signal(signal.SIGTERM)
            w.notice(prefix="error shutting-down")
            w.expect_close(1001)
            w.close()  # as a browser does after the close handshake
            self.assertEqual(d.proc.wait(DEADLINE), 0)
            self.assertNotIn("did not drain", d.log())
        finally:
            d.stop()

    def test_web_member_and_tcp_member_see_each_other(self):
        with self.daemon("mode = group\n") as d:
            tom = Peer.customer(d, "tom")
            wes = WsPeer(d, "wes")
            tom.notice(body="joined wes")
            wes.say("hello tom")
            self.assertEqual(tom.message(), "wes: hello tom")
            self.assertEqual(wes.message(), "wes: hello tom")
            tom.say("hello wes")
            self.assertEqual(wes.message(), "tom: hello wes")
            wes.close()
            tom.notice(body="left wes")

    def test_library_client(self):
        """python3-websockets, when this interpreter has it (Debian's is for /usr/bin/python3)."""
        try:
            import websockets
        except ImportError:
            self.skipTest("python3-websockets is not importable here")

        async def client(port):
            async with websockets.connect("ws://127.0.0.1:%d/ws" % port) as ws:
                await ws.send(frame(NICKNAME, "lib").decode())
                await ws.send(frame(COMMAND, "hello notices").decode())
                return await asyncio.wait_for(ws.recv(), DEADLINE)

        with self.daemon() as d:
            self.assertEqual(asyncio.run(client(web_port(d))), "0031|3|welcome single-agent lib")

    def test_page_and_other_paths(self):
        with self.daemon() as d:
            port = web_port(d)
            status, headers, body, closed = http(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(status, 200)
            self.assertTrue(headers["content-type"].startswith("text/html"))
            self.assertIn("default-src 'none'", headers["content-security-policy"])
            self.assertIn(b"<!DOCTYPE html>", body)
            self.assertTrue(closed)
            self.assertEqual(http(port, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")[0], 404)
            status, headers, _, _ = http(port, b"POST /ws HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual((status, headers["allow"]), (405, "GET"))
            self.assertEqual(http(port, b"GET / HTTP/1.1\r\n\r\n")[0], 400)  # no Host
            self.assertEqual(http(port, b"GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n")[0], 400)  # bare LF

    def test_upgrade_without_key(self):
        with self.daemon() as d:
            by = Bystanders(d)
            status, _, _, closed = http(web_port(d), upgrade_head(web_port(d), key=None))
            self.assertEqual((status, closed), (400, True))
            by.check()

    def test_upgrade_wrong_version(self):
        with self.daemon() as d:
            by = Bystanders(d)
            status, headers, _, closed = http(web_port(d), upgrade_head(web_port(d), version="8"))
            self.assertEqual((status, headers["sec-websocket-version"], closed), (426, "13", True))
            by.check()

    def test_oversize_head(self):
        with self.daemon() as d:
            by = Bystanders(d)
            big = upgrade_head(web_port(d), extra="X-Filler: %s\r\n" % ("a" * 9000))
            status, _, _, closed = http(web_port(d), big)
            self.assertEqual((status, closed), (431, True))
            by.check()

    def test_head_never_finished(self):
        with self.daemon() as d:
            by = Bystanders(d)
            s = socket.create_connection(("127.0.0.1", web_port(d)), timeout=DEADLINE)
            s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\n")
            start = time.monotonic()
            self.assertEqual(s.recv(100), b"")  # closed at handshake_timeout (2 s)
            self.assertLess(time.monotonic() - start, DEADLINE)
            by.check()

    def test_cross_origin_upgrade(self):
        with self.daemon() as d:
            by = Bystanders(d)
            port = web_port(d)
            status, _, _, closed = http(port, upgrade_head(port, origin="http://evil.example"))
            self.assertEqual((status, closed), (403, True))
            # The page's own origin (the Host's) may.
            WsPeer(d, "same", origin="http://127.0.0.1:%d" % port).notice(prefix="queued")
            by.check()

    def test_web_origins_lists_who_may(self):
        with self.daemon("web_origins = https://shop.example, http://localhost:8080\n") as d:
            port = web_port(d)
            self.assertEqual(http(port, upgrade_head(port, origin="http://127.0.0.1:%d" % port))[0],
                             403)
            WsPeer(d, "shop", origin="https://SHOP.example").notice(prefix="agent-offline")

    def test_unmasked_frame(self):
        with self.daemon() as d:
            by = Bystanders(d)
            w = WsPeer(d)
            w.send_ws(TEXT, frame(NICKNAME, "bare"), mask=False)
            w.expect_close(1002)
            by.check()

    def test_frame_over_the_limit(self):
        with self.daemon("max_frame = 2000\n") as d:
            by = Bystanders(d)
            w = WsPeer(d, "big")
            w.notice(prefix="queued")
            w.send_ws(TEXT, frame(MESSAGE, "x" * 3000))
            w.expect_close(1009)
            by.check()

    def test_binary_message(self):
        # A binary message carries a data frame (type 6) and nothing else: a chat message in
        # one, or bytes that are no frame at all, or two data frames in one, get 1003.
        for payload in (frame(MESSAGE, "hello"), b"\x00\x01binary", data_frame("t", b"x") * 2):
            with self.subTest(payload=payload[:12]), self.daemon() as d:
                by = Bystanders(d)
                w = WsPeer(d, "bin")
                w.notice(prefix="queued")
                w.send_ws(BINARY, payload)
                w.expect_close(1003)
                by.check()

    def test_data_frame_reaches_the_conn(self):
        # A binary message with one data frame is not refused by the WebSocket: the conn
        # judges it, and one that did not ask for "files" is told unknown-type (protocol 3).
        with self.daemon() as d:
            by = Bystanders(d)
            w = WsPeer(d, "bin")
            w.notice(prefix="queued")
            w.send_ws(BINARY, data_frame("t1", bytes(range(256))))
            w.notice(prefix="error unknown-type")
            w.expect_close(1000)
            by.check()

    def test_a_file_both_ways_in_binary_messages(self):
        # Uploaded in binary messages, with chat between two of them; fetched back the same
        # way: each data frame one binary message, the same bytes (none of them UTF-8).
        with self.daemon("turns = free\n") as d:
            agent = Peer.agent(d, "mary")
            w = WsPeer(d, "bob")
            w.command("caps files")
            w.notice(prefix="files ")
            agent.notice(body="customer bob")
            agent.command("caps files")  # a file for a client without files is refused
            agent.notice(prefix="files ")
            data = bytes(range(256)) * 40 + b"\xff\xfe"
            sha = hashlib.sha256(data).hexdigest()
            w.command("file-offer up1 %d %s application/octet-stream * dump.bin" % (len(data), sha))
            w.notice(body="file-go up1")
            for at in range(0, len(data), 4000):
                w.send_ws(BINARY, data_frame("up1", data[at:at + 4000]))
                w.say("between %d" % at)
                self.assertEqual(agent.message(), "between %d" % at)
            w.command("file-end up1")
            w.notice(body="file-done up1 " + sha)
            w.command("file-get down1 " + sha)
            w.notice(prefix="file-start down1 %d " % len(data))
            w.notice(body="file-end down1")
            self.assertEqual({t for t, _ in w.data}, {"down1"})
            self.assertGreater(len(w.data), 1)
            self.assertEqual(b"".join(b for _, b in w.data), data)

    def test_invalid_utf8(self):
        with self.daemon() as d:
            by = Bystanders(d)
            w = WsPeer(d, "utf")
            w.notice(prefix="queued")
            w.send_ws(TEXT, b"0009|2|\xff\xfe")
            w.expect_close(1007)
            by.check()

    def test_message_not_one_frame(self):
        with self.daemon() as d:
            by = Bystanders(d)
            w = WsPeer(d)
            w.send_ws(TEXT, frame(NICKNAME, "two") + frame(COMMAND, "hello notices"))
            w.expect_close(1008)
            by.check()

    def test_fragmented_message_never_ends(self):
        with self.daemon() as d:
            by = Bystanders(d)
            w = WsPeer(d, "frag")
            w.notice(prefix="queued")
            w.send_ws(TEXT, frame(MESSAGE, "never")[:5], fin=False)
            start = time.monotonic()
            w.expect_close(1008)
            self.assertGreater(time.monotonic() - start, 1.5)  # handshake_timeout = 2
            self.assertIn("not finished in time", w.close_reason)
            by.check()

    def test_ping_flood(self):
        with self.daemon() as d:
            by = Bystanders(d)
            w = WsPeer(d, "pinger")
            w.notice(prefix="queued")
            w.sock.sendall(b"".join(ws_frame(PING, b"p%d" % i) for i in range(2000)))
            w.expect_close(1008)
            self.assertLessEqual(w.pongs, 50)  # answered up to the limit, then closed
            by.check()

    def test_pings_within_limit_get_pongs(self):
        with self.daemon() as d:
            w = WsPeer(d, "polite")
            w.notice(prefix="agent-offline")
            for i in range(5):
                w.send_ws(PING, b"p%d" % i)
            w.sync()
            self.assertEqual(w.pongs, 5)

    def test_close_without_status(self):
        with self.daemon() as d:
            by = Bystanders(d)
            w = WsPeer(d, "quiet")
            w.notice(prefix="queued")
            w.send_ws(CLOSE, b"")
            w.expect_closed()
            # Answered with a close that has no status either (RFC 6455 5.5.1), then the end.
            self.assertEqual(w.close_code, 0)
            self.assertEqual(w.sock.recv(100), b"")
            by.check()

    def test_bad_frame_ends_the_conn_with_its_error(self):
        with self.daemon() as d:
            by = Bystanders(d)
            w = WsPeer(d, "oops")
            w.notice(prefix="queued")
            w.send(9, "reserved type")
            w.notice(prefix="error")
            w.expect_close(1000)
            by.check()

    def test_web_reader_that_reads_nothing_is_dropped(self):
        """Its output is bounded as a TCP peer's is: past max_output_bytes it goes."""
        conf = "mode = group\nmax_output_bytes = 65536\nsoft_output_bytes = 16384\n"
        conf += "max_msgs_per_sec = 0\nmax_bytes_per_sec = 0\n"
        with self.daemon(conf) as d:
            tom = Peer.customer(d, "tom")
            slow = WsPeer(d, "slow", rcvbuf=4096)
            tom.notice(body="joined slow")
            seen = []

            def read():
                try:
                    while True:
                        seen.append(tom.recv(2 * DEADLINE))
                except (Closed, AssertionError):
                    pass

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            deadline = time.monotonic() + 2 * DEADLINE
            while (NOTICE, "left slow") not in seen and time.monotonic() < deadline:
                tom.sock.sendall(b"".join(frame(MESSAGE, "x" * 1000) for _ in range(20)))
                time.sleep(0.01)
            self.assertIn((NOTICE, "left slow"), seen)
            self.assertIn("slow-consumer", d.log())
            tom.command("ping after")  # the talker carries on (the reader sees the pong)
            deadline = time.monotonic() + DEADLINE
            while (NOTICE, "pong after") not in seen and time.monotonic() < deadline:
                time.sleep(0.01)
            self.assertIn((NOTICE, "pong after"), seen)
            slow.close()

    def test_one_address_cannot_hold_every_head_slot(self):
        with self.daemon() as d:
            port = web_port(d)
            held = []
            for _ in range(16):
                s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
                s.sendall(b"GET / HTTP/1.1\r\n")
                held.append(s)
            extra = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
            self.assertIn(extra.recv(100), (b"",))  # closed at once: 16 heads from here already
            # Another address still gets in.
            other = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE,
                                             source_address=("127.0.0.2", 0))
            other.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(read_head(other)[0], 200)
            for s in held:
                s.close()


if __name__ == "__main__":
    main()
