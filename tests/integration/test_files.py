# SPDX-License-Identifier: ISC
"""Files (issue 19), the daemon's side: the capability "files", type 6 frames, uploads
(file-offer, data, file-end: verified by SHA-256, kept by it under files_dir) and downloads
(file-get, paced by the conn's output so that chat interleaves), and every bad input of the
issue with a real daemon: sizes and hashes that do not match, a file over max_file_size, data
for an unknown TAG, a sender that stops halfway, a full disk and a full quota, hostile names,
a client not granted "files", files = off. Where a file message goes is the modes' (file-route.c)
and not tested here."""

import hashlib
import os
import resource
import signal
import subprocess
import sys
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
import fdtest  # noqa: E402
from fdtest import (COMMAND, DEADLINE, MESSAGE, NOTICE, Closed, Daemon, Peer, frame, main,  # noqa: E402
                    notices)
from grouptest import GROUP, under_memory_tool  # noqa: E402

DATA = 6
MAX_FILE_SIZE = 10485760
CHUNK = 8192  # min(8192, max_frame - 24) with the default max_frame
warnings.simplefilter("ignore", ResourceWarning)


class FilePeer(Peer):
    """A peer that asks for files (type 6 frames come back as bytes, as from every Peer)."""

    def grant(self, caps="files"):
        """Ask for @caps (with files) and wait for the "files MAX CHUNK" notice."""
        self.command("caps " + caps)
        self.notice(body="caps " + caps)
        if "files" not in caps.split():
            return None
        t, b = self.recv()
        if "ids" in caps.split():
            t, b = self.recv()  # after "epoch"
        assert t == NOTICE and b.startswith("files "), (t, b)
        return [int(x) for x in b.split()[1:]]

    def data(self, tag, data):
        self.sock.sendall(frame(DATA, tag.encode() + b" " + data))

    def offer(self, tag, data, name="a.bin", mtype="application/octet-stream", to="*",
              size=None, sha=None):
        self.command("file-offer %s %d %s %s %s %s" % (
            tag, len(data) if size is None else size,
            sha or hashlib.sha256(data).hexdigest(), mtype, to, name))

    def send_file(self, tag, data, chunk=CHUNK, between=None):
        """The chunks of @data; @between(i) runs after chunk i (chat meanwhile)."""
        for n, i in enumerate(range(0, len(data), chunk)):
            self.data(tag, data[i:i + chunk])
            if between:
                between(n)

    def upload(self, tag, data, **kw):
        """A whole upload that must succeed: returns the SHA-256 it was kept as."""
        self.offer(tag, data, **kw)
        self.notice(body="file-go " + tag)
        self.send_file(tag, data)
        self.command("file-end " + tag)
        sha = hashlib.sha256(data).hexdigest()
        self.notice(body="file-done %s %s" % (tag, sha))
        return sha

    def download(self, tag, sha, during=None, asked=False):
        """file-get (unless @asked already): (size, type, bytes, frames other than the file's
        in between)."""
        if not asked:
            self.command("file-get %s %s" % (tag, sha))
        t, b = self.recv()
        while not (t == NOTICE and b.startswith("file-start %s " % tag)):
            t, b = self.recv()
        _, _, size, mtype = b.split(" ", 3)
        got, others = [], []
        while True:
            t, b = self.recv()
            if t == DATA:
                assert b.startswith(tag.encode() + b" ")
                got.append(b[len(tag) + 1:])
                if during and len(got) == 1:
                    during()
            elif t == NOTICE and b == "file-end " + tag:
                break
            else:
                others.append((t, b))
        return int(size), mtype, b"".join(got), others


def error(p, code, tag):
    """Wait for "error CODE TAG -- ..." on @p."""
    p.notice(prefix="error %s %s -- " % (code, tag))


def tmp_files(d):
    return sorted(os.listdir(os.path.join(d.dir, "files", "tmp")))


