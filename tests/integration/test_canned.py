# SPDX-License-Identifier: ISC
"""Canned replies (canned_file): the agent's "canned" lists them and sends one by name, which
reaches the customer exactly as a typed message would (the desk's rules, the store, the IDs);
errors for an unknown name, no file, a role that may not; SIGHUP reads the file again and a bad
one keeps the replies in use; a bad file refuses to start, naming FILE:LINE."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import FRONTDESKD, MESSAGE, Daemon, Peer, main, messages, notices  # noqa: E402
from test_service_reload import ReloadDaemon  # noqa: E402
from test_store_desk import TAGGED, capped, last_tagged  # noqa: E402

REPLIES = """\
# The desk's canned replies
greet Hello! How can I help you today?

hours We are open 9:00-17:00, Monday to Friday.
bye   Thank you for contacting us. Goodbye! 👋
"""


def served(d, nick):
    """A customer served by the agent already attached."""
    c = Peer.customer(d, nick)
    c.notice(prefix="serving ")
    return c


def listing(agent):
    """Ask for the list; its notices up to canned-end, that one included."""
    agent.command("canned")
    frames = agent.notice(prefix="canned-end ")
    return [n for n in notices(frames) if n.startswith("canned-")] + [agent.frames[-1][1]]


class CannedCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="frontdesk-canned-")
        self.canned = os.path.join(self.tmp, "canned.txt")
        self.write(REPLIES)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, text):
        # Atomically, as an editor or a config tool does: a reload never reads half a file.
        with open(self.canned + ".tmp", "w") as f:
            f.write(text)
        os.replace(self.canned + ".tmp", self.canned)

    def config(self, extra=""):
        return "canned_file = %s\n%s" % (self.canned, extra)


class Canned(CannedCase):
    def test_listing(self):
        with Daemon(self.config()) as d:
            mary = Peer.agent(d, "mary")
            self.assertEqual(listing(mary), [
                "canned-reply greet Hello! How can I help you today?",
                "canned-reply hours We are open 9:00-17:00, Monday to Friday.",
                "canned-reply bye Thank you for contacting us. Goodbye! 👋",
                "canned-end 3",
            ])

    def test_listing_is_bounded_by_half_of_soft_output_bytes(self):
        # 2048 bytes of answer: three notices of 500-byte replies fit, the fourth would not.
        self.write("".join("r%d %s\n" % (i, chr(ord("a") + i) * 500) for i in range(10)))
        with Daemon(self.config("soft_output_bytes = 4K\n")) as d:
            mary = Peer.agent(d, "mary")
            got = listing(mary)
            self.assertEqual([n.split()[1] for n in got[:3]], ["r0", "r1", "r2"])
            self.assertEqual(got[3:], ["canned-more 7", "canned-end 10"])
            # One left out of the list is still sent by name.
            bob = served(d, "bob")
            bob.say("hi")
            self.assertEqual(mary.message(), "hi")
            mary.command("canned r9")
            self.assertEqual(bob.message(), "j" * 500)

    def test_a_reply_reaches_the_customer_as_a_message(self):
        with Daemon(self.config("turns = free\n")) as d:
            mary = Peer.agent(d, "mary")
            bob = served(d, "bob")
            mary.command("canned greet")
            self.assertEqual(bob.message(), "Hello! How can I help you today?")
            bob.say("when are you open?")
            self.assertEqual(mary.message(), "when are you open?")
            mary.command("canned hours")
            self.assertEqual(bob.message(), "We are open 9:00-17:00, Monday to Friday.")
            # The agent is not sent its own message back, as when it types one.
            self.assertEqual(messages(mary.sync()), [])
            self.assertIn("canned greet", d.log())
            self.assertNotIn("Hello! How", d.log())  # log_messages = no: no text in the log
            bob.close()
            mary.notice(body="customer-left bob")
            # A customer of the original protocol (types 1 and 2 only) gets it as text.
            wave1 = Peer.customer(d, "carol", notices=False)
            mary.notice(body="customer carol")
            wave1.say("hello?")
            self.assertEqual(mary.message(), "hello?")
            mary.command("canned bye")
            self.assertEqual(wave1.recv(), (MESSAGE, "Thank you for contacting us. Goodbye! 👋"))
            # A completed name ends in a blank: still the name alone.
            wave1.say("one more")
            self.assertEqual(mary.message(), "one more")
            mary.command("canned greet ")
            self.assertEqual(wave1.recv(), (MESSAGE, "Hello! How can I help you today?"))

    def test_a_reply_is_stored_with_its_id(self):
        with Daemon(self.config()) as d:
            mary = Peer.agent(d, "mary")
            bob = served(d, "bob")
            capped(bob)
            capped(mary)
            bob.say("hello")
            asked = last_tagged(mary)
            mary.command("canned greet")
            mid, conv, sender, text = last_tagged(bob)
            self.assertEqual((conv, sender, text),
                             (asked[1], "mary", "Hello! How can I help you today?"))
            self.assertGreater(mid, asked[0])
            # In the conversation's history (the store), with the same ID.
            bob.command("history")
            frames = bob.notice(body="history-end")
            hist = [b.split(" ", 4) for t, b in frames if t == TAGGED]
            self.assertEqual([(int(h[0]), h[3], h[4]) for h in hist],
                             [(asked[0], "bob", "hello"),
                              (mid, "mary", "Hello! How can I help you today?")])

    def test_desk_rules_apply(self):
        with Daemon(self.config()) as d:
            mary = Peer.agent(d, "mary")
            # Nobody served: as a typed message.
            mary.command("canned greet")
            mary.notice(body="error no-customer -- nobody is being served; message not sent")
            bob = served(d, "bob")
            bob.say("hi")
            self.assertEqual(mary.message(), "hi")
            # Strict turns: the second reply is held until bob answers, and mary is told.
            mary.command("canned greet")
            mary.command("canned hours")
            mary.notice(body="error not-your-turn -- held until bob replies")
            self.assertEqual(bob.message(), "Hello! How can I help you today?")
            self.assertEqual(messages(bob.sync()), [])
            bob.say("ok")
            self.assertEqual(bob.message(), "We are open 9:00-17:00, Monday to Friday.")

    def test_errors(self):
        with Daemon(self.config()) as d:
            mary = Peer.agent(d, "mary")
            bob = served(d, "bob")
            bob.say("hi")
            self.assertEqual(mary.message(), "hi")
            for command, error in (
                ("canned nope",
                 "error no-such-reply -- no canned reply is called nope; canned lists them"),
                ("canned Greet",
                 "error no-such-reply -- no canned reply is called Greet; canned lists them"),
                ("canned gr!t", "error bad-command -- canned [NAME [CUSTOMER]]"),
                ("canned %s" % ("x" * 33), "error bad-command -- canned [NAME [CUSTOMER]]"),
                ("canned greet bad:nick", "error bad-command -- canned [NAME [CUSTOMER]]"),
                # One conversation at a time: no customer name (the wave-1 agent protocol).
                ("canned greet bob",
                 "error bad-command -- canned NAME CUSTOMER is for an agent with several "
                 "conversations; send canned NAME"),
            ):
                mary.command(command)
                mary.notice(body=error)
            # Nothing was sent, and the connection goes on.
            self.assertEqual(messages(bob.sync()), [])
            mary.command("canned greet")
            self.assertEqual(bob.message(), "Hello! How can I help you today?")

    def test_no_canned_file(self):
        with Daemon() as d:
            mary = Peer.agent(d, "mary")
            for command in ("canned", "canned greet"):
                mary.command(command)
                mary.notice(body="error no-such-reply -- no canned_file is set")

    def test_customers_and_members_cannot(self):
        with Daemon(self.config()) as d:
            bob = Peer.customer(d, "bob")
            bob.notice(prefix="welcome single-agent")
            for command in ("canned", "canned greet"):
                bob.command(command)
                bob.notice(body="error unknown-command -- 'canned' is not a command here")
        with Daemon(self.config("mode = group\n")) as d:
            ann = Peer.customer(d, "ann")
            ann.notice(prefix="welcome group")
            ann.command("canned greet")
            ann.notice(body="error unknown-command -- 'canned' is not a command here")
            self.assertEqual(messages(ann.sync()), [])


class Reload(CannedCase):
    def test_sighup_reads_the_file_again(self):
        with ReloadDaemon(self.config()) as d:
            mary = Peer.agent(d, "mary")
            bob = served(d, "bob")
            self.write("greet Good morning!\nnew Something new\n")
            d.reload()
            self.assertIn("reload: 2 canned replies loaded from " + self.canned, d.log())
            self.assertEqual(listing(mary), ["canned-reply greet Good morning!",
                                             "canned-reply new Something new", "canned-end 2"])
            bob.say("hi")
            self.assertEqual(mary.message(), "hi")
            mary.command("canned greet")
            self.assertEqual(bob.message(), "Good morning!")

            # A broken file: every error logged, the replies in use stay.
            self.write("greet Hello\nbroken\ngreet Twice\n")
            d.reload()
            log = d.log()
            self.assertIn("%s:2: broken has no text" % self.canned, log)
            self.assertIn("%s:3: greet is already defined on line 1" % self.canned, log)
            self.assertIn("reload: %s has errors; the 2 canned replies in use stay"
                          % self.canned, log)
            self.assertEqual(listing(mary)[-1], "canned-end 2")
            bob.say("again")
            self.assertEqual(mary.message(), "again")
            mary.command("canned new")
            self.assertEqual(bob.message(), "Something new")

            # A file that is gone is an error too; the replies stay.
            os.unlink(self.canned)
            d.reload()
            self.assertIn("%s: cannot read: No such file or directory" % self.canned, d.log())
            self.assertEqual(listing(mary)[-1], "canned-end 2")

            # The key removed: no replies.
            d.reload("")
            self.assertIn("reload: canned_file is not set; no canned replies", d.log())
            mary.command("canned")
            mary.notice(body="error no-such-reply -- no canned_file is set")

    def test_agents_granted_a_capability_hear_of_a_reload(self):
        with ReloadDaemon(self.config()) as d:
            mary = Peer.agent(d, "mary")
            mary.command("caps ids")
            mary.notice(prefix="epoch")
            self.write("greet Good morning!\n")
            d.reload()
            mary.notice(body="canned-changed")

    def test_canned_file_set_by_a_reload(self):
        with ReloadDaemon("") as d:
            mary = Peer.agent(d, "mary")
            mary.command("canned")
            mary.notice(body="error no-such-reply -- no canned_file is set")
            d.reload(self.config())
            self.assertIn("changed: canned_file", d.log())
            self.assertEqual(listing(mary)[-1], "canned-end 3")


class StartUp(CannedCase):
    def run_daemon(self, *args):
        conf = os.path.join(self.tmp, "frontdesk.conf")
        with open(conf, "w") as f:
            f.write(self.config("listen = 127.0.0.1:0\nagent_socket = %s\nstore = off\n"
                                % os.path.join(self.tmp, "agent.sock")
                                + getattr(self, "config_extra", "")))
        return subprocess.run([FRONTDESKD, "-c", conf] + list(args), capture_output=True,
                              text=True, timeout=30, stdin=subprocess.DEVNULL)

    def test_a_bad_file_refuses_to_start(self):
        self.write("greet Hello\n# fine\nhours\n??? what\n")
        for args in ((), ("--check-config",)):
            r = self.run_daemon(*args)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("%s:3: hours has no text\n" % self.canned, r.stderr)
            self.assertIn("%s:4: expected 'NAME text'" % self.canned, r.stderr)
            self.assertNotIn("ready", r.stderr)

    def test_a_missing_file_refuses_to_start(self):
        os.unlink(self.canned)
        r = self.run_daemon()
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("%s: cannot read: No such file or directory" % self.canned, r.stderr)

    def test_check_config_reads_the_file(self):
        r = self.run_daemon("--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_check_config_reports_both_files_at_once(self):
        self.write("hours\n")
        agents = os.path.join(self.tmp, "agents")
        with open(agents, "w") as f:
            f.write("zed user=no-such-user-here\n")
        self.config_extra = "agents_file = %s\n" % agents
        r = self.run_daemon("--check-config")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("%s:1: hours has no text" % self.canned, r.stderr)
        self.assertIn("%s:1: user=no-such-user-here: no such user" % agents, r.stderr)

    def test_the_example_file_is_valid(self):
        source = os.environ.get("FRONTDESK_SOURCE_ROOT",
                                os.path.join(os.path.dirname(__file__), "..", ".."))
        with open(os.path.join(source, "contrib", "canned.example")) as f:
            self.write(f.read())
        r = self.run_daemon("--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    main()
