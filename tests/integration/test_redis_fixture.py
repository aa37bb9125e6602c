# SPDX-License-Identifier: ISC
"""The Redis fixture itself (fdtest.Redis): the cluster's tests stand on it."""

import shutil
import socket
import unittest

from fdtest import Redis, RedisError


@unittest.skipUnless(shutil.which("redis-server") or shutil.which("/usr/bin/redis-server"),
                     "redis-server is not installed")
class RedisFixture(unittest.TestCase):
    def test_call_stop_start(self):
        with Redis() as r:
            self.assertTrue(r.url.startswith("redis://127.0.0.1:"))
            self.assertEqual(r.call("SET", "k", b"a\x00b"), "OK")
            self.assertEqual(r.call("GET", "k"), b"a\x00b")
            self.assertEqual(r.call("RPUSH", "l", "x", "y"), 2)
            self.assertEqual(r.call("LRANGE", "l", 0, -1), [b"x", b"y"])
            self.assertIsNone(r.call("GET", "missing"))
            with self.assertRaises(RedisError):
                r.call("NOSUCHCOMMAND")
            port = r.port
            r.stop()
            with self.assertRaises(OSError):
                r.call("PING")
            r.start()
            self.assertEqual(r.port, port)
            self.assertEqual(r.call("PING"), "PONG")
            self.assertIsNone(r.call("GET", "k"))  # --save '': nothing survives a restart

    def test_appendonly_survives_restart(self):
        with Redis(appendonly=True) as r:
            r.call("SET", "k", "v")
            r.stop()
            r.start()
            self.assertEqual(r.call("GET", "k"), b"v")

    def test_password(self):
        with Redis(password="s3cret") as r:
            self.assertEqual(r.call("PING"), "PONG")
            with socket.create_connection(("127.0.0.1", r.port)) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                self.assertTrue(s.recv(100).startswith(b"-NOAUTH"))

    def test_pause_cont(self):
        with Redis() as r:
            r.pause()
            with socket.create_connection(("127.0.0.1", r.port)) as s:
                s.settimeout(0.3)
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                with self.assertRaises(socket.timeout):
                    s.recv(100)
                r.cont()
                s.settimeout(5)
                self.assertEqual(s.recv(100), b"+PONG\r\n")


if __name__ == "__main__":
    unittest.main()
