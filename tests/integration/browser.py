"""Headless Chromium driven through the DevTools protocol over a pipe
(--remote-debugging-pipe: JSON messages separated by NUL bytes on file
descriptors 3 and 4), with the standard library only.

    with Browser() as b:
        page = b.open("file:///.../index.html")
        page.eval("document.title")
        page.screenshot("build/test-artifacts/x.png")
        page.errors     # console errors and uncaught exceptions seen
        page.dialogs    # alert/confirm/prompt that opened
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe", "--window-size=1280,1600"]


class Browser:
    def __init__(self, timeout=30):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="oomph-chromium-")
        cmd_r, self._cmd_w = os.pipe()
        self._res_r, res_w = os.pipe()

        def wire():  # in the child: commands on fd 3, responses on fd 4
            # moved above 4 first: a pipe end may itself be fd 3 or 4 (in a
            # process with few files open), and dup2 onto itself would
            # neither clear close-on-exec nor survive the other dup2
            c, r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10), fcntl.fcntl(res_w, fcntl.F_DUPFD, 10)
            os.dup2(c, 3)
            os.dup2(r, 4)

        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, "--user-data-dir=" + self.profile,
                                      "about:blank"], preexec_fn=wire, close_fds=False,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(res_w)
        self._buf = b""
        self._id = 0
        self.events = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._cmd_w, self._res_r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read_one(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from chromium")
            r, _, _ = select.select([self._res_r], [], [], left)
            if r:
                chunk = os.read(self._res_r, 1 << 16)
                if not chunk:
                    raise EOFError("chromium closed the pipe")
                self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        return json.loads(msg)

    def send(self, method, params=None, session=None):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            m = self._read_one(deadline)
            if m.get("id") == self._id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, session, deadline):
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method and e.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self._read_one(deadline))

    def open(self, url):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log"):
            self.send(domain + ".enable", session=session)
        self.send("Page.navigate", {"url": url}, session)
        self.wait_event("Page.loadEventFired", session, time.monotonic() + self.timeout)
        return page


class Page:
    def __init__(self, browser, session):
        self.b = browser
        self.session = session

    def _mine(self, method):
        return [e for e in self.b.events if e.get("sessionId") == self.session and
                e.get("method") == method]

    @property
    def errors(self):
        out = [e["params"]["exceptionDetails"].get("text", "") + " " +
               json.dumps(e["params"]["exceptionDetails"].get("exception", {}).get("description", ""))
               for e in self._mine("Runtime.exceptionThrown")]
        out += [json.dumps(e["params"]["args"]) for e in self._mine("Runtime.consoleAPICalled")
                if e["params"]["type"] in ("error", "assert")]
        out += [e["params"]["entry"]["text"] for e in self._mine("Log.entryAdded")
                if e["params"]["entry"]["level"] == "error"]
        return out

    @property
    def dialogs(self):
        return [e["params"] for e in self._mine("Page.javascriptDialogOpening")]

    def eval(self, expr):
        r = self.b.send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, self.session)
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def click_then_answer_prompt(self, expr, answer):
        """Click the element `expr` evaluates to, and answer the prompt it opens."""
        self.b.send("Runtime.evaluate", {"expression": "setTimeout(function(){(%s).dispatchEvent("
                                         "new MouseEvent('click', {bubbles: true}))}, 0)" % expr},
                    self.session)
        ev = self.b.wait_event("Page.javascriptDialogOpening", self.session,
                               time.monotonic() + self.b.timeout)
        self.b.send("Page.handleJavaScriptDialog", {"accept": True, "promptText": answer}, self.session)
        return ev["params"]

    def set_width(self, width, height=1600):
        """Lay the page out at `width` CSS pixels, as a window that wide."""
        self.b.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                           "deviceScaleFactor": 1, "mobile": False},
                    self.session)
        return self.eval("window.innerWidth")

    def screenshot(self, path):
        data = self.b.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                           self.session)["data"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path
