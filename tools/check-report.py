#!/usr/bin/env python3
"""Checks a site written by `benchmark report --html DIR` in a real browser.

    tools/check-report.py DIR [--screenshot PNG] [--chromium PATH]

Every page is loaded by headless Chromium (Debian's `chromium`); any console
message is an error (the pages hold no script, so a message means a script
error, a blocked resource or a policy violation).  Chromium does not log a
resource that failed to load, so every local link and source is also
resolved here: the file must exist in DIR and a `#fragment` must be an id
on that page.  A link off the site (http:, https:, //) is an error too: the
site must read offline.  --screenshot writes a PNG of index.html.
Exit status: 0 clean, 1 a page has an error (each listed), 2 bad usage or
no Chromium.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from urllib.parse import urlsplit, unquote


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.targets = set(), []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src") and value is not None:
                self.targets.append(value)


def chromium_flags(binary):
    return [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--enable-logging=stderr", "--v=0"]


def console_messages(binary, path):
    r = subprocess.run(chromium_flags(binary) + ["--dump-dom", "file://" + path],
                       capture_output=True, text=True, timeout=120)
    return [line for line in r.stderr.splitlines() if ":CONSOLE" in line]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--screenshot")
    ap.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    a = ap.parse_args()
    site = os.path.abspath(a.dir)
    if not a.chromium:
        print("check-report: no chromium (apt-get install chromium)", file=sys.stderr)
        return 2
    pages = sorted(f for f in os.listdir(site) if f.endswith(".html")) if os.path.isdir(site) else []
    if "index.html" not in pages:
        print(f"check-report: {site} has no index.html", file=sys.stderr)
        return 2
    parsed = {}
    for p in pages:
        links = Links()
        with open(os.path.join(site, p), encoding="utf-8") as f:
            links.feed(f.read())
        parsed[p] = links
    errors = []
    for p in pages:
        for t in parsed[p].targets:
            u = urlsplit(t)
            if u.scheme or t.startswith("//"):
                errors.append(f"{p}: link off the site: {t}")
                continue
            target = unquote(u.path) or p
            if target not in parsed:
                errors.append(f"{p}: {t}: no such page")
            elif u.fragment and unquote(u.fragment) not in parsed[target].ids:
                errors.append(f"{p}: {t}: no element with id {u.fragment}")
        for m in console_messages(a.chromium, os.path.join(site, p)):
            errors.append(f"{p}: console: {re.sub(r'^.*?:CONSOLE', 'CONSOLE', m)}")
    if a.screenshot:
        subprocess.run(chromium_flags(a.chromium) + ["--hide-scrollbars", "--window-size=1280,1500",
                                                      "--screenshot=" + os.path.abspath(a.screenshot),
                                                      "file://" + os.path.join(site, "index.html")],
                       capture_output=True, timeout=120)
        if not os.path.exists(a.screenshot):
            errors.append("index.html: no screenshot was written")
    for e in errors:
        print(e)
    print(f"check-report: {len(pages)} pages, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
