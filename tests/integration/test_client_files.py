# SPDX-License-Identifier: ISC
"""Files in the `frontdesk` client (issue 19, part 3), in script mode against the real daemon,
with a Python agent or room member (filepeer.py) on the other side: /send PATH and the file
back, saved under --download-dir with its SHA-256 checked; names that collide get suffixes;
a file over the limit is refused before anything is sent; progress lines for a 3 MiB file
both ways; a file in the history is listed with a /get N hint, not fetched.

A damaged file is not kept: no daemon of ours delivers one (it checks every upload's SHA-256
and serves the bytes it checked), so that path is tested in tests/unit/test-client-savefile.c.
"""

import hashlib
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import MESSAGE, Daemon, main  # noqa: E402
from clientrun import WatchedClient  # noqa: E402
from filepeer import FilePeer, file_notice  # noqa: E402
from test_client_tmux import STAMP, TmuxCase  # noqa: E402

MIB = 1024 * 1024


class ClientFiles(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="frontdesk-files-")
        self.dl = os.path.join(self.tmp, "Downloads", "frontdesk")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def make(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def saved(self, name):
        with open(os.path.join(self.dl, name), "rb") as f:
            return f.read()

    def customer(self, d, *args):
        return WatchedClient("--name", "bob", "--download-dir", self.dl, *args,
                             "127.0.0.1:%d" % d.port)

    def agent(self, d):
        a = FilePeer.agent(d, "mary")
        a.notice(prefix="welcome")
        return a.grant("files")

    def test_send_to_agent_and_back(self):
        invoice = os.urandom(48213)
        reply = b"thanks, paid\n" * 100
        with Daemon() as d:
            agent = self.agent(d)
            c = self.customer(d)
            try:
                c.feed("/send %s\n" % self.make("invoice.pdf", invoice))
                agent.notice(prefix="customer bob")
                _, _, conv, frm, sha, size, mtype, name = file_notice(agent)
                self.assertEqual((frm, size, mtype, name),
                                 ("bob", 48213, "application/pdf", "invoice.pdf"))
                self.assertEqual(sha, hashlib.sha256(invoice).hexdigest())
                self.assertEqual(agent.fetch(sha)[0], invoice)
                c.wait_out("* sent invoice.pdf (48,213 bytes)\n")
                agent.upload(reply, name="receipt.txt", mtype="text/plain")
                c.wait_out("* received receipt.txt from mary (1,300 bytes, sha256 ok): %s/receipt.txt\n"
                           % self.dl)
                self.assertEqual(c.finish(), 0, c.err)
            finally:
                c.kill()
                agent.close()
        self.assertEqual(self.saved("receipt.txt"), reply)
        self.assertEqual(os.stat(self.dl).st_mode & 0o777, 0o700)
        # Only the file: the temporary name went when it was kept.
        self.assertEqual(os.listdir(self.dl), ["receipt.txt"])

    def test_names_that_collide_get_suffixes(self):
        os.makedirs(self.dl)
        with open(os.path.join(self.dl, "report.txt"), "wb") as f:
            f.write(b"mine, not to be overwritten\n")
        with Daemon("turns = free\n") as d:
            agent = self.agent(d)
            c = self.customer(d)
            try:
                c.feed("hello\n")
                agent.wait_for(MESSAGE, body="hello")
                agent.upload(b"first\n", name="report.txt", tag="a1")
                agent.upload(b"second\n", name="../../report.txt", tag="a2")
                agent.upload(b"third\n", name=".report.txt", tag="a3")
                c.wait_out("* received report (2).txt from mary (7 bytes, sha256 ok): ")
                c.wait_out("* received report (3).txt from mary (6 bytes, sha256 ok): ")
                agent.say("there")  # a file is no answer: the script waits for one
                self.assertEqual(c.finish(), 0, c.err)
            finally:
                c.kill()
                agent.close()
        self.assertIn("* received report (1).txt from mary (6 bytes, sha256 ok): %s/report (1).txt\n"
                      % self.dl, c.out)
        self.assertEqual(self.saved("report.txt"), b"mine, not to be overwritten\n")
        self.assertEqual(self.saved("report (1).txt"), b"first\n")
        self.assertEqual(self.saved("report (2).txt"), b"second\n")
        self.assertEqual(self.saved("report (3).txt"), b"third\n")

    def test_file_over_the_limit_refused_before_sending(self):
        big = self.make("big.zip", b"z" * 2000)
        with Daemon("max_file_size = 1000\n") as d:
            agent = self.agent(d)
            c = self.customer(d)
            try:
                c.feed("/send %s\n/send %s\n/send %s\nstill here\n"
                       % (big, self.tmp, os.path.join(self.tmp, "missing")))
                before = agent.wait_for(MESSAGE, body="still here")
                agent.say("ok")
                # A /send that failed: a distinct status, so that a script can tell.
                self.assertEqual(c.finish(), 3, c.err)
            finally:
                c.kill()
                agent.close()
            self.assertNotIn("offered", d.log())
        self.assertEqual([b for t, b in before if b.startswith("file")], [])
        self.assertIn("frontdesk: line 1: %s is 2,000 bytes; this server takes files up to "
                      "1,000 bytes; not sent\n" % big, c.err)
        self.assertIn("frontdesk: line 2: %s is not a regular file; not sent\n" % self.tmp,
                      c.err)
        self.assertIn("frontdesk: line 3: Cannot read %s: No such file or directory; not sent\n"
                      % os.path.join(self.tmp, "missing"), c.err)
        self.assertEqual(c.out, "ok\n")

    def test_progress_for_a_3_mib_file_both_ways(self):
        up, down = os.urandom(3 * MIB), os.urandom(3 * MIB)
        with Daemon() as d:
            agent = self.agent(d)
            c = self.customer(d)
            try:
                c.feed("/send %s\n" % self.make("big.bin", up))
                sha = file_notice(agent)[4]
                self.assertEqual(agent.fetch(sha)[0], up)
                agent.upload(down, name="back.bin")
                c.wait_out("* received back.bin from mary (3,145,728 bytes, sha256 ok): ")
                self.assertEqual(c.finish(), 0, c.err)
            finally:
                c.kill()
                agent.close()
        self.assertEqual(self.saved("back.bin"), down)
        sending = [line for line in c.err.splitlines() if line.startswith("* sending big.bin: ")]
        receiving = [line for line in c.err.splitlines()
                     if line.startswith("* receiving back.bin: ")]
        # Per 25 % at most, 2 s apart: a fast loopback gives one (at 25 %), never more than 3.
        self.assertTrue(1 <= len(sending) <= 3, c.err)
        self.assertTrue(1 <= len(receiving) <= 3, c.err)
        self.assertRegex(sending[0], r"^\* sending big\.bin: \d+% \([\d,]+ of 3,145,728 bytes\)$")
        self.assertIn("* sent big.bin (3,145,728 bytes)\n", c.out)

    def test_history_listed_not_fetched(self):
        with Daemon("mode = group\n") as d:
            ann = FilePeer.customer(d, "ann")
            ann.notice(prefix="welcome")
            ann.grant("ids files")
            ann.upload(b"minutes\n", name="notes.txt", mtype="text/plain")
            c = self.customer(d, "--no-download")
            try:
                c.wait_out("* Earlier: ann sent notes.txt (8 bytes): /get 1 saves it\n")
                ann.upload(b"agenda\n", name="agenda.txt", tag="up2")
                c.wait_out("* ann sent agenda.txt (7 bytes): /get 2 saves it\n")
                self.assertEqual(c.finish(), 0, c.err)
            finally:
                c.kill()
                ann.close()
        self.assertFalse(os.path.exists(self.dl))

    def test_received_line_names_the_sender_in_a_room(self):
        # Two members send files one after the other: each line must say whose file it is,
        # or a room's reader cannot tell (the line before may be anyone's message).
        with Daemon("mode = group\n") as d:
            ann = FilePeer.customer(d, "ann")
            ann.notice(prefix="welcome")
            ann.grant("files")
            ben = FilePeer.customer(d, "ben")
            ben.notice(prefix="welcome")
            ben.grant("files")
            c = self.customer(d, "--auto-download")
            try:
                ann.notice(body="joined bob")
                ann.upload(b"crash\n", name="server.log", mtype="text/plain")
                c.wait_out("* received server.log from ann (6 bytes, sha256 ok): ")
                ben.upload(b"%PDF-1.4\n", name="report.pdf", mtype="application/pdf")
                c.wait_out("* received report.pdf from ben (9 bytes, sha256 ok): ")
                self.assertEqual(c.finish(), 0, c.err)
            finally:
                c.kill()
                ann.close()
                ben.close()


    def test_tilde_is_the_home(self):
        # No shell sees a script's lines or what is typed at the prompt: "~/" is expanded here.
        data = b"from home\n"
        self.make("notes.txt", data)
        with Daemon() as d:
            agent = self.agent(d)
            c = WatchedClient("--name", "bob", "--download-dir", self.dl,
                              "127.0.0.1:%d" % d.port, env=dict(os.environ, HOME=self.tmp))
            try:
                c.feed("/send ~/notes.txt\n")
                sha = file_notice(agent)[4]
                self.assertEqual(agent.fetch(sha)[0], data)
                c.wait_out("* sent notes.txt (10 bytes)\n")
                agent.upload(b"ok\n", name="ack.txt", mtype="text/plain")
                # The home is shown as "~".
                c.wait_out("* received ack.txt from mary (3 bytes, sha256 ok): "
                           "~/Downloads/frontdesk/ack.txt\n")
                self.assertEqual(c.finish(), 0, c.err)
            finally:
                c.kill()
                agent.close()

    def test_refused_upload_gives_status_3(self):
        # Refused by the server, not by the client: the agent's open upload reserves the whole
        # quota (files_max_bytes) but for 200 kB, so the customer's offer gets "files-full".
        path = self.make("big.bin", b"b" * 300000)
        with Daemon("files_max_bytes = 1M\nmax_file_size = 1000K\nturns = free\n") as d:
            agent = self.agent(d)
            c = self.customer(d)
            try:
                c.feed("hello\n")
                agent.wait_for(MESSAGE, body="hello")
                agent.command("file-offer held %d %s application/octet-stream * held.bin"
                              % (800000, "0" * 64))
                agent.notice(body="file-go held")
                c.feed("/send %s\nafter\n" % path)
                agent.wait_for(MESSAGE, body="after")
                agent.say("ok")
                self.assertEqual(c.finish(), 3, c.err)
            finally:
                c.kill()
                agent.close()
        self.assertIn("* big.bin not sent: ", c.err)

    def test_room_lists_files_unless_auto_download(self):
        with Daemon("mode = group\n") as d:
            ann = FilePeer.customer(d, "ann")
            ann.notice(prefix="welcome")
            ann.grant("files")
            c = self.customer(d)
            try:
                ann.notice(body="joined bob")
                ann.upload(b"x" * 4096, name="big.iso", mtype="application/octet-stream")
                c.wait_out("* ann sent big.iso (4,096 bytes): /get 1 saves it\n")
                c.feed("/get 1\n")
                c.wait_out("* received big.iso from ann (4,096 bytes, sha256 ok): ")
                self.assertEqual(c.finish(), 0, c.err)
            finally:
                c.kill()
                ann.close()
        self.assertEqual(self.saved("big.iso"), b"x" * 4096)

@unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
class Interactive(TmuxCase):
    def test_send_and_receive_in_a_terminal(self):
        dl = os.path.join(self.dir, "dl")
        path = os.path.join(self.dir, "big.bin")
        data = os.urandom(2 * MIB)
        with open(path, "wb") as f:
            f.write(data)
        with Daemon("turns = free\n") as d:
            agent = FilePeer.agent(d, "mary")
            agent.notice(prefix="welcome")
            agent.grant("files")
            self.start("--name", "bob", "--download-dir", dl, "127.0.0.1:%d" % d.port)
            self.wait_screen(r"^%s\* You are now talking to mary$" % STAMP)
            self.enter("/send %s" % os.path.join(self.dir, "nothing.txt"))
            screen = self.wait_screen(r"^%s\* Cannot read /" % STAMP)
            # Wrapped at 80 columns: compared without the blanks.
            self.assertIn("nothing.txt:Nosuchfileordirectory", "".join(screen.split()))
            self.enter("/send %s" % path)
            self.wait_screen(r"^%s\* sending big.bin: \d+%% \([\d,]+ of 2,097,152 bytes\)$"
                             % STAMP)
            self.wait_screen(r"^%s\* sent big.bin \(2,097,152 bytes\)$" % STAMP)
            sha = file_notice(agent)[4]
            self.assertEqual(agent.fetch(sha)[0], data)
            self.enter("and a line")
            self.assertEqual(agent.message(), "and a line")
            agent.upload(b"%PDF-1.4\n", name="invoice.pdf", mtype="application/pdf")
            self.wait_screen(r"^%s\* received invoice.pdf from mary \(9 bytes, sha256 ok\): " % STAMP)
            self.enter("/quit")
            self.assertEqual(self.wait_exit(), 0)
            agent.close()
        with open(os.path.join(dl, "invoice.pdf"), "rb") as f:
            self.assertEqual(f.read(), b"%PDF-1.4\n")


if __name__ == "__main__":
    main()
