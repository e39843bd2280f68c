"""The web channel in a real browser: Debian's headless Chromium driven by Selenium.

axe-core (bundled with axe-core-python, so nothing is fetched) checks every page type
against WCAG 2.1 A and AA and must find no violation; the chat is used with the keyboard
alone; the map is opened and zoomed at phone width. Without Chromium these tests skip on a
developer's machine and fail in CI, which installs it (.ci/system-packages.sh).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_server import WebServer

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PHONE, DESKTOP = (390, 844), (1280, 900)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (CHROMIUM and CHROMEDRIVER):
        reason = "Chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--lang=sv-SE", "--force-device-scale-factor=1"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: object, condition: object) -> None:
    """Until `condition(driver)` holds; an element replaced under it (the page moved on) is tried again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(driver, 60, ignored_exceptions=[StaleElementReferenceException]).until(condition)


def size(driver: object, width: int, height: int) -> None:
    driver.set_window_size(width, height)  # type: ignore[attr-defined]


def axe_violations(driver: object) -> list[str]:
    from axe_core_python.selenium import Axe
    result = Axe().run(driver, options=WCAG_21_AA)
    return [f"{v['id']} ({v['impact']}): {v['help']} – " + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in result["violations"]]


def fresh(driver: object, web: WebServer, path: str = "/") -> None:
    driver.delete_all_cookies()  # type: ignore[attr-defined]
    driver.get(web.url + path)  # type: ignore[attr-defined]


def ask(driver: object, question: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    before = len(driver.find_elements(By.CSS_SELECTOR, ".turn"))  # type: ignore[attr-defined]
    box = driver.find_element(By.ID, "q")  # type: ignore[attr-defined]
    box.send_keys(question)
    driver.find_element(By.CSS_SELECTOR, "#ask button[type=submit]").click()  # type: ignore[attr-defined]
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".turn")) > before)
    wait(driver, ec.presence_of_element_located((By.ID, "q")))


PAGES = ["/", "/kunskap", "/kunskap/ordlista", "/kunskap?q=vem+kallar+till+sip", "/kunskap/sip",
         "/kunskap/forsakringskassan", "/karta", "/karta?aktor=forsakringskassan&bara=1", "/om",
         "/tillganglighet", "/embed", "/finns-inte"]


@pytest.mark.graphviz
@pytest.mark.parametrize("path", PAGES)
def test_every_page_type_has_no_wcag_21_aa_violation(browser: object, web: WebServer, path: str) -> None:
    fresh(browser, web, path)
    assert axe_violations(browser) == []


@pytest.mark.parametrize("question", ["vem kallar till sip", "pengar", "jag vill ta mitt liv",
                                      "<b>hej</b> 850101-1236"])
def test_the_chat_with_an_answer_a_suggestion_a_crisis_reply_has_no_violation(
        browser: object, web: WebServer, question: str) -> None:
    fresh(browser, web)
    ask(browser, question)
    assert axe_violations(browser) == []


def test_the_chat_in_english_for_an_individual_has_no_violation(browser: object, web: WebServer) -> None:
    from selenium.webdriver.common.by import By
    fresh(browser, web)
    browser.find_element(By.ID, "mode-individual").click()  # type: ignore[attr-defined]
    browser.find_element(By.ID, "lang-en").click()  # type: ignore[attr-defined]
    browser.find_element(By.CSS_SELECTOR, ".settings button[type=submit]").click()  # type: ignore[attr-defined]
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    ask(browser, "who calls a SIP meeting")
    assert axe_violations(browser) == []


def test_the_chat_can_be_used_with_the_keyboard_alone(browser: object, web: WebServer) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    fresh(browser, web)
    size(browser, *PHONE)
    active = lambda: browser.switch_to.active_element  # type: ignore[attr-defined]  # noqa: E731
    body = browser.find_element(By.TAG_NAME, "body")  # type: ignore[attr-defined]
    body.send_keys(Keys.TAB)
    assert active().get_attribute("class") == "skip" and active().is_displayed()  # visible when focused
    active().send_keys(Keys.ENTER)
    for _ in range(40):  # Tab on until the question box
        if active().get_attribute("id") == "q":
            break
        active().send_keys(Keys.TAB)
    assert active().get_attribute("id") == "q"
    active().send_keys("vad gör finsamteam")
    active().send_keys(Keys.TAB)
    assert active().text == "Skicka"
    active().send_keys(Keys.ENTER)
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".turn"))
    # The new answer has the focus, so a screen reader reads it and Tab goes on from there.
    wait(browser, lambda d: (d.switch_to.active_element.get_attribute("id") or "")
                                     .startswith("turn-"))
    assert "Finsamteam" in active().text
    for _ in range(20):  # Tab to the first "Se även" button and open it with the space bar
        active().send_keys(Keys.TAB)
        if "link-button" in (active().get_attribute("class") or ""):
            break
    title = active().text
    active().send_keys(Keys.SPACE)
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".turn")) == 2)
    assert title in browser.find_elements(By.CSS_SELECTOR, ".turn")[-1].text  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", [320, 390])
