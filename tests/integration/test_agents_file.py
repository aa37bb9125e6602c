# SPDX-License-Identifier: ISC
"""agents_file (issue 14): with it, an agent's name must be listed, and the credential the agent
came with (its uid on the agent socket, the key it answered with on agent_listen) must be one
listed for that name; anything else gets `error agent-not-allowed` and that one connection is
closed, nobody else disturbed. The file is re-read on SIGHUP (a bad one keeps the running
list; an agent it no longer lists leaves), checked by --check-config, and applies to takeovers
and resumed sessions too. The console is exempt.

Only the test's own uid can be shown on the socket: a name listed for it is allowed, a name
listed for another user (nobody, or root when the tests run as nobody) is refused."""

import hashlib
import hmac
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import (CHALLENGE, COMMAND, DEADLINE, FRONTDESK, FRONTDESKD,  # noqa: E402
                    NICKNAME, RESPONSE, Daemon, Peer, frame, notices)
from test_tls import TlsDaemon  # noqa: E402

ME = pwd.getpwuid(os.getuid()).pw_name
OTHER = "nobody" if ME != "nobody" else "root"
KEYS = {"a": b"alice's own key, 32 bytes long..", "a2": b"alice's laptop key, also long enough",
        "b": b"bob's key, nobody else's at all", "shared": b"the old shared agent_key_file key",
        "m": b"mary's key for when she is remote"}


def write_key(directory, name, mode=0o600):
    path = os.path.join(directory, name + ".key")
    with open(path, "wb") as f:
        f.write(KEYS[name] + b"\n")
    os.chmod(path, mode)
    return path


def answer(challenge, key):
    return hmac.new(key, bytes.fromhex(challenge), hashlib.sha256).hexdigest()


class AgentsDaemon(Daemon):
    """A desk with agents_file (listing @lines, KEY(x) standing for key file x) and
    agent_listen; @shared adds agent_key_file = the shared key."""

    def __init__(self, lines, shared=False, config=""):
        super().__init__("handshake_timeout = 5\nturns = free\n" + config)
        self.agents_path = os.path.join(self.dir, "agents")
        self.write_agents(lines)
        with open(self.config_path, "a") as f:
            f.write("agents_file = %s\nagent_listen = 127.0.0.1:0\n" % self.agents_path)
            if shared:
                f.write("agent_key_file = %s\n" % write_key(self.dir, "shared"))

    def write_agents(self, lines):
        text = re.sub(r"KEY\((\w+)\)", lambda m: write_key(self.dir, m.group(1)), lines)
        with open(self.agents_path, "w") as f:
            f.write(text)

    def start(self):
        super().start()
        m = re.search(r"listening on \S+:(\d+) \(framed protocol, agents", self.log())
        self.agent_port = int(m.group(1))
        return self

    def reload(self, lines, expect):
        self.write_agents(lines)
        n = self.log().count(expect)
        self.proc.send_signal(signal.SIGHUP)
        self.wait_log(expect, count=n + 1)


def tcp_agent(d, nick, key, caps=None):
    """An agent on agent_listen answering under KEYS[key] (or any bytes), then naming itself."""
    p = Peer(socket.create_connection(("127.0.0.1", d.agent_port), timeout=DEADLINE), nick)
    t, challenge = p.recv()
    assert t == CHALLENGE
    secret = KEYS.get(key, key)
    p.sock.sendall(frame(RESPONSE, answer(challenge, secret)) + frame(NICKNAME, nick) +
                   frame(COMMAND, "hello notices"))
    return p


def refused(test, p, nick, why, attached=False):
    """@p is told it may not be @nick (@why), then closed; that is all it hears, unless it
    was @attached before."""
    got = notices(p.expect_closed())
    test.assertEqual(got[-1 if attached else 0:],
                     ["error agent-not-allowed -- %s is not an agent you may be: %s" %
                      (nick, why)])


NOT_LISTED = "agents_file does not list it"
OTHER_KEY = "agents_file does not list it for the key you answered with"
OTHER_UID = "agents_file does not list it for uid %d" % os.getuid()


