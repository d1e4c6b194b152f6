"""Issue 5: the exports beside index.html are what other tools read.

peak.speedscope.json is checked against the rules of speedscope's file-format
schema (https://www.speedscope.app/file-format-schema.json) for the parts
oomph writes; peak.pb.gz is read with a small pprof reader (gzip, then the
protobuf wire format of github.com/google/pprof proto/profile.proto), and
both must say what peak.folded says.  A hostile file name and source line
must come out as data everywhere."""
import gzip
import json
import os

from conftest import MiB, line_of, read_folded, run_oomph

HOSTILE = 'xss_<b>&"\'.py'


# ------------------------------------------------------------ speedscope

UNITS = {"none", "nanoseconds", "microseconds", "milliseconds", "seconds", "bytes"}


def check_speedscope(doc):
    """The schema's rules for a file of sampled profiles; returns nothing,
    raises AssertionError naming the rule broken."""
    assert doc.get("$schema") == "https://www.speedscope.app/file-format-schema.json"
    shared = doc["shared"]
    assert isinstance(shared["frames"], list)
    nframes = len(shared["frames"])
    for fr in shared["frames"]:
        assert isinstance(fr["name"], str), fr
        assert set(fr) <= {"name", "file", "line", "col"}, fr
        if "file" in fr:
            assert isinstance(fr["file"], str)
        if "line" in fr:
            assert isinstance(fr["line"], int)
    assert isinstance(doc["profiles"], list) and doc["profiles"]
    for p in doc["profiles"]:
        assert p["type"] == "sampled"
        assert isinstance(p["name"], str)
        assert p["unit"] in UNITS
        assert isinstance(p["startValue"], (int, float))
        assert isinstance(p["endValue"], (int, float))
        assert len(p["samples"]) == len(p["weights"])
        for s in p["samples"]:
            assert isinstance(s, list) and all(isinstance(i, int) and 0 <= i < nframes for i in s)
        assert all(isinstance(w, (int, float)) for w in p["weights"])
    if "activeProfileIndex" in doc:
        assert 0 <= doc["activeProfileIndex"] < len(doc["profiles"])
    assert set(doc) <= {"$schema", "shared", "profiles", "name", "activeProfileIndex", "exporter"}


def speedscope_stacks(doc):
    frames = doc["shared"]["frames"]
    p = doc["profiles"][0]
    out = {}
    for s, w in zip(p["samples"], p["weights"]):
        key = tuple((frames[i]["name"], frames[i].get("file"), frames[i].get("line")) for i in s)
        out[key] = out.get(key, 0) + w
    return out


# ------------------------------------------------------------ pprof reader

def varint(buf, i):
    x, shift = 0, 0
    while True:
        b = buf[i]
        i += 1
        x |= (b & 0x7F) << shift
        if b < 0x80:
            return x, i
        shift += 7


def fields(buf):
    """[(field number, wire type, value)] of one message."""
    out, i = [], 0
    while i < len(buf):
        k, i = varint(buf, i)
        f, wt = k >> 3, k & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 2:
            n, i = varint(buf, i)
            v = buf[i:i + n]
            i += n
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise AssertionError("bad wire type %d" % wt)
        out.append((f, wt, v))
    return out


def packed(v, wt):
    if wt == 0:
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x)
    return out


def read_pprof(data):
    msg = fields(gzip.decompress(data))
    strings = [v.decode("utf-8") for f, wt, v in msg if f == 6]
    assert strings and strings[0] == "", "string_table[0] must be empty"
    prof = {"strings": strings, "sample_type": [], "samples": [], "locations": {}, "functions": {}}
    for f, wt, v in msg:
        if f == 1:
            d = {ff: vv for ff, _, vv in fields(v)}
            prof["sample_type"].append((strings[d.get(1, 0)], strings[d.get(2, 0)]))
        elif f == 2:
            locs, vals = [], []
            for ff, w2, vv in fields(v):
                if ff == 1:
                    locs += packed(vv, w2)
                elif ff == 2:
                    vals += packed(vv, w2)
            prof["samples"].append((locs, vals))
        elif f == 4:
            d, lines = {}, []
            for ff, _, vv in fields(v):
                if ff == 4:
                    lines.append({a: b for a, _, b in fields(vv)})
                else:
                    d[ff] = vv
            prof["locations"][d[1]] = lines
        elif f == 5:
            d = {ff: vv for ff, _, vv in fields(v)}
            prof["functions"][d[1]] = (strings[d.get(2, 0)], strings[d.get(4, 0)])
    return prof


