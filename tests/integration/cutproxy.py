# SPDX-License-Identifier: ISC
"""A TCP proxy on loopback that cuts its connections as a network failure would: both sides
reset (SO_LINGER 0), nothing more delivered either way. Tests of resume put it between a client
and the daemon; cut() is the Wi-Fi that blinks. down() keeps it down: a connection made
meanwhile is reset at once, until up(). stall() stops what the daemon sends on its way to the
clients of the connections there are (the next cut loses it): it was sent, and never
arrived. freeze() stops everything both ways, telling nobody: a network gone silent."""

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


class _Pair:
    """One connection through the proxy: the client's side, the daemon's, their two pumps."""

    def __init__(self, client, server):
        self.client, self.server = client, server
        self.pumps = []
        self.stalled = False


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
        self.is_down = False
        self.closed = False
        self.accepter = threading.Thread(target=self._accept, daemon=True)
        self.accepter.start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.closed:
                _reset(client)
                return
            if self.is_down:
                _reset(client)
                continue
            server = socket.create_connection(("127.0.0.1", self.upstream))
            pair = _Pair(client, server)
            pair.pumps = [threading.Thread(target=self._pump, args=(pair, a, b), daemon=True)
                          for a, b in ((client, server), (server, client))]
            # Listed and started at once, under the lock: listed after its pumps started, a
            # connection could carry a whole handshake before cut() can see it (a busy
            # machine), and started after it is listed, cut() could join pumps not started.
            with self.lock:
                self.pairs.append(pair)
                for t in pair.pumps:
                    t.start()

    def _pump(self, pair, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                if not (self.frozen or (pair.stalled and dst is pair.client)):
                    dst.sendall(data)
        except OSError:
            return

    def connect(self, timeout):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def cut(self):
        """Reset every connection through the proxy, both ways."""
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            _wake(pair.server)
            _wake(pair.client)
            # Closed only once its pumps are done: a pump still about to use the number of
            # a closed socket would use the new one the kernel gave it (a reconnection).
            for t in pair.pumps:
                t.join(5)
            pair.server.close()
            pair.client.close()

    def stall(self):
        """From now on, what the daemon sends on the connections there are is lost on the
        way (until they are cut); new connections are not stalled."""
        with self.lock:
            for pair in self.pairs:
                pair.stalled = True

    def freeze(self):
        """A network that goes silent: nothing passes either way, and nobody is told."""
        self.frozen = True

    def down(self):
        """Cut every connection, and reset the ones made until up()."""
        self.is_down = True
        self.cut()

    def up(self):
        self.is_down = False

    def close(self):
        # The accepting thread ends before the listener is closed: one still in accept() on
        # a closed socket's number could accept on the next socket given that number (the
        # next test's proxy) and connect it to this proxy's daemon, gone by then.
        self.closed = True
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes accept() (Linux)
        except OSError:
            pass
        self.accepter.join(5)
        self.cut()
        self.listener.close()
