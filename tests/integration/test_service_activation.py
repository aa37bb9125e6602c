# SPDX-License-Identifier: ISC
"""Socket activation with systemd-socket-activate (what frontdeskd.socket does, without a
running systemd): the daemon serves on the sockets it was passed and binds none of its own;
a config that does not match the passed sockets is a clear start-up error."""

import os
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import DEADLINE, FRONTDESKD, NOTICE, Daemon, Peer, main  # noqa: E402
from servicetest import (ActivatedDaemon, NotifySocket, listening_tcp_inodes,  # noqa: E402
                         socket_inodes)


@unittest.skipUnless(subprocess.run(["systemd-socket-activate", "--version"],
                                    capture_output=True).returncode == 0,
                     "systemd-socket-activate is not installed (package systemd)")
class Activation(unittest.TestCase):
    def test_serves_on_the_passed_sockets(self):
        placeholder = socket.socket()  # so the test's listener is not fd 3 already
        d = ActivatedDaemon("turns = free\n")
        placeholder.close()
        port = d.ports[0]
        notify = NotifySocket(d.dir)
        d.daemon_env = {"NOTIFY_SOCKET": notify.path}
        with d:
            log = d.log()
            self.assertIn("listening on 127.0.0.1:%d (framed protocol, customers, socket from "
                          "systemd)" % port, log)
            self.assertIn("agent socket %s (from systemd)" % d.agent_socket, log)
            self.assertEqual(d.port, port)
            notify.wait_for("READY", "1")

            # The daemon is the process systemd-socket-activate exec'd into; it holds exactly
            # one listening TCP socket, fd 3 (SD_LISTEN_FDS_START): the one it was passed.
            with open("/proc/%d/cmdline" % d.proc.pid) as f:
                self.assertIn(FRONTDESKD, f.read().split("\0"))
            fds = socket_inodes(d.proc.pid)
            listening = [fd for fd, inode in fds.items() if inode in listening_tcp_inodes()]
            self.assertEqual(listening, [3])

            # The agent whose connection started the daemon was accepted from the backlog.
            agent = d.trigger
            agent.notice(prefix="welcome single-agent mary")
            bob = Peer.customer(d, "bob")
            bob.notice(body="serving mary")
            bob.say("hello from the passed socket")
            self.assertEqual(agent.message(), "hello from the passed socket")
            agent.say("hi bob")
            self.assertEqual(bob.message(), "hi bob")
            for p in (agent, bob):
                p.close()
            self.assertEqual(d.stop(), 0)
            # The socket file belongs to whoever passed it (the socket unit): it stays.
            self.assertTrue(os.path.exists(d.agent_socket))
        notify.close()

    def test_agent_socket_not_passed_is_bound_by_the_daemon(self):
        d = ActivatedDaemon(agent=False)
        d.spawn()
        try:
            trigger = socket.create_connection(("127.0.0.1", d.ports[0]), timeout=DEADLINE)
            d.wait_ready()
            self.assertIn("agent socket %s\n" % d.agent_socket, d.log())
            agent = Peer.agent(d, "mary")
            agent.notice(prefix="welcome")
            trigger.close()
            agent.close()
        finally:
            d.__exit__(None, None, None)

    def start_expecting_failure(self, d):
        """Start @d, connect so the daemon is exec'd; return its exit code and log."""
        d.spawn()
        try:
            data = b""
            try:
                with socket.create_connection(("127.0.0.1", d.ports[0]),
                                              timeout=DEADLINE) as s:
                    s.settimeout(DEADLINE)
                    code = d.proc.wait(DEADLINE)
                    data = s.recv(100)
            except ConnectionResetError:
                # Closed unserved: at recv, or (the daemon quick, the machine busy) at once.
                code = d.proc.wait(DEADLINE)
            self.assertEqual(data, b"", "the connection is closed, not served")
            return code, d.log()
        finally:
            d.discard()

    def test_listen_not_passed_is_a_startup_error(self):
        # Port 1: nobody passes it (nor could the daemon bind it unprivileged).
        d = ActivatedDaemon(agent=False, listen="127.0.0.1:1")
        code, log = self.start_expecting_failure(d)
        self.assertEqual(code, 1, log)
        self.assertIn("socket activation: listen = 127.0.0.1:1 is not among the sockets "
                      "systemd passed (unmatched: 127.0.0.1:%d)" % d.ports[0], log)
        self.assertNotIn("frontdeskd ready", log)

    def test_passed_socket_not_configured_is_a_startup_error(self):
        d = ActivatedDaemon(tcp=2, agent=False)
        code, log = self.start_expecting_failure(d)
        self.assertEqual(code, 1, log)
        self.assertIn("socket activation: systemd passed 127.0.0.1:%d, which the configuration "
                      "does not name" % d.ports[1], log)

    def test_without_activation_the_daemon_binds_its_own(self):
        with Daemon() as d:
            self.assertNotIn("from systemd", d.log())
            self.assertRegex(d.log(), r"listening on 127\.0\.0\.1:%d \(framed protocol, "
                             r"customers\)\n" % d.port)
            c = Peer.customer(d, "bob")
            self.assertEqual(c.recv()[0], NOTICE)
            c.close()


if __name__ == "__main__":
    main()
