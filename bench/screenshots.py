"""`python -m bench.screenshots`: the README's pictures of the web channel, taken in Debian's
headless Chromium from a real server over the shipped knowledge base: the chat with an answer
and the process map, each at phone width (390 px) and desktop width (1280 px), and the admins'
overview over three weeks of made-up questions."""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bot.channels.web.app import create_app
from bot.service import Rehabbot
from bot.settings import shipped_kb_dir
from bot.store import open_store
from bot.store.gateway import StoreGateway

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def _example_store(directory: Path) -> StoreGateway:
    """A store with an admin account and three weeks of made-up questions, for the overview's picture."""
    store = open_store(f"sqlite:///{directory / 'screenshots.db'}")
    store.admin.add("anna", "ett-långt-lösenord", "editor")
    rng = random.Random(7)
    now = time.time()
    with store.db.transaction() as tx:
        for day in range(21):
            for _ in range(rng.randint(15, 45)):
                status = rng.choices(("answer", "suggest", "fallback", "crisis", "smalltalk"), (70, 14, 9, 2, 5))[0]
                tx.execute("INSERT INTO question_log (ts, channel, mode, lang, question, status) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           (now - day * 86_400 - rng.random() * 80_000, rng.choice(("web", "telegram", "web")),
                            rng.choice(("staff", "individual")), rng.choice(("sv", "sv", "sv", "en")),
                            "en fråga", status))
    return StoreGateway(store)


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="rehabbot-screenshots-"))
    app = create_app(Rehabbot(shipped_kb_dir()), _example_store(tmp))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=8765, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--hide-scrollbars", "--force-device-scale-factor=1"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        for width, height in ((390, 1400), (1280, 1100)):
            driver.delete_all_cookies()
            driver.set_window_size(width, height)
            driver.get("http://127.0.0.1:8765/")
            driver.find_element(By.ID, "q").send_keys("Vem kallar till SIP?")
            driver.find_element(By.CSS_SELECTOR, "#ask button[type=submit]").click()
            WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".turn"))
            driver.execute_script("window.scrollTo(0, 0)")
            driver.save_screenshot(str(OUT / f"chat-{width}.png"))
            driver.get("http://127.0.0.1:8765/karta?aktor=forsakringskassan" + ("&bara=1" if width < 600 else ""))
            driver.save_screenshot(str(OUT / f"map-{width}.png"))
        driver.delete_all_cookies()
        driver.set_window_size(1280, 1100)
        driver.get("http://127.0.0.1:8765/admin/login")
        driver.find_element(By.ID, "name").send_keys("anna")
        driver.find_element(By.ID, "password").send_keys("ett-långt-lösenord")
        driver.find_element(By.CSS_SELECTOR, ".login button").click()
        WebDriverWait(driver, 60).until(lambda d: d.current_url.endswith("/admin"))
        driver.save_screenshot(str(OUT / "admin-overview-1280.png"))
    finally:
        driver.quit()
        server.should_exit = True
        thread.join()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"skrev {', '.join(sorted(p.name for p in OUT.glob('*.png')))} i {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
