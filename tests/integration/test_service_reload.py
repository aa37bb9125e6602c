# SPDX-License-Identifier: ISC
"""SIGHUP reload: live keys apply at once under live chat with nothing lost; a file with errors
changes nothing and every error is logged; restart-only keys keep their running values with a
warning; log_level follows the file unless -v/-q was given. The barrier after each SIGHUP is the
READY=1 that follows RELOADING=1 on a NOTIFY_SOCKET of the test's own."""

import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import FRONTDESKD, MESSAGE, Daemon, Peer, frame, main, notices  # noqa: E402
from servicetest import NotifySocket  # noqa: E402


def wait_taken_in(d, peer):
    """Wait until the daemon has read everything @peer sent (its socket's Recv-Q is empty):
    a barrier for a partial frame, which a ping cannot be."""
    port = peer.sock.getsockname()[1]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        out = subprocess.run(["ss", "-Htn", "state", "established", "sport", "= :%d" % d.port,
                              "dport", "= :%d" % port], capture_output=True, text=True).stdout
        if out.split() and out.split()[0] == "0":
            return
        time.sleep(0.02)
    raise AssertionError("the daemon did not read what %s sent" % peer.name)


class ReloadDaemon(Daemon):
    """A daemon with a NOTIFY_SOCKET, whose config file the test rewrites and reloads."""

    def __init__(self, config, verbose=True):
        super().__init__(config)
        self.verbose = verbose
        self.notify = NotifySocket(self.dir)
        self.env = self.notify.env()

    def command(self):
        cmd = super().command()
        return cmd if self.verbose else [c for c in cmd if c != "-v"]

    def start(self):
        super().start()
        self.notify.wait_for("READY", "1")
        return self

    def reload(self, config=None):
        """Rewrite the file (keeping the test's own listen and agent_socket unless @config sets
        them), send SIGHUP, wait until the daemon is ready again."""
        if config is not None:
            self.rewrite(config)
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGHUP)
        # Earlier SIGHUPs may still be reported (or have merged into one, as signals do): the
        # reload that answers this one is stamped (CLOCK_MONOTONIC) after it was sent.
        while int(self.notify.wait_for("RELOADING", "1")[0]["MONOTONIC_USEC"]) < sent * 1e6:
            pass
        self.notify.wait_for("READY", "1")

    def rewrite(self, config):
        if not re.search(r"^listen\s*=", config, re.M):
            config += "\nlisten = 127.0.0.1:0\n"
        if not re.search(r"^agent_socket\s*=", config, re.M):
            config += "agent_socket = %s\n" % self.agent_socket
        # Atomically, as config tools do: a reload still in flight must never read a file
        # half written (an empty file is valid: all defaults).
        with open(self.config_path + ".tmp", "w") as f:
            f.write(config)
        os.replace(self.config_path + ".tmp", self.config_path)

    def __exit__(self, *exc):
        super().__exit__(*exc)
        self.notify.close()


def refused_queue_full(test, d, nick):
    """@nick is turned away at the door (before any notice can reach it) as the line is full."""
    c = Peer.customer(d, nick)
    c.expect_closed()
    c.close()
    test.assertRegex(d.log(), r"\(%s\): error queue-full" % nick)


def desk_with_line(d):
    """The agent mary serving bob, carol waiting: (mary, bob, carol)."""
    agent = Peer.agent(d, "mary")
    agent.notice(prefix="welcome")
    bob = Peer.customer(d, "bob")
    bob.notice(body="serving mary")
    agent.notice(body="customer bob")
    carol = Peer.customer(d, "carol")
    carol.notice(body="queued 1")
    return agent, bob, carol