def pprof_stacks(prof):
    """{(frames root first): bytes} with frames (function, file, line)."""
    out = {}
    for locs, vals in prof["samples"]:
        frames = []
        for lid in reversed(locs):  # leaf first in pprof
            line = prof["locations"][lid][0]
            name, file = prof["functions"][line[1]]
            frames.append((name, file or None, line.get(2) or None))
        out[tuple(frames)] = out.get(tuple(frames), 0) + vals[0]
    return out


# ------------------------------------------------------------ the tests

def test_speedscope_and_pprof_say_what_peak_folded_says(debian_numpy):
    r = run_oomph("numpy_peak.py", python=debian_numpy)
    assert r.status == 0, r.describe()
    total = sum(r.folded.values())
    with open(r.dir / "peak.speedscope.json", encoding="utf-8") as f:
        doc = json.load(f)
    check_speedscope(doc)
    ss = speedscope_stacks(doc)
    assert sum(ss.values()) == total
    assert doc["profiles"][0]["unit"] == "bytes"
    assert doc["profiles"][0]["endValue"] == total
    with open(r.dir / "peak.pb.gz", "rb") as f:
        prof = read_pprof(f.read())
    assert prof["sample_type"] == [("space", "bytes")]
    pp = pprof_stacks(prof)
    assert sum(pp.values()) == total
    assert pp == ss  # the same stacks with the same bytes
    # each np.empty line holds its 200 MiB in both
    for line in (21, 24, 27):  # the three np.empty(BIG) of phase1()
        got = sum(v for k, v in pp.items() if k and k[-1][2] == line and
                  k[-1][1].endswith("numpy_peak.py"))
        assert abs(got - 200 * MiB) < 2 * MiB, (line, got)
    summary_files = set(os.listdir(r.dir))
    assert {"peak.speedscope.json", "peak.pb.gz"} <= summary_files


def test_hostile_names_are_data_in_every_export():
    r = run_oomph(HOSTILE)
    assert r.status == 0, r.describe()
    with open(r.dir / "peak.speedscope.json", encoding="utf-8") as f:
        doc = json.load(f)
    check_speedscope(doc)
    assert any(fr.get("file") == HOSTILE for fr in doc["shared"]["frames"])
    with open(r.dir / "peak.pb.gz", "rb") as f:
        prof = read_pprof(f.read())
    assert HOSTILE in prof["strings"]
    html = (r.dir / "index.html").read_text(encoding="utf-8")
    assert "<svg onload=alert(1)>" not in html
    assert "&lt;/script&gt;&lt;svg onload=alert(1)&gt;" in html
    assert "xss_&lt;b&gt;&amp;&quot;&#39;.py" in html
    for svg in ("peak.svg",):
        text = (r.dir / svg).read_text(encoding="utf-8")
        assert "<svg onload" not in text and "<b>" not in text
    key = "%s:%d" % (HOSTILE, line_of(HOSTILE, "hostile"))
    assert r.by_line().get(key, 0) >= 8 * MiB


def svg_frames(text):
    """[(depth, full label, drawn text)] of a flame graph's frames (not "other")."""
    import html as h
    import re
    out = []
    for g in text.split('<g class="f"')[1:]:
        if 'data-k="other"' in g.split(">", 1)[0]:
            continue
        n = h.unescape(re.search(r' data-n="([^"]*)"', g).group(1))
        d = int(re.search(r' data-d="(\d+)"', g).group(1))
        t = h.unescape(re.search(r"<text[^>]*>([^<]*)</text>", g).group(1))
        out.append((d, n, t))
    return out


