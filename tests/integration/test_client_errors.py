# SPDX-License-Identifier: ISC
"""The client's failures: a bad target, a refused connection, a server that closes in the middle
of a frame or sends garbage. Each one: a clear one-line error, a non-zero exit, no hang."""

import os
import socket
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import DEADLINE, Daemon, main  # noqa: E402
from clientrun import run  # noqa: E402
from fakeserver import FakeServer  # noqa: E402


def free_port():
    """A loopback port nobody listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def one_shot(data):
    """A server that reads the client's first bytes, sends @data and closes."""
    def handler(conn):
        conn.recv(4096)
        conn.sendall(data)
    return FakeServer(handler)


def run_to_close(addr):
    """Run a script-mode client that has said "hello" to its end, with stdin left open: the end
    must be the server's doing (with stdin at EOF the client may end first, by itself)."""
    from clientrun import ScriptClient
    c = ScriptClient(addr).feed("hello\n")
    code = c.wait()
    return code, c.out, c.err


class Case(unittest.TestCase):
    def one_line_error(self, err, expected):
        self.assertEqual(err, "frontdesk: %s\n" % expected)


class Errors(Case):
    def test_refused(self):
        port = free_port()
        code, out, err = run("127.0.0.1:%d" % port, stdin_text="hi\n")
        self.assertEqual(code, 1)
        self.one_line_error(err, "cannot connect to 127.0.0.1:%d: Connection refused" % port)

    def test_missing_agent_socket(self):
        path = os.path.join(tempfile.gettempdir(), "frontdesk-no-such-dir", "agent.sock")
        code, out, err = run("--agent", "unix:" + path)
        self.assertEqual(code, 1)
        self.one_line_error(err, "cannot connect to unix:%s: No such file or directory" % path)

    def test_agent_default_target_follows_runtime_directory(self):
        with tempfile.TemporaryDirectory() as d:
            from clientrun import ScriptClient
            c = ScriptClient("--agent", env={"RUNTIME_DIRECTORY": d})
            self.assertEqual(c.finish(), 1)
            self.one_line_error(c.err, "cannot connect to unix:%s/agent.sock: "
                                "No such file or directory" % d)

    def test_bad_targets_are_usage_errors(self):
        for target in ("127.0.0.1:99999", "127.0.0.1:x", "[::1", "unix:", "a:b:c", ":21567"):
            code, out, err = run(target)
            self.assertEqual(code, 2, target)
            self.assertTrue(err.startswith("frontdesk: bad target '%s'" % target), err)

    def test_unknown_host(self):
        code, out, err = run("no-such-host.invalid:21567")
        self.assertEqual(code, 1)
        self.assertTrue(err.startswith("frontdesk: cannot resolve no-such-host.invalid: "), err)
        self.assertEqual(err.count("\n"), 1)

    def test_usage(self):
        for args in (["--bogus"], ["--name", "two words"], ["--name", "a:b"],
                     ["--timeout", "soon"], ["a", "b"], ["--agent", "--line"]):
            code, out, err = run(*args)
            self.assertEqual(code, 2, args)
            self.assertIn("Try 'frontdesk --help'", err)

    def test_help_and_version(self):
        code, out, err = run("--help")
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith("Usage: frontdesk [OPTION]... [HOST[:PORT] | unix:PATH]"))
        for option in ("--name", "--agent", "--line", "--key-file", "--timeout", "--reconnect"):
            self.assertIn(option, out)
        code, out, err = run("--version")
        self.assertEqual(code, 0)
        self.assertRegex(out, r"^frontdesk \d+\.\d+\.\d+\n$")

    def test_server_closes_mid_frame(self):
        with one_shot(b"0009|2|hi0030|2|only part of it") as s:
            code, out, err = run_to_close("127.0.0.1:%d" % s.port)
        self.assertEqual(code, 1)
        self.assertEqual(out, "hi\n")
        self.one_line_error(err, "connection closed by 127.0.0.1:%d in the middle of a frame"
                            % s.port)

    def test_server_sends_garbage(self):
        with one_shot(b"HTTP/1.1 400 Bad Request\r\n\r\n") as s:
            code, out, err = run_to_close("127.0.0.1:%d" % s.port)
        self.assertEqual(code, 1)
        self.one_line_error(err, "protocol error from 127.0.0.1:%d: frame length is not four "
                            "digits" % s.port)

    def test_server_closes_without_a_word(self):
        with one_shot(b"") as s:
            code, out, err = run_to_close("127.0.0.1:%d" % s.port)
        self.assertEqual(code, 1)
        self.one_line_error(err, "connection closed by 127.0.0.1:%d" % s.port)

    def test_error_notice_is_in_the_message(self):
        from clientrun import ScriptClient
        from fdtest import Peer
        with Daemon() as d:
            agent = Peer.agent(d, "mary")
            agent.notice(prefix="welcome")
            c = ScriptClient("--name", "bob", "127.0.0.1:%d" % d.port).feed("hello\n")
            self.assertEqual(agent.message(), "hello")
            agent.command("kick bob")
            code = c.finish()
            agent.close()
        self.assertEqual(code, 1)
        self.assertIn("* You were removed: mary ended your connection\n", c.err)
        # Said once: the notice is the reason, the end does not repeat it.
        self.assertTrue(c.err.endswith("* You were removed: mary ended your connection\n"
                                       "frontdesk: connection closed by 127.0.0.1:%d\n"
                                       % d.port), c.err)

    def test_refusal_reaches_the_user(self):
        from fdtest import Peer
        with Daemon("max_queue = 1\n") as d:
            first = Peer.customer(d, "first")
            first.notice(prefix="welcome")
            second = Peer.customer(d, "second")
            second.notice(prefix="queued 1")
            code, out, err = run("--name", "third", "127.0.0.1:%d" % d.port, stdin_text="hi\n")
            first.close()
            second.close()
        self.assertEqual(code, 1)
        full = "The line is full: 1 customer is already waiting; try again later"
        self.assertEqual(err, "* %s\nfrontdesk: connection closed by 127.0.0.1:%d\n"
                         % (full, d.port))

    def test_refused_agent_fails(self):
        """A refusal before any normal end is exit status 1, even with input already over
        (the quit crossed the refusal); without one, the same run ends with 0."""
        from fdtest import Peer
        with Daemon() as d:
            code, out, err = run("--agent", "--name", "zed", "unix:" + d.agent_socket)
            self.assertEqual(code, 0, err)
            mary = Peer.agent(d, "mary")
            mary.notice(prefix="welcome")
            code, out, err = run("--agent", "--name", "zed", "unix:" + d.agent_socket)
            mary.close()
        self.assertEqual(code, 1, err)
        self.assertIn("No room for another agent: mary is already the agent", err)

    def test_key_file_must_be_private(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "key")
            with open(path, "w") as f:
                f.write("secret\n")
            os.chmod(path, 0o644)
            code, out, err = run("--key-file", path, "127.0.0.1:%d" % free_port())
            self.assertEqual(code, 2)
            self.one_line_error(err, "cannot use key file %s: others may read it (chmod 600)"
                                % path)


