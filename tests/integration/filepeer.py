# SPDX-License-Identifier: ISC
"""A peer that speaks the files capability (issue 19): type 6 frames kept as bytes, an upload
(file-offer, data, file-end) and a download (file-get) checked with hashlib."""

import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import DEADLINE, NOTICE, Peer, frame  # noqa: E402

DATA = 6


class FilePeer(Peer):
    """A Peer whose type 6 frames come back as (6, bytes); the others as Peer gives them."""

    chunk = 8192

    def grant(self, caps="files"):
        """Ask for @caps; learn the chunk size from the `files MAX CHUNK` notice."""
        self.command("caps " + caps)
        self.notice(prefix="caps ")
        if "files" in caps.split():
            self.notice(prefix="files ")
            self.chunk = int(self.frames[-1][1].split()[2])
        return self

    def upload(self, data, to="*", name="blob.bin", mtype="application/octet-stream",
               tag="up1", during=None):
        """Send @data to @to; return its SHA-256. @during(): called halfway (chat meanwhile)."""
        sha = hashlib.sha256(data).hexdigest()
        self.command("file-offer %s %d %s %s %s %s" % (tag, len(data), sha, mtype, to, name))
        self.notice(body="file-go " + tag)
        head = tag.encode() + b" "
        chunks = [data[i:i + self.chunk] for i in range(0, len(data), self.chunk)]
        for i, c in enumerate(chunks):
            if during and i == len(chunks) // 2:
                during()
            self.sock.sendall(frame(DATA, head + c))
        self.command("file-end " + tag)
        self.notice(body="file-done %s %s" % (tag, sha))
        return sha

    def fetch(self, sha, tag="get1"):
        """file-get @sha: (its bytes, its TYPE), the frames between the start and end kept."""
        self.command("file-get %s %s" % (tag, sha))
        self.notice(prefix="file-start %s " % tag)
        size, mtype = self.frames[-1][1].split()[2:4]
        got, head = [], tag.encode() + b" "
        while True:
            t, b = self.recv()
            if t == DATA and b.startswith(head):
                got.append(b[len(head):])
            elif t == NOTICE and b == "file-end " + tag:
                break
        data = b"".join(got)
        assert len(data) == int(size), (len(data), size)
        return data, mtype


def file_notice(peer, timeout=DEADLINE):
    """The next `file ...` notice: (ID, TIME, CONV, FROM, SHA, SIZE, TYPE, NAME)."""
    peer.notice(prefix="file ", timeout=timeout)
    _, mid, ms, conv, frm, sha, size, mtype, name = peer.frames[-1][1].split(" ", 8)
    return int(mid), int(ms), conv, frm, sha, int(size), mtype, name


def file_notices(frames):
    return [b for t, b in frames if t == NOTICE and b.startswith("file ")]
