# SPDX-License-Identifier: ISC
"""The store at start-up (a file that cannot be opened, is damaged, newer, foreign, or not a
database: the start stops with the reason and the file untouched; the file's mode; an older
schema migrated), and store = memory and off. Split from test_store.py, whose helpers it
uses."""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import DEADLINE, FRONTDESKD, MESSAGE, frame, main  # noqa: E402
from grouptest import GROUP, Daemon  # noqa: E402
from test_store import count, ids_member, read_history, next_tagged, restart, FREE  # noqa: E402


class StartUp(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="frontdesk-test-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def refused(self, path):
        """Start the daemon on store @path: it must refuse; return its output."""
        conf = os.path.join(self.dir, "frontdesk.conf")
        with open(conf, "w") as f:
            # Its own agent socket: the default one may be another daemon's ("already in use").
            f.write(GROUP + "listen = 127.0.0.1:0\nline_listen = 127.0.0.1:0\n"
                    "agent_socket = %s\nstore = sqlite:%s\n"
                    % (os.path.join(self.dir, "agent.sock"), path))
        r = subprocess.run([FRONTDESKD, "-c", conf], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=DEADLINE)
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("frontdeskd ready", r.stdout + r.stderr)
        return r.stdout + r.stderr

    def check_refused(self, name, make, expect):
        path = os.path.join(self.dir, name)
        make(path)
        with open(path, "rb") as f:
            before = f.read()
        files = sorted(os.listdir(self.dir))
        out = self.refused(path)
        self.assertIn(expect, out)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), before, "%s was changed" % name)
        # Nothing beside it either (no -wal, -journal or -shm): only the config was written.
        self.assertEqual(sorted(os.listdir(self.dir)), sorted(set(files) | {"frontdesk.conf"}))
        return out

    def test_newer_schema(self):
        def make(path):
            db = sqlite3.connect(path)
            db.execute("CREATE TABLE messages (x)")
            db.execute("PRAGMA user_version = 99")
            db.commit()
            db.close()
        out = self.check_refused("newer.db", make, "newer")
        self.assertIn("schema 99", out)

    def test_garbage(self):
        def make(path):
            with open(path, "wb") as f:
                f.write(os.urandom(100) + b"this is not a database\n" * 300)
        self.check_refused("garbage.db", make, "not a database")

    def test_other_database(self):
        def make(path):
            db = sqlite3.connect(path)
            db.execute("CREATE TABLE people (name TEXT)")
            db.execute("INSERT INTO people VALUES ('x')")
            db.commit()
            db.close()
        self.check_refused("other.db", make, "not a frontdesk store")

    def test_damaged(self):
        path = os.path.join(self.dir, "damaged.db")
        with Daemon(FREE + "store = sqlite:%s\n" % path) as d:
            a, _, _ = ids_member(d, "alice")
            read_history(a)
            a.sock.sendall(b"".join(frame(MESSAGE, "%03d %s" % (i, "d" * 300))
                                    for i in range(200)))
            for _ in range(200):
                next_tagged(a)
            a.close()
        # Checkpointed at the clean stop: the messages are in the file. Damage a page of
        # their table's b-tree (not the first, which holds the schema).
        self.assertFalse(os.path.exists(path + "-wal") and os.path.getsize(path + "-wal"))
        with open(path, "r+b") as f:
            f.seek(4096 * 5)
            f.write(b"\xff" * 64)

        out = self.check_refused("damaged.db", lambda p: None, "damaged")
        self.assertIn("not opened", out)

    def test_missing_directory(self):
        path = os.path.join(self.dir, "missing", "frontdesk.db")
        out = self.refused(path)
        self.assertIn("cannot be opened", out)
        self.assertIn(path, out)
        self.assertFalse(os.path.exists(os.path.dirname(path)))

    def test_file_mode_0600(self):
        class Permissive(Daemon):
            def start(self):
                old = os.umask(0)  # even so: the store is the service's alone
                try:
                    return super().start()
                finally:
                    os.umask(old)

        with Permissive(FREE) as d:
            a, _, _ = ids_member(d, "alice")
            read_history(a)
            a.say("private")
            next_tagged(a)
            for suffix in ("", "-wal", "-shm"):
                mode = os.stat(d.store_path + suffix).st_mode & 0o777
                self.assertEqual(mode, 0o600, "%s%s is %o" % (d.store_path, suffix, mode))
            a.close()


