# SPDX-License-Identifier: ISC
"""Helpers for the client's tests: run `frontdesk` in script mode as a child process."""

import os
import subprocess
import threading
import time

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

    def _exited(self, timeout):
        """Wait for the exit; past @timeout, kill it and fail."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("frontdesk did not exit within %ss" % timeout)

    def wait(self, timeout=DEADLINE):
        """Wait for the exit with stdin still open (it ends by itself); return the exit code."""
        self._exited(timeout)
        return self.finish()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.out, self.err = [b.decode() for b in self.proc.communicate()]


class WatchedClient(ScriptClient):
    """A ScriptClient whose output is read as it comes, so a test can wait for a line before
    it goes on (wait_out, wait_err); finish() and wait() then give all of it, as before."""

    def __init__(self, *args, env=None):
        super().__init__(*args, env=env)
        self.chunks = {"out": [], "err": []}
        self.readers = [threading.Thread(target=self._read, args=(f, self.chunks[k]),
                                         daemon=True)
                        for k, f in (("out", self.proc.stdout), ("err", self.proc.stderr))]
        for t in self.readers:
            t.start()

    @staticmethod
    def _read(f, chunks):
        while True:
            data = f.read1(65536)
            if not data:
                return
            chunks.append(data)

    def text(self, which):
        return b"".join(self.chunks[which]).decode(errors="replace")

    def _wait_for(self, which, text, timeout):
        deadline = time.monotonic() + timeout
        while text not in self.text(which):
            if time.monotonic() > deadline:
                raise AssertionError("frontdesk never wrote %r on std%s:\n%s"
                                     % (text, which, self.text(which)))
            time.sleep(0.02)

    def wait_out(self, text, timeout=DEADLINE):
        self._wait_for("out", text, timeout)

    def wait_err(self, text, timeout=DEADLINE):
        self._wait_for("err", text, timeout)

    def finish(self, stdin_text="", timeout=DEADLINE):
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.feed(stdin_text, close=True)
            except BrokenPipeError:
                pass
        return self.wait(timeout)

    def wait(self, timeout=DEADLINE):
        self._exited(timeout)
        return self._collect()

    def _collect(self):
        for t in self.readers:
            t.join(DEADLINE)
        self.out, self.err = self.text("out"), self.text("err")
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            self._collect()


def run(*args, stdin_text="", timeout=DEADLINE):
    """Run a script-mode client to its end: (exit code, stdout, stderr)."""
    c = ScriptClient(*args)
    code = c.finish(stdin_text, timeout)
    return code, c.out, c.err
