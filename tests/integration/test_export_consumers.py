"""Issue 11 (item 12): the exports read by their real consumers.

peak.pb.gz is read by `go tool pprof` (Debian's golang-go, installed by
scripts/deps.sh); peak.speedscope.json by speedscope itself (the npm package,
installed at test time into build/npm/ -- never into the repository -- and
skipped, saying so, when npm cannot reach the registry), opened in headless
Chromium from a file URL with the profile handed over through speedscope's
own `#localProfilePath=` hook (what its command line does), then exported
back out of speedscope's model with its Export button.  Each must give the
stacks and bytes that peak.folded gives, exactly."""
import base64
import json
import os
import re
import shutil
import subprocess
import time

import pytest

from browser import CHROMIUM, Browser
from conftest import BUILD, parse_frame, read_folded, run_oomph

SPEEDSCOPE = "speedscope@1.25.0"
NPM_DIR = BUILD / "npm"
GO = shutil.which("go")


def pprof_frame(folded_frame):
    """How pprof -lines names a frame of peak.folded: `FUNC FILE:LINE` for
    Python code, the text itself for a synthetic frame."""
    p = parse_frame(folded_frame)
    return folded_frame if p is None else "%s %s:%d" % (p[2], p[0], p[1])


@pytest.fixture(scope="module")
def three():
    r = run_oomph("exports_three.py")
    assert r.status == 0, r.describe()
    folded = read_folded(r.dir / "peak.folded")
    # the program's three lines are there, with what they hold
    leaves = {}
    for stack, n in folded.items():
        leaf = stack.split(";")[-1]
        leaves[leaf] = leaves.get(leaf, 0) + n
    assert leaves.get("exports_three.py:2 (big)", 0) >= 63 << 20, leaves
    return r, folded, leaves


def go_pprof(r, *args):
    env = dict(os.environ, HOME=str(r.dir), PPROF_TMPDIR=str(r.dir))
    p = subprocess.run([GO, "tool", "pprof", "-symbolize=none", "-unit=B", "-lines",
                        "-nodefraction=0", "-edgefraction=0", *args, str(r.dir / "peak.pb.gz")],
                       capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.mark.skipif(not GO, reason="go is not installed (scripts/deps.sh installs golang-go)")
def test_go_tool_pprof_gives_the_stacks_and_bytes_of_peak_folded(three):
    r, folded, leaves = three
    # -top: bytes per innermost line, as peak.folded's leaves add up
    top = go_pprof(r, "-top", "-nodecount=100000")
    flat = {}
    for line in top.splitlines():
        m = re.match(r"^\s*(\d+)B?\s+[\d.]+%\s+[\d.]+%\s+\d+B?\s+[\d.]+%\s+(.+)$", line)
        if m and int(m.group(1)):
            flat[m.group(2)] = int(m.group(1))
    assert flat == {pprof_frame(k): v for k, v in leaves.items()}, top[:3000]
    total = re.search(r"of (\d+)B total", top)
    assert total and int(total.group(1)) == sum(folded.values()), top[:400]
    # the heaviest line first, as in the report
    first = next(l for l in top.splitlines() if re.match(r"^\s*\d+B", l))
    assert first.rstrip().endswith("big exports_three.py:2"), first

    # -traces: every stack, leaf first, with its bytes
    traces = go_pprof(r, "-traces")
    got = {}
    for block in traces.split("-----------+-------------------------------------------------------")[1:]:
        rows = [l for l in block.splitlines() if l.strip()]
        if not rows:
            continue
        m = re.match(r"^\s*(\d+)B?\s+(.*)$", rows[0])
        frames = [m.group(2)] + [l.strip() for l in rows[1:]]
        key = ";".join(reversed(frames))
        got[key] = got.get(key, 0) + int(m.group(1))
    want = {";".join(pprof_frame(f) for f in s.split(";")): v for s, v in folded.items()}
    assert got == want


def speedscope_index():
    idx = NPM_DIR / "node_modules" / "speedscope" / "dist" / "release" / "index.html"
    if idx.exists():
        return idx
    npm = shutil.which("npm")
    if not npm:
        pytest.skip("npm is not installed: speedscope cannot be fetched")
    NPM_DIR.mkdir(parents=True, exist_ok=True)
    try:
        p = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(NPM_DIR),
                            SPEEDSCOPE], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.skip("npm did not reach the registry in 300 s: speedscope not installed")
    if p.returncode != 0 or not idx.exists():
        pytest.skip("npm could not install %s (registry unreachable?): %s" %
                    (SPEEDSCOPE, (p.stderr.strip().splitlines() or ["?"])[-1]))
    return idx


