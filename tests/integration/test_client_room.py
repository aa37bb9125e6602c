# SPDX-License-Identifier: ISC
"""A room's moderation and private messages (issue 15, MOD-SPEC.md) in the interactive client:
the topic on the row above the prompt, private messages marked apart whichever way they come,
the moderation commands framed as the wire wants them, the notices and errors in words, an
operator key answered, and a kick that ends the run without an offer to reconnect. Against a
fake server driven from the test's thread; script mode marks private messages too."""

import hashlib
import hmac
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (COMMAND, DEADLINE, FRONTDESK, NICKNAME, NOTICE, Closed,  # noqa: E402
                    Peer, frame, main)
from fakeserver import FakeServer, tagged  # noqa: E402
from test_client_tmux import STAMP, TmuxCase  # noqa: E402
from test_client_windows import Driven  # noqa: E402

T = int(time.time() * 1000)


def notice(body):
    return frame(NOTICE, body)


@unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
class Room(TmuxCase):
    def setUp(self):
        super().setUp()
        self.srv = Driven()

    def tearDown(self):
        self.srv.close()
        super().tearDown()

    def join(self, *args, grant="ping resume", welcome=b""):
        """Start bob in the room; answer his opening as a room does. Return the peer."""
        self.start("--name", "bob", *args, "127.0.0.1:%d" % self.srv.port)
        peer = self.srv.peer()
        got = [peer.recv() for _ in range(3)]
        self.assertEqual(got, [(NICKNAME, "bob"), (COMMAND, "hello notices"),
                               (COMMAND, "caps ping ids resume")])
        peer.sock.sendall(notice("welcome group bob") + welcome + notice("caps " + grant) +
                          (notice("epoch E1") if "ids" in grant.split() else b""))
        return peer

    def command(self, peer, typed, sent):
        """Type @typed; the server must get the command @sent."""
        self.enter(typed)
        self.assertEqual(peer.recv(), (COMMAND, sent))

    def test_topic_private_and_moderation(self):
        """Without ids: the topic above the prompt, private messages as notices and our own
        shown by the client, moderation commands as the wire wants them, a kick the end."""
        peer = self.join(welcome=notice("topic ann -- Release day: be kind"))
        screen = self.wait_screen(r"^Topic: Release day: be kind\nbob> ?$")
        self.assertRegex(screen, r"(?m)^%s\* Topic: Release day: be kind \(set by ann\)$" % STAMP)

        # Private messages, marked apart; ours shown as sent (nothing comes back without ids).
        peer.sock.sendall(notice("private ann -- psst, bob"))
        self.wait_screen(r"^%s\[private\] ann: psst, bob$" % STAMP)
        self.command(peer, "/msg ann hello -- there", "msg ann hello -- there")
        self.wait_screen(r"^%s\[private to ann\] hello -- there$" % STAMP)
        # A room message cannot pass for one: it starts with its sender's name.
        peer.sock.sendall(frame(2, "eve: [private] ann: hi"))
        self.wait_screen(r"^%seve: \[private\] ann: hi$" % STAMP)

        # Moderation commands; a reason goes after " --", a duration stays before it.
        self.command(peer, "/kick zed being rude", "kick zed -- being rude")
        self.command(peer, "/kick zed", "kick zed")
        self.command(peer, "/ban nick:zed 10m flooding -- again",
                     "ban nick:zed 10m -- flooding -- again")
        self.command(peer, "/ban addr:192.0.2.0/24 spam", "ban addr:192.0.2.0/24 -- spam")
        self.command(peer, "/unban nick:zed", "unban nick:zed")
        self.command(peer, "/mute zed 5m", "mute zed 5m")
        self.command(peer, "/unmute zed", "unmute zed")
        self.command(peer, "/purge zed 2h", "purge zed 2h")
        self.command(peer, "/bans", "bans")
        self.enter("/ban zed")  # the kind is said, never guessed: nothing goes
        self.wait_screen(r"^%s\* Say what to ban: nick:NAME or addr:ADDRESS\[/PREFIX\]$" % STAMP)

        # The room hears it, in words; errors that leave us in the room are said, no more.
        peer.sock.sendall(notice("kicked zed bob -- being rude") +
                          notice("banned nick:zed bob 10m -- flooding") +
                          notice("muted eve bob 5m") + notice("purged zed 3 bob") +
                          notice("error no-such-nick -- no member named zed") +
                          notice("error muted -- your messages go nowhere") +
                          notice("error not-operator -- only operators may kick"))
        self.wait_screen(r"^%s\* Only an operator may do that: only operators may kick$" % STAMP)
        screen = self.screen()
        for line in ("zed was kicked by bob: being rude",
                     "bob banned the nickname zed for 10m: flooding", "bob muted eve for 5m",
                     "bob removed 3 messages of zed from the room's history",
                     "No such member: no member named zed",
                     "You are muted: your messages go nowhere"):
            self.assertRegex(screen, r"(?m)^%s\* %s$" % (STAMP, re.escape(line)))

        # The topic: set, shown above the prompt; gone with topic-none.
        self.command(peer, "/topic Ship it", "topic Ship it")
        peer.sock.sendall(notice("topic bob -- Ship it"))
        self.wait_screen(r"^Topic: Ship it\nbob> ?$")
        self.command(peer, "/topic", "topic")
        peer.sock.sendall(notice("topic-none"))
        screen = self.wait_screen(r"^%s\* No topic is set\nbob> ?$" % STAMP)
        self.assertNotIn("Topic: Ship it\n", screen)

        # Kicked: said in words, and no offer to reconnect; the run ends with status 1.
        peer.sock.sendall(notice("error kicked -- by ann: spam"))
        peer.sock.close()
        self.wait_screen(r"You were kicked by ann: spam")
        self.assertEqual(self.wait_exit(), 1)
        self.assertNotIn("Reconnect?", self.screen())

    def test_ids_private_operator_and_who_pages(self):
        """With ids: private messages as type 5 (@NICK), ours once, as the server sends it
        back; the operator key answers the server's challenge; who's operators and pages."""
        key = os.path.join(self.dir, "oper.key")
        with open(key, "w") as f:
            f.write("sesame\n")
        os.chmod(key, 0o600)
        peer = self.join("--oper-key", key, grant="ping ids resume")
        # Right after joining: "oper", and the answer to its challenge.
        self.assertEqual(peer.recv(), (COMMAND, "oper"))
        challenge = "ab" * 32
        peer.sock.sendall(notice("oper-challenge " + challenge))
        answer = hmac.new(b"sesame", bytes.fromhex(challenge), hashlib.sha256).hexdigest()
        self.assertEqual(peer.recv(), (COMMAND, "oper " + answer))
        peer.sock.sendall(notice("oper") + notice("operator bob"))
        self.wait_screen(r"^%s\* You are now an operator\n@bob> ?$" % STAMP)
        self.assertNotIn("bob is now an operator", self.screen())

        peer.sock.sendall(tagged(5, T, "@ann", "ann", "psst"))
        self.wait_screen(r"^%s\[private\] ann: psst$" % STAMP)
        self.command(peer, "/msg ann hi there", "msg ann hi there")
        peer.sock.sendall(tagged(6, T, "@ann", "bob", "hi there"))
        screen = self.wait_screen(r"^%s\[private to ann\] hi there$" % STAMP)
        self.assertEqual(screen.count("[private to ann] hi there"), 1, screen)

        # who: operators marked; a big room's next page named.
        self.command(peer, "/who", "who")
        peer.sock.sendall(notice("member @ann") + notice("member bob") + notice("members 401") +
                          notice("who-more"))
        self.wait_screen(r"^%s\* There are more members: /who 2 shows the next page$" % STAMP)
        self.assertRegex(self.screen(), r"(?m)^%s\* ann is here \(operator\)$" % STAMP)
        self.command(peer, "/who 2", "who 2")
        peer.sock.sendall(notice("member carol") + notice("who-more"))
        self.wait_screen(r"/who 3 shows the next page$")

        # An unasked challenge is not signed.
        peer.sock.sendall(notice("oper-challenge " + "cd" * 32))
        self.keys("C-d")
        try:
            self.assertEqual(peer.wait_for(COMMAND, body="quit")[-1:], [])
        except Closed:
            pass
        self.assertEqual(self.wait_exit(), 0)


class Script(unittest.TestCase):
    def test_private_marked_in_script_mode(self):
        """Piped: a private message is marked, a room message is as it came."""
        def serve(conn):
            peer = Peer(conn, "server")
            [peer.recv() for _ in range(3)]
            # Then the server ends it (bye): the script's input never ended.
            conn.sendall(notice("welcome group bob") + notice("caps ping") +
                         notice("private ann -- psst") + frame(2, "ann: hello all") +
                         notice("bye"))

        with FakeServer(serve) as srv:
            p = subprocess.Popen([FRONTDESK, "--name", "bob", "127.0.0.1:%d" % srv.port],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            try:
                p.wait(timeout=DEADLINE)
                out, err = p.stdout.read(), p.stderr.read()
            finally:
                p.stdin.close()
                p.stdout.close()
                p.stderr.close()
        self.assertEqual(out, "[private] ann: psst\nann: hello all\n", err)
        self.assertEqual(p.returncode, 0, err)


if __name__ == "__main__":
    main()
