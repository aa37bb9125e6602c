# SPDX-License-Identifier: ISC
"""frontdeskctl history, transcripts and transcript in a cluster: the room and the desk's
conversations are in Redis's streams, not in the node's store, so they are read there (the
config's cluster = redis://..., or --redis URL), printed as from the store. Multi-node machinery
(a Redis and a node): the plain build only (clustertest.ClusterCase)."""

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from clustertest import NO_FLOOD, ClusterCase, read_tagged, wait_until  # noqa: E402
from fdtest import Peer  # noqa: E402

FRONTDESKCTL = os.environ.get("FRONTDESKCTL", "build/src/frontdeskctl")


def utc(ms):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000))


class CtlCase(ClusterCase):
    def ctl(self, *args):
        return subprocess.run([FRONTDESKCTL] + list(args), env=dict(os.environ, TZ="UTC"),
                              capture_output=True, text=True, timeout=30)

    def ok(self, *args):
        r = self.ctl(*args)
        self.assertEqual((r.returncode, r.stderr), (0, ""), args)
        return r.stdout


class HistoryFromRedis(CtlCase):
    def said(self):
        """A node, and what its member said: three messages as (ID, TIME, FROM, TEXT)."""
        d = self.node("a")
        ann = self.member(d, "ann")
        for text in ("first", "second  two spaces", 'third "quoted" \\ done'):
            ann.say(text)
        got = read_tagged(ann, 3)[0]
        return d, [(mid, ms, frm, text) for mid, ms, _, frm, text in got]

    def test_history_reads_the_stream_of_the_configs_cluster(self):
        d, msgs = self.said()
        text = self.ok("-c", d.config_path, "history", "-n", "2")
        self.assertEqual(text, "".join("%-8d %s  %s: %s\n" % (mid, utc(ms), frm, t)
                                       for mid, ms, frm, t in msgs[1:]))
        docs = json.loads(self.ok("-c", d.config_path, "history", "-n", "2", "--json"))
        self.assertEqual([(m["id"], m["time_ms"], m["sender"], m["text"]) for m in docs],
                         msgs[1:])
        self.assertEqual([(m["held"], m["dropped"], m["from_agent"]) for m in docs],
                         [(False, False, False)] * 2)
        self.assertEqual(len(json.loads(self.ok("-c", d.config_path, "history", "-n", "0",
                                                "--json"))), 3)
        # Without a configuration, --redis: the same room (cluster_name's default).
        self.assertEqual(self.ok("--redis", self.redis.url, "history", "-n", "2"), text)
        # Another database of the same Redis holds no room.
        self.assertEqual(self.ok("--redis", self.redis.url + "/5", "history"), "no messages\n")
        self.assertEqual(self.ok("--redis", self.redis.url + "/5", "history", "--json"), "[]\n")

    def test_purge_before_says_the_room_is_not_purged_in_redis(self):
        d, msgs = self.said()
        r = self.ctl("-c", d.config_path, "purge", "--before", "1d", "--no-vacuum")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("the room's messages in Redis are not purged here", r.stderr)
        self.assertEqual(len(json.loads(self.ok("-c", d.config_path, "history", "--json"))), 3)

    def test_redis_unreachable_is_an_error(self):
        d, _ = self.said()
        self.redis.stop()
        for cmd in (["history"], ["transcripts"], ["transcript", "c1"]):
            for args in (["-c", d.config_path], ["--redis", self.redis.url]):
                r = self.ctl(*(args + cmd))
                self.assertEqual(r.returncode, 1, cmd)
                self.assertEqual(r.stdout, "")
                self.assertEqual(r.stderr, "frontdeskctl: cannot reach Redis at 127.0.0.1:%d: "
                                 "Connection refused\n" % self.redis.port)
            r = self.ctl(*(["--redis", "http://127.0.0.1:1"] + cmd))
            self.assertEqual(r.returncode, 2, r.stderr)


# Strict turns (the default): the customer and the agent take turns.
SAID = [(False, "hello"), (True, "hi bob, how can I help?"),
        (False, 'two lines:\n"quoted" \\ and  two spaces'), (True, "done")]
