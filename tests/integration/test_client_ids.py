# SPDX-License-Identifier: ISC
"""The client and message IDs (protocol 7.2, issue 12 item 4), in script mode against fake
servers: it asks for `ids`, prints a tagged message (type 5) as the type 2 frame would have
carried it, drops one it has seen, shows history answers, forgets the IDs at a new epoch; and
against a wave-1 server that refuses `caps` it carries on as before. The terminal's side
(server times, /history, a reconnection) is in test_client_tmux.py."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import COMMAND, MESSAGE, NICKNAME, NOTICE, Closed, Peer, frame, main  # noqa: E402
from clientrun import run  # noqa: E402
from fakeserver import FakeServer, opening, tagged  # noqa: E402

T = 1700000000000  # 2023-11-14, in Unix milliseconds


def notices_of(err):
    return [line[2:] for line in err.splitlines() if line.startswith("* ")]


def until_quit(peer):
    """Read until our client's "quit" (or EOF); return what came before it."""
    try:
        return peer.wait_for(COMMAND, body="quit")
    except Closed:
        return []


class Tagged(unittest.TestCase):
    def test_room(self):
        got = {}

        def serve(conn):
            peer = Peer(conn, "server")
            got["opening"] = opening(peer, "welcome group bob")
            got["said"] = peer.wait_for(MESSAGE, body="hi")
            conn.sendall(
                tagged(1, T, "*", "ann", "hello room") +
                tagged(2, T, "*", "bob", "hi") +  # our own, back in its place
                tagged(3, T, "*", "ann", "two words\nand a second line") +
                tagged(4, T, "*", "127.0.0.1:4000", "") +  # a line member, an empty text
                tagged(3, T, "*", "ann", "3 again: dropped") +
                tagged(2, T, "*", "ann", "older than 3: dropped") +
                frame(NOTICE, "history-start 2") +
                tagged(1, T, "*", "ann", "hello room") +  # history goes back: shown
                tagged(2, T, "*", "bob", "hi") +
                frame(NOTICE, "history-end") +
                tagged(4, T, "*", "ann", "4 again: dropped, history did not lower it") +
                tagged(5, T, "*", "ann", "after the history") +
                frame(NOTICE, "epoch E2") +
                tagged(1, T, "*", "carl", "a new epoch starts again at 1") +
                frame(NOTICE, "epoch E2") +  # the same epoch: nothing forgotten
                tagged(1, T, "*", "carl", "1 again in E2: dropped"))
            until_quit(peer)

        with FakeServer(serve) as srv:
            code, out, err = run("--name", "bob", "127.0.0.1:%d" % srv.port, stdin_text="hi\n")
        self.assertEqual(code, 0, err)
        self.assertEqual(got["opening"], [(NICKNAME, "bob"), (COMMAND, "hello notices"),
                                          (COMMAND, "caps ping ids resume files")])
        self.assertEqual(out, "ann: hello room\n"
                              "bob: hi\n"
                              "ann: two words\nand a second line\n"
                              "127.0.0.1:4000: \n"
                              "ann: hello room\n"
                              "bob: hi\n"
                              "ann: after the history\n"
                              "carl: a new epoch starts again at 1\n")
        self.assertEqual(notices_of(err), ["Welcome to the room, bob", "2 earlier messages:",
                                           "End of the earlier messages"])

    def test_empty_history_said_once(self):
        """A join with no earlier messages: "No earlier messages" alone, without the "End of
        the earlier messages" that would follow nothing (seen in the files trial)."""

        def serve(conn):
            peer = Peer(conn, "server")
            opening(peer, "welcome group bob")
            peer.wait_for(MESSAGE, body="hi")
            conn.sendall(frame(NOTICE, "history-start 0") + frame(NOTICE, "history-end") +
                         frame(NOTICE, "history-start 1") + tagged(1, T, "*", "ann", "old") +
                         frame(NOTICE, "history-end") + tagged(2, T, "*", "bob", "hi"))
            until_quit(peer)

        with FakeServer(serve) as srv:
            code, out, err = run("--name", "bob", "127.0.0.1:%d" % srv.port, stdin_text="hi\n")
        self.assertEqual(code, 0, err)
        self.assertEqual(out, "ann: old\nbob: hi\n")
        self.assertEqual(notices_of(err), ["Welcome to the room, bob", "No earlier messages",
                                           "1 earlier message:", "End of the earlier messages"])

    def test_new_agent_told_of_its_customer_once(self):
        """The desk names a waiting customer to a new agent, then again with the
        conversation's tag once "caps" is answered: one line, not two (the files trial)."""
        from fdtest import Daemon
        from clientrun import WatchedClient
        with Daemon() as d:
            dave = Peer.customer(d, "dave")
            dave.notice(prefix="welcome")
            dave.say("hello")
            c = WatchedClient("--agent", "--name", "mary", "unix:" + d.agent_socket)
            try:
                c.feed("hi dave\n")
                dave.wait_for(MESSAGE, body="hi dave")
                dave.say("bye")
                c.wait_out("bye\n")
                self.assertEqual(c.finish(), 0, c.err)
            finally:
                c.kill()
                dave.close()
        self.assertEqual(notices_of(c.err).count("You are now talking to dave"), 1, c.err)

    def test_desk_in_strict_turns(self):
        """At the desk the text alone, as type 2; a history answer is no reply."""
        got = {}

        def serve(conn):
            peer = Peer(conn, "server")
            opening(peer, "welcome single-agent bob")
            conn.sendall(frame(NOTICE, "serving mary c1"))
            peer.wait_for(MESSAGE, body="one")
            conn.sendall(frame(NOTICE, "history-start 1") +
                         tagged(1, T, "c1", "bob", "one") +
                         frame(NOTICE, "history-end") +
                         frame(NOTICE, "ping t1"))
            # The client answers the ping as it reads it: had the history given it the
            # turn, "two" would have been written before the pong.
            got["before pong"] = peer.wait_for(COMMAND, body="pong t1")
            conn.sendall(tagged(2, T, "c1", "mary", "reply  one "))
            peer.wait_for(MESSAGE, body="two")
            conn.sendall(tagged(3, T, "c1", "mary", "reply\ntwo"))
            until_quit(peer)

        with FakeServer(serve) as srv:
            code, out, err = run("--name", "bob", "127.0.0.1:%d" % srv.port,
                                 stdin_text="one\ntwo\n")
        self.assertEqual(code, 0, err)
        self.assertEqual(got["before pong"], [])
        self.assertEqual(out, "one\nreply  one \nreply\ntwo\n")
        self.assertEqual(notices_of(err), ["Welcome, bob; you are connected to the desk",
                                           "You are now talking to mary",
                                           "1 earlier message:",
                                           "End of the earlier messages"])

    def test_malformed_tagged_message(self):
        def serve(conn):
            peer = Peer(conn, "server")
            opening(peer, "welcome group bob")
            conn.sendall(frame(5, "1 soon * ann hi"))
            until_quit(peer)

        with FakeServer(serve) as srv:
            code, out, err = run("--name", "bob", "127.0.0.1:%d" % srv.port, stdin_text="hi\n")
        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        self.assertTrue(err.endswith(
            "frontdesk: protocol error from 127.0.0.1:%d: a tagged message that is not "
            "\"ID TIME CONV FROM TEXT\"\n" % srv.port), err)


