#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""A customer client written exactly like the original design's: a blocking socket, the
nickname frame first, then strictly "send one message, block in one recv() for the reply".
It knows frame types 1 and 2 only. It prints each reply as `REPLY <body>`, and fails loudly if a
reply is anything but one whole type 2 frame: the daemon must never send it anything else.

Usage: seed_customer.py PORT NICK MESSAGE...
"""

import socket
import sys


def pack(ftype, text):
    body = text.encode("utf-8")
    return ("%04d|%d|" % (len(body) + 7, ftype)).encode() + body


def main():
    port, nick, lines = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(("127.0.0.1", port))
    s.send(pack(1, nick))
    print("CONNECTED", flush=True)
    for line in lines:
        s.send(pack(2, line))
        data = s.recv(1024)  # one recv per reply, as the original client does
        if not data:
            print("CLOSED", flush=True)
            return 1
        length, ftype, body = int(data[:4]), data[5:6], data[7:]
        if ftype != b"2" or data[4:5] != b"|" or data[6:7] != b"|" or length != len(data):
            print("UNEXPECTED %r" % data, flush=True)
            return 1
        print("REPLY " + body.decode("utf-8"), flush=True)
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
