# SPDX-License-Identifier: ISC
"""A server on loopback for testing the client against what no frontdeskd would send
(garbage, hostile notices, a late challenge): it accepts one connection (or @connections, one
after the other, for a client that reconnects) in a thread, hands each to a handler with the
test's deadline, and closes it. Use as a context manager or call join()."""

import socket
import threading

from fdtest import DEADLINE, NOTICE, frame


class FakeServer:
    def __init__(self, handler, connections=1):
        """@handler(conn) runs in the server's thread; an OSError in it ends the connection."""
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.connections = connections
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(DEADLINE)
        for _ in range(self.connections):
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


TAGGED = 5  # a message with its ID (protocol 7.2), server to client only


def tagged(msg_id, time_ms, conv, sender, text):
    """A type 5 frame: "ID TIME CONV FROM TEXT"."""
    return frame(TAGGED, "%d %d %s %s %s" % (msg_id, time_ms, conv, sender, text))


def opening(peer, welcome, grant="ids", epoch="E1"):
    """Read our client's opening (nickname, "hello notices", "caps ...") from @peer (an
    fdtest.Peer) and answer as a wave-2 server would: @welcome, "caps @grant", and the epoch
    when "ids" is granted (grant=None: as wave 1, "error unknown-command"). Return the three
    frames read."""
    got = [peer.recv() for _ in range(3)]
    out = frame(NOTICE, welcome)
    if grant is None:
        out += frame(NOTICE, "error unknown-command -- 'caps' is not a command here")
    else:
        out += frame(NOTICE, ("caps " + grant).strip())
        if "ids" in grant.split():
            out += frame(NOTICE, "epoch " + epoch)
    peer.sock.sendall(out)
    return got
