# SPDX-License-Identifier: ISC
"""File messages through the modes (issue 19), end to end with real peers: a file is a chat
message of its sender's (held while no agent, across a kill -9, stored, in history and a
resume's replay), reaching a peer granted "files" as the notice
`file ID TIME CONV FROM SHA256 SIZE TYPE NAME` and every other peer not at all. Each receiver
fetches the bytes with file-get and checks the SHA-256 itself."""

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (COMMAND, DEADLINE, MESSAGE, NICKNAME, NOTICE, VALGRIND, Daemon,  # noqa: E402
                    frame)
from filepeer import FilePeer, file_notice, file_notices  # noqa: E402
from grouptest import LinePeer  # noqa: E402

# Peers are left to the garbage collector with their daemon.
warnings.simplefilter("ignore", ResourceWarning)

TAGGED = 5
FRONTDESKCTL = os.environ.get("FRONTDESKCTL", "build/src/frontdeskctl")
MIB = 1024 * 1024
FREE = "turns = free\n"
TEAM = "max_agents = 3\nmax_chats_per_agent = 2\nturns = free\n"
ROOM = ("mode = group\nmax_msgs_per_sec = 0\nmax_bytes_per_sec = 0\nmax_clients = 300\n"
        "max_per_address = 0\nmax_joins_per_min = 0\n")


def blob(n, seed):
    """@n bytes that are not all alike, every byte value among them (NUL too)."""
    out, block = bytearray(), hashlib.sha256(seed.encode()).digest()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block + bytes(range(256))
    return bytes(out[:n])


