#!/usr/bin/env python3
"""Screenshot of a report in headless Chromium at 1400 px, for README.

    scripts/demo-screenshot.py build/demo-report docs/demo-report.png

Uses the browser driver of the integration tests (tests/integration/browser.py):
Debian's chromium, no network."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from browser import Browser  # noqa: E402


def main():
    report, out = sys.argv[1], sys.argv[2]
    with Browser() as b:
        page = b.open("file://" + os.path.abspath(os.path.join(report, "index.html")))
        page.set_width(1400, 1500)
        page.screenshot(os.path.abspath(out))
        if page.errors:
            print("errors in the page:", page.errors, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