def evented_stacks(doc):
    """{folded stack: bytes} from speedscope's own export (an evented
    profile: open/close events, the weight is the distance between them)."""
    frames = doc["shared"]["frames"]

    def label(i):
        f = frames[i]
        return "%s:%d (%s)" % (f["file"], f["line"], f["name"]) if "file" in f else f["name"]

    prof = doc["profiles"][0]
    assert prof["unit"] == "bytes", prof["unit"]
    out, stack, last = {}, [], 0
    for ev in prof["events"]:
        if ev["at"] > last and stack:
            key = ";".join(stack)
            out[key] = out.get(key, 0) + (ev["at"] - last)
        last = ev["at"]
        if ev["type"] == "O":
            stack.append(label(ev["frame"]))
        else:
            assert stack and stack[-1] == label(ev["frame"]), ev
            stack.pop()
    assert not stack
    return out


@pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                    reason="chromium is not installed (scripts/deps.sh installs it)")
def test_speedscope_imports_the_stacks_and_bytes_of_peak_folded(three, tmp_path):
    r, folded, leaves = three
    index = speedscope_index()
    data = base64.b64encode((r.dir / "peak.speedscope.json").read_bytes()).decode()
    loader = tmp_path / "load-profile.js"
    loader.write_text("speedscope.loadFileFromBase64(%s, %s);\n" %
                      (json.dumps("peak.speedscope.json"), json.dumps(data)))
    with Browser() as b:
        page = b.open("%s#localProfilePath=%s&view=sandwich" % (index.as_uri(), loader))
        deadline = time.monotonic() + 60
        while "Export" not in (page.eval("document.body.innerText") or ""):
            assert time.monotonic() < deadline, "speedscope did not load the profile"
            time.sleep(0.2)
        text = page.eval("document.body.innerText")
        assert "Memory live at the peak" in text, text[:500]
        # the sandwich table (DOM text: Total, Self, Symbol Name per row):
        # the function that holds the most bytes itself comes first
        rows = text[text.index("Symbol Name"):].splitlines()[1:]
        assert rows[2].strip() == "big", rows[:6]
        # speedscope's model, out through its own Export (the download's blob
        # is kept, the download itself dropped)
        page.eval("window.__oomphBlobs = []; (function () {"
                  " var make = URL.createObjectURL;"
                  " URL.createObjectURL = function (x) { window.__oomphBlobs.push(x); return make.call(URL, x); };"
                  " HTMLAnchorElement.prototype.click = function () {}; })(), 0")
        page.eval("Array.from(document.querySelectorAll('div')).filter(function (d) {"
                  " return d.children.length === 1 && /Export$/.test(d.textContent); })[0].click(), 0")
        res = b.send("Runtime.evaluate", {
            "expression": "window.__oomphBlobs.length ? window.__oomphBlobs[0].text() : Promise.resolve('')",
            "awaitPromise": True, "returnByValue": True}, page.session)
        exported = res["result"]["value"]
        assert exported, "speedscope's Export gave nothing"
        page.screenshot(str(BUILD / "test-artifacts" / "speedscope-sandwich.png"))
        assert page.errors == [], page.errors
    doc = json.loads(exported)
    assert doc["exporter"].startswith("speedscope@")
    assert evented_stacks(doc) == folded
