# SPDX-License-Identifier: ISC
"""The pages web_listen serves (issue 18): the customer page at /, the room page at /room, the
agent console at /agent and their assets at /static/NAME, built into the daemon from contrib/web/ by gen-pages.py. Every
route's status and media type, the security headers (Content-Security-Policy with and without
web_embed_origins, and its SIGHUP reload), ETag and 304, HEAD, 404 for anything else (path
traversal included), each asset's bytes equal to its file, and a generator that gives the same
C file every time. How the pages behave in a browser is tests/browser/'s."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import DEADLINE, FRONTDESKD, Closed, Daemon, main  # noqa: E402

ROOT = os.environ.get("FRONTDESK_SOURCE_ROOT",
                      os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("FRONTDESK_BUILD_ROOT", os.path.join(ROOT, "build"))
WEB_DIR = os.path.join(ROOT, "contrib", "web")
GEN = os.path.join(WEB_DIR, "gen-pages.py")
WEB = "web_listen = 127.0.0.1:0\nhandshake_timeout = 2\n"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8"}


def assets():
    """The files built in: every .html, .css and .js of contrib/web/."""
    return sorted(n for n in os.listdir(WEB_DIR) if os.path.splitext(n)[1] in TYPES)


def source(name):
    with open(os.path.join(WEB_DIR, name), "rb") as f:
        return f.read()


def web_port(daemon):
    return int(re.search(r"web on 127\.0\.0\.1:(\d+) ", daemon.log()).group(1))


def request(port, method, path, headers=""):
    """One request on a new connection: the status, the headers (lower-case names), the body
    (all the daemon sent before it closed: it closes after every answer)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    s.sendall(("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n"
               % (method, path, port, headers)).encode())
    data = b""
    deadline = time.monotonic() + DEADLINE
    while True:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        more = s.recv(65536)
        if not more:
            break
        data += more
    s.close()
    if b"\r\n\r\n" not in data:
        raise Closed("no whole answer: %r" % data)
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def generate(out, files):
    subprocess.run([sys.executable, GEN, out] + files, check=True)
    with open(out, "rb") as f:
        return f.read()


