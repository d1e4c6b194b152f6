"""Reading what the command wrote: summary.json and folded stacks
(docs/report-format.md), and the lines of text the plugin and the magic show."""
import json
import linecache
import os
import re

from ._sizes import format_size

_FRAME_RE = re.compile(r"^(?P<file>.*):(?P<line>\d+) \((?P<func>.*)\)$")


def load_summary(run_dir):
    """RUN_DIR/summary.json as a dict, or None when it is not there (yet)."""
    try:
        with open(os.path.join(run_dir, "summary.json"), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def parse_frame(frame):
    """(file, line, function) for `FILE:LINE (FUNC)`, None for a synthetic frame."""
    m = _FRAME_RE.match(frame)
    if not m:
        return None
    return m.group("file"), int(m.group("line")), m.group("func")


def read_folded(path):
    """[(frames, bytes)] of a folded-stack file, root first."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, sep, count = line.rstrip("\n").rpartition(" ")
            if sep and count.isdigit():
                out.append((stack.split(";"), int(count)))
    return out


def _own(file):
    """A frame of the program's own code: its file is relative to the run's
    working directory (the report writes files under it that way)."""
    return not os.path.isabs(file) and not file.startswith("<")


def lines_of_folded(stacks, n=5):
    """[(bytes, file, line, function)], largest first: the bytes of each stack go
    to its innermost frame of the program's own code (a file under the run's
    directory), else to its innermost Python frame, else to its leaf's name."""
    totals = {}
    for frames, nbytes in stacks:
        key = None
        parsed = [parse_frame(fr) for fr in frames]
        for p in reversed(parsed):
            if p and _own(p[0]):
                key = p
                break
        if key is None:
            key = next((p for p in reversed(parsed) if p), None) or (frames[-1], 0, "")
        totals[key] = totals.get(key, 0) + nbytes
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])[:n]
    return [(b, f, l, fn) for (f, l, fn), b in ranked]


def relative(file, base):
    """file relative to base when it is under it (as the report writes them)."""
    if base and os.path.isabs(file):
        rel = os.path.relpath(file, base)
        if not rel.startswith(".." + os.sep) and rel != "..":
            return rel
    return file


def source_text(file, line, base=None):
    """The source line, stripped ("" if unknown)."""
    if not line:
        return ""
    path = file if os.path.isabs(file) or base is None else os.path.join(base, file)
    return linecache.getline(path, line).strip()


def describe_lines(lines, base=None, indent="  "):
    """Text lines `SIZE  FILE:LINE (FUNC)  source` for [(bytes, file, line, func)]."""
    out = []
    for nbytes, file, line, func in lines:
        shown = relative(file, base)
        where = "%s:%d (%s)" % (shown, line, func) if line else file
        src = source_text(file, line, base)
        out.append("%s%10s  %s%s" % (indent, format_size(nbytes), where,
                                     ("  " + src) if src else ""))
    return out


def describe_own_lines(stacks, base=None, n=5, indent="  "):
    """describe_lines() of the program's own lines in folded stacks (the test,
    the script: files under the run's directory), then one line for the rest
    (the interpreter, imports, the test runner)."""
    lines = lines_of_folded(stacks, n=1 << 30)
    total = sum(x[0] for x in lines)
    own = [x for x in lines if x[2] and _own(x[1]) and x[0] * 100 >= total]
    shown = own[:n] if own else lines[:n]
    rest = total - sum(x[0] for x in shown)
    out = describe_lines(shown, base, indent)
    if rest > 0:
        out.append("%s%10s  elsewhere (the interpreter, imports, the test runner, ...)"
                   % (indent, format_size(rest)))
    return out
