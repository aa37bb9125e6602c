# SPDX-License-Identifier: ISC
"""A TCP proxy on loopback that cuts its connections as a network failure would: both sides
reset (SO_LINGER 0), nothing more delivered either way. Tests of resume put it between a client
and the daemon; cut() is the Wi-Fi that blinks."""

import socket
import struct
import threading


def _reset(sock):
    # shutdown() first: it wakes the pump blocked in recv(), which otherwise keeps the socket
    # from being released by close().
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
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
        self.frozen = False
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream))
            with self.lock:
                self.pairs.append((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                if not self.frozen:
                    dst.sendall(data)
        except OSError:
            return

    def freeze(self):
        """A network that goes silent: nothing passes either way, and nobody is told."""
        self.frozen = True

    def connect(self, timeout):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def cut(self):
        """Reset every connection through the proxy, both ways."""
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for client, server in pairs:
            _reset(server)
            _reset(client)

    def close(self):
        self.cut()
        self.listener.close()