def schema_up_to(version):
    """The SQL of STORE_SCHEMA_V1 then STORE_MIGRATION_V2 ... V@version, from the header."""
    header = os.path.join(os.environ.get("FRONTDESK_SOURCE_ROOT", "."), "src", "daemon",
                          "store-schema.h")
    with open(header) as f:
        text = f.read()
    sql = ""
    for v in range(1, version + 1):
        name = "STORE_SCHEMA_V1" if v == 1 else "STORE_MIGRATION_V%d" % v
        m = re.search(r"#define %s\b(.*?)\n\n" % name, text, re.S)
        sql += "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
    return sql


class Migration(unittest.TestCase):
    def test_schema_3_gets_transfers(self):
        # Schema 4 adds the transfers of conversations between agents (issue 14): a store of
        # schema 3 gets the table at start, keeps its transcripts, and retention takes a
        # conversation's transfers with it (the daemon does not write any yet: they are put
        # in here, beside it).
        long_ago = int(time.time() * 1000) - 10 * 24 * 3600 * 1000
        d = Daemon(FREE + "history_max_age = 1\n")
        db = sqlite3.connect(d.store_path)
        db.executescript(schema_up_to(3))
        db.execute("INSERT INTO meta VALUES ('epoch', 'e3')")
        db.execute("INSERT INTO conversations VALUES (1, 'bob', 'mary', ?, ?, 'next', 0)",
                   (long_ago, long_ago + 60000))
        db.execute("INSERT INTO messages (id, time_ms, conv, sender, text)"
                   " VALUES (1, ?, 1, 'bob', 'old question')", (long_ago,))
        db.execute("PRAGMA user_version = 3")
        db.commit()
        db.close()
        with d:
            d.wait_log("schema 3 migrated to 7")
            self.assertEqual(count(d.store_path, "PRAGMA user_version"), 7)
            self.assertEqual(count(d.store_path, "SELECT count(*) FROM sqlite_master WHERE"
                                   " name IN ('transfers', 'transfers_conv')"), 2)
            self.assertEqual(count(d.store_path, "SELECT count(*) FROM conversations"), 1)
            db = sqlite3.connect(d.store_path, timeout=DEADLINE)
            db.executemany("INSERT INTO transfers VALUES (1, ?, ?, ?, ?)",
                           [(long_ago + 10, "mary", "john", "transfer"),
                            (long_ago + 20, "john", None, "agent-lost")])
            db.commit()
            db.close()
            a, _, _ = ids_member(d, "alice")
            read_history(a)
            a.say("retention begins with the first write")
            next_tagged(a)
            deadline = time.monotonic() + DEADLINE
            while count(d.store_path, "SELECT count(*) FROM conversations") != 0:
                self.assertLess(time.monotonic(), deadline, "retention never took c1")
                time.sleep(0.05)
            self.assertEqual(count(d.store_path, "SELECT count(*) FROM transfers"), 0)
            self.assertEqual(count(d.store_path, "SELECT count(*) FROM messages"
                                   " WHERE conv = 1"), 0)
            a.close()


class MemoryStore(unittest.TestCase):
    def test_memory(self):
        with Daemon(FREE + "store = memory\n") as d:
            a, _, epoch = ids_member(d, "alice")
            self.assertEqual(read_history(a), [])
            for i in range(3):
                a.say("mem%d" % i)
            sent = [next_tagged(a) for _ in range(3)]
            b, _, epoch_b = ids_member(d, "bob")
            self.assertEqual(epoch_b, epoch)
            self.assertEqual(read_history(b), sent)
            b.command("history 2")
            self.assertEqual(read_history(b), sent[1:])
            a.close()
            b.close()
            self.assertEqual(d.stop(), 0)
            restart(d)
            c, _, epoch_c = ids_member(d, "carol")
            self.assertNotEqual(epoch_c, epoch)
            self.assertEqual(read_history(c), [])
            c.command("history")
            self.assertEqual(read_history(c), [])
            self.assertEqual([f for f in os.listdir(d.dir) if "frontdesk.db" in f], [])
            c.close()

    def test_off(self):
        with Daemon(FREE + "store = off\n") as d:
            a, _, epoch = ids_member(d, "alice")  # nothing kept: no history on joining
            a.say("one")
            a.say("two")
            first, second = next_tagged(a), next_tagged(a)
            self.assertEqual(second[0], first[0] + 1)
            a.command("history")
            self.assertEqual(read_history(a), [])
            a.close()
            self.assertEqual(d.stop(), 0)
            restart(d)
            b, _, epoch_b = ids_member(d, "bob")
            self.assertNotEqual(epoch_b, epoch)
            b.command("history")
            self.assertEqual(read_history(b), [])
            self.assertEqual([f for f in os.listdir(d.dir) if "frontdesk.db" in f], [])
            b.close()


if __name__ == "__main__":
    main()
