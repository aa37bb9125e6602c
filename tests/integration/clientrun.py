# SPDX-License-Identifier: ISC
"""Helpers for the client's tests: run `frontdesk` in script mode as a child process."""

import os
import subprocess

from fdtest import DEADLINE, FRONTDESK


class ScriptClient:
    """`frontdesk ARGS` with a pipe on stdin; stdout and stderr collected as text."""

    def __init__(self, *args, env=None):
        e = dict(os.environ)
        e.pop("RUNTIME_DIRECTORY", None)
        e.update(env or {})
        self.proc = subprocess.Popen([FRONTDESK] + list(args), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=e)
        self.out = self.err = None

    def feed(self, text, close=False):
        """Write @text to the client's stdin now (and close it, when asked)."""
        self.proc.stdin.write(text.encode())
        if close:
            self.proc.stdin.close()
        else:
            self.proc.stdin.flush()
        return self

    def finish(self, stdin_text="", timeout=DEADLINE):
        """Write @stdin_text, close stdin, wait for the exit; return the exit code."""
        if self.proc.stdin and self.proc.stdin.closed:
            self.proc.stdin = None
        try:
            self.out, self.err = self.proc.communicate(stdin_text.encode() if self.proc.stdin
                                                       else None, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("frontdesk did not exit within %ss" % timeout)
        self.out, self.err = self.out.decode(), self.err.decode()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.out, self.err = [b.decode() for b in self.proc.communicate()]


def run(*args, stdin_text="", timeout=DEADLINE):
    """Run a script-mode client to its end: (exit code, stdout, stderr)."""
    c = ScriptClient(*args)
    code = c.finish(stdin_text, timeout)
    return code, c.out, c.err
