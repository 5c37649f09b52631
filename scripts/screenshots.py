"""Screenshots of the demo council's main screens, to look at before a change lands.

Seeds a fresh SQLite database with the demo in a temporary folder, serves it
with ``python -m council.server`` (gevent, as an operator would), signs in
as the demo people, and writes one PNG per screen and width:

    .venv/bin/python scripts/screenshots.py [--out shots] [--widths 1440,1920] [--only room,wall]

Screens: dashboard (duty), room (duty, the ransomware room), console (the
planned drill as its controller, after STARTEX and one release), wall (its
wall clock), player (the drill as a player), register, report, actions.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "council-demo-2026"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(db: Path) -> None:
    env = {**os.environ, "COUNCIL_DATABASE_URL": f"sqlite:///{db}", "COUNCIL_SECRET_KEY": "screenshots"}
    for cmd in (["council", "init"], ["council", "seed-demo"]):
        subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", *cmd], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="shots")
    parser.add_argument("--widths", default="1440,1920")
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    only = set(filter(None, args.only.split(",")))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "council.db"
        seed(db)
        port = _port()
        env = {**os.environ, "COUNCIL_DATABASE_URL": f"sqlite:///{db}", "COUNCIL_SECRET_KEY": "screenshots",
               "COUNCIL_ASYNC_MODE": "gevent"}
        server = subprocess.Popen([sys.executable, "-m", "council.server", "--port", str(port)], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            shoot(base, out, [int(w) for w in args.widths.split(",")], only, db)
        finally:
            server.terminate()
            server.wait(10)
    return 0


def shoot(base: str, out: Path, widths: list[int], only: set[str], db: Path) -> None:
    from playwright.sync_api import sync_playwright
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        room = conn.execute(text("SELECT id FROM rooms WHERE title LIKE 'Ransomware%'")).scalar()
        planned = conn.execute(text("SELECT id, room_id FROM exercises WHERE state = 'planned'")).first()
        report = conn.execute(text("SELECT id FROM reports WHERE status = 'published' ORDER BY id")).scalar()
        player = conn.execute(text(
            "SELECT u.email FROM exercise_participants p JOIN users u ON u.id = p.user_id "
            "WHERE p.exercise_id = :e AND p.role = 'player' ORDER BY u.email"), {"e": planned.id}).scalar()
        controller = conn.execute(text(
            "SELECT u.email FROM exercise_participants p JOIN users u ON u.id = p.user_id "
            "WHERE p.exercise_id = :e AND p.role IN ('controller') ORDER BY u.email"), {"e": planned.id}).scalar()
    engine.dispose()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)

        def signed_in(email: str, width: int):  # type: ignore[no-untyped-def]
            context = browser.new_context(viewport={"width": width, "height": 900 if width < 1900 else 1080})
            page = context.new_page()
            page.goto(base + "/login")
            page.fill("#email", email)
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.click("button[type=submit]")
            return page

        started = False
        for width in widths:
            screens = [
                ("dashboard", "duty@ncert.example", "/", None),
                ("room", "duty@ncert.example", f"/rooms/{room}", "[data-conn].conn-live"),
                ("console", controller, f"/rooms/{planned.room_id}", "[data-conn].conn-live"),
                ("wall", controller, f"/exercises/{planned.id}/wall", "[data-wall-conn].conn-live"),
                ("player", player, f"/rooms/{planned.room_id}", "[data-conn].conn-live"),
                ("register", "duty@ncert.example", "/decisions", None),
                ("report", "duty@ncert.example", f"/reports/{report}", None),
                ("actions", "ops@govcert.example", "/corrective-actions/", None),
            ]
            for name, email, path, ready in screens:
                if only and name not in only:
                    continue
                page = signed_in(email, width)
                if name == "console" and not started:
                    page.goto(base + path)
                    page.wait_for_selector(ready)
                    page.click("[data-clock=start]")
                    page.locator("[data-ex-state]", has_text="Running").wait_for()
                    page.locator("[data-ex-upcoming] [data-release]").first.click()
                    page.locator("[data-ex-released] li").first.wait_for()
                    started = True
                page.goto(base + path)
                if ready:
                    page.wait_for_selector(ready)
                page.wait_for_timeout(400)  # let fonts and the first clock tick settle before the picture
                page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=False)
                page.context.close()
        browser.close()


if __name__ == "__main__":
    raise SystemExit(main())
