# SPDX-License-Identifier: MIT
"""A stand-in for sriovd's socket: newline-delimited JSON, one answer per
request, from a function the test gives; every request is recorded.

It checks what a client sends and how it takes each answer (ebrctl's exit
codes); what sriovd itself accepts is tested against sriovd (unit.daemon*,
the kernel lab).
"""
import json
import os
import socket
import tempfile
import threading


class FakeSriovd:
    def __init__(self, answer):
        """@answer(request dict) -> answer dict, or None: never answer."""
        self.answer = answer
        self.requests = []
        self.dir = tempfile.mkdtemp(prefix="fake_sriovd.")
        self.path = os.path.join(self.dir, "s.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(16)
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                buf = b""
                while b"\n" not in buf:
                    d = c.recv(65536)
                    if not d:
                        break
                    buf += d
                if not buf.strip():
                    continue
                req = json.loads(buf.split(b"\n", 1)[0])
                self.requests.append(req)
                a = self.answer(req)
                if a is None:  # a sriovd that hangs: hold the line
                    c.recv(1)
                    continue
                c.sendall(json.dumps(a).encode() + b"\n")

    def close(self):
        self.stop = True
        self.sock.close()
        try:
            os.unlink(self.path)
            os.rmdir(self.dir)
        except OSError:
            pass


def ok(**kw):
    d = {"ok": True}
    d.update(kw)
    return d


def err(code, message):
    return {"ok": False, "error": {"code": code, "message": message}}