class Authentication(Case):
    """Protocol section 6, client side: answer a challenge with HMAC-SHA256 under the key."""

    def test_challenge_is_answered(self):
        import hashlib
        import hmac
        challenge = os.urandom(32)
        got = {}

        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        port = srv.getsockname()[1]

        def serve():
            conn, _ = srv.accept()
            with conn:
                conn.settimeout(DEADLINE)
                body = challenge.hex().encode()
                conn.sendall(b"%04d|7|" % (len(body) + 7) + body)
                data = b""
                while len(data) < 71 + 10:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                got["first"] = data[:71]
                got["then"] = data[71:81]
                conn.sendall(b"0014|2|welcome")
                while conn.recv(4096):
                    pass

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "key")
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
                f.write("shared secret\n")
            code, out, err = run("--key-file", path, "--name", "bob", "127.0.0.1:%d" % port,
                                 stdin_text="hi\n")
        t.join(DEADLINE)
        srv.close()
        mac = hmac.new(b"shared secret", challenge, hashlib.sha256).hexdigest().encode()
        self.assertEqual(got.get("first"), b"0071|8|" + mac)
        self.assertEqual(got.get("then"), b"0010|1|bob")  # the nickname follows the response
        self.assertEqual(out, "welcome\n")
        self.assertEqual(code, 0, err)

    def test_challenge_without_key(self):
        with one_shot(b"0071|7|" + b"ab" * 32) as s:
            code, out, err = run("127.0.0.1:%d" % s.port)
        self.assertEqual(code, 1)
        self.one_line_error(err, "127.0.0.1:%d asks for a key; use --key-file" % s.port)


if __name__ == "__main__":
    main()
