"""The admins' dashboard, served for real and used over HTTP: accounts and login, lockout,
CSRF, roles, what people ask and don't get, feedback, and publishing with rollback on a copy
of the shipped knowledge base."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import httpx
from web_server import EDITOR, PASSWORD, TIMEOUT, VIEWER, WebServer

from bot.store import open_store

SIP = "vem kallar till sip"


class Admin:
    """An admin's browser: its own cookie jar, forms posted with the page's CSRF token."""

    def __init__(self, web: WebServer):
        self.web = web
        self.http = httpx.Client(base_url=web.url, follow_redirects=True, timeout=TIMEOUT)
        self.page = ""

    def get(self, path: str, **params: str) -> httpx.Response:
        response = self.http.get(path, params=params or None)
        self.page = response.text
        return response

    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', self.page)
        assert found, "no CSRF token on the page"
        return found.group(1)

    def post(self, path: str, files: dict | None = None, **fields: str) -> httpx.Response:
        response = self.http.post(path, data={"csrf": self.csrf(), **fields}, files=files)
        self.page = response.text
        return response

    def login(self, name: str = EDITOR, password: str = PASSWORD) -> httpx.Response:
        self.get("/admin/login")
        return self.post("/admin/login", name=name, password=password)


def audit(web: WebServer) -> list[tuple[str, str, str]]:
    with web.store.store.db.transaction(write=False) as tx:
        return [tuple(r) for r in tx.all("SELECT action, result, detail FROM audit ORDER BY id")]


def answer_text(web: WebServer, question: str = SIP) -> str:
    return web.rehabbot.ask(question).text


# -- access ---------------------------------------------------------------------

def test_the_dashboard_needs_a_login_and_nothing_public_links_to_it(admin_web: WebServer) -> None:
    admin = Admin(admin_web)
    for path in ("/admin", "/admin/poster", "/admin/publicera", "/admin/logg"):
        response = admin.get(path)
        assert response.url.path == "/admin/login" and "Logga in" in response.text
    for path in ("/", "/kunskap", "/om", "/tillganglighet", "/karta"):
        assert "/admin" not in admin.get(path).text


def test_a_login_opens_the_overview_with_a_strict_cookie(admin_web: WebServer) -> None:
    admin = Admin(admin_web)
    response = admin.login()
    assert response.url.path == "/admin" and "Översikt" in response.text
    assert "Inloggad som anna (redaktör)." in response.text
    cookie = response.history[0].headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    assert ("admin_login", "ok", EDITOR) in audit(admin_web)


def test_a_wrong_password_is_refused_and_repeated_ones_lock_the_account(admin_web: WebServer) -> None:
    admin = Admin(admin_web)
    response = admin.login(password="fel-lösenord-igen")
    assert response.status_code == 401 and "Fel namn eller lösenord." in response.text
    assert admin.login(name="finns_inte").status_code == 401  # the same answer for an unknown name
    for _ in range(4):
        admin.login(password="fel-lösenord-igen")
    locked = admin.login()  # the right password, but too late
    assert locked.status_code == 401 and "kontot är låst till" in locked.text
    results = [r for a, r, _ in audit(admin_web) if a == "admin_login"]
    # The fifth wrong password locks at once and says so; the right one then waits too.
    assert results.count("failed") == 5 and results.count("locked") == 2 and "ok" not in results


def test_a_form_without_the_sessions_csrf_token_is_refused(admin_web: WebServer) -> None:
    admin = Admin(admin_web)
    admin.login()
    forged = admin.http.post("/admin/obesvarade", data={"csrf": "0" * 64, "theme": "x", "status": "done"})
    assert forged.status_code == 403
    assert admin.http.post("/admin/login", data={"name": EDITOR, "password": PASSWORD}).status_code == 403
    assert any(a == "admin_forged" for a, _, _ in audit(admin_web))


def test_logging_out_ends_the_session(admin_web: WebServer) -> None:
    admin = Admin(admin_web)
    admin.login()
    admin.post("/admin/logout")
    assert admin.get("/admin").url.path == "/admin/login"


# -- what people ask and don't get ---------------------------------------------------

def test_the_overview_counts_questions_by_outcome_channel_mode_and_language(admin_web: WebServer) -> None:
    store = admin_web.store.store
    for status, channel in (("answer", "web"), ("answer", "telegram"), ("fallback", "web"), ("crisis", "telegram")):
        store.log_question(channel=channel, mode="staff", lang="sv", question="en fråga", entry_id=None,
                           status=status, confidence=0.5, elapsed_ms=2.0)
    admin = Admin(admin_web)
    page = admin.login().text
    assert "4 frågor." in page
    assert "besvarade: <strong>2</strong> (50 %)" in page and "kris: <strong>1</strong> (25 %)" in page
    assert '<svg viewBox="0 0' in page and 'role="img"' in page
    assert "webben: <strong>2</strong>" in page and "Telegram: <strong>2</strong>" in page


def test_unanswered_questions_come_in_themes_that_can_be_marked_done_or_drafted(admin_web: WebServer) -> None:
    store = admin_web.store.store
    for question in ("hur söker jag färdtjänst", "färdtjänst ansökan hur", "söka färdtjänst hur gör man"):
        store.log_question(channel="web", mode="individual", lang="sv", question=question, entry_id=None,
                           status="fallback", confidence=0.1, elapsed_ms=2.0)
    admin = Admin(admin_web)
    admin.login()
    page = admin.get("/admin/obesvarade").text
    theme = re.search(r'name="theme" value="([^"]+)"', page)
    assert theme and "färdtjänst" in page and "3 frågor" in page
    admin.post("/admin/obesvarade", theme=theme.group(1), status="done")
    assert '<span class="badge">klar</span>' in admin.page
    draft = re.search(r'href="(/admin/publicera\?utkast=[^"]+)"', admin.page)
    assert draft
    form = admin.get(draft.group(1).replace("&amp;", "&")).text
    assert 'value="utkast.yaml"' in form and "SKRIV SVARET HÄR" in form


def test_feedback_shows_the_disliked_entries_with_the_questions_that_led_there(admin_web: WebServer) -> None:
    store = admin_web.store.store
    log_id = store.log_question(channel="web", mode="staff", lang="sv", question="vem betalar resor till sip",
                                entry_id="sip", status="answer", confidence=0.8, elapsed_ms=2.0)
    store.add_feedback(log_id, -5, -1)
    admin = Admin(admin_web)
    admin.login()
    page = admin.get("/admin/aterkoppling").text
    row = page.split('href="/admin/poster/sip"', 1)[1].split("</tr>", 1)[0]
    assert "<td>0</td><td>1</td>" in row and "vem betalar resor till sip" in row


def test_every_entry_is_listed_and_can_be_seen_as_staff_and_individual_read_it(admin_web: WebServer) -> None:
    admin = Admin(admin_web)
    admin.login()
    page = admin.get("/admin/poster").text
    assert page.count('<tr><th scope="row"><a href="/admin/poster/') == len(admin_web.rehabbot.kb.entries)
    entry = admin.get("/admin/poster/sip").text
    assert "Som en yrkesperson ser den, på svenska" in entry
    assert "Som den som söker stöd för egen del ser den, på svenska" in entry
    assert "i knowledge/insatser.yaml" in entry or "insatser.yaml, rad" in entry


def test_an_entry_shows_each_translations_state_and_the_answer_in_every_language(admin_web: WebServer) -> None:
    admin = Admin(admin_web)
    admin.login()
    rows = admin.get("/admin/poster").text
    sip_row = rows[rows.index('href="/admin/poster/forsakringskassan"'):].split("</tr>", 1)[0]
    assert "<li>6 maskinöversatt</li>" in sip_row
    entry = admin.get("/admin/poster/forsakringskassan").text
    for name in ("arabiska", "persiska/dari", "somaliska", "tigrinska", "turkiska", "polska"):
        assert f'<tr><th scope="row">{name}</th>' in entry
        assert f"Som den som söker stöd för egen del ser den, på {name}" in entry
    assert entry.count("Markera ") >= 6 and 'lang="ar" dir="rtl"' in entry


def test_an_editor_marks_a_translation_reviewed_as_a_new_published_version(admin_web: WebServer) -> None:
    directory = Path(admin_web.rehabbot.kb.directory)
    before = (directory / "translations" / "pl.yaml").read_text(encoding="utf-8")
    admin = Admin(admin_web)
    admin.login()
    admin.get("/admin/poster/forsakringskassan")
    done = admin.post("/admin/poster/forsakringskassan/granskad", lang="pl")
    assert done.status_code == 200 and "Publicerad" in done.text and "translations/pl.yaml" in done.text
    assert admin_web.rehabbot.kb.get("forsakringskassan").translation_state("pl") == "reviewed"
    after = (directory / "translations" / "pl.yaml").read_text(encoding="utf-8")
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == ["  status: reviewed", f"  reviewed: {dt.date.today().isoformat()}"]  # only these
    assert len(after.splitlines()) == len(before.splitlines()) + 1
    assert "<td>granskad</td>" in admin.get("/admin/poster/forsakringskassan").text
    assert "forsakringskassan: översättningen till polska granskad" in admin.get("/admin/versioner").text
    assert ("admin_translation_reviewed", "ok") in [(a, r) for a, r, _ in audit(admin_web)]
    # A reviewed translation is shown without the machine-translation line.
    individual = admin_web.rehabbot.ask("Co robi Försäkringskassan?", mode="individual", lang="pl")
    assert "Tłumaczenie automatyczne" not in individual.text


def test_a_viewer_cannot_mark_a_translation_reviewed(admin_web: WebServer) -> None:
    admin = Admin(admin_web)
    admin.login(VIEWER)
    page = admin.get("/admin/poster/forsakringskassan").text
    assert "Markera polska som granskad" not in page  # no button for a viewer
    refused = admin.post("/admin/poster/forsakringskassan/granskad", lang="pl")
    assert refused.status_code == 403
    assert admin_web.rehabbot.kb.get("forsakringskassan").translation_state("pl") == "machine"


def test_a_translation_file_uploaded_by_its_name_goes_to_translations(admin_web: WebServer) -> None:
    directory = Path(admin_web.rehabbot.kb.directory)
    text = (directory / "translations" / "so.yaml").read_text(encoding="utf-8")
    entry = admin_web.rehabbot.kb.get("forsakringskassan").translation("so")
    changed = text.replace(str(entry.title), "CUSUB – " + str(entry.title), 1)
    admin = Admin(admin_web)
    admin.login()
    admin.get("/admin/publicera")
    tried = admin.post("/admin/publicera", files={"files": ("so.yaml", changed.encode(), "text/yaml")})
    assert tried.status_code == 200 and "translations/so.yaml" in tried.text
    admin.post("/admin/publicera/bekrafta", token=re.search(r'name="token" value="([^"]+)"', tried.text).group(1))
    assert str(admin_web.rehabbot.kb.get("forsakringskassan").translation("so").title).startswith("CUSUB – ")
    assert not (directory / "so.yaml").exists()
    assert list((directory / ".backups" / "translations").glob("so.yaml.*"))


# -- publishing and rollback ----------------------------------------------------------

def test_a_viewer_cannot_publish(admin_web: WebServer) -> None:
    admin = Admin(admin_web)
    admin.login(VIEWER)
    admin.get("/admin/publicera")
    response = admin.post("/admin/publicera", name="faq.yaml", text="- id: x\n  answer: y\n")
    assert response.status_code == 403 and "Bara för redaktörer" in response.text
    assert ("admin_not_editor", "refused", f"{VIEWER}: /admin/publicera") in audit(admin_web)


def test_a_broken_upload_shows_path_line_and_the_line_and_changes_nothing(admin_web: WebServer) -> None:
    directory = Path(admin_web.rehabbot.kb.directory)
    before, answered = (directory / "insatser.yaml").read_text(encoding="utf-8"), answer_text(admin_web)
    broken = before.replace("  answer:", "  answr:", 1)
    admin = Admin(admin_web)
    admin.login()
    admin.get("/admin/publicera")
    response = admin.post("/admin/publicera", files={"files": ("insatser.yaml", broken.encode(), "text/yaml")})
    assert response.status_code == 422
    problem = re.search(r"<code>(\S*insatser\.yaml):(\d+): ([^<]+)</code>", response.text)
    assert problem, response.text[:3000]
    line = int(problem.group(2))
    assert f"{line} | {broken.splitlines()[line - 1].strip()}" in response.text.replace("&#34;", '"')
    assert "Inget har ändrats" in response.text
    assert (directory / "insatser.yaml").read_text(encoding="utf-8") == before
    assert answer_text(admin_web) == answered


def test_a_valid_upload_goes_live_and_a_restore_brings_the_old_answers_back(admin_web: WebServer) -> None:
    directory = Path(admin_web.rehabbot.kb.directory)
    original, answered = (directory / "insatser.yaml").read_text(encoding="utf-8"), answer_text(admin_web)
    start = original.index("- id: sip\n")
    title = original.index("  title: ", start)
    changed = original[:title] + "  title: NYTT – " + original[title + len("  title: "):]
    admin = Admin(admin_web)
    admin.login()
    admin.get("/admin/publicera", fil="insatser.yaml")
    assert "Redigera en befintlig fil" in admin.page
    tried = admin.post("/admin/publicera", name="insatser.yaml", text=changed)
    assert tried.status_code == 200 and "Giltig." in tried.text
    assert "<code>sip</code>: title" in tried.text
    assert answer_text(admin_web) == answered  # nothing is live before the last step
    published = admin.post("/admin/publicera/bekrafta", token=re.search(
        r'name="token" value="([^"]+)"', tried.text).group(1), note="SIP förtydligad")
    assert "Publicerad" in published.text
    assert "NYTT – " in answer_text(admin_web)
    assert list((directory / ".backups").glob("insatser.yaml.*"))
    versions = admin.get("/admin/versioner").text
    assert "före första publiceringen" in versions and "SIP förtydligad" in versions
    first = re.search(r'name="version" value="(\d+)"', versions)
    assert first
    admin.post("/admin/versioner/aterstall", version=first.group(1))
    assert "Publicerad" in admin.page
    assert answer_text(admin_web) == answered
    assert (directory / "insatser.yaml").read_text(encoding="utf-8") == original
    actions = [(a, r) for a, r, _ in audit(admin_web)]
    for step in (("admin_login", "ok"), ("admin_publish_try", "valid"), ("admin_publish", "ok"),
                 ("admin_restore", "ok")):
        assert step in actions
    log = admin.get("/admin/logg").text
    assert "admin_publish" in log and "admin_restore" in log


def test_a_trial_token_publishes_once(admin_web: WebServer) -> None:
    admin = Admin(admin_web)
    admin.login()
    admin.get("/admin/publicera", fil="faq.yaml")
    text = re.search(r'<textarea id="text" name="text"[^>]*>(.*?)</textarea>', admin.page, re.S)
    assert text
    import html
    tried = admin.post("/admin/publicera", name="ny_fil.yaml", text="- id: helt_ny_post\n  answer: Ett svar.\n")
    token = re.search(r'name="token" value="([^"]+)"', tried.text)
    assert token and "1 nya poster" in tried.text
    admin.post("/admin/publicera/bekrafta", token=token.group(1))
    assert admin_web.rehabbot.kb.get("helt_ny_post") is not None
    again = admin.post("/admin/publicera/bekrafta", token=token.group(1))
    assert "Publicerad" not in again.text  # the form again, nothing published twice
    assert html.unescape(text.group(1))  # the file's text was in the editor


# -- accounts from the command line ----------------------------------------------------

def run_admin(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PATH": "/usr/bin:/bin",
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "bot", "admin", *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=120)


def test_accounts_are_made_listed_changed_and_removed_from_the_command_line(tmp_path: Path) -> None:
    made = run_admin(tmp_path, "add", "karin", "--role", "viewer", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert "karin\tviewer" in run_admin(tmp_path, "list").stdout
    short = run_admin(tmp_path, "passwd", "karin", stdin="kort\n")
    assert short.returncode == 1 and "minst 12 tecken" in short.stderr
    assert run_admin(tmp_path, "passwd", "karin", stdin="ett-annat-långt-lösenord\n").returncode == 0
    twice = run_admin(tmp_path, "add", "karin", stdin=PASSWORD + "\n")
    assert twice.returncode == 1 and "finns redan" in twice.stderr
    assert run_admin(tmp_path, "remove", "karin").returncode == 0
    assert "karin" not in run_admin(tmp_path, "list").stdout
    store = open_store(f"sqlite:///{tmp_path / 'cli.db'}")
    try:
        with store.db.transaction(write=False) as tx:
            assert tx.all("SELECT password_hash FROM admin_account") == []
    finally:
        store.close()


def test_another_instance_sharing_the_database_takes_up_a_published_version(admin_web: WebServer,
                                                                            tmp_path: Path) -> None:
    import shutil

    from bot.kb.follow import Follower
    from bot.service import Rehabbot
    from bot.settings import shipped_kb_dir
    other_dir = tmp_path / "other"  # another host: its own copy of the knowledge
    shutil.copytree(shipped_kb_dir(), other_dir)
    other = Rehabbot(other_dir)
    follower = Follower(other, admin_web.store.store)
    assert follower.once() is False  # nothing published yet
    admin = Admin(admin_web)
    admin.login()
    admin.get("/admin/publicera")
    tried = admin.post("/admin/publicera", name="ny_fil.yaml",
                       text="- id: fran_andra_instansen\n  title: Från den andra\n  answer: Ett svar.\n")
    admin.post("/admin/publicera/bekrafta", token=re.search(r'name="token" value="([^"]+)"', tried.text).group(1))
    assert other.kb.get("fran_andra_instansen") is None
    assert follower.once() is True
    assert other.kb.get("fran_andra_instansen") is not None
    assert (other_dir / "ny_fil.yaml").exists()
    assert follower.once() is False  # the same version is not taken up twice
