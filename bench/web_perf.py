"""The page on a slow phone line: how soon a shared ``?q=`` link shows its first card, and how many bytes
the home page plus one search cost.

Chromium (Debian's, never downloaded) with CDP network emulation of slow 3G: 400 ms round trip,
400 kbit/s down and up, cache disabled, a fresh browser context per run. The app runs in-process over the
real corpus (``langso build`` first; the index is reused when fresh).

Usage: .venv/bin/python bench/web_perf.py [--runs 3] [--out bench/web_perf.json]
Targets (issue 9): first card ≤ 2.5 s; home + one search ≤ 80 KB transferred.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import httpx
import uvicorn
from playwright.sync_api import sync_playwright

from langso_search.api import create_app
from langso_search.settings import get_settings

ROOT = Path(__file__).resolve().parent
QUERY = "toi muon ban cam qua mang"
RTT_MS = 400
KBPS = 400
TARGET_FIRST_CARD_S = 2.5
TARGET_BYTES = 80 * 1024
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
FIRST_CARD_PROBE = """
new MutationObserver((_, obs) => {
  if (document.querySelector('#results .card')) { window.__firstCard = performance.now(); obs.disconnect(); }
}).observe(document, {childList: true, subtree: true});
"""


def serve() -> tuple[uvicorn.Server, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(get_settings()), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(1500):
        try:
            if httpx.get(base + "/api/ready").status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the service did not become ready (run `langso build` first?)")


class SlowTab:
    """A fresh context and page on emulated slow 3G that counts the bytes each response put on the wire."""

    def __init__(self, browser: Any, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(viewport=viewport, locale="vi-VN")
        self.page = self.context.new_page()
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("Network.enable")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        rate = KBPS * 1000 / 8
        self.cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": RTT_MS, "downloadThroughput": rate, "uploadThroughput": rate})
        self.urls: dict[str, str] = {}
        self.bytes: dict[str, int] = {}
        self.cdp.on("Network.requestWillBeSent", lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        self.cdp.on("Network.loadingFinished", lambda e: self.bytes.__setitem__(e["requestId"], e["encodedDataLength"]))

    def transferred(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for rid, n in self.bytes.items():
            url = urllib.parse.urlsplit(self.urls.get(rid, "?"))
            key = url.path + ("?…" if url.query else "")
            out[key] = out.get(key, 0) + int(n)
        return out

    def close(self) -> None:
        self.context.close()


def first_card_seconds(browser: Any, base: str) -> float:
    """A shared link opened cold on a phone: navigation start → first result card in the page."""
    tab = SlowTab(browser, {"width": 360, "height": 740})
    try:
        tab.page.add_init_script(FIRST_CARD_PROBE)
        tab.page.goto(f"{base}/?q={urllib.parse.quote_plus(QUERY)}", wait_until="commit", timeout=60_000)
        tab.page.wait_for_function("() => window.__firstCard !== undefined", timeout=60_000, polling=50)
        return tab.page.evaluate("window.__firstCard") / 1000
    finally:
        tab.close()


def home_and_search_bytes(browser: Any, base: str) -> dict[str, int]:
    """Bytes on the wire (headers + gzip bodies) for the home page, then typing one search."""
    tab = SlowTab(browser, {"width": 360, "height": 740})
    try:
        tab.page.goto(base + "/", wait_until="load", timeout=60_000)
        tab.page.wait_for_timeout(1500)  # anything the page fetches after load counts too
        tab.page.fill("#q", QUERY)
        tab.page.press("#q", "Enter")
        tab.page.wait_for_selector("#results .card", timeout=60_000)
        tab.page.wait_for_timeout(1500)
        return tab.transferred()
    finally:
        tab.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "web_perf.json")
    args = parser.parse_args()
    server, base = serve()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            first_card_seconds(browser, base)  # warm the engine's caches: the line is what we measure
            times = [first_card_seconds(browser, base) for _ in range(args.runs)]
            per_url = home_and_search_bytes(browser, base)
            browser.close()
    finally:
        server.should_exit = True
    total = sum(per_url.values())
    result = {
        "network": {"rtt_ms": RTT_MS, "down_kbps": KBPS, "up_kbps": KBPS, "cache": "disabled"},
        "query": QUERY,
        "first_card_s": {"median": round(statistics.median(times), 2), "runs": [round(t, 2) for t in times],
                         "target": TARGET_FIRST_CARD_S, "ok": statistics.median(times) <= TARGET_FIRST_CARD_S},
        "home_plus_search_bytes": {"total": total, "per_url": dict(sorted(per_url.items(), key=lambda kv: -kv[1])),
                                   "target": TARGET_BYTES, "ok": total <= TARGET_BYTES},
    }
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    fc, by = result["first_card_s"], result["home_plus_search_bytes"]
    print(f"slow 3G ({RTT_MS} ms RTT, {KBPS} kbit/s), cache off, query {QUERY!r}")
    print(f"  shared ?q= link → first card: {fc['median']:.2f} s (runs {fc['runs']}; target ≤ {TARGET_FIRST_CARD_S} s) "
          f"{'OK' if fc['ok'] else 'MISSED'}")
    print(f"  home + one search: {total / 1024:.1f} KB on the wire (target ≤ {TARGET_BYTES // 1024} KB) "
          f"{'OK' if by['ok'] else 'MISSED'}")
    for url, n in by["per_url"].items():
        print(f"    {n / 1024:7.1f} KB  {url}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
