# SPDX-License-Identifier: ISC
"""Helpers for the moderation tests (issue 15): a room with an operator key, operators, and
members from a chosen loopback address."""

import atexit
import hashlib
import hmac
import os
import socket
import tempfile

from fdtest import DEADLINE, NOTICE, Peer
from grouptest import GROUP, Daemon, LinePeer

KEY = b"an operator key of more than sixteen bytes"
# No rate limit on joins: every member comes from loopback.
ROOM = GROUP + "max_joins_per_min = 0\n"


def key_file():
    """A key file only its owner may read, as the daemon wants it."""
    fd, path = tempfile.mkstemp(prefix="frontdesk-oper-")
    os.write(fd, KEY + b"\n")
    os.close(fd)
    os.chmod(path, 0o600)
    atexit.register(os.unlink, path)  # /tmp held thousands of them, one per test run
    return path


def room(extra=""):
    """A room daemon (not started) with operator_key_file set."""
    return Daemon(ROOM + "operator_key_file = %s\n" % key_file() + extra)


def answer(challenge):
    return hmac.new(KEY, bytes.fromhex(challenge), hashlib.sha256).hexdigest()


def operator(d, nick="op"):
    """The local admin: a member on the agent socket, welcomed."""
    p = Peer.agent(d, nick)
    p.notice(prefix="welcome group ")
    return p


def framed(d, nick, source="127.0.0.1", notices=True):
    """A framed member from @source (any 127/8 address), not yet welcomed."""
    s = socket.create_connection(("127.0.0.1", d.port), timeout=DEADLINE,
                                 source_address=(source, 0))
    p = Peer(s, nick)
    p.join(nick, notices)
    return p


def member(d, nick, source="127.0.0.1"):
    p = framed(d, nick, source)
    p.notice(prefix="welcome group ")
    return p


def line(d, source="127.0.0.1"):
    """A line member, past its welcome (and its history, if any)."""
    p = LinePeer(d, source)
    p.wait_for(prefix="* welcome group ")
    p.skip_history()
    return p


def become_operator(p):
    p.command("oper")
    p.notice(prefix="oper-challenge ")
    p.command("oper " + answer(p.frames[-1][1].split()[1]))
    p.notice(body="oper")


def notices_until_sync(p):
    return [b for t, b in p.sync() if t == NOTICE]