def test_nothing_scrolls_sideways_at_phone_width(browser: object, web: WebServer, width: int) -> None:
    for path in ("/", "/kunskap/sip", "/om", "/tillganglighet"):
        fresh(browser, web, path)
        size(browser, width, 800)
        wide = browser.execute_script(  # type: ignore[attr-defined]
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 0, f"{path} at {width} px is {wide} px too wide"


@pytest.mark.graphviz
def test_the_map_on_a_phone_scrolls_in_its_frame_and_zooms(browser: object, web: WebServer,
                                                          tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    fresh(browser, web, "/karta")
    size(browser, *PHONE)
    svg = browser.find_element(By.CSS_SELECTOR, ".map-frame svg")  # type: ignore[attr-defined]
    frame = browser.find_element(By.CSS_SELECTOR, ".map-frame")  # type: ignore[attr-defined]
    assert svg.size["width"] > frame.size["width"]  # legible at its own size, scrolled in the frame
    assert browser.execute_script(  # type: ignore[attr-defined]
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    before = svg.size["width"]
    browser.find_element(By.CSS_SELECTOR, "[data-zoom=in]").click()  # type: ignore[attr-defined]
    assert svg.size["width"] > before
    browser.find_element(By.CSS_SELECTOR, "[data-zoom=fit]").click()  # type: ignore[attr-defined]
    assert svg.size["width"] <= frame.size["width"] + 1
    link = browser.find_element(By.CSS_SELECTOR, ".map-frame svg a")  # type: ignore[attr-defined]
    assert (link.get_attribute("href") or link.get_attribute("xlink:href") or "").find("/kunskap/") >= 0
    browser.save_screenshot(str(tmp_path / "map-390.png"))  # type: ignore[attr-defined]
    assert (tmp_path / "map-390.png").stat().st_size > 10_000


def test_the_embed_opens_the_chat_in_a_frame_on_another_site_and_it_answers(browser: object, web: WebServer) -> None:
    import threading
    import time

    import uvicorn
    from selenium.webdriver.common.by import By
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route
    from web_server import free_port

    # Samordningsförbundet's own site, on another origin ("localhost" is another site than "127.0.0.1").
    host_page = ('<!doctype html><html lang="sv"><head><title>Förbundet</title></head><body><h1>Förbundet</h1>'
                 f'<script src="{web.url}/embed.js" defer></script></body></html>')
    site = Starlette(routes=[Route("/", lambda request: HTMLResponse(host_page))])
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(site, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        browser.delete_all_cookies()  # type: ignore[attr-defined]
        browser.get(f"http://localhost:{port}/")  # type: ignore[attr-defined]
        opener = browser.find_element(By.XPATH, "//button[text()='Fråga Rehabbot']")  # type: ignore[attr-defined]
        opener.click()
        assert opener.get_attribute("aria-expanded") == "true"
        frame = browser.find_element(By.TAG_NAME, "iframe")  # type: ignore[attr-defined]
        assert frame.get_attribute("title") == "Rehabbots chatt"
        browser.switch_to.frame(frame)  # type: ignore[attr-defined]
        wait(browser, lambda d: d.find_elements(By.ID, "q"))
        ask(browser, "vem kallar till sip")
        ask(browser, "och vad gör finsamteam")
        turns = browser.find_elements(By.CSS_SELECTOR, ".turn")  # type: ignore[attr-defined]
        assert len(turns) == 2 and "SIP" in turns[0].text  # one conversation across both questions
        browser.switch_to.default_content()  # type: ignore[attr-defined]
    finally:
        server.should_exit = True
        thread.join()


ADMIN_PAGES = ["/admin", "/admin/obesvarade", "/admin/aterkoppling", "/admin/poster", "/admin/poster/sip",
               "/admin/poster/forsakringskassan",
               "/admin/publicera", "/admin/publicera?fil=faq.yaml", "/admin/versioner", "/admin/logg"]


def admin_login(browser: object, web: WebServer) -> None:
    from selenium.webdriver.common.by import By
    from web_server import EDITOR, PASSWORD
    fresh(browser, web, "/admin/login")
    assert axe_violations(browser) == []
    browser.find_element(By.ID, "name").send_keys(EDITOR)  # type: ignore[attr-defined]
    browser.find_element(By.ID, "password").send_keys(PASSWORD)  # type: ignore[attr-defined]
    browser.find_element(By.CSS_SELECTOR, ".login button").click()  # type: ignore[attr-defined]
    wait(browser, lambda d: d.current_url.endswith("/admin"))


def test_the_admin_pages_have_no_wcag_21_aa_violation(browser: object, admin_web: WebServer) -> None:
    from selenium.webdriver.common.by import By
    store = admin_web.store.store
    for status in ("answer", "fallback", "suggest", "crisis"):
        log_id = store.log_question(channel="web", mode="staff", lang="sv", entry_id="sip",
                                    question=f"hur söker jag färdtjänst {status}", status=status,
                                    confidence=0.5, elapsed_ms=2.0)
    store.add_feedback(log_id, -7, -1)
    admin_login(browser, admin_web)
    size(browser, *DESKTOP)
    for path in ADMIN_PAGES:
        browser.get(admin_web.url + path)  # type: ignore[attr-defined]
        assert axe_violations(browser) == [], path
    # A broken file's errors, as the admin sees them.
    browser.get(admin_web.url + "/admin/publicera?fil=faq.yaml")  # type: ignore[attr-defined]
    text = browser.find_element(By.ID, "text")  # type: ignore[attr-defined]
    browser.execute_script("arguments[0].value = arguments[0].value.replace('answer:', 'answr:')", text)  # type: ignore[attr-defined]
    browser.find_element(By.CSS_SELECTOR, ".publish button[type=submit]").click()  # type: ignore[attr-defined]
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".problems"))
    assert axe_violations(browser) == []