LEAD = " " * 30  # where a message's text begins in text: its further lines go under it


def msg_line(mid, ms, sender, agent, text):
    """A message as transcript prints it in text (TZ=UTC)."""
    return "%-8d %s  %s%s: %s\n" % (mid, utc(ms), sender, " (agent)" if agent else "",
                                    text.replace("\n", "\n" + LEAD))


class DeskTranscriptsFromRedis(CtlCase):
    """A desk across nodes (mode = single-agent, cluster = ...): its transcripts are in Redis
    (NAME:desk:log:N, NAME:desk:c:N while open), and transcript(s) read them there."""

    def desk_node(self, extra=""):
        return self.start_node("mode = single-agent\ncluster = %s\nnode_name = a\n"
                               "metrics_listen = 127.0.0.1:0\n%s%s"
                               % (self.redis.url, NO_FLOOD, extra))

    def peer(self, p):
        self.peers.append(p)
        return p

    def exchange(self, d, agent, customer, said):
        """@customer and @agent say @said in turn, each heard by the other."""
        for by_agent, text in said:
            (agent if by_agent else customer).say(text)
            self.assertEqual((customer if by_agent else agent).message(), text)

    def stream(self, conv):
        """Conversation @conv's messages in Redis: (ID, TIME, SENDER, FROM_AGENT, TEXT)."""
        got = []
        for _, fields in self.redis.call("XRANGE", "frontdesk:desk:log:%d" % conv, "-", "+"):
            _, mid, ms, _, _, _, a, _, frm, _, text = fields[1].decode().split(" ", 10)
            got.append((int(mid), int(ms), frm, a == "1", text))
        return got

    def served(self, d, customer="bob"):
        """mary, and @customer who said SAID with her (c1)."""
        mary = self.peer(Peer.agent(d, "mary"))
        bob = self.peer(Peer.customer(d, customer))
        mary.notice(body="customer " + customer)
        self.exchange(d, mary, bob, SAID)
        return mary, bob

    def test_transcript_of_an_open_conversation(self):
        d = self.desk_node()
        self.served(d)
        msgs = self.stream(1)
        self.assertEqual([(m[2], m[3], m[4]) for m in msgs],
                         [("mary" if a else "bob", a, t) for a, t in SAID])
        since = int(self.redis.call("HGET", "frontdesk:desk:c:1", "since"))
        text = self.ok("-c", d.config_path, "transcript", "c1")
        self.assertEqual(text, "conversation  c1\ncustomer      bob\nagent         mary\n"
                         "started       %s\nended         open\nmessages      4\n\n%s"
                         % (utc(since), "".join(msg_line(*m) for m in msgs)))
        # --redis without a configuration: the same; N as well as cN.
        self.assertEqual(self.ok("--redis", self.redis.url, "transcript", "1"), text)
        doc = json.loads(self.ok("-c", d.config_path, "transcript", "c1", "--json"))
        self.assertEqual([(m["id"], m["time_ms"], m["sender"], m["from_agent"], m["text"])
                          for m in doc["messages"]], msgs)
        self.assertEqual([(m["held"], m["dropped"]) for m in doc["messages"]],
                         [(False, False)] * 4)
        self.assertEqual((doc["conv"], doc["name"], doc["customer"], doc["agent"],
                          doc["started_ms"], doc["ended_ms"], doc["end_reason"], doc["open"]),
                         (1, "c1", "bob", "mary", since, None, None, True))
        self.assertEqual((doc["message_count"], doc["agents"], doc["transfers"],
                          doc["transfer_count"], doc["for_next_agent"]),
                         (4, ["mary"], [], None, False))
        listed = self.ok("-c", d.config_path, "transcripts")
        self.assertEqual(listed.splitlines()[1:],
                         ["c1       %s  -                    open         4  bob"
                          "               mary" % utc(since)])
        # The node's store holds none of it: --store reads that.
        self.assertEqual(self.ok("--store", "sqlite:" + d.store_path, "transcripts"),
                         "no conversations\n")

    def test_an_ended_conversation_and_the_list(self):
        d = self.desk_node()
        mary, bob = self.served(d)
        bob.close()
        mary.notice(body="customer-left bob")
        wait_until(lambda: not self.redis.call("EXISTS", "frontdesk:desk:c:1"),
                   what="c1 ended in Redis")
        eve = self.peer(Peer.customer(d, "eve"))
        mary.notice(body="customer eve")
        self.exchange(d, mary, eve, [(False, "eve here")])
        first = self.stream(1)[0]
        text = self.ok("-c", d.config_path, "transcript", "c1")
        # How it ended is not kept in Redis; it began when bob first said something.
        self.assertTrue(text.startswith("conversation  c1\ncustomer      bob\nagent         mary"
                                        "\nstarted       %s\nended         ? (unknown)\n"
                                        "messages      4\n\n" % utc(first[1])), text)
        doc = json.loads(self.ok("-c", d.config_path, "transcript", "c1", "--json"))
        self.assertEqual((doc["started_ms"], doc["ended_ms"], doc["end_reason"], doc["open"]),
                         (first[1], None, "unknown", False))
        self.assertEqual([m["text"] for m in doc["messages"]], [t for _, t in SAID])
        listed = json.loads(self.ok("-c", d.config_path, "transcripts", "--json"))
        self.assertEqual([(c["name"], c["customer"], c["agents"], c["end_reason"],
                           c["message_count"]) for c in listed],
                         [("c1", "bob", ["mary"], "unknown", 4), ("c2", "eve", ["mary"], None, 1)])
        lines = self.ok("--redis", self.redis.url, "transcripts").splitlines()
        self.assertEqual([ln.split()[0] for ln in lines], ["CONV", "c1", "c2"])
        self.assertIn(" unknown      4  bob ", lines[1])
        self.assertEqual([c["name"] for c in json.loads(self.ok(
            "-c", d.config_path, "transcripts", "--customer", "eve", "--json"))], ["c2"])
        self.assertEqual([c["name"] for c in json.loads(self.ok(
            "-c", d.config_path, "transcripts", "--since", "1h", "--json"))], ["c1", "c2"])
        self.assertEqual(self.ok("-c", d.config_path, "transcripts", "--customer", "zed"),
                         "no conversations\n")
        r = self.ctl("-c", d.config_path, "transcript", "c9")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (
            1, "", "frontdeskctl: Redis at 127.0.0.1:%d holds no conversation c9\n"
            % self.redis.port))
        # Another database of the same Redis holds no desk.
        self.assertEqual(self.ok("--redis", self.redis.url + "/5", "transcripts", "--json"),
                         "[]\n")

    def test_agents_of_a_conversation_passed_on(self):
        d = self.desk_node("max_agents = 2\n")
        mary = self.peer(Peer.agent(d, "mary"))
        bob = self.peer(Peer.customer(d, "bob"))
        mary.notice(body="customer bob")
        john = self.peer(Peer.agent(d, "john"))
        john.notice(prefix="welcome")
        self.exchange(d, mary, bob, SAID[:2])
        mary.command("transfer bob john")
        john.notice(body="customer bob")
        self.exchange(d, john, bob, SAID[2:])
        text = self.ok("-c", d.config_path, "transcript", "c1")
        # Who had it, from its messages; the passes themselves are not kept in Redis.
        self.assertIn("\nagent         john\n", text)
        self.assertIn("\nagents        mary, john (transfers unknown)\nmessages      4\n", text)
        self.assertNotIn("transferred", text)
        doc = json.loads(self.ok("-c", d.config_path, "transcript", "c1", "--json"))
        self.assertEqual((doc["agent"], doc["agents"], doc["transfers"], doc["transfer_count"]),
                         ("john", ["mary", "john"], [], None))
        self.assertEqual([(m["sender"], m["from_agent"]) for m in doc["messages"]],
                         [("bob", False), ("mary", True), ("bob", False), ("john", True)])


if __name__ == "__main__":
    unittest.main(verbosity=2)