class OnTheSocket(unittest.TestCase):
    LINES = "# who may be the agent\nmary user=%s   # me\n\nboss user=%s\n" % (ME, OTHER)

    def test_listed_user_may_be_its_name(self):
        with AgentsDaemon(self.LINES) as d:
            a = Peer.agent(d, "mary")
            a.notice(body="welcome single-agent mary")
            c = Peer.customer(d, "bob")
            c.notice(body="serving mary")

    def test_name_of_another_user_is_refused(self):
        with AgentsDaemon(self.LINES) as d:
            refused(self, Peer.agent(d, "boss"), "boss", OTHER_UID)
            d.wait_log("agent-socket (-): error agent-not-allowed: boss is not")

    def test_unlisted_name_is_refused_and_others_carry_on(self):
        with AgentsDaemon(self.LINES) as d:
            a = Peer.agent(d, "mary")
            a.notice(body="welcome single-agent mary")
            c = Peer.customer(d, "bob")
            c.notice(body="serving mary")
            refused(self, Peer.agent(d, "stranger"), "stranger", NOT_LISTED)
            # A name is checked as asked, before it could become "mary2" at the desk.
            c.say("still there?")
            self.assertEqual(a.message(), "still there?")
            a.say("yes")
            self.assertEqual(c.message(), "yes")

    def test_takeover_by_the_same_user(self):
        with AgentsDaemon(self.LINES) as d:
            old = Peer.agent(d, "mary")
            old.notice(body="welcome single-agent mary")
            new = Peer.agent(d, "mary")
            new.notice(body="welcome single-agent mary")
            self.assertIn("error replaced -- a new connection as mary took over",
                          notices(old.expect_closed()))


class OverTcp(unittest.TestCase):
    LINES = ("alice key=KEY(a) key=KEY(a2)\nbob key=KEY(b)\ncarol key=KEY(shared)\n"
             "mary user=%s key=KEY(m)\n" % ME)

    def test_key_may_be_its_own_name_only(self):
        with AgentsDaemon(self.LINES) as d:
            refused(self, tcp_agent(d, "alice", "b"), "alice", OTHER_KEY)  # a borrowed name
            refused(self, tcp_agent(d, "nobody-listed", "b"), "nobody-listed", NOT_LISTED)
            p = tcp_agent(d, "bob", "b")
            p.notice(body="welcome single-agent bob")
            Peer.customer(d, "cust").notice(body="serving bob")
            # Refused while bob serves: bob is not disturbed.
            refused(self, tcp_agent(d, "bob", "a"), "bob", OTHER_KEY)
            p.sync()

    def test_unknown_key_fails_the_challenge(self):
        with AgentsDaemon(self.LINES) as d:
            p = tcp_agent(d, "alice", b"a key nobody listed anywhere")
            self.assertEqual(notices(p.expect_closed()),
                             ["error auth-failed -- wrong answer to the challenge"])

    def test_works_without_agent_key_file(self):
        with AgentsDaemon(self.LINES) as d:
            with open(d.config_path) as f:
                self.assertNotIn("agent_key_file", f.read())
            tcp_agent(d, "alice", "a").notice(body="welcome single-agent alice")

    def test_shared_agent_key_file_is_one_more_key(self):
        # agent_key_file passes the challenge, and is a pass only to the names listed with it.
        with AgentsDaemon(self.LINES, shared=True) as d:
            refused(self, tcp_agent(d, "alice", "shared"), "alice", OTHER_KEY)
            refused(self, tcp_agent(d, "dave", "shared"), "dave", NOT_LISTED)
            tcp_agent(d, "carol", "shared").notice(body="welcome single-agent carol")

    def test_shared_key_listed_nowhere_is_warned_about(self):
        with AgentsDaemon("alice key=KEY(a)\n", shared=True) as d:
            self.assertIn("agents_file lists it for no agent, so it admits no name", d.log())
            refused(self, tcp_agent(d, "alice", "shared"), "alice", OTHER_KEY)

    def test_takeover_with_another_key_listed_for_the_name(self):
        with AgentsDaemon(self.LINES) as d:
            old = tcp_agent(d, "alice", "a")
            old.notice(body="welcome single-agent alice")
            new = tcp_agent(d, "alice", "a2")  # her laptop: the file says both are alice
            new.notice(body="welcome single-agent alice")
            self.assertIn("error replaced -- a new connection as alice took over",
                          notices(old.expect_closed()))
            # Another listed agent is not alice: the desk's one-agent rule still holds.
            busy = tcp_agent(d, "bob", "b")
            self.assertIn("error agent-busy -- alice is already the agent; one agent at a time",
                          notices(busy.expect_closed()))
            new.sync()

    def test_socket_and_tcp_are_one_agent(self):
        with AgentsDaemon(self.LINES) as d:
            old = Peer.agent(d, "mary")
            old.notice(body="welcome single-agent mary")
            new = tcp_agent(d, "mary", "m")
            new.notice(body="welcome single-agent mary")
            self.assertIn("error replaced -- a new connection as mary took over",
                          notices(old.expect_closed()))