class Reload(unittest.TestCase):
    def test_reload_under_live_chat_loses_nothing(self):
        with ReloadDaemon("turns = free\nmax_queue = 5\n") as d:
            agent, bob, carol = desk_with_line(d)
            carol.say("held while waiting")
            n = 300
            for i in range(n):
                bob.say("bob %d" % i)
                agent.say("mary %d" % i)
                if i in (100, 200):
                    # Mid-stream, without waiting: the reload runs between frames.
                    d.rewrite("turns = free\nmax_queue = 1\nhandshake_timeout = %ds\n" % (i // 50))
                    d.proc.send_signal(signal.SIGHUP)
            self.assertEqual([agent.message() for _ in range(n)], ["bob %d" % i for i in range(n)])
            self.assertEqual([bob.message() for _ in range(n)], ["mary %d" % i for i in range(n)])
            d.reload()  # a barrier: the mid-stream reloads are done too
            log = d.log()
            self.assertGreaterEqual(log.count("SIGHUP: reloading"), 2, log)
            self.assertIn("configuration reloaded from %s; changed: max_queue, handshake_timeout\n"
                          % d.config_path, log)
            self.assertNotIn("reload failed", log)
            # Every connection is still there and nobody was told anything went wrong.
            for p in (agent, bob, carol):
                self.assertFalse([b for b in notices(p.sync()) if b.startswith("error")])
            # max_queue = 1 is in force: carol waits, so the next one is turned away.
            refused_queue_full(self, d, "dave")
            # carol's held message survives too: she is served when bob is done.
            agent.command("next")
            carol.notice(body="serving mary")
            self.assertEqual(agent.message(), "held while waiting")
            for p in (agent, bob, carol):
                p.close()

    def test_switch_to_free_turns_releases_held_messages(self):
        with ReloadDaemon("turns = strict\n") as d:
            agent = Peer.agent(d, "mary")
            cust = Peer.customer(d, "bob")
            cust.notice(body="turn")
            cust.say("first")
            cust.say("second, held by strict turns")
            cust.notice(prefix="error not-your-turn")
            self.assertEqual(agent.message(), "first")
            d.reload("turns = free\n")
            cust.notice(body="turns free")
            # Nobody replied: the held message goes because the rule that held it is gone.
            self.assertEqual(agent.message(), "second, held by strict turns")

    def test_lowering_max_frame_spares_a_frame_half_received(self):
        with ReloadDaemon("turns = free\n") as d:
            agent = Peer.agent(d, "mary")
            cust = Peer.customer(d, "bob")
            agent.notice(body="customer bob")
            big = frame(MESSAGE, "b" * 4993)  # 5000 bytes, allowed when it began
            cust.sock.sendall(big[:2000])
            wait_taken_in(d, cust)  # its header was read under the old maximum
            d.reload("turns = free\nmax_frame = 1000\n")
            cust.sock.sendall(big[2000:])
            self.assertEqual(agent.message(), "b" * 4993)
            # The new maximum holds from the next frame on.
            cust.say("c" * 1500)
            self.assertTrue([n for n in notices(cust.expect_closed())
                             if n.startswith("error frame-too-long")])

    def test_switch_to_strict_turns_says_whose_turn_it_is(self):
        with ReloadDaemon("turns = free\n") as d:
            agent = Peer.agent(d, "mary")
            cust = Peer.customer(d, "bob")
            agent.notice(body="customer bob")
            cust.say("a question, in free turns")
            self.assertEqual(agent.message(), "a question, in free turns")
            d.reload("turns = strict\n")
            # The customer spoke last: it is the agent's turn, and both are told.
            agent.notice(body="turns strict")
            agent.notice(body="turn")
            before = cust.notice(body="turns strict")
            self.assertNotIn("turn", notices(cust.sync() + before))
            cust.say("held: not my turn")
            cust.notice(prefix="error not-your-turn")
            agent.say("the answer")
            self.assertEqual(cust.message(), "the answer")
            cust.notice(body="turn")
            self.assertEqual(agent.message(), "held: not my turn")

    def test_invalid_file_keeps_the_running_config(self):
        with ReloadDaemon("max_queue = 1\n") as d:
            agent, bob, carol = desk_with_line(d)
            d.reload("max_queue = 5\nturns = sometimes\nmax_frame = 10\n")
            log = d.log()
            self.assertIn("%s:2: turns must be one of strict, free, not 'sometimes'\n"
                          % d.config_path, log)
            self.assertIn("%s:3: max_frame = 10 is out of range (64..9999)\n" % d.config_path, log)
            self.assertIn("reload failed: %s has errors; the running configuration stays in "
                          "force\n" % d.config_path, log)
            self.assertNotIn("configuration reloaded", log)
            # The valid-looking max_queue = 5 was not applied either.
            refused_queue_full(self, d, "dave")
            for p in (agent, bob, carol):
                p.sync()
            # A file that cannot be read at all is refused the same way.
            os.unlink(d.config_path)
            d.reload()
            self.assertIn("%s: cannot open: No such file or directory\n" % d.config_path, d.log())
            refused_queue_full(self, d, "erin")
            for p in (agent, bob, carol):
                p.close()

    def test_restart_only_keys_keep_their_values_with_a_warning(self):
        with ReloadDaemon("max_queue = 1\n") as d:
            agent, bob, carol = desk_with_line(d)
            d.reload("mode = group\nlisten = 127.0.0.1:1\nagent_socket = %s.new\n"
                     "max_queue = 3\nturns = free\nlog_level = error\nstore = sqlite:%s\n"
                     % (d.agent_socket, d.store_path))
            log = d.log()
            # mode = group would also bring group's line_listen default along.
            self.assertIn("reload: mode, listen, line_listen, agent_socket changed in %s; only a "
                          "restart applies them; keeping the old\n" % d.config_path, log)
            # The live keys of the same file did apply (and -v still beats log_level).
            self.assertIn("configuration reloaded from %s; changed: turns, log_level, max_queue\n"
                          % d.config_path, log)
            # Clients are told the turn rule changed.
            for p in (agent, bob, carol):
                self.assertIn("turns free", notices(p.sync()))
            # Still the desk, on the same port and agent socket; max_queue = 3 is in force.
            dave = Peer.customer(d, "dave")
            dave.notice(body="welcome single-agent dave")
            dave.notice(body="queued 2")
            self.assertFalse(os.path.exists(d.agent_socket + ".new"))
            second = Peer.agent(d, "second")
            second.expect_closed()
            self.assertIn("error agent-busy", d.log())
            for p in (agent, bob, carol, dave, second):
                p.close()

    def test_log_level_follows_the_file(self):
        with ReloadDaemon("log_level = info\n", verbose=False) as d:
            peers = [Peer.customer(d, "bob")]
            peers[-1].sync()
            self.assertIn("joined as bob", d.log())
            self.assertNotRegex(d.log(), r"conn \d+ .*handshake ->")  # debug
            d.reload("log_level = warning\n")
            peers.append(Peer.customer(d, "carol"))
            peers[-1].sync()
            self.assertNotIn("carol", d.log())
            d.reload("log_level = debug\n")
            peers.append(Peer.customer(d, "dave"))
            peers[-1].sync()
            self.assertRegex(d.log(), r"conn \d+ \S+ \(dave\): handshake -> queued")
            for p in peers:
                p.close()

    def test_check_config_matches_what_reload_accepts(self):
        with ReloadDaemon("") as d:
            d.rewrite("max_queue = 0\n")
            r = subprocess.run([FRONTDESKD, "--check-config", "-c", d.config_path],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 1)
            d.reload()
            self.assertIn(r.stderr.strip(), d.log())


if __name__ == "__main__":
    main()
