"""Screenshot of the editors' /admin page (docs/admin.png) over a live server with a few real events.

    .venv/bin/python docs/admin_screenshot.py   # Debian chromium; builds the index if needed
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SEARCHES = ["ban nong san qua mang", "cách nấu phở ngon", "xem kết quả xổ số", "tau ca ra khoi mat lien lac",
            "ban nong san qua mang", "nuoi ong lay mat o dau ban duoc", "sửa máy cày bị hỏng", "vneid muc 2",
            "cho con hoc tieng anh online mien phi", "gọi bác sĩ khám từ xa cho mẹ già"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = Path(tempfile.mkdtemp(prefix="langso-admin-"))
    env = {**os.environ, "LANGSO_ADMIN_TOKEN": "demo-token-for-the-screenshot",
           "LANGSO_ANALYTICS_URL": f"sqlite:///{tmp / 'events.sqlite3'}"}
    server = subprocess.Popen([sys.executable, "-m", "langso_search.cli", "serve", "--port", str(port)], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            for _ in range(600):
                try:
                    if http.get("/api/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.5)
            for q in SEARCHES:
                http.get("/api/search", params={"q": q})
            http.post("/api/events", json={"type": "open", "item_id": "postmart", "rank": 1, "query": SEARCHES[0]})
            http.post("/api/feedback", json={"query": SEARCHES[6], "helpful": False,
                                             "comment": "không có gì về sửa máy nông nghiệp"})
            http.post("/api/feedback", json={"query": SEARCHES[0], "helpful": True, "item_id": "postmart"})
            time.sleep(2)  # the writer flushes on a timer
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(f"{base}/admin")
            page.fill("#token", "demo-token-for-the-screenshot")
            page.click("#login button[type=submit]")
            page.wait_for_selector("#report:not([hidden])", timeout=30_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(ROOT / "docs" / "admin.png"), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(20)
    print(ROOT / "docs" / "admin.png")


if __name__ == "__main__":
    main()
