"""Jupyter: a kernel that runs under oomph, and the %%oomph cell magic.

    oomph jupyter install [--user | --sys-prefix | --prefix DIR] [--name NAME]
        registers the kernel "Python 3 (oomph)": this environment's Python
        running ipykernel under `oomph run` (kernel.json's argv starts with the
        oomph command).  Default --user; JUPYTER_DATA_DIR is honoured.
    oomph jupyter uninstall [...same options...]

In that kernel:
    %load_ext oomph
    %%oomph [--top N] [--name NAME]
    <cell>
runs the cell as a phase of the kernel and shows, as self-contained HTML, the
cell's peak (above what was live when it began), what it left live, its top
lines (the cell's own lines numbered as in the cell, the %%oomph line being
line 1) and the flame graph of the phase from a snapshot of the report.  The
same numbers are in the output's "application/vnd.oomph.cell+json" data.
In a kernel not run by oomph, %load_ext oomph says how to switch.
"""
import argparse
import ast
import html
import json
import linecache
import os
import re
import shutil
import sys
import tempfile

from . import _control, _native, _report
from ._sizes import format_size

KERNEL_NAME = "oomph"
DISPLAY_NAME = "Python 3 (oomph)"
MIME = "application/vnd.oomph.cell+json"
SNAPSHOT_TIMEOUT_S = 30.0

SWITCH_HELP = (
    "oomph: this kernel does not run under oomph's tracker, so %%oomph cannot measure "
    "memory here (cells marked %%oomph run unmeasured).\n"
    "To measure: install the oomph kernel once, from a terminal in the environment that has "
    "oomph:\n"
    "    oomph jupyter install        (or: python -m oomph jupyter install)\n"
    "then choose the kernel \"" + DISPLAY_NAME + "\" (Kernel > Change Kernel...), and run "
    "%load_ext oomph again.")


# ------------------------------------------------------------------ kernel spec

def _data_dir(opts):
    if opts.prefix:
        return os.path.join(os.path.abspath(opts.prefix), "share", "jupyter")
    if opts.sys_prefix:
        return os.path.join(sys.prefix, "share", "jupyter")
    try:
        from jupyter_core.paths import jupyter_data_dir
        return jupyter_data_dir()
    except ImportError:
        if os.environ.get("JUPYTER_DATA_DIR"):
            return os.environ["JUPYTER_DATA_DIR"]
        base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
        return os.path.join(base, "jupyter")


