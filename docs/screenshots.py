"""Retake the README's screenshots: a fresh demo practice, served and shown in Chromium.

python docs/screenshots.py            # writes docs/*.png
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def main() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = tempfile.mkdtemp(prefix="casebook-shots-")
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("casebook")), "run", "--port", str(port)],
        env={**os.environ, "CASEBOOK_HOME": home},
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 950})
            page.goto(url)
            page.get_by_label("User name").fill("morgan")
            page.get_by_label("Password", exact=True).fill("rekindle-demo")
            page.screenshot(path=OUT / "login.png")
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("heading", name="Dashboard").wait_for()
            page.wait_for_timeout(1500)
            page.screenshot(path=OUT / "dashboard.png")
            page.get_by_role("link", name="Cases").first.click()
            page.get_by_role("heading", name="Cases").wait_for()
            page.wait_for_timeout(1000)
            page.screenshot(path=OUT / "cases.png")
            page.get_by_role("link", name="Sam O'Connor").first.click()
            page.get_by_role("heading", name="Case #3").wait_for()
            page.wait_for_timeout(1000)
            page.screenshot(path=OUT / "case.png")
            page.get_by_role("link", name="Progress charts").click()
            page.get_by_role("heading", name="Progress", level=1).wait_for()
            page.wait_for_timeout(2500)
            page.screenshot(path=OUT / "progress.png")
            page.get_by_role("link", name="Case #3").click()
            page.get_by_role("tab", name="Notes").click()
            page.locator("a[href*='note?note=']").first.click()
            page.get_by_role("heading", name="Session note").wait_for()
            page.wait_for_timeout(1500)
            page.screenshot(path=OUT / "note.png")
            browser.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
