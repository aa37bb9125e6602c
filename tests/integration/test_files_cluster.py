# SPDX-License-Identifier: ISC
"""File messages across nodes (issue 19): two nodes sharing one files_dir (as a cluster's
nodes must, decided), a file sent on one fetched on the other, in the room and at the desk;
the flag survives the Redis stream (history); retention there goes by the history's age.
Multi-node: the plain build only (clustertest.ClusterCase)."""

import hashlib
import os
import shutil
import sys
import tempfile
import unittest
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from clustertest import NO_FLOOD, TAGGED, ClusterCase, read_tagged  # noqa: E402
from fdtest import DEADLINE, NOTICE, notices  # noqa: E402
from filepeer import FilePeer, file_notice, file_notices  # noqa: E402
from test_files_route import agent, blob  # noqa: E402

warnings.simplefilter("ignore", ResourceWarning)


class Shared(ClusterCase):
    def setUp(self):
        super().setUp()
        self.files = tempfile.mkdtemp(prefix="frontdesk-files-")
        self.addCleanup(shutil.rmtree, self.files, True)

    def member(self, d, nick, caps="ids files"):
        """A room member of @d granted @caps, past its history on joining."""
        p = FilePeer.customer(d, nick)
        self.peers.append(p)
        p.command("caps " + caps)
        p.wait_for(NOTICE, body="history-end")
        chunk = [b for t, b in p.frames if t == NOTICE and b.startswith("files ")]
        if chunk:
            p.chunk = int(chunk[0].split()[2])
        return p

    def test_a_file_sent_on_one_node_is_fetched_on_the_other(self):
        shared = "files_dir = %s\n" % self.files
        a, b = self.node("a", shared), self.node("b", shared)
        alice = self.member(a, "alice")
        bob = self.member(b, "bob")
        carl = self.member(b, "carl", caps="ids")
        self.joined_everywhere([alice], ["bob", "carl"])
        data = blob(1024 * 1024 + 5, "cluster")
        sha = alice.upload(data, name="dump.bin")
        alice.say("after the file")
        _, _, conv, frm, got, size, _, name = file_notice(bob)
        self.assertEqual((conv, frm, got, size, name), ("*", "alice", sha, len(data), "dump.bin"))
        got, _ = bob.fetch(sha)
        self.assertEqual(hashlib.sha256(got).hexdigest(), sha)
        self.assertEqual(read_tagged(carl, 1)[0][0][4], "after the file")
        self.assertEqual(file_notices(carl.frames), [])
        # The Redis stream keeps the flag: the history on joining shows it, on either node.
        late = self.member(a, "late")
        self.assertEqual([f.split()[5] for f in file_notices(late.frames)], [sha])
        plain = self.member(b, "plain", caps="ids")
        self.assertEqual(file_notices(plain.frames), [])
        self.assertIn("after the file", str(plain.frames))

    def test_retention_in_a_cluster_goes_by_age(self):
        shared = "files_dir = %s\nhistory_max_age = 2\n" % self.files
        a = self.node("a", shared)
        alice = self.member(a, "alice")
        sha = alice.upload(blob(4000, "age"))
        file_notice(alice)
        path = os.path.join(self.files, sha[:2], sha)
        t = os.stat(path).st_mtime - 3600
        os.utime(path, (t, t))
        a.wait_log("files: %s (4000 bytes) removed" % sha, timeout=3 * DEADLINE)
        self.assertFalse(os.path.exists(path))


class Desk(ClusterCase):
    def served_across_nodes(self, turns):
        """Two desk nodes (@turns turns) on one Redis and one files_dir; returns (mary, bob)
        once both know that mary serves bob: mary an agent on node b granted agent ids files,
        bob a customer on node a granted ids files.

        Bob's "serving" goes through Redis (his name claimed, the line, mary's capacity), the
        answer to his caps does not: either may come first (on a loaded machine "serving"
        often does, and grant() reads past it), so it is looked for among what he read."""
        files = tempfile.mkdtemp(prefix="frontdesk-files-")
        self.addCleanup(shutil.rmtree, files, True)
        conf = ("mode = single-agent\ncluster = %s\nnode_name = %%s\n"
                "metrics_listen = 127.0.0.1:0\nmax_agents = 4\nmax_chats_per_agent = 2\n"
                "turns = %s\nfiles_dir = %s\n%s" % (self.redis.url, turns, files, NO_FLOOD))
        a, b = self.start_node(conf % "a"), self.start_node(conf % "b")
        mary = agent(b, "mary", "agent ids files")
        self.peers.append(mary)
        bob = FilePeer.customer(a, "bob")
        self.peers.append(bob)
        bob.notice(prefix="welcome ")
        bob.grant("ids files")
        mary.notice(prefix="customer bob")
        if not [n for n in notices(bob.frames) if n.startswith("serving mary")]:
            bob.notice(prefix="serving mary")
        return mary, bob

    def test_a_customer_on_one_node_sends_a_file_to_an_agent_on_the_other(self):
        mary, bob = self.served_across_nodes("free")
        sha = bob.upload(blob(300000, "desk"), name="shot.png", mtype="image/png")
        _, _, conv, frm, got, _, mtype, _ = file_notice(mary)
        self.assertEqual((conv[0], frm, got, mtype), ("c", "bob", sha, "image/png"))
        data, _ = mary.fetch(sha)
        self.assertEqual(hashlib.sha256(data).hexdigest(), sha)
        sha2 = mary.upload(blob(2000, "back"), to="bob", tag="u2")
        _, _, _, frm, got, _, _, _ = file_notice(bob)
        self.assertEqual((frm, got), ("mary", sha2))
        bob.say("thanks")
        mary.wait_for(TAGGED)

    def test_files_take_no_turn_across_nodes(self):
        """Strict turns across nodes: a line, then two files reach the agent with no reply
        between them; the agent's file leaves the agent its turn."""
        mary, bob = self.served_across_nodes("strict")
        bob.say("it crashes")
        mary.wait_for(TAGGED)
        shot = bob.upload(blob(3000, "png"), name="shot.png", tag="u1")
        pdf = bob.upload(blob(5000, "pdf"), name="crash.pdf", tag="u2")
        self.assertEqual([file_notice(mary)[4], file_notice(mary)[4]], [shot, pdf])
        inv = mary.upload(blob(1000, "inv"), to="bob", name="invoice.pdf", tag="u3")
        self.assertEqual(file_notice(bob)[4], inv)
        mary.say("bob: here is your invoice")
        bob.wait_for(TAGGED)
        for p in (mary, bob):
            self.assertEqual([x for _, x in p.frames if "not-your-turn" in str(x)], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