class TlsAgentsDaemon(AgentsDaemon, TlsDaemon):
    """AgentsDaemon with TLS on every listener: agents' answers are bound to the session."""


class OverTls(unittest.TestCase):
    def client(self, d, nick, key, stays):
        """`frontdesk --agent --tls` as @nick under key file @key. Its stdin stays open (no
        quit): one that @stays is stopped once the daemon has it as the agent, one that does
        not must end by itself. Returns (exit code, stderr)."""
        proc = subprocess.Popen([FRONTDESK, "--agent", "--tls", "--ca-file", d.cert,
                                 "--key-file", os.path.join(d.dir, key + ".key"), "--name", nick,
                                 "127.0.0.1:%d" % d.agent_port],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        try:
            if stays:
                d.wait_log(": agent %s" % nick)
                proc.terminate()
            proc.wait(timeout=DEADLINE)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.stdin.close()
            err = proc.stderr.read()
            proc.stderr.close()
            proc.wait()
        return proc.returncode, err

    def test_client_with_its_key_and_a_borrowed_name(self):
        # The real client, answering bound to its TLS session under a key from agents_file.
        with TlsAgentsDaemon("alice key=KEY(a)\nbob key=KEY(b)\n") as d:
            _, err = self.client(d, "alice", "a", stays=True)
            self.assertNotIn("agent-not-allowed", err)
            code, err = self.client(d, "bob", "a", stays=False)
            self.assertNotEqual(code, 0)
            self.assertIn("agent-not-allowed: bob is not an agent you may be: " + OTHER_KEY, err)
            d.wait_log("error agent-not-allowed: bob is not an agent you may be: " + OTHER_KEY)


def resumable(p):
    p.notice(prefix="welcome ")
    p.command("caps resume")
    p.notice(body="caps resume")
    p.notice(prefix="session ")
    token = p.frames[-1][1].split(" ", 1)[1]
    p.sync()
    return token


def resumable_again(p):
    p.notice(prefix="session ")
    token = p.frames[-1][1].split(" ", 1)[1]
    p.sync()
    return token


def resume_on_socket(d, token):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(DEADLINE)
    s.connect(d.agent_socket)
    p = Peer(s, "resumer")
    p.send(COMMAND, "resume %s 0" % token)
    return p


class Reload(unittest.TestCase):
    LINES = "mary user=%s\n" % ME

    def test_bad_file_keeps_the_running_list(self):
        with AgentsDaemon(self.LINES) as d:
            a = Peer.agent(d, "mary")
            a.notice(body="welcome single-agent mary")
            d.reload("mary user=%s\nfrank user\n" % ME,
                     "has errors; the running list stays in force")
            self.assertIn("%s:2: frank: 'user' is neither user=UNIXUSER nor key=PATH" %
                          d.agents_path, d.log())
            a.sync()
            refused(self, Peer.agent(d, "frank"), "frank", NOT_LISTED)

    def test_agent_taken_off_the_list_leaves(self):
        with AgentsDaemon(self.LINES) as d:
            a = Peer.agent(d, "mary")
            a.notice(body="welcome single-agent mary")
            c = Peer.customer(d, "bob")
            c.notice(body="serving mary")
            d.reload("tom user=%s\n" % ME, "agents_file %s: 1 agents" % d.agents_path)
            refused(self, a, "mary", NOT_LISTED, attached=True)
            c.notice(body="agent-offline")
            t = Peer.agent(d, "tom")
            t.notice(body="welcome single-agent tom")
            c.notice(body="agent-online tom")

    def test_resume_is_checked_again(self):
        with AgentsDaemon(self.LINES) as d:
            a = Peer.agent(d, "mary")
            token = resumable(a)
            a.close()
            d.wait_log("mary: connection lost; its session waits")
            p = resume_on_socket(d, token)
            p.notice(body="resumed mary")
            token = resumable_again(p)
            p.close()
            d.wait_log("mary: connection lost; its session waits", count=2)
            d.reload("mary user=%s\n" % OTHER, "agents_file %s: 1 agents" % d.agents_path)
            p = resume_on_socket(d, token)
            p.notice(body="error resume-failed -- mary is not an agent you may be: %s; now "
                          "send a nickname" % OTHER_UID)
            # ...and the handshake goes on, under the same rule.
            p.send(NICKNAME, "mary")
            refused(self, p, "mary", OTHER_UID)


class Console(unittest.TestCase):
    def test_console_is_exempt(self):
        d = AgentsDaemon("mary user=%s\n" % ME)
        try:
            env = dict(os.environ, USER="ghost")
            d._log = open(d.log_path, "w")
            d.proc = subprocess.Popen(d.command() + ["--console"], env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                      stderr=d._log)
            d.wait_ready()
            c = Peer.customer(d, "bob")
            c.notice(body="serving ghost")
        finally:
            d.__exit__(None, None, None)


class CheckConfig(unittest.TestCase):
    def check(self, d):
        return subprocess.run([FRONTDESKD, "--check-config", "-c", d.config_path],
                              capture_output=True, text=True, timeout=DEADLINE)

    def test_every_bad_line_is_reported(self):
        d = AgentsDaemon("ok user=%s\n"
                         "nouser user=no-such-user-here\n"
                         "relative key=agents/x.key\n"
                         "ok key=KEY(b)\n"
                         "lonely\n"
                         "odd user=%s colour=blue\n"
                         "user=%s\n"
                         "bad,name user=%s\n" % (ME, ME, ME, ME))
        leaky = write_key(d.dir, "a", 0o644)
        with open(d.agents_path, "a") as f:
            f.write("leaky key=%s\nshort key=%s\n" % (leaky, "/nonexistent/x.key"))
        try:
            r = self.check(d)
            p = d.agents_path
            self.assertEqual(r.returncode, 1)
            self.assertEqual(r.stderr.splitlines(), [
                "%s:2: user=no-such-user-here: no such user" % p,
                "%s:3: key=agents/x.key: the path must be absolute" % p,
                "%s:4: ok is already listed on line 1" % p,
                "%s:5: lonely: no user= or key=, so nobody could be this agent" % p,
                "%s:6: odd: 'colour=blue' is neither user=UNIXUSER nor key=PATH" % p,
                "%s:7: a line starts with the agent's name, not 'user=%s'" % (p, ME),
                "%s:8: 'bad,name' is not a nickname: a nickname is 1 to 32 characters: no "
                "spaces, ':' or ',', no control, invisible or bidi characters, and no leading "
                "'-'" % p,
                "%s:9: key=%s: others may access it (chmod o-rwx)" % (p, leaky),
                "%s:10: key=/nonexistent/x.key: No such file or directory" % p,
            ])
        finally:
            d.__exit__(None, None, None)

    def test_good_file_passes_and_bad_file_stops_the_start(self):
        d = AgentsDaemon("mary user=%s\n" % ME)
        try:
            r = self.check(d)
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            d.write_agents("mary user=%s nonsense\n" % ME)
            run = subprocess.run([FRONTDESKD, "-c", d.config_path], capture_output=True,
                                 text=True, timeout=DEADLINE)
            self.assertEqual(run.returncode, 1)
            self.assertIn("%s:1: mary: 'nonsense' is neither user=UNIXUSER nor key=PATH" %
                          d.agents_path, run.stderr)
        finally:
            d.__exit__(None, None, None)

    def test_only_in_single_agent_mode(self):
        d = Daemon("mode = group\nagents_file = /etc/frontdesk/agents\n")
        try:
            r = self.check(d)
            self.assertEqual(r.returncode, 1)
            self.assertIn("agents_file is only used in single-agent mode", r.stderr)
        finally:
            d.__exit__(None, None, None)


if __name__ == "__main__":
    unittest.main(verbosity=2)
