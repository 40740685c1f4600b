"""A command run on a real pseudo-terminal, for the interop tests that drive a REPL (lib.sh puts
this folder on PYTHONPATH): write lines to it, wait for what it prints, check how it ends.
Each step prints "ok ..." or "FAIL: ..."; finish() exits 1 if any step failed."""
import os
import pty
import select
import subprocess
import sys
import time


class Terminal:
    def __init__(self, argv=None):
        """Starts argv, by default this script's own arguments (lib.sh's on_pty passes the command)."""
        argv = sys.argv[1:] if argv is None else argv
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        self.seen = b''
        self.failed = False

    def fail(self, why):
        print('FAIL: ' + why)
        self.failed = True

    def send(self, line):
        os.write(self.master, line)

    def ask(self, line, *answers):
        """Writes line, then expects each of answers in turn."""
        self.send(line)
        for what in answers:
            self.expect(what)

    def expect(self, what, timeout=5):
        """Read from the terminal until `what` shows up after everything matched so far."""
        end = time.time() + timeout
        while what not in self.seen:
            left = end - time.time()
            if left <= 0 or not select.select([self.master], [], [], left)[0]:
                self.fail('%r never appeared; terminal so far: %r' % (what, self.seen[-300:]))
                return
            try:
                d = os.read(self.master, 4096)
            except OSError:
                d = b''
            if not d:
                self.fail('terminal closed before %r; so far: %r' % (what, self.seen[-300:]))
                return
            self.seen += d
        self.seen = self.seen[self.seen.index(what) + len(what):]
        print('ok', what)

    def finish(self, want_status):
        """Waits up to 5 s for the command to exit (then kills it), checks its status, and exits
        the test peer: 0 if every step passed, 1 if not."""
        try:
            rc = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = 'still running'
        if rc != want_status:
            self.fail('exit status %s' % rc)
        sys.exit(1 if self.failed else 0)
