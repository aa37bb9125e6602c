#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""A group-chat client written like the original threaded one, to prove it still works.

One thread prints whatever the server sends; the main thread sends "I'm ready.", then every
line typed on stdin, and stops after the line "quit". Usage: seed_group_client.py HOST PORT
"""

import socket
import sys
import threading


def receive(sock):
    while True:
        try:
            data = sock.recv(1024)
        except OSError:
            break
        if not data:
            break
        sys.stdout.write(data.decode("utf-8", "replace"))
        sys.stdout.flush()


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect((host, port))
    receiver = threading.Thread(target=receive, args=(sock,))
    receiver.start()
    sock.send("I'm ready.\n".encode("utf-8"))
    for line in sys.stdin:
        line = line.rstrip("\n")
        sock.send((line + "\n").encode("utf-8"))
        if line == "quit":
            break
    receiver.join()
    sock.close()


if __name__ == "__main__":
    main()