def kept_files(d):
    top = os.path.join(d.dir, "files")
    return sorted(f for sub in os.listdir(top) if len(sub) == 2
                  for f in os.listdir(os.path.join(top, sub)))


def wait_until(what, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError("condition never held")
        time.sleep(0.02)


def desk(d, customer_caps="files", agent_caps="files"):
    """mary serving bob, both granted @caps."""
    a = FilePeer.agent(d, "mary")
    a.notice(prefix="queue ")
    c = FilePeer.customer(d, "bob")
    a.notice(body="customer bob")
    c.notice(body="serving mary")
    if agent_caps:
        a.grant(agent_caps)
    if customer_caps:
        c.grant(customer_caps)
    return a, c


class Capability(unittest.TestCase):
    def test_files_notice_after_caps_and_epoch(self):
        with Daemon() as d:
            _, c = desk(d, customer_caps=None)
            c.command("caps ids files")
            c.notice(body="caps ids files")
            self.assertEqual(c.recv()[1].split()[0], "epoch")
            self.assertEqual(c.recv(), (NOTICE, "files %d %d" % (MAX_FILE_SIZE, CHUNK)))

    def test_chunk_follows_max_frame(self):
        with Daemon("max_frame = 1000\n") as d:
            _, c = desk(d, customer_caps=None)
            self.assertEqual(c.grant(), [MAX_FILE_SIZE, 1000 - 24])

    def test_not_granted_data_is_unknown_type(self):
        with Daemon() as d:
            _, c = desk(d, customer_caps="ids")
            c.command("file-offer t1 1 %s a/b * x" % ("0" * 64))
            c.notice(prefix="error unknown-command ")
            c.send(DATA, b"t1 x")
            frames = c.expect_closed()
            self.assertIn("error unknown-type -- frame type is reserved", notices(frames))

    def test_a_file_for_a_client_without_files_is_refused(self):
        """Nobody would ever see it: the offer is refused before any byte is stored, both ways,
        and the conn carries on."""
        with Daemon() as d:
            a, c = desk(d, agent_caps=None)
            c.offer("t1", b"for mary")
            c.notice(body="error file-bad t1 -- mary's client does not take files")
            c.say("still here")
            self.assertEqual(a.message(), "still here")
        with Daemon() as d:
            a, c = desk(d, customer_caps=None)
            a.offer("t2", b"for bob")
            a.notice(body="error file-bad t2 -- bob's client does not take files")
            self.assertEqual(tmp_files(d), [])

    def test_data_before_the_nickname_is_unknown_type(self):
        with Daemon() as d:
            c = FilePeer.customer(d)
            c.send(DATA, b"t1 x")
            c.expect_closed()
            d.wait_log("error unknown-type: frame type is reserved")

    def test_files_off(self):
        with Daemon("files = off\n") as d:
            _, c = desk(d, customer_caps=None, agent_caps=None)
            c.command("caps ids files")
            c.notice(body="caps ids")
            c.command("file-get t1 " + "0" * 64)
            c.notice(prefix="error unknown-command ")
            self.assertFalse(os.path.exists(os.path.join(d.dir, "files")))

    def test_unusable_files_dir_refuses_to_start(self):
        d = Daemon("files_dir = /proc/frontdesk-files\n")
        with self.assertRaises(RuntimeError) as e:
            d.start()
        self.assertIn("files: cannot create the files directory /proc/frontdesk-files",
                      str(e.exception))
        d.stop()
        d._log.close()

    def test_memory_store_uses_a_private_directory_removed_at_exit(self):
        d = Daemon("store = memory\n")
        tmp = os.path.join(d.dir, "tmpdir")
        os.mkdir(tmp)
        d.env = dict(os.environ, TMPDIR=tmp)
        with d:
            _, c = desk(d)
            c.upload("t1", b"kept for the run only")
            def ours():  # valgrind keeps files of its own in TMPDIR too
                return [f for f in os.listdir(tmp) if f.startswith("frontdeskd-files-")]
            self.assertEqual(len(ours()), 1)
            d.stop()
            self.assertEqual(ours(), [])


    def test_reload(self):
        """max_file_size and file_timeout apply on SIGHUP; files_max_bytes needs a restart."""
        with Daemon("files_max_bytes = 20M\n") as d:
            _, c = desk(d)
            with open(d.config_path) as f:
                text = f.read().replace("files_max_bytes = 20M", "files_max_bytes = 30M")
            with open(d.config_path, "w") as f:
                f.write(text + "max_file_size = 1K\n")
            d.proc.send_signal(signal.SIGHUP)
            d.wait_log("configuration reloaded from")
            self.assertIn("files_max_bytes changed in", d.log())
            c.notice(body="files 1024 %d" % CHUNK)  # told the new limit
            c.offer("t1", b"", size=1025)
            error(c, "file-too-large", "t1")
            c.upload("t2", b"x" * 1024)


class Upload(unittest.TestCase):
    def test_5mib_up_and_back_while_chat_goes_on(self):
        data = os.urandom(5 * 1024 * 1024)
        sha = hashlib.sha256(data).hexdigest()
        with Daemon("turns = free\n") as d:
            a, c = desk(d)
            c.offer("up", data, name="screenshot.png", mtype="image/png")
            c.notice(body="file-go up")

            def chat(n):
                if n == 100:
                    c.say("in the middle of it")
            c.send_file("up", data, between=chat)
            self.assertEqual(a.message(), "in the middle of it")
            c.command("file-end up")
            c.notice(body="file-done up " + sha)
            # The agent fetches it; the customer talks while the download runs.
            size, mtype, got, others = a.download("g1", sha, during=lambda: c.say("still here"))
            self.assertEqual((size, mtype), (len(data), "image/png"))
            self.assertEqual(hashlib.sha256(got).hexdigest(), sha)
            self.assertIn((MESSAGE, "still here"), others)
            # And the customer its own, on the same conn that chats.
            size, _, got, _ = c.download("g2", sha)
            self.assertEqual(got, data)
            self.assertEqual(tmp_files(d), [])

    def test_download_to_a_reader_that_does_not_read_is_paced(self):
        """A file larger than max_output_bytes, fetched by a peer that reads nothing for a
        while: the daemon queues only up to soft_output_bytes of it (else the peer would be
        dropped as a slow consumer), and chat still reaches the peer between the chunks."""
        data = os.urandom(3 * 1024 * 1024)
        with Daemon("turns = free\n") as d:
            a = FilePeer.agent(d, "mary")
            a.notice(prefix="queue ")
            c = FilePeer.sleeper(d, "bob")
            a.notice(body="customer bob")
            c.notice(body="serving mary")
            a.grant()  # a file for a client without files would be refused
            c.grant()
            sha = c.upload("up", data)
            c.command("file-get g " + sha)
            d.wait_log("(bob): file %s fetched as g" % sha)
            a.say("while you download")
            size, _, got, others = c.download("g", sha, asked=True)
            self.assertEqual(got, data)
            self.assertIn((MESSAGE, "while you download"), others)
            self.assertNotIn("slow-consumer", d.log())

    def test_second_identical_upload_is_kept_once(self):
        with Daemon() as d:
            a, c = desk(d)
            sha = c.upload("t1", b"same bytes", mtype="text/plain")
            self.assertEqual(a.upload("t2", b"same bytes", mtype="image/png"), sha)
            d.wait_log("file %s kept (had it)" % sha)
            self.assertEqual(kept_files(d), [sha, sha + ".type"])
            _, mtype, got, _ = a.download("g", sha)
            self.assertEqual((mtype, got), ("text/plain", b"same bytes"))  # the first one's

    def test_empty_file(self):
        with Daemon() as d:
            _, c = desk(d)
            sha = c.upload("t1", b"")
            self.assertEqual(c.download("g", sha)[:3], (0, "application/octet-stream", b""))

    def test_more_bytes_than_the_size(self):
        with Daemon() as d:
            _, c = desk(d)
            c.offer("t1", b"x" * 10)
            c.notice(body="file-go t1")
            c.data("t1", b"x" * 11)
            error(c, "file-corrupt", "t1")
            wait_until(lambda: tmp_files(d) == [])
            c.command("file-end t1")
            error(c, "file-unknown", "t1")
            c.say("still connected")
            c.sync()

    def test_fewer_bytes_than_the_size(self):
        with Daemon() as d:
            _, c = desk(d)
            c.offer("t1", b"x" * 10)
            c.notice(body="file-go t1")
            c.data("t1", b"x" * 9)
            c.command("file-end t1")
            error(c, "file-corrupt", "t1")
            self.assertEqual(tmp_files(d), [])
            self.assertEqual(kept_files(d), [])

    def test_hash_mismatch(self):
        with Daemon() as d:
            _, c = desk(d)
            c.offer("t1", b"the real bytes", sha=hashlib.sha256(b"other bytes").hexdigest())
            c.notice(body="file-go t1")
            c.data("t1", b"the real bytes")
            c.command("file-end t1")
            error(c, "file-corrupt", "t1")
            self.assertEqual(tmp_files(d), [])
            self.assertEqual(kept_files(d), [])

    def test_too_large_refused_at_the_offer(self):
        with Daemon("max_file_size = 1K\n") as d:
            _, c = desk(d)
            self.assertEqual(c.grant("files")[0], 1024)
            c.offer("t1", b"x", size=1025)
            error(c, "file-too-large", "t1")
            self.assertEqual(tmp_files(d), [])
            c.data("t1", b"x" * 100)  # sent anyway: dropped
            error(c, "file-unknown", "t1")
            c.upload("t2", b"x" * 1024)

    def test_data_for_an_unknown_tag_is_told_once(self):
        with Daemon() as d:
            _, c = desk(d)
            c.data("nope", b"abc")
            c.data("nope", b"def")
            frames = c.sync()
            self.assertEqual(len([n for n in notices(frames) if n.startswith("error")]), 1)
            self.assertIn("error file-unknown nope -- no upload is open with that TAG; "
                          "data dropped", notices(frames))
            c.data("b.d", b"x")
            c.notice(prefix="error file-bad -- ")
            c.upload("nope", b"offered now")  # offered again: told again if it comes back
            c.data("nope", b"late")
            error(c, "file-unknown", "nope")

    def test_malformed_offers(self):
        with Daemon() as d:
            _, c = desk(d)
            c.command("file-offer t1 12 nothex a/b * x")
            error(c, "file-bad", "t1")
            c.command("file-offer t/1 12 %s a/b * x" % ("0" * 64))
            c.notice(prefix="error file-bad -- ")
            c.offer("t1", b"a")
            c.notice(body="file-go t1")
            c.offer("t1", b"b")
            error(c, "file-bad", "t1")  # TAG in use
            c.offer("t2", b"b")
            c.notice(body="file-go t2")
            c.offer("t3", b"c")
            error(c, "file-bad", "t3")  # a third upload
            c.command("file-get t3 " + "0" * 64)
            error(c, "file-gone", "t3")  # downloads are bounded apart
            c.command("file-get t3 nothex")
            error(c, "file-bad", "t3")

    def test_two_uploads_and_two_downloads_at_once(self):
        """Both clients fetch two files at once while they send (the C client two each way,
        the pages one upload and two downloads): the bound is 2 of each, not 2 in all."""
        with Daemon() as d:
            a, c = desk(d)
            big = os.urandom(3 * 1024 * 1024)
            sha = a.upload("k", big)
            c.offer("u1", b"a")
            c.notice(body="file-go u1")
            c.offer("u2", b"b")
            c.notice(body="file-go u2")
            c.sock.sendall(frame(COMMAND, "file-get g1 " + sha) +
                           frame(COMMAND, "file-get g2 " + sha) +
                           frame(COMMAND, "file-get g3 " + sha))
            error(c, "file-bad", "g3")  # a third download
            c.offer("u3", b"c")
            error(c, "file-bad", "u3")
            got = {}
            while len(got) < 2:
                t, b = c.recv()
                if t == NOTICE and b.startswith("file-end g"):
                    got[b.split()[1]] = True
            c.data("u1", b"a")
            c.command("file-end u1")
            c.notice(prefix="file-done u1 ")

    def test_sender_that_stops_halfway_times_out(self):
        with Daemon("file_timeout = 1\n") as d:
            _, c = desk(d)
            c.offer("t1", b"x" * 100000)
            c.notice(body="file-go t1")
            c.data("t1", b"x" * 5000)
            wait_until(lambda: tmp_files(d) != [])
            error(c, "file-timeout", "t1")
            self.assertEqual(tmp_files(d), [])
            c.upload("t1", b"the conn carries on")

    def test_no_timeout_while_the_daemon_does_not_read(self):
        """A full hold pauses the customer's reading (no agent, max_held_bytes): its upload's
        data waits unread, and file_timeout does not count that time against it."""
        with Daemon("file_timeout = 2\nmax_held_bytes = 1K\nturns = free\n") as d:
            c = FilePeer.customer(d, "bob")
            c.notice(body="agent-offline")
            c.grant()
            data = b"y" * 20000
            c.offer("t1", data)
            c.notice(body="file-go t1")
            c.data("t1", data[:5000])
            c.say("z" * 2000)  # past max_held_bytes: the daemon stops reading bob
            d.wait_log("reading paused")
            c.send_file("t1", data[5000:])  # waits in the kernel, unread
            time.sleep(5)  # more than file_timeout passes while bob is not read
            a = FilePeer.agent(d, "mary")
            a.notice(body="customer bob")  # the hold is released: bob is read again
            c.command("file-end t1")
            c.notice(prefix="file-done t1 ")
            self.assertNotIn((NOTICE, "error file-timeout t1 -- no data for too long; upload "
                              "dropped"), c.frames)

    def test_conn_that_ends_mid_upload_leaves_nothing(self):
        with Daemon() as d:
            _, c = desk(d)
            c.offer("t1", b"x" * 100000)
            c.notice(body="file-go t1")
            c.data("t1", b"x" * 5000)
            c.sync()
            self.assertEqual(len(tmp_files(d)), 1)
            c.close()
            wait_until(lambda: tmp_files(d) == [])

    def test_cancel_frees_the_reservation(self):
        with Daemon("files_max_bytes = 1M\nmax_file_size = 1000K\n") as d:
            _, c = desk(d)
            c.offer("t1", b"", size=600 * 1024)
            c.notice(body="file-go t1")
            c.offer("t2", b"", size=600 * 1024)
            error(c, "files-full", "t2")  # the quota counts t1's SIZE from its offer
            c.command("file-cancel t1")
            c.upload("t2", b"y" * (600 * 1024))
            c.offer("t3", b"", size=600 * 1024)
            error(c, "files-full", "t3")  # t2 is kept, and counted

    def test_quota_counted_at_start(self):
        with Daemon("files_max_bytes = 1M\nmax_file_size = 1000K\n") as d:
            _, c = desk(d)
            c.upload("t1", b"z" * (600 * 1024))
            d.stop()
            os.makedirs(os.path.join(d.dir, "files", "tmp"), exist_ok=True)
            with open(os.path.join(d.dir, "files", "tmp", "up-7"), "w") as f:
                f.write("left by a crash")
            d._log.close()
            d.start()
            d.wait_log("(618496 of 1048576 bytes used)")  # 150 blocks and its .type's
            self.assertEqual(tmp_files(d), [])
            _, c = desk(d)
            c.offer("t2", b"", size=600 * 1024)
            error(c, "files-full", "t2")

    def test_tiny_files_count_the_disk_they_take(self):
        """Each kept file takes a block and an inode, and its .type another: counted so, a
        flood of 4-byte files meets the quota (1 MiB: 128 of them), not the disk's end."""
        with Daemon("files_max_bytes = 1M\nmax_file_size = 1000K\n") as d:
            a, c = desk(d)
            kept = 0
            for i in range(300):
                data = i.to_bytes(4, "big")
                c.offer("t", data)
                t, b = c.recv()
                while t != NOTICE or not (b == "file-go t" or b.startswith("error files-")):
                    t, b = c.recv()
                if b.startswith("error files-full t -- "):
                    break
                self.assertEqual(b, "file-go t")
                c.send_file("t", data)
                c.command("file-end t")
                c.notice(prefix="file-done t ")
                kept += 1
            self.assertLessEqual(kept, 128)
            self.assertGreater(kept, 0)

    def test_full_disk_is_files_full_and_the_daemon_lives(self):
        limit = 2 * 1024 * 1024

        class Limited(Daemon):
            def start(self):
                self._log = open(self.log_path, "w")
                self.proc = subprocess.Popen(
                    self.command(), stdin=subprocess.DEVNULL, stdout=self._log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
                return self.wait_ready()

        with Limited() as d:
            a, c = desk(d)
            c.offer("big", b"", size=3 * 1024 * 1024, sha="0" * 64)
            c.notice(body="file-go big")
            chunk = b"\0" * CHUNK
            for _ in range(3 * 1024 * 1024 // CHUNK):
                c.data("big", chunk)
            error(c, "files-full", "big")
            error(c, "file-unknown", "big")  # the rest, once
            wait_until(lambda: tmp_files(d) == [])
            c.say("after the full disk")
            self.assertEqual(a.message(), "after the full disk")
            c.upload("small", b"a small file still fits")
            self.assertTrue(d.alive())

    def test_hostile_names_become_base_names(self):
        names = {
            "../../etc/passwd": "passwd",
            "..": "file",
            ".bashrc": "bashrc",
            "C:\\Windows\\evil.exe": "evil.exe",
            "a\x01b\x1fc\x7fd.txt": "abcd.txt",
            "x" * 200: "x" * 128,
        }
        with Daemon() as d:
            _, c = desk(d)
            for i, (name, kept) in enumerate(names.items()):
                data = b"name %d" % i
                sha = c.upload("t%d" % i, data, name=name, mtype="Text/Plain")
                d.wait_log("file message to *: %s %d text/plain %s" % (sha, len(data), kept))
            listing = sorted(os.listdir(d.dir))
            self.assertEqual([f for f in listing
                              if not f.startswith("frontdesk.db") and f != "valgrind.log"],
                             ["agent.sock", "daemon.log", "files", "frontdesk.conf"])


class Memory(unittest.TestCase):
    def test_50_concurrent_uploads_stay_bounded(self):
        with Daemon(GROUP + "max_clients = 200\nmax_msgs_per_sec = 0\n") as d:
            if under_memory_tool(d):
                self.skipTest("RSS means nothing under a memory tool")
            peers = []
            for i in range(50):
                p = FilePeer.customer(d, "m%d" % i)
                p.notice(prefix="welcome group ")
                p.grant()
                peers.append(p)
            before = d.rss_kib()
            for i, p in enumerate(peers):
                p.offer("u", b"", size=1024 * 1024, sha="0" * 64)
                p.notice(body="file-go u")
            chunk = os.urandom(CHUNK)
            for _ in range(64):  # half a MiB each, all at once
                for p in peers:
                    p.data("u", chunk)
            for p in peers:
                p.sync()
            grown = d.rss_kib() - before
            print("50 uploads in progress (25 MiB received): RSS %d KiB more" % grown)
            self.assertLess(grown, 4096)
            self.assertEqual(len(tmp_files(d)), 50)


if __name__ == "__main__":
    main()