def agent(d, nick, caps="files"):
    """An agent of @d granted @caps in the same write as its nickname, so that nothing held
    for it can be released before the grant."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(DEADLINE)
    s.connect(d.agent_socket)
    a = FilePeer(s, nick)
    s.sendall(frame(NICKNAME, nick) + frame(COMMAND, "hello notices") +
              frame(COMMAND, "caps " + caps))
    a.notice(prefix="caps ")
    if "files" in caps.split():
        a.notice(prefix="files ")
        a.chunk = int(a.frames[-1][1].split()[2])
    return a


def customer(d, nick, caps="files"):
    c = FilePeer.customer(d, nick)
    c.notice(prefix="welcome ")
    if caps:
        c.grant(caps)
    return c


class Desk(unittest.TestCase):
    def test_five_mib_from_a_customer_to_the_agent_and_back(self):
        there, back = blob(5 * MIB, "there"), blob(5 * MIB + 123, "back")
        with Daemon(FREE) as d:
            mary = agent(d, "mary", "ids files")
            bob = customer(d, "bob")
            mary.notice(prefix="customer bob")
            sha = bob.upload(there, name="screen shot.png", mtype="image/png")
            mid, _, conv, frm, got_sha, size, mtype, name = file_notice(mary)
            self.assertEqual((frm, got_sha, size, mtype, name),
                             ("bob", sha, len(there), "image/png", "screen shot.png"))
            self.assertTrue(conv.startswith("c") and mid > 0)
            data, _ = mary.fetch(sha)
            self.assertEqual(hashlib.sha256(data).hexdigest(), sha)
            sha2 = mary.upload(back, to="bob", name="invoice.pdf", mtype="application/pdf")
            _, _, _, frm, got_sha, size, _, name = file_notice(bob)
            self.assertEqual((frm, got_sha, size, name), ("mary", sha2, len(back), "invoice.pdf"))
            data, mtype = bob.fetch(sha2, tag="g2")
            self.assertEqual((hashlib.sha256(data).hexdigest(), mtype), (sha2, "application/pdf"))
            # Chat goes on as before, and the history shows the files where they were sent.
            bob.say("thanks")
            self.assertEqual(mary.wait_for(TAGGED)[-1:], [])
            mary.command("history 10")
            frames = mary.notice(body="history-end")
            self.assertEqual([f.split()[5] for f in file_notices(frames)], [sha, sha2])
            self.assertIn((NOTICE, "history-start 3"), frames)

    def test_a_customer_without_files_sees_nothing(self):
        with Daemon(FREE) as d:
            mary = agent(d, "mary", "ids files")
            bob = customer(d, "bob", caps="ids")
            mary.notice(prefix="customer bob")
            bob.say("hi")
            mary.wait_for(TAGGED)
            # A file bob would never see is refused at the offer, before any byte is stored.
            data = blob(20000, "x")
            mary.command("file-offer u1 %d %s application/octet-stream bob x.bin" % (
                len(data), hashlib.sha256(data).hexdigest()))
            mary.notice(body="error file-bad u1 -- bob's client does not take files")
            mary.say("did you get it?")
            frames = bob.wait_for(TAGGED)
            self.assertEqual([b for t, b in frames if "file" in b], [])
            bob.command("history 10")
            frames = bob.notice(body="history-end")
            self.assertIn((NOTICE, "history-start 2"), frames)
            self.assertEqual(file_notices(frames), [])
            # A wave-1 customer next: nothing of it either.
            plain = FilePeer.customer(d, "carl", notices=False)
            bob.command("quit")
            mary.notice(prefix="customer carl")
            mary.command("file-offer u2 1 %s text/plain * y.txt" % ("0" * 64))
            mary.notice(body="error file-bad u2 -- carl's client does not take files")
            mary.say("hello carl")
            self.assertEqual(plain.message(), "hello carl")
            self.assertEqual(plain.frames, [(MESSAGE, "hello carl")])

    def test_an_agent_names_a_customer_it_does_not_serve(self):
        with Daemon(FREE) as d:
            mary = agent(d, "mary", "files")
            customer(d, "bob")
            mary.notice(prefix="customer bob")
            mary.command("file-offer t1 10 %s text/plain zed a.txt" % ("0" * 64))
            mary.notice(prefix="error no-customer t1")


def files_take_no_turn(test, config):
    """Strict turns: a line, then a screenshot and a PDF reach the agent with no reply between
    them; the agent's file goes on the customer's turn, and leaves the agent's turn its own."""
    with Daemon(config) as d:
        mary = agent(d, "mary", "ids files")
        bob = customer(d, "bob", "ids files")
        mary.notice(prefix="customer bob")
        bob.say("it crashes")
        mary.wait_for(TAGGED)
        shot = bob.upload(blob(3000, "png"), name="shot.png", mtype="image/png", tag="u1")
        pdf = bob.upload(blob(5000, "pdf"), name="crash.pdf", tag="u2")
        test.assertEqual([file_notice(mary)[4], file_notice(mary)[4]], [shot, pdf])
        inv = mary.upload(blob(1000, "inv"), name="invoice.pdf", tag="u3")
        test.assertEqual(file_notice(bob)[4], inv)
        mary.say("here is your invoice")  # still her turn: it goes at once
        bob.wait_for(TAGGED)
        for p in (mary, bob):
            test.assertEqual([b for _, b in p.frames if "not-your-turn" in str(b)], [])


class Turns(unittest.TestCase):
    def test_desk(self):
        files_take_no_turn(self, "")

    def test_team(self):
        files_take_no_turn(self, "max_agents = 3\nmax_chats_per_agent = 2\n")