def test_exports_keep_full_names_and_the_graphs_show_short_ones(debian_numpy):
    """Issue 15 item 2: the flame graphs name a package's frame by its path
    below dist-packages, a standard-library frame below the library, and fold
    a thread's bootstrap; peak.folded, speedscope and pprof keep every frame
    as recorded, with its full path."""
    r = run_oomph("labels_threads.py", python=debian_numpy)
    assert r.status == 0, r.describe()
    ones = [s for s in r.folded if s.endswith("(ones)") and "labels_threads.py:%d (work)" %
            line_of("labels_threads.py", "ones") in s]
    assert ones, list(r.folded)[:5]
    frames = ones[0].split(";")
    # the folded stack: the thread's bootstrap and numpy's full path
    assert frames[0].startswith("/usr/lib/python3") and frames[0].endswith(
        "threading.py:%s (Thread._bootstrap)" % frames[0].split(":")[1].split(" ")[0]), frames
    numeric = frames[-1].rsplit(":", 1)[0]
    assert numeric.startswith("/usr/lib/python3/dist-packages/numpy/"), frames
    with open(r.dir / "peak.speedscope.json", encoding="utf-8") as f:
        doc = json.load(f)
    files = {fr.get("file") for fr in doc["shared"]["frames"]}
    assert numeric in files and any(f and f.endswith("/threading.py") and f.startswith("/")
                                    for f in files), sorted(f for f in files if f)[:20]
    with open(r.dir / "peak.pb.gz", "rb") as f:
        prof = read_pprof(f.read())
    assert numeric in prof["strings"]
    assert "Thread._bootstrap" in prof["strings"]
    # the graph: data-n is the full name, the drawn label the short one
    svg = svg_frames((r.dir / "peak.svg").read_text(encoding="utf-8"))
    names = {n: (d, t) for d, n, t in svg}
    assert frames[-1] in names, sorted(names)[:20]
    short = numeric[len("/usr/lib/python3/dist-packages/"):] + ":" + frames[-1].rsplit(":", 1)[1]
    assert short.startswith("numpy/") and names[frames[-1]][1] == short, (short, names[frames[-1]])
    # the thread's bootstrap is folded: the program's function is under the root
    work = "labels_threads.py:%d (work)" % line_of("labels_threads.py", "ones")
    assert names[work][0] == 1, names[work]
    # (threading's bootstrap, that is: a stack still live from the import of
    # threading itself keeps its "threading.py (<module>)" frame, which is
    # the program's import, not a thread's plumbing; whether a sample of it
    # is live at the peak is the sampler's draw)
    assert not [n for n in names if "threading.py" in n and "(<module>)" not in n], \
        [n for n in names if "threading" in n]
    # the standard library below its directory (json/encoder.py), or its
    # function when that does not fit; never a cut path
    jsn = [(n, t) for d, n, t in svg if "/json/" in n and t]
    assert jsn, svg
    for n, t in jsn:
        func = n.rsplit(" (", 1)[1][:-1]
        assert t.startswith("json/") or t.startswith(("__init__.py", "encoder.py")) or \
            t == func or t == ".." + func.rsplit(".", 1)[-1] or \
            (t.endswith("..") and func.startswith(t[:-2])), (n, t)
    assert not [t for d, n, t in svg if t.startswith("/")], [t for d, n, t in svg if t.startswith("/")]
    # the page shows the bootstrap on request, with the same short names
    page = (r.dir / "index.html").read_text(encoding="utf-8")
    shown = page.split('id="oomph-plumbing"', 1)[1].split("</svg>", 1)[0]
    pl = {n: (d, t) for d, n, t in svg_frames(shown)}
    assert frames[0] in pl and pl[frames[0]][0] == 1, sorted(pl)[:10]
    assert pl[work][0] == 4, pl[work]
    assert 'id="oomph-show-plumbing"' in page