class Wave1(unittest.TestCase):
    def test_room_without_ids(self):
        """`caps` refused, type 2 "NICK: TEXT" as always: the same output, nothing shown."""
        got = {}

        def serve(conn):
            peer = Peer(conn, "server")
            got["opening"] = opening(peer, "welcome group bob", grant=None)
            peer.wait_for(MESSAGE, body="hi")
            conn.sendall(frame(MESSAGE, "bob: hi") + frame(MESSAGE, "ann: hello  bob"))
            until_quit(peer)

        with FakeServer(serve) as srv:
            code, out, err = run("--name", "bob", "127.0.0.1:%d" % srv.port, stdin_text="hi\n")
        self.assertEqual(code, 0, err)
        self.assertEqual(got["opening"][2], (COMMAND, "caps ping ids resume files"))
        self.assertEqual(out, "bob: hi\nann: hello  bob\n")
        self.assertEqual(notices_of(err), ["Welcome to the room, bob"])

    def test_caps_granted_without_ids(self):
        """A server that grants only `ping` sends type 2 and no epoch: all as before."""
        def serve(conn):
            peer = Peer(conn, "server")
            opening(peer, "welcome single-agent bob", grant="ping")
            peer.wait_for(MESSAGE, body="hi")
            conn.sendall(frame(MESSAGE, "hello bob"))
            until_quit(peer)

        with FakeServer(serve) as srv:
            code, out, err = run("--name", "bob", "127.0.0.1:%d" % srv.port, stdin_text="hi\n")
        self.assertEqual(code, 0, err)
        self.assertEqual(out, "hello bob\n")
        self.assertEqual(notices_of(err), ["Welcome, bob; you are connected to the desk"])


if __name__ == "__main__":
    main()