class Team(unittest.TestCase):
    def test_an_agent_with_two_chats_names_the_customer(self):
        with Daemon(TEAM) as d:
            mary = agent(d, "mary", "agent ids files")
            bob = customer(d, "bob")
            mary.notice(prefix="customer bob")
            carol = customer(d, "carol", caps="ids")
            mary.notice(prefix="customer carol")
            sha = mary.upload(blob(100000, "t"), to="bob", name="a.log", mtype="text/plain")
            _, _, _, frm, got, _, _, name = file_notice(bob)
            self.assertEqual((frm, got, name), ("mary", sha, "a.log"))
            # "*" is no one with two customers; a name that is none of them neither.
            for to in ("*", "zed"):
                mary.command("file-offer t2 10 %s text/plain %s a.txt" % (sha, to))
                mary.notice(prefix="error no-customer t2")
            mary.command("file-offer u3 1 %s text/plain carol c.txt" % ("0" * 64))
            mary.notice(body="error file-bad u3 -- carol's client does not take files")
            mary.say("carol: and a line")
            frames = carol.wait_for(TAGGED)
            self.assertEqual([b for _, b in frames if "file" in b], [])
            sha = bob.upload(blob(7000, "b"))
            _, _, _, frm, got, _, _, _ = file_notice(mary)
            self.assertEqual((frm, got), ("bob", sha))


    def test_an_agent_that_drops_agent_sends_where_its_chat_would(self):
        """With two chats but no longer "agent", its messages go to its first customer: a
        file named for the other must not go there instead, and goes nowhere."""
        with Daemon(TEAM) as d:
            mary = agent(d, "mary", "agent files")
            bob = customer(d, "bob")
            mary.notice(prefix="customer bob")
            carol = customer(d, "carol")
            mary.notice(prefix="customer carol")
            mary.command("caps files")
            mary.notice(prefix="files ")
            mary.command("file-offer t1 10 %s text/plain carol a.txt" % ("0" * 64))
            mary.notice(prefix="error no-customer t1")
            sha = mary.upload(blob(3000, "m"), to="bob", name="b.txt")
            self.assertEqual(file_notice(bob)[4], sha)
            mary.say("a line")
            bob.wait_for(MESSAGE)
            carol.say("hello")
            mary.wait_for(MESSAGE)
            self.assertEqual(file_notices(carol.frames), [])


class Room(unittest.TestCase):
    @unittest.skipIf(VALGRIND, "valgrind keeps descriptors of its own near the limit")
    def test_transfers_open_do_not_lock_out_members(self):
        """Each member may hold four files open (two uploads, two downloads): the descriptor
        limit covers them, so that members below max_clients still get in."""
        import resource

        class Low(Daemon):
            def start(self):
                self._log = open(self.log_path, "w")
                self.proc = subprocess.Popen(
                    self.command(), stdin=subprocess.DEVNULL, stdout=self._log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 4096)))
                return self.wait_ready()

        data = blob(2 * MIB, "fds")
        with Low(ROOM.replace("max_clients = 300", "max_clients = 60")) as d:
            alice = customer(d, "alice")
            sha = alice.upload(data, name="big.bin")
            members = []
            for i in range(54):
                m = customer(d, "m%02d" % i)
                m.sock.sendall(b"".join(
                    frame(COMMAND, "file-get g%d %s" % (k, sha)) for k in range(2)) + b"".join(
                    frame(COMMAND, "file-offer u%d 9 %s a/b * x" % (k, "0" * 64))
                    for k in range(2)))
                members.append(m)
            for m in members:  # every transfer is open
                for k in range(2):
                    m.notice(prefix="file-go u%d" % k)
            late = customer(d, "late")
            late.say("here")
            received(alice, "here")
    def test_a_file_to_a_hundred_members_while_chat_flows(self):
        data = blob(512 * 1024, "room")
        with Daemon(ROOM) as d:
            members = []
            for i in range(97):
                members.append(customer(d, "m%02d" % i, "ids files" if i % 2 else "files"))
            plain_ids = customer(d, "idsonly", caps="ids")
            wave1 = FilePeer.customer(d, "wave1", notices=False)
            line = LinePeer(d)
            line.sync()
            alice = customer(d, "alice", "files")
            chatter = customer(d, "carl", caps="")
            lines = ["line %d" % i for i in range(30)]

            def chat():
                for text in lines:
                    chatter.say(text)
                # Chat is not held up behind the upload: every member has it before its end.
                for p in members[:5]:
                    received(p, "line 29")

            sha = alice.upload(data, name="big.log", mtype="text/plain", during=chat)
            for p in members + [alice]:
                _, _, conv, frm, got, size, _, name = file_notice(p)
                self.assertEqual((conv, frm, got, size, name), ("*", "alice", sha, len(data),
                                                                 "big.log"))
                texts = [b.split(" ", 4)[4] if t == TAGGED else b.split(": ", 1)[1]
                         for t, b in p.frames if t in (MESSAGE, TAGGED)]
                self.assertEqual(texts, lines, p.name)
            for i, p in enumerate(members):
                got, _ = p.fetch(sha, tag="g%d" % i)
                self.assertEqual(hashlib.sha256(got).hexdigest(), sha, p.name)
            # Those without "files" see nothing of it: up to a line said after it, no trace.
            chatter.say("end")
            received(wave1, "carl: end")
            received(plain_ids, "end")
            for p in (plain_ids, wave1):
                self.assertEqual([f for f in p.frames if "big.log" in str(f[1])], [], p.name)
            line.wait_for(line="carl: end")
            self.assertEqual([x for x in line.lines if "big.log" in x or sha in x], [])
            # A line member's history on joining leaves it out, and counts what it sends.
            late_line = LinePeer(d)
            late_line.wait_for(line="* history-end")
            start = [i for i, x in enumerate(late_line.lines) if x.startswith("* history-start")]
            history = late_line.lines[start[0] + 1:-1]
            self.assertEqual(late_line.lines[start[0]], "* history-start %d" % len(history))
            self.assertEqual(history[-2:], ["carl: line 29", "carl: end"])
            self.assertEqual([x for x in history if "big.log" in x or sha in x], [])
            # History on joining shows it to a member granted files, in its place.
            late = FilePeer.customer(d, "late")
            late.notice(prefix="welcome ")
            late.command("caps ids files")
            frames = late.notice(body="history-end")
            self.assertEqual(len(file_notices(frames)), 1)
            self.assertIn((NOTICE, "history-start 20"), frames)  # on joining: the last 20
            plain_ids.command("history 50")
            frames = plain_ids.notice(body="history-end")
            self.assertIn((NOTICE, "history-start 31"), frames)
            self.assertEqual(file_notices(frames), [])


