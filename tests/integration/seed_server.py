# SPDX-License-Identifier: ISC
"""A minimal server in the style of the original customer-service centre: it speaks only frame
types 1 (nickname) and 2 (message) and ignores every other frame, as a server that predates
notices and commands would. Unlike the original it extracts every whole frame from its buffer.

It answers each message with "you said: TEXT" after an optional delay, and records what it saw,
so a test can check that a client kept to strict turns (never a second message before the reply
to the first). Run alone (`python3 seed_server.py`) it prints its port and serves forever.
"""

import socket
import threading
import time


class SeedServer:
    def __init__(self, reply_delay=0.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.reply_delay = reply_delay
        self.lock = threading.Lock()
        self.nicknames = []
        self.messages = []     # (nickname, text) in arrival order
        self.ignored = []      # (type, body) of frames it does not understand
        self.overlaps = 0      # messages that arrived before the previous one was answered
        self.closed = threading.Event()
        self.threads = []
        self.running = True
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self.threads.append(t)

    def _serve(self, conn):
        buf = b""
        nick = None
        unanswered = 0
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                buf += data
                while len(buf) >= 7 and len(buf) >= int(buf[:4]):
                    length = int(buf[:4])
                    ftype, body = int(buf[5:6]), buf[7:length].decode()
                    buf = buf[length:]
                    if ftype == 1 and nick is None:
                        nick = body
                        with self.lock:
                            self.nicknames.append(body)
                    elif ftype == 2:
                        with self.lock:
                            self.messages.append((nick, body))
                            if unanswered:
                                self.overlaps += 1
                        unanswered += 1
                        if self.reply_delay:
                            time.sleep(self.reply_delay)
                        # Anything that arrived meanwhile counts as an overlap too.
                        conn.setblocking(False)
                        try:
                            early = conn.recv(65536)
                            if early:
                                buf += early
                                if b"|2|" in early:
                                    with self.lock:
                                        self.overlaps += 1
                        except BlockingIOError:
                            pass
                        finally:
                            conn.setblocking(True)
                        reply = ("you said: " + body).encode()
                        conn.sendall(b"%04d|2|" % (len(reply) + 7) + reply)
                        unanswered -= 1
                    else:
                        with self.lock:
                            self.ignored.append((ftype, body))
        self.closed.set()

    def close(self):
        self.running = False
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


if __name__ == "__main__":
    server = SeedServer()
    print(server.port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.close()
