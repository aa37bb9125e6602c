# SPDX-License-Identifier: ISC
"""A one-connection server on loopback for testing the client against what no frontdeskd
would send (garbage, hostile notices, a late challenge): it accepts one connection in a
thread, hands it to a handler with the test's deadline, and closes. Use as a context manager
or call join()."""

import socket
import threading

from fdtest import DEADLINE


class FakeServer:
    def __init__(self, handler):
        """@handler(conn) runs in the server's thread; an OSError in it ends the connection."""
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(DEADLINE)
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(DEADLINE)
            try:
                self.handler(conn)
            except OSError:
                pass

    def join(self):
        self.sock.close()
        self.thread.join(DEADLINE)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.join()
        return False