def received(peer, text):
    """Read @peer until a message ending in @text; its frames' bodies so far."""
    while True:
        t, b = peer.recv()
        if t in (MESSAGE, TAGGED) and b.endswith(text):
            return [str(f[1]) for f in peer.frames]


class FilesDir:
    """A store file and a files directory that outlive one daemon."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="frontdesk-files-")
        self.files = os.path.join(self.tmp, "files")
        self.db = os.path.join(self.tmp, "frontdesk.db")
        self.config = FREE + "store = sqlite:%s\nfiles_dir = %s\n" % (self.db, self.files)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def held_upload(self, d):
        bob = customer(d, "bob")
        bob.sync()
        self.assertIn((NOTICE, "agent-offline"), bob.frames)
        sha = bob.upload(blob(300000, "held"), name="held.bin")
        bob.say("see the file")
        bob.sync()
        return bob, sha


class Held(FilesDir, unittest.TestCase):
    def test_held_while_no_agent_reaches_the_one_who_attaches(self):
        with Daemon(self.config) as d:
            _, sha = self.held_upload(d)
            mary = agent(d, "mary")
            _, _, _, frm, got, _, _, name = file_notice(mary)
            self.assertEqual((frm, got, name), ("bob", sha, "held.bin"))
            self.assertEqual(mary.message(), "see the file")
            data, _ = mary.fetch(sha)
            self.assertEqual(hashlib.sha256(data).hexdigest(), sha)

    def test_held_file_survives_kill_9(self):
        d = Daemon(self.config).start()
        try:
            _, sha = self.held_upload(d)
        finally:
            d.stop(signal.SIGKILL)
            d._log.close()
            shutil.rmtree(d.dir, ignore_errors=True)
        with Daemon(self.config) as d:
            mary = agent(d, "mary")
            _, _, _, frm, got, _, _, _ = file_notice(mary)
            self.assertEqual((frm, got), ("bob", sha))
            self.assertEqual(mary.message(), "see the file")
            data, _ = mary.fetch(sha)
            self.assertEqual(hashlib.sha256(data).hexdigest(), sha)


class Retention(FilesDir, unittest.TestCase):
    def kept(self, sha):
        return os.path.join(self.files, sha[:2], sha)

    def age(self, sha, seconds=3600):
        """Make the kept file @sha look last sent @seconds ago (past the grace)."""
        t = os.stat(self.kept(sha)).st_mtime - seconds
        os.utime(self.kept(sha), (t, t))

    def test_at_start_an_orphan_goes_and_a_file_in_use_stays(self):
        with Daemon(self.config) as d:
            _, used = self.held_upload(d)
            orphan = hashlib.sha256(b"orphan").hexdigest()
        os.makedirs(os.path.dirname(self.kept(orphan)), exist_ok=True)
        with open(self.kept(orphan), "wb") as f:
            f.write(b"orphan")
        self.age(orphan)
        self.age(used)
        with Daemon(self.config) as d:
            d.wait_log("files: %s (6 bytes) removed" % orphan)
            self.assertTrue(os.path.exists(self.kept(used)))
            self.assertFalse(os.path.exists(self.kept(orphan)))
        # The transcript shows the file message (frontdeskctl).
        out = subprocess.run([FRONTDESKCTL, "--store", "sqlite:" + self.db, "transcript", "c1"],
                             capture_output=True, text=True, check=True).stdout
        self.assertIn("bob: [file] held.bin (300000 bytes, application/octet-stream) sha256:"
                      + used, out)

    def test_a_file_held_by_the_pace_is_young_when_its_message_is_stored(self):
        """A room member's file message waits behind its pace, and is stored only when it goes
        out: its file's age counts from then, so that no sweep takes a file whose message is
        not stored yet (the upload's own time may be long past the grace by then)."""
        config = (self.config + "mode = group\nmax_msgs_per_sec = 100\nmax_bytes_per_sec = 40\n"
                  "bytes_burst = 2000\n")
        with Daemon(config) as d:
            alice = customer(d, "alice", "files")
            alice.say("x" * 1990)  # the bytes' burst is spent: the next message waits ~3 s
            sha = alice.upload(blob(1000, "paced"), name="paced.bin")
            self.age(sha)  # kept an hour ago, as far as retention can tell
            old = os.stat(self.kept(sha)).st_mtime
            self.assertEqual(file_notice(alice)[4], sha)  # its message went out: stored
            self.assertGreater(os.stat(self.kept(sha)).st_mtime, old + 3000)

    def test_history_max_age_takes_the_file_with_its_messages(self):
        config = self.config + "mode = group\nhistory_max_age = 1\n"
        with Daemon(config) as d:
            alice = customer(d, "alice", "ids files")
            sha = alice.upload(blob(10000, "old"), name="old.txt", mtype="text/plain")
            file_notice(alice)
            self.age(sha)
            d.wait_log("files: %s (10000 bytes) removed" % sha, timeout=3 * DEADLINE)
            self.assertFalse(os.path.exists(self.kept(sha)))
            alice.command("file-get g1 " + sha)
            alice.notice(prefix="error file-gone g1")


class Resume(unittest.TestCase):
    def test_a_resumes_replay_shows_the_file(self):
        with Daemon(ROOM) as d:
            bob = customer(d, "bob", "ids resume files")
            bob.sync()
            token = [b for t, b in bob.frames if t == NOTICE and b.startswith("session ")]
            token = token[0].split()[1]
            alice = customer(d, "alice", "files")
            alice.say("before")
            bob.wait_for(TAGGED)
            last = int(bob.frames[-1][1].split()[0])
            bob.close()
            alice.notice(prefix="left bob")
            sha = alice.upload(blob(5000, "r"))
            alice.say("after")
            p = FilePeer.customer(d)
            p.command("resume %s %d" % (token, last))
            p.notice(prefix="resumed ")
            frames = p.wait_for(TAGGED)
            self.assertEqual([f.split()[5] for f in file_notices(frames)], [sha])


if __name__ == "__main__":
    unittest.main(verbosity=2)
