# SPDX-License-Identifier: ISC
"""Logging for the journal: with JOURNAL_STREAM naming stderr, sd-daemon "<N>" priorities and no
timestamps, otherwise timestamps; one line per connection event with the peer's address and
nickname; message bodies only with log_messages = yes, escaped so a peer cannot forge lines."""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import Daemon, Peer, main  # noqa: E402


class JournalDaemon(Daemon):
    """A daemon whose stderr (its log file) is what JOURNAL_STREAM names, as under systemd."""

    def start(self):
        open(self.log_path, "w").close()
        st = os.stat(self.log_path)  # start() reopens it with "w": same inode
        self.env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
        return super().start()


def chat(d, text):
    """bob says @text to the agent mary and leaves; return bob's local port."""
    agent = Peer.agent(d, "mary")
    agent.notice(prefix="welcome")
    bob = Peer.customer(d, "bob")
    bob.notice(body="serving mary")
    bob.say(text)
    assert agent.message() == text
    port = bob.sock.getsockname()[1]
    bob.close()
    agent.notice(body="customer-left bob")
    agent.sync()
    agent.close()
    return port


class Logging(unittest.TestCase):
    def test_journal_priorities_no_timestamps_no_bodies(self):
        with JournalDaemon("turns = free\n") as d:
            port = chat(d, "my secret account number")
            lines = d.log().splitlines()
            self.assertTrue(lines)
            for line in lines:
                self.assertRegex(line, r"^<[3467]>", "every line has a priority")
                self.assertNotRegex(line, r"^<\d>\d{4}-\d\d-\d\d ", "no timestamp")
            log = d.log()
            self.assertNotIn("secret", log)
            peer = "127.0.0.1:%d" % port
            # One line for each event of bob's connection, each naming the peer.
            self.assertIn("<6>%s: connected as customer\n" % peer, log)
            self.assertIn("<6>%s: joined as bob\n" % peer, log)
            self.assertIn("<6>%s (bob): closed: peer closed the connection\n" % peer, log)
            self.assertIn("<7>conn ", log)  # -v: debug lines carry <7>

    def test_timestamps_when_stderr_is_not_the_journal(self):
        d = Daemon()
        d.env = dict(os.environ, JOURNAL_STREAM="1:1")  # inherited, but names another stream
        with d:
            for line in d.log().splitlines():
                self.assertRegex(line, r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} frontdeskd: ")

    def test_log_messages_yes_logs_bodies_escaped(self):
        with JournalDaemon("turns = free\nlog_messages = yes\n") as d:
            chat(d, "line one\n<3>forged line\\ and\ta tab \x1b[31m")
            log = d.log()
            self.assertIn("(bob): message: line one\\n<3>forged line\\\\ and\\ta tab "
                          "\\x1b[31m\n", log)
            self.assertFalse([l for l in log.splitlines() if l.startswith("<3>forged")])


if __name__ == "__main__":
    main()