def kernel_spec():
    """kernel.json for this environment's Python under the oomph command."""
    return {
        "argv": [_native.command_path(), "run", "--quiet", "--python", sys.executable,
                 "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "metadata": {"oomph": {"python": sys.executable}},
    }


def _parser():
    p = argparse.ArgumentParser(prog="oomph jupyter",
                                description="Jupyter kernel that runs under oomph")
    sub = p.add_subparsers(dest="action")
    for name, helptext in (("install", "register the kernel \"%s\"" % DISPLAY_NAME),
                           ("uninstall", "remove it")):
        s = sub.add_parser(name, help=helptext)
        where = s.add_mutually_exclusive_group()
        where.add_argument("--user", action="store_true",
                           help="for this user (the default): the Jupyter data directory")
        where.add_argument("--sys-prefix", action="store_true",
                           help="in this environment: sys.prefix/share/jupyter")
        where.add_argument("--prefix", metavar="DIR", help="in DIR/share/jupyter")
        s.add_argument("--name", default=KERNEL_NAME,
                       help="the kernel's name (default %s)" % KERNEL_NAME)
        if name == "install":
            s.add_argument("--display-name", default=DISPLAY_NAME,
                           help="the name shown in Jupyter (default %r)" % DISPLAY_NAME)
    return p


def main(argv):
    p = _parser()
    opts = p.parse_args(argv)
    if opts.action is None:
        p.print_help()
        return 64
    kdir = os.path.join(_data_dir(opts), "kernels", opts.name)
    if opts.action == "uninstall":
        if not os.path.isdir(kdir):
            sys.stderr.write("oomph: no kernel %r in %s\n" % (opts.name, os.path.dirname(kdir)))
            return 1
        shutil.rmtree(kdir)
        print("oomph: removed the kernel %r (%s)" % (opts.name, kdir))
        return 0
    try:
        spec = kernel_spec()
    except _native.NotBuiltError as e:
        sys.stderr.write("%s\n" % e)
        return 72
    spec["display_name"] = opts.display_name
    os.makedirs(kdir, exist_ok=True)
    tmp = os.path.join(kdir, ".kernel.json.tmp.%d" % os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")
    os.replace(tmp, os.path.join(kdir, "kernel.json"))
    print("oomph: installed the kernel %r (\"%s\") in %s" % (opts.name, opts.display_name, kdir))
    try:
        import ipykernel  # noqa: F401  (the kernel needs it in this environment)
    except ImportError:
        print("oomph: this environment has no ipykernel, which the kernel runs: install it "
              "(pip install ipykernel, or on Debian apt install python3-ipykernel)")
    return 0


# ------------------------------------------------------------------ the magic

_cells = [0]


def load_ipython_extension(ipython):
    ipython.register_magic_function(_oomph_cell_magic, "cell", "oomph")
    if not _control.active():
        print(SWITCH_HELP)


def _magic_parser():
    p = argparse.ArgumentParser(prog="%%oomph", add_help=False)
    p.add_argument("--top", type=int, default=10)
    p.add_argument("--name", default=None)
    p.add_argument("--no-flamegraph", action="store_true")
    return p


def _compile_cell(ipython, cell, filename):
    """The cell as code objects (body, last expression or None), its lines
    numbered as in the notebook cell: line 1 is the %%oomph line."""
    source = ipython.transform_cell(cell) if ipython is not None else cell
    tree = ast.parse(source, filename=filename, mode="exec")
    ast.increment_lineno(tree, 1)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    body = compile(tree, filename, "exec")
    return body, (compile(last, filename, "eval") if last is not None else None), source


def _cell_file(count):
    """Where the cell's code says it comes from: a real file, so the report
    (written by the command, which reads source files) shows the cell's lines,
    and a path like any program's, so the cell's frames count as the program's
    own code.  Named like ipykernel's own cell files."""
    d = os.path.join(tempfile.gettempdir(), "oomph-cells-%d" % os.getpid())
    return os.path.join(d, "cell-%s.py" % count)


def _write_cell(path, text):
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError:
        pass  # only the report's source column is lost


def _run(body, last, ns):
    exec(body, ns)
    return eval(last, ns) if last is not None else None


def _oomph_cell_magic(line, cell):
    from IPython import get_ipython
    ip = get_ipython()
    try:
        opts = _magic_parser().parse_args(line.split())
    except SystemExit:
        print("usage: %%oomph [--top N] [--name NAME] [--no-flamegraph]")
        return None
    _cells[0] += 1
    count = getattr(ip, "execution_count", None) or _cells[0]
    filename = _cell_file(count)
    body, last, source = _compile_cell(ip, cell, filename)
    lines = [("%%oomph " + line).rstrip()] + source.splitlines()
    text = "".join(x + "\n" for x in lines)
    _write_cell(filename, text)
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    ns = ip.user_ns if ip is not None else {}
    if not _control.active():
        print(SWITCH_HELP)
        return _run(body, last, ns)
    name = opts.name or "cell [%s]" % count
    phase = _control.phase_begin(name)
    error = None
    try:
        value = _run(body, last, ns)
    except BaseException as e:  # MemoryError above all: the report matters most then
        error, value = e, None
    finally:
        _control.phase_end(phase)
    _show(phase, name, filename, lines, opts, error)
    if error is not None:
        raise error
    return value


def cell_report(phase, name, filename, lines, top=10, flamegraph=True):
    """{name, peak_above_start_bytes, left_live_bytes, peak_bytes, start_bytes,
    top: [{bytes, file, line, function, cell_line, source}], svg} of a phase."""
    info = _control.phase_info(phase)
    out = {"name": name, "phase": phase, "start_bytes": info.start_bytes,
           "peak_bytes": info.peak_bytes, "peak_above_start_bytes": info.peak_above_start_bytes,
           "left_live_bytes": info.left_live_bytes, "end_bytes": info.end_bytes,
           "duration_s": (info.end_s - info.start_s) if info.end_s is not None else None,
           "top": [], "svg": None, "snapshot": None}
    for t in _control.phase_top(phase, "peak", top):
        own = t.file == filename
        src = lines[t.line - 1].strip() if own and 0 < t.line <= len(lines) else \
            _report.source_text(t.file, t.line)
        out["top"].append({"bytes": t.bytes, "file": t.file, "line": t.line,
                           "function": t.function, "cell_line": t.line if own else None,
                           "source": src})
    if flamegraph:
        out["svg"], out["snapshot"] = _phase_svg(phase, name)
    return out


def _phase_svg(phase, name):
    """(HTML document of the phase's flame graph, snapshot dir), from a snapshot of
    the report: the SVG file its summary.json entry names ("svg"), else the
    phase's graph inline in the snapshot's index.html (which draws the largest
    phases only), with the page's flame-graph script."""
    try:
        d = _control.snapshot(None, SNAPSHOT_TIMEOUT_S)  # RUN_DIR/snapshots/<n>-<s>/
    except _control.OomphError:
        return None, None
    s = _report.load_summary(d) or {}
    for p in s.get("phases") or []:
        if p.get("id") == phase or (p.get("id") is None and p.get("name") == name):
            rel = p.get("svg")
            if rel and os.path.isfile(os.path.join(d, rel)):
                with open(os.path.join(d, rel), encoding="utf-8") as f:
                    return f.read(), d
    return _svg_from_page(os.path.join(d, "index.html"), phase), d


def _svg_from_page(path, phase):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            page = f.read()
    except OSError:
        return None
    m = re.search(r'<details class="phase" data-phase="%d"[^>]*>.*?<div class="flame">\s*'
                  r'(<svg\b.*?</svg>)' % phase, page, re.S)
    if not m:
        return None
    script = next((x for x in re.findall(r"<script>(.*?)</script>", page, re.S)
                   if "oomph-flame" in x), "")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'></head>"
            "<body style='margin:0'>%s<script>%s</script></body></html>" % (m.group(1), script))


def _show(phase, name, filename, lines, opts, error):
    try:
        rep = cell_report(phase, name, filename, lines, opts.top, not opts.no_flamegraph)
    except _control.OomphError as e:
        print("oomph: %s" % e)
        return
    from IPython.display import display
    data = {k: v for k, v in rep.items() if k != "svg"}
    if error is not None:
        data["error"] = "%s: %s" % (type(error).__name__, error)
    display({"text/html": render_html(rep, error), "text/plain": render_text(rep), MIME: data},
            raw=True)


def _where(t):
    if t["cell_line"]:
        return "cell line %d" % t["cell_line"]
    return "%s:%d (%s)" % (t["file"], t["line"], t["function"]) if t["line"] else t["file"]


def render_text(rep):
    out = ["oomph: %s: peak %s above its start, %s left live" % (
        rep["name"], format_size(rep["peak_above_start_bytes"]),
        format_size(rep["left_live_bytes"]))]
    for t in rep["top"]:
        out.append("  %10s  %s  %s" % (format_size(t["bytes"]), _where(t), t["source"]))
    return "\n".join(out)


def render_html(rep, error=None):
    e = html.escape
    rows = "".join(
        "<tr><td style='text-align:right'>%s</td><td style='text-align:left'>%s</td>"
        "<td style='text-align:left'><code>%s</code></td></tr>"
        % (e(format_size(t["bytes"])), e(_where(t)), e(t["source"])) for t in rep["top"])
    parts = [
        "<div class='oomph-cell' style='font-family:sans-serif;font-size:13px'>",
        "<div><b>oomph</b> %s: peak <b>%s</b> above its start (%s in all), "
        "%s left live%s</div>" % (
            e(rep["name"]), e(format_size(rep["peak_above_start_bytes"])),
            e(format_size(rep["peak_bytes"])), e(format_size(rep["left_live_bytes"])),
            "; the cell raised %s" % e(type(error).__name__) if error is not None else ""),
    ]
    if rows:
        parts.append("<table style='border-collapse:collapse;margin:4px 0'>"
                     "<tr><th>at the peak</th><th style='text-align:left'>line</th>"
                     "<th style='text-align:left'>source</th></tr>%s</table>"
                     % rows)
    if rep.get("svg"):
        # An iframe keeps the graph's script and ids apart from the notebook's.
        parts.append("<iframe style='width:100%%;height:%dpx;border:0' srcdoc=\"%s\"></iframe>"
                     % (_svg_height(rep["svg"]) + 20, e(rep["svg"], quote=True)))
    if rep.get("snapshot"):
        parts.append("<div style='color:#666'>report: %s</div>"
                     % e(os.path.join(rep["snapshot"], "index.html")))
    parts.append("</div>")
    return "".join(parts)


def _svg_height(svg):
    """The graph's height at the iframe's width (its viewBox, for 1200 wide)."""
    m = re.search(r"<svg[^>]*\sviewBox=\"0 0 (\d+) (\d+)\"", svg)
    return min(int(m.group(2)), 2000) if m else 400