class WebPages(unittest.TestCase):
    def daemon(self, extra=""):
        return Daemon(WEB + extra)

    def test_routes(self):
        with self.daemon() as d:
            port = web_port(d)
            for path, name in (("/", "index.html"), ("/room", "room.html"),
                               ("/agent", "agent.html")):
                status, headers, body = request(port, "GET", path)
                self.assertEqual(status, 200, path)
                self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
                self.assertEqual(body, source(name))
                self.assertEqual(int(headers["content-length"]), len(body))
            self.assertIn(b'<html lang="en">', request(port, "GET", "/")[2])
            # A query does not change the file.
            self.assertEqual(request(port, "GET", "/room?x=1")[2], source("room.html"))

    def test_every_asset_is_its_file(self):
        names = assets()
        self.assertTrue({"index.html", "room.html", "agent.html", "style.css", "frames.js",
                         "link.js", "customer.js", "room.js", "agent.js", "tabs.js",
                         "side.js", "store.js", "page.js", "files.js"} <= set(names), names)
        with self.daemon() as d:
            port = web_port(d)
            for name in names:
                status, headers, body = request(port, "GET", "/static/" + name)
                self.assertEqual(status, 200, name)
                self.assertEqual(headers["content-type"], TYPES[os.path.splitext(name)[1]])
                self.assertEqual(body, source(name), name)

    def test_security_headers(self):
        with self.daemon() as d:
            port = web_port(d)
            for path in ("/", "/room", "/agent", "/static/style.css", "/static/link.js",
                         "/static/agent.js"):
                status, headers, _ = request(port, "GET", path)
                self.assertEqual(status, 200)
                self.assertEqual(headers["content-security-policy"], CSP, path)
                self.assertEqual(headers["x-content-type-options"], "nosniff")
                self.assertEqual(headers["referrer-policy"], "no-referrer")
                self.assertEqual(headers["cache-control"], "no-cache")
                self.assertEqual(headers["connection"], "close")

    def test_pages_have_no_inline_script_or_style(self):
        """CSP forbids them: a page with one would be broken, not unsafe."""
        for name in ("index.html", "room.html", "agent.html"):
            text = source(name).decode()
            self.assertNotIn("style=", text)
            for tag in re.findall(r"<script[^>]*>", text):
                self.assertRegex(tag, r'src="/static/[a-z]+\.js"')
                self.assertIn('type="module"', tag)
            self.assertNotRegex(text, r"<style|<script[^>]*>[^<]")
            self.assertNotRegex(text, r"\son[a-z]+=")

    def test_embed_origins(self):
        extra = "web_embed_origins = https://Shop.example, http://b.example:8080\n"
        with self.daemon(extra) as d:
            port = web_port(d)
            for path in ("/", "/static/customer.js"):
                headers = request(port, "GET", path)[1]
                self.assertEqual(headers["content-security-policy"],
                                 CSP + " https://shop.example http://b.example:8080")
            # SIGHUP: the next answer has the new list.
            with open(d.config_path) as f:
                text = f.read()
            with open(d.config_path, "w") as f:
                f.write(text.replace(extra, "web_embed_origins = https://c.example\n"))
            d.proc.send_signal(signal.SIGHUP)
            d.wait_log("configuration reloaded")
            self.assertIn("changed: web_embed_origins", d.log())
            headers = request(port, "GET", "/")[1]
            self.assertEqual(headers["content-security-policy"], CSP + " https://c.example")

    def test_embed_origins_checked(self):
        for bad in ("javascript:alert(1)", "https://a.example/path", "*", "'self'"):
            with tempfile.TemporaryDirectory() as tmp:
                conf = os.path.join(tmp, "frontdesk.conf")
                with open(conf, "w") as f:
                    f.write("listen = 127.0.0.1:0\nweb_embed_origins = %s\n" % bad)
                r = subprocess.run([FRONTDESKD, "-t", "-c", conf], capture_output=True,
                                   text=True, timeout=DEADLINE)
                self.assertNotEqual(r.returncode, 0, bad)
                self.assertIn("web_embed_origins", r.stderr, bad)

    def test_etag_and_304(self):
        with self.daemon() as d:
            port = web_port(d)
            status, headers, body = request(port, "GET", "/static/style.css")
            etag = headers["etag"]
            self.assertRegex(etag, r'^"[0-9a-f]{20}"$')
            self.assertNotEqual(etag, request(port, "GET", "/")[1]["etag"])
            for inm in (etag, "W/" + etag, '"nope", ' + etag, "*", ' %s , "x"' % etag):
                status, headers, body = request(port, "GET", "/static/style.css",
                                                "If-None-Match: %s\r\n" % inm)
                self.assertEqual((status, body), (304, b""), inm)
                self.assertEqual(headers["etag"], etag)
                self.assertEqual(headers["cache-control"], "no-cache")
                self.assertIn("frame-ancestors", headers["content-security-policy"])
            for inm in ('"nope"', etag[:-2] + '"', "", "x" * 400):
                status, _, body = request(port, "GET", "/static/style.css",
                                          "If-None-Match: %s\r\n" % inm)
                self.assertEqual((status, body), (200, source("style.css")), inm)

    def test_agent_console(self):
        """/agent: the console's page, with the same ETag and 304 rules as the others and their
        CSP, except that web_embed_origins never frames it (clickjacking a signed-in agent);
        served whether or not the daemon has agent keys (the page is no secret: the door is
        /ws/agent, which is 404 without them)."""
        for extra in ("", "web_embed_origins = https://shop.example\n"):
            with self.daemon(extra) as d:
                port = web_port(d)
                status, headers, body = request(port, "GET", "/agent")
                self.assertEqual((status, body), (200, source("agent.html")))
                self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
                self.assertEqual(headers["content-security-policy"], CSP)
                self.assertEqual(headers["x-content-type-options"], "nosniff")
                self.assertEqual(headers["referrer-policy"], "no-referrer")
                self.assertEqual(headers["cache-control"], "no-cache")
                etag = headers["etag"]
                self.assertRegex(etag, r'^"[0-9a-f]{20}"$')
                self.assertNotEqual(etag, request(port, "GET", "/")[1]["etag"])
                # The page and its file under /static/ are one asset: one ETag.
                self.assertEqual(request(port, "GET", "/static/agent.html")[1]["etag"], etag)
                for inm in (etag, "W/" + etag, '"x", ' + etag, "*"):
                    status, headers, body = request(port, "GET", "/agent",
                                                    "If-None-Match: %s\r\n" % inm)
                    self.assertEqual((status, body), (304, b""), inm)
                    self.assertEqual(headers["etag"], etag)
                    self.assertIn("frame-ancestors", headers["content-security-policy"])
                status, _, body = request(port, "GET", "/agent", 'If-None-Match: "x"\r\n')
                self.assertEqual((status, body), (200, source("agent.html")))
                status, headers, body = request(port, "HEAD", "/agent")
                self.assertEqual((status, body), (200, b""))
                self.assertEqual(int(headers["content-length"]), len(source("agent.html")))
                # Its modules, likewise.
                for name in ("agent.js", "tabs.js", "side.js"):
                    status, headers, body = request(port, "GET", "/static/" + name)
                    self.assertEqual((status, body), (200, source(name)), name)
                    status, _, _ = request(port, "GET", "/static/" + name,
                                           "If-None-Match: %s\r\n" % headers["etag"])
                    self.assertEqual(status, 304, name)

    def test_head(self):
        with self.daemon() as d:
            port = web_port(d)
            status, headers, body = request(port, "HEAD", "/")
            self.assertEqual((status, body), (200, b""))
            self.assertEqual(int(headers["content-length"]), len(source("index.html")))
            self.assertEqual(headers["content-security-policy"], CSP)
            self.assertEqual(request(port, "HEAD", "/nope")[0], 404)
            status, headers, _ = request(port, "HEAD", "/ws")
            self.assertEqual((status, headers["allow"]), (405, "GET"))
            status, headers, _ = request(port, "POST", "/")
            self.assertEqual((status, headers["allow"]), (405, "GET, HEAD"))

    def test_not_found(self):
        paths = ["/nope", "/static/", "/static", "/static/../index.html",
                 "/static/%2e%2e/index.html", "/static/%2E%2E%2Findex.html", "/%2e%2e/",
                 "/static/x/../style.css", "/static//style.css", "/static/./style.css",
                 "/static/style.css/", "/static/gen-pages.py", "/static/STYLE.CSS",
                 "/index.html", "/room/", "/room.html", "/agent/", "/agent.html",
                 "/agents", "/Agent", "/ws/../room",
                 "/static/style.css%00", "/static/..%2fstyle.css"]
        with self.daemon() as d:
            port = web_port(d)
            for path in paths:
                status, headers, body = request(port, "GET", path)
                self.assertEqual(status, 404, path)
                self.assertTrue(headers["content-type"].startswith("text/plain"), path)
            # Whatever the method: a 405's Allow would name methods a path that is nothing
            # supports (RFC 9110 section 15.5.6).
            for method in ("POST", "PUT", "DELETE", "OPTIONS"):
                status, headers, _ = request(port, method, "/nope")
                self.assertEqual((status, headers.get("allow")), (404, None), method)
            # The daemon is still there and serves.
            self.assertEqual(request(port, "GET", "/")[0], 200)

    @unittest.skipUnless(shutil.which("node"), "no node to run frames.js with")
    def test_frames_js_counts_bytes(self):
        """frames.js, the pages' framing, run by node: LLLL counts UTF-8 bytes, both ways."""
        script = """
import { encode, decode, parseTagged, parseNotice } from "%s";
const out = [encode(1, "Zoë"), encode(2, "a 😀"), decode("0010|2|Zoë"), decode("0011|2|Zoë"),
  parseTagged("7 1700000000000 c2 mary two  spaces\\nand a line"),
  parseNotice("error nick-taken -- that -- name")];
console.log(JSON.stringify(out));
""" % ("file://" + os.path.abspath(os.path.join(WEB_DIR, "frames.js")))
        r = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True,
                           text=True, timeout=DEADLINE, check=True)
        self.assertEqual(json.loads(r.stdout), [
            "0011|1|Zoë", "0013|2|a 😀", None, {"type": 2, "body": "Zoë"},
            {"id": 7, "time": 1700000000000, "conv": "c2", "from": "mary",
             "text": "two  spaces\nand a line"},
            {"keyword": "error", "args": ["nick-taken"], "text": "that -- name"}])

    def test_generator_is_deterministic(self):
        files = [os.path.join(WEB_DIR, n) for n in assets()]
        with tempfile.TemporaryDirectory() as tmp:
            a = generate(os.path.join(tmp, "a.c"), files)
            b = generate(os.path.join(tmp, "b.c"), list(reversed(files)))
            self.assertEqual(a, b)
            built = os.path.join(BUILD, "src", "web-pages-data.c")
            if os.path.exists(built):
                with open(built, "rb") as f:
                    self.assertEqual(f.read(), a)
            # A file the table has no media type for is refused, not served as something.
            odd = os.path.join(tmp, "x.svg")
            open(odd, "w").close()
            r = subprocess.run([sys.executable, GEN, os.path.join(tmp, "c.c"), odd],
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)


if __name__ == "__main__":
    main()
