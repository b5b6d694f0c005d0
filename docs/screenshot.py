"""Regenerate docs/screenshot.png: a 360 px phone opening a shared link of an unaccented query, and the end of
a story there ("Làm theo thế nào"), side by side.

Usage: .venv/bin/python docs/screenshot.py   (needs Debian chromium and the dev extra: playwright)
"""

from __future__ import annotations

import io
import socket
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from PIL import Image
from playwright.sync_api import sync_playwright

from langso_search.api import create_app
from langso_search.settings import get_settings

OUT = Path(__file__).with_name("screenshot.png")
QUERY = "tau ca ra khoi mat lien lac voi gia dinh"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(get_settings()), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/ready").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2)
        page.goto(f"http://127.0.0.1:{port}/?q={QUERY.replace(' ', '+')}")
        page.wait_for_selector("#results .card")
        page.evaluate("document.fonts.ready.then(() => true)")
        page.wait_for_timeout(300)
        shots.append(Image.open(io.BytesIO(page.screenshot())))  # a shared link on a phone: answers at once
        page.click("#results .card--story .card__link")
        page.wait_for_function("document.querySelector('#detail').getAttribute('aria-busy') === 'false'")
        page.evaluate("document.querySelector('#detail .howto').scrollIntoView({block: 'start'})")
        page.evaluate("document.querySelector('#detail').scrollBy(0, -70)")
        page.wait_for_timeout(300)
        shots.append(Image.open(io.BytesIO(page.screenshot())))  # the end of a story: what to do now
        browser.close()
    server.should_exit = True
    canvas = Image.new("RGB", (sum(s.width for s in shots) + 24, max(s.height for s in shots)), "white")
    x = 0
    for shot in shots:
        canvas.paste(shot, (x, 0))
        x += shot.width + 24
    canvas.save(OUT, optimize=True)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
