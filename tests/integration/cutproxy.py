# SPDX-License-Identifier: ISC
"""A TCP proxy on loopback that cuts its connections as a network failure would: both sides
reset (SO_LINGER 0), nothing more delivered either way. Tests of resume put it between a client
and the daemon; cut() is the Wi-Fi that blinks. down() keeps it down: a connection made
meanwhile is reset at once, until up(). stall() stops what the daemon sends on its way to the
clients (until the next cut, which loses it): it was sent, and never arrived."""

import socket
import struct
import threading


def _wake(sock):
    # shutdown() first: it wakes the pump blocked in recv(), which otherwise keeps the socket
    # from being released by close(); SO_LINGER 0 makes the close() a reset.
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _reset(sock):
    _wake(sock)
    sock.close()


class CutProxy:
    def __init__(self, port):
        self.upstream = port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.pairs = []
        self.lock = threading.Lock()
        self.is_down = False
        self.stalled = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.is_down:
                _reset(client)
                continue
            server = socket.create_connection(("127.0.0.1", self.upstream))
            pumps = [threading.Thread(target=self._pump, args=(a, b, down), daemon=True)
                     for a, b, down in ((client, server, False), (server, client, True))]
            with self.lock:
                self.pairs.append((client, server, pumps))
            for t in pumps:
                t.start()

    def _pump(self, src, dst, down):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                if not (down and self.stalled):
                    dst.sendall(data)
        except OSError:
            return

    def connect(self, timeout):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def cut(self):
        """Reset every connection through the proxy, both ways."""
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for client, server, pumps in pairs:
            _wake(server)
            _wake(client)
            # Closed only once its pumps are done: a pump still about to use the number of
            # a closed socket would use the new one the kernel gave it (a reconnection).
            for t in pumps:
                t.join(5)
            server.close()
            client.close()
        self.stalled = False

    def stall(self):
        """From now on, what the daemon sends is lost on the way, until cut()."""
        self.stalled = True

    def down(self):
        """Cut every connection, and reset the ones made until up()."""
        self.is_down = True
        self.cut()

    def up(self):
        self.is_down = False

    def close(self):
        self.cut()
        self.listener.close()
