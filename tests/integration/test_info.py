# SPDX-License-Identifier: ISC
"""The info service (issue 16): "time" and "info", for every role in both modes.

The answer is a notice even to a framed client that never sent `hello notices` (asking is
opting in); a client that does not ask sees nothing new. `info` carries numbers only: the
version, the mode, the uptime and the mode's counts, nothing about the host or its people.
"""

import datetime
import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (DEADLINE, FRONTDESKD, MESSAGE, NOTICE, Daemon, Peer, main,  # noqa: E402
                    messages)
from grouptest import GROUP, LinePeer, member  # noqa: E402
from clientrun import ScriptClient, run  # noqa: E402
from test_client_tmux import STAMP, TmuxCase  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TEAM = "max_agents = 3\nmax_chats_per_agent = 2\nturns = free\n"


def version():
    out = subprocess.run([FRONTDESKD, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[1]


def answer(p, command):
    """The notice that answers @command from framed peer @p (the frames before it skipped)."""
    keyword = command.split()[0]
    p.command(command)
    p.notice(prefix=keyword + " ")
    return p.frames[-1][1]


def fields(body):
    """ "info k=v k=v" as a dict, each key once."""
    words = body.split(" ")
    assert words[0] == "info", body
    pairs = [w.split("=", 1) for w in words[1:]]
    assert all(len(p) == 2 for p in pairs), body
    result = dict(pairs)
    assert len(result) == len(pairs), body
    return result


class Checks(unittest.TestCase):
    def assert_time(self, body, offset=None):
        """ "time T": T is ISO 8601 to the second with a zone offset, within a minute of now."""
        word, stamp = body.split(" ")
        self.assertEqual(word, "time")
        self.assertRegex(stamp, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
        when = datetime.datetime.fromisoformat(stamp)
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLess(abs((when - now).total_seconds()), 60, stamp)
        # The server's local time: here, the test's own zone unless the daemon was given one.
        if offset is None:
            offset = datetime.timedelta(seconds=time.localtime().tm_gmtoff)
        self.assertEqual(when.utcoffset(), offset, stamp)

    def assert_info(self, body, d, **counts):
        """ "info version=V mode=M uptime=S ...": exactly these keys, in this order."""
        got = fields(body)
        mode = "group" if "members" in counts else "single-agent"
        self.assertEqual(list(got), ["version", "mode", "uptime"] + list(counts), body)
        self.assertEqual(got["version"], version())
        self.assertEqual(got["mode"], mode)
        self.assertRegex(got["uptime"], r"^\d+$")
        self.assertLessEqual(int(got["uptime"]), time.monotonic() - d.started + 1, body)
        self.assertEqual({k: int(v) for k, v in got.items() if k in counts}, counts, body)


def started(d):
    """@d, to be started now: the uptime it reports can be no more than the time since."""
    d.started = time.monotonic()
    return d


class Desk(Checks):
    def test_customer_with_and_without_notices(self):
        with started(Daemon()) as d:
            # No agent yet: nobody to count.
            bob = Peer.customer(d, "bob")
            bob.notice(prefix="welcome single-agent bob")
            self.assert_time(answer(bob, "time"))
            self.assert_info(answer(bob, "info"), d, waiting=0, agents=0)
            mary = Peer.agent(d, "mary")
            mary.notice(body="customer bob")
            # A seed-style customer that asks: the answer comes as a notice all the same,
            # and nothing else it did not ask for follows (its welcome, its place in line).
            ann = Peer.customer(d, "ann", notices=False)
            ann.command("time")
            t, body = ann.recv()
            self.assertEqual(t, NOTICE)
            self.assert_time(body)
            ann.command("info")
            self.assertEqual(ann.recv()[0], NOTICE)
            self.assert_info(ann.frames[-1][1], d, waiting=1, agents=1)
            self.assert_info(answer(mary, "info"), d, waiting=1, agents=1)
            bob.close()
            mary.notice(body="customer ann")
            ann.say("my turn")
            self.assertEqual(mary.message(), "my turn")
            mary.say("yes, ann")
            self.assertEqual(ann.recv(), (MESSAGE, "yes, ann"))
            self.assertEqual([t for t, b in ann.frames], [NOTICE, NOTICE, MESSAGE])

    def test_agent_counts_the_line(self):
        with started(Daemon()) as d:
            mary = Peer.agent(d, "mary")
            mary.notice(body="queue 0")
            bob = Peer.customer(d, "bob")
            mary.notice(body="customer bob")
            carol = Peer.customer(d, "carol")
            carol.notice(body="queued 1")
            dave = Peer.customer(d, "dave")
            dave.notice(body="queued 2")
            self.assert_time(answer(mary, "time"))
            self.assert_info(answer(mary, "info"), d, waiting=2, agents=1)
            # A customer in line may ask too, and counts itself among those waiting.
            self.assert_info(answer(dave, "info"), d, waiting=2, agents=1)
            carol.close()
            dave.notice(body="queued 1")
            self.assert_info(answer(bob, "info"), d, waiting=1, agents=1)
            mary.close()
            bob.notice(body="agent-offline")
            self.assert_info(answer(bob, "info"), d, waiting=1, agents=0)

    def test_an_argument_is_refused(self):
        with Daemon() as d:
            mary = Peer.agent(d, "mary")
            for command in ("time x", "info x", "time  "):
                mary.command(command)
                mary.notice(prefix="error bad-command -- ")
            # Refused, not answered as well.
            answered = [b for t, b in mary.frames if b.startswith(("time", "info"))]
            self.assertEqual(answered + mary.sync(), [])

    def test_local_time_of_the_server(self):
        """The daemon's own zone, not UTC and not the client's: given here by TZ."""
        class InIndia(Daemon):
            env = dict(os.environ, TZ="IST-5:30")

        with InIndia() as d:
            bob = Peer.customer(d, "bob")
            self.assert_time(answer(bob, "time"), datetime.timedelta(hours=5, minutes=30))

    def test_seed_client_sees_nothing_new(self):
        """The original customer client, served while everyone around it asks: it passes only
        when every frame it reads is one whole type 2 frame."""
        with Daemon() as d:
            mary = Peer.agent(d, "mary")
            seed = subprocess.Popen([sys.executable, os.path.join(HERE, "seed_customer.py"),
                                     str(d.port), "oldtimer", "hello", "what time is it?"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            mary.notice(body="customer oldtimer")
            other = Peer.customer(d, "other", notices=False)  # in line behind it
            for q in ("hello", "what time is it?"):
                self.assertEqual(mary.message(), q)
                answer(mary, "time")
                answer(mary, "info")
                other.command("info")
                self.assertEqual(other.recv()[0], NOTICE)
                mary.say("answer to " + q)
            out, err = seed.communicate(timeout=DEADLINE)
            self.assertEqual(seed.returncode, 0, out + err)
            self.assertEqual(out, "CONNECTED\nREPLY answer to hello\n"
                                  "REPLY answer to what time is it?\n")


class Team(Checks):
    def test_agents_not_away_and_the_line(self):
        with started(Daemon(TEAM)) as d:
            mary, john = Peer.agent(d, "mary"), Peer.agent(d, "john")
            for a in (mary, john):
                a.command("caps agent")  # several conversations each
                a.notice(body="caps agent")
            john.command("away")
            john.notice(body="away 0")
            customers = [Peer.customer(d, n) for n in ("c1", "c2", "c3", "c4")]
            # mary takes two; john is away: two wait (c4 is told so once the two are served).
            customers[3].notice(body="queued 2")
            self.assert_info(answer(mary, "info"), d, waiting=2, agents=1)
            self.assert_info(answer(customers[0], "info"), d, waiting=2, agents=1)
            self.assert_time(answer(john, "time"))
            john.command("back")
            john.notice(body="back")
            customers[3].notice(prefix="serving ")
            self.assert_info(answer(john, "info"), d, waiting=0, agents=2)


class Room(Checks):
    def test_framed_and_line_members(self):
        with started(Daemon(GROUP)) as d:
            ann = member(d, "ann")
            self.assert_time(answer(ann, "time"))
            self.assert_info(answer(ann, "info"), d, members=1)
            ben = Peer.customer(d, "ben", notices=False)
            ann.notice(body="joined ben")
            line = LinePeer(d)
            ann.notice(body="joined " + line.name)
            line.wait_for(prefix="* welcome group ")
            line.skip_history()
            line.send("/time")
            got = line.wait_for(prefix="* time ")
            self.assertEqual(got, [])
            self.assert_time(line.lines[-1][2:])
            line.send("/info")
            line.wait_for(prefix="* info ")
            self.assert_info(line.lines[-1][2:], d, members=3)
            # A framed member without notices: asked, answered; otherwise only messages.
            ben.say("before")
            self.assertEqual(ben.message(), "ben: before")
            ben.command("info")
            self.assertEqual(ben.recv()[0], NOTICE)
            self.assert_info(ben.frames[-1][1], d, members=3)
            ben.command("time x")
            ben.say("after")
            self.assertEqual(ben.message(), "ben: after")
            self.assertEqual([t for t, b in ben.frames], [MESSAGE, NOTICE, MESSAGE])
            # Nobody else heard any of it: ann has her own two answers only.
            self.assertEqual(messages(ann.sync()), ["ben: before", "ben: after"])
            self.assertEqual(len([b for t, b in ann.frames if b.startswith(("info", "time"))]),
                             2)
            line.send("/time now")
            line.wait_for(prefix="* error bad-command -- ")
            for p in (ann, ben, line):
                p.close()


# The client's words for the answers (src/common/notice.c).
TIME_WORDS = r"The server's time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"
INFO_WORDS = r"Server frontdesk %s, %s mode, up \d+ (s|min \d+ s)"


class ClientScript(unittest.TestCase):
    """Script mode: a line that is exactly "/time" or "/info" asks; the answer is on stderr."""

    def test_customer_at_the_desk(self):
        with Daemon() as d:
            mary = Peer.agent(d, "mary")
            bob = ScriptClient("--name", "bob", "127.0.0.1:%d" % d.port)
            bob.feed("/time\n/info\nhello\n/info now\n", close=True)
            mary.notice(body="customer bob")
            # Every other line is a message, as always: "/info now" too.
            self.assertEqual(mary.message(), "hello")
            mary.say("hi")
            self.assertEqual(mary.message(), "/info now")
            mary.say("that was a message")
            self.assertEqual(bob.finish(), 0, bob.err)
            self.assertEqual(bob.out, "hi\nthat was a message\n")
            said = [line[2:] for line in bob.err.splitlines() if line.startswith("* Server")]
            self.assertRegex(bob.err, "(?m)^\\* " + TIME_WORDS + "$")
            self.assertRegex(bob.err, "(?m)^\\* " + INFO_WORDS % (re.escape(version()),
                                                                 "single-agent") +
                             ", 0 waiting, 1 agent at the desk$")
            self.assertEqual(len(said), 1, bob.err)

    def test_line_member(self):
        with Daemon(GROUP) as d:
            code, out, err = run("--line", "127.0.0.1:%d" % d.line_port,
                                 stdin_text="/time\n/info\n")
            self.assertEqual(code, 0, err)
            said = [line[2:] for line in err.splitlines() if line.startswith("* ")]
            self.assertRegex(said[-2], "^" + TIME_WORDS + "$")
            self.assertRegex(said[-1],
                             "^" + INFO_WORDS % (re.escape(version()), "group") + ", 1 member$")


@unittest.skipUnless(shutil.which("tmux"), "tmux is not installed")
class ClientTerminal(TmuxCase):
    def test_time_and_info_typed(self):
        with Daemon() as d:
            self.start("--agent", "--name", "mary", "unix:" + d.agent_socket)
            self.wait_screen(r"^\(no customer yet\) mary>")
            bob = Peer.customer(d, "bob")
            bob.notice(prefix="serving mary")
            carol = Peer.customer(d, "carol")
            carol.notice(body="queued 1")
            self.enter("/time")
            self.wait_screen(r"^%s\* %s$" % (STAMP, TIME_WORDS))
            self.enter("/info")
            # (80 columns: "at the desk" goes on the next line.)
            self.wait_screen(r"^%s\* %s, 1 waiting, 1 agent" %
                             (STAMP, INFO_WORDS % (re.escape(version()), "single-agent")))
            self.enter("/info x")
            self.wait_screen(r"^%s\* Usage: /info +the server's version" % STAMP)
            self.enter("/help")
            self.wait_screen(r"^%s\* /time +the server's clock$" % STAMP)
            self.keys("C-d")
            self.assertEqual(self.wait_exit(), 0)
            for p in (bob, carol):
                p.close()


if __name__ == "__main__":
    main()
