"""The web channel, served for real on 127.0.0.1 and used over HTTP as a visitor would: every
page, a chat with answers, suggestions, a pathway, feedback, the crisis reply, and what a
public site must refuse (forged forms, injected markup, oversized bodies)."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from web_server import TIMEOUT, WebClient, WebServer, serve

from bot.channels.web.sessions import Sessions
from bot.service import Rehabbot
from bot.store.gateway import NoStore


def rows(web: WebServer, sql: str) -> list[tuple]:
    with web.store.store.db.transaction(write=False) as tx:
        return tx.all(sql)


# -- pages --------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/kunskap", "/kunskap/sip", "/om", "/tillganglighet", "/embed"])
def test_every_page_is_swedish_html_with_a_title_and_the_automated_notice(visitor: WebClient, path: str) -> None:
    response = visitor.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="sv" dir="ltr">' in response.text
    assert re.search(r"<title>[^<]+ – Rehabbot</title>", response.text)
    assert "automatisk tjänst, inte en människa" in response.text
    assert response.text.count("<h1") == 1


def test_the_health_check_answers_in_json_under_its_swedish_and_ascii_names(visitor: WebClient) -> None:
    for path in ("/hälsa", "/halsa", "/health"):
        data = visitor.get(path).json()
        assert data["status"] == "ok"
        assert data["entries"] == len(visitor.server.rehabbot.kb.entries)


def test_an_unknown_address_is_a_404_page_with_a_way_on(visitor: WebClient) -> None:
    response = visitor.get("/finns-inte")
    assert response.status_code == 404
    assert "Sidan finns inte" in response.text and 'action="/kunskap"' in response.text
    response = visitor.get("/kunskap/finns_inte")
    assert response.status_code == 404
    assert "Den posten finns inte" in response.text


def test_every_response_carries_the_security_headers_and_only_the_embed_may_be_framed(visitor: WebClient) -> None:
    page = visitor.get("/")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    embed = visitor.get("/embed")
    assert "frame-ancestors *" in embed.headers["content-security-policy"]
    assert "x-frame-options" not in embed.headers


def test_the_embed_script_opens_the_chat_of_this_server(visitor: WebClient) -> None:
    script = visitor.get("/embed.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert f'var origin = "{visitor.server.url}"' in script.text
    assert "/embed.js" in visitor.get("/om").text  # the snippet Samordningsförbundet copies


# -- the chat ----------------------------------------------------------------

def test_a_question_gets_the_cores_answer_with_its_source_and_is_logged_redacted(visitor: WebClient) -> None:
    turn = visitor.ask("vem kallar till sip")
    assert "Samordnad individuell plan (SIP)" in turn
    assert "Källa:" in turn and "granskad" in turn
    assert "Gå igenom vägledningen steg för steg" in turn  # the pathway for the situation, as a button
    logged = rows(visitor.server, "SELECT channel, question, status FROM question_log ORDER BY id DESC LIMIT 1")
    assert logged == [("web", "vem kallar till sip", "answer")]


def test_a_personnummer_is_shown_back_redacted_never_stored_and_the_visitor_is_told(visitor: WebClient) -> None:
    turn = visitor.ask("jag heter Anna, 850101-1236, vem kallar till sip")
    assert "850101-1236" not in visitor.page
    assert "[personnummer]" in turn
    assert "innehöll" in turn and "ett personnummer" in turn
    assert not rows(visitor.server, "SELECT id FROM question_log WHERE question LIKE '%850101%'")


def test_a_suggestion_is_a_button_and_pressing_it_opens_that_entry(visitor: WebClient) -> None:
    turn = visitor.ask("pengar")
    assert "Menade du" in turn
    buttons = re.findall(r'value="open:([a-z0-9_]+)">([^<]+)</button>', turn)
    assert len(buttons) >= 2 and "Inget av dessa" in turn
    entry_id, title = buttons[0]
    opened = visitor.press(html.unescape(title))
    kb = visitor.server.rehabbot.kb
    assert f'<h3 class="answer-title">{html.escape(kb.get(entry_id).title_in("sv"), quote=False)}</h3>' in opened


def test_none_of_these_says_where_to_turn_instead(visitor: WebClient) -> None:
    visitor.ask("pengar")
    reply = visitor.press("Inget av dessa")
    assert "Det vet jag tyvärr inte" in reply or "Fråga hellre" in reply


def test_the_number_of_a_suggestion_typed_as_in_the_console_opens_it(visitor: WebClient) -> None:
    turn = visitor.ask("pengar")
    first = re.findall(r'value="open:([a-z0-9_]+)"', turn)[0]
    opened = visitor.ask("1")
    title = visitor.server.rehabbot.kb.get(first).title_in("sv")
    assert html.escape(title, quote=False) in opened


def test_feedback_is_stored_once_and_thanked_for(visitor: WebClient) -> None:
    visitor.ask("vad gör finsamteam")
    thanked = visitor.press("Ja, till hjälp")
    assert "Tack för din återkoppling!" in thanked and "Ja, till hjälp" not in thanked
    assert rows(visitor.server, "SELECT value FROM feedback ORDER BY ts DESC LIMIT 1") == [(1,)]


def test_a_guided_pathway_is_walked_to_its_numbered_plan_and_back(visitor: WebClient) -> None:
    visitor.post(do="pathways:")
    listing = visitor.last_turn()
    assert "Vägledning steg för steg" in listing
    first = re.search(r'value="(walk:[^"]+)">([^<]+)</button>', listing)
    assert first
    visitor.post(do=first.group(1), turn=str(visitor.turns()[-1][0]))
    for _ in range(12):  # answer the first option until the plan
        step = visitor.last_turn()
        if '<ol class="plan">' in step:
            break
        option = re.search(r'value="(walk:[^"]+)">', step)
        assert option, step
        visitor.post(do=option.group(1), turn=str(visitor.turns()[-1][0]))
    plan = visitor.last_turn()
    assert '<ol class="plan">' in plan and "<li><strong>" in plan
    assert 'href="/karta?vagledning=' in plan  # the plan on the map
    back = visitor.press("Tillbaka")
    assert '<p class="walk-question">' in back


def test_a_crisis_message_gets_the_crisis_reply_first_with_numbers_to_call(visitor: WebClient) -> None:
    turn = visitor.ask("jag vill ta mitt liv")
    bot = turn.split('<div class="bot">', 1)[1]
    assert bot.index('<div class="crisis" role="alert">') < bot.index("</div>")
    assert 'href="tel:90101"' in bot and 'href="tel:112"' in bot
    assert "Menade du" not in bot
    logged = rows(visitor.server, "SELECT status FROM question_log ORDER BY id DESC LIMIT 1")
    assert logged == [("crisis",)]


def test_a_message_of_5000_characters_is_refused_kindly_and_not_logged(visitor: WebClient) -> None:
    before = rows(visitor.server, "SELECT count(*) FROM question_log")
    turn = visitor.ask("hjälp " * 834)
    assert "för lång för mig (högst 1000 tecken)" in turn
    assert rows(visitor.server, "SELECT count(*) FROM question_log") == before


@pytest.mark.parametrize(("attack", "shown"), [
    ("<script>alert(1)</script> vem kallar till sip", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('"><img src=x onerror=alert(1)>', "&gt;&lt;img src=x onerror=alert(1)&gt;"),
    ("</textarea><b>fet</b>", "&lt;/textarea&gt;&lt;b&gt;fet&lt;/b&gt;"),
])
def test_markup_in_a_question_is_shown_as_text_never_run(visitor: WebClient, attack: str, shown: str) -> None:
    turn = visitor.ask(attack)
    assert "<script>alert" not in visitor.page and "<img src=x" not in visitor.page and "<b>fet</b>" not in visitor.page
    assert shown in turn


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(visitor: WebClient) -> None:
    visitor.ask("vad gör finsamteam")
    turns = len(visitor.turns())
    for csrf in ("", "0" * 64):
        forged = visitor.http.post("/chat", data={"csrf": csrf, "do": "ask:", "q": "vem kallar till sip"})
        assert forged.status_code == 403
        assert "kontrollkod" in forged.text
    other_site = httpx.post(f"{visitor.server.url}/chat", data={"do": "clear:"})  # no cookie, no token
    assert other_site.status_code == 403
    visitor.get("/")
    assert len(visitor.turns()) == turns


def test_a_stale_or_invented_choice_is_refused_with_a_message(visitor: WebClient) -> None:
    visitor.ask("vad gör finsamteam")
    visitor.post(do="open:sip", turn="999")
    assert "gäller inte längre" in visitor.page
    visitor.post(do="feedback:up", turn="abc")
    assert "gäller inte längre" in visitor.page
    visitor.post(do="no_such_action:x")
    assert "gäller inte längre" in visitor.page
    visitor.post(do="walk:finns_inte:x:")
    assert "hittar jag inte" in visitor.page


def test_a_body_larger_than_a_question_needs_is_refused(visitor: WebClient) -> None:
    response = visitor.http.post("/chat", data={"csrf": visitor.csrf, "do": "ask:", "q": "x" * 70_000})
    assert response.status_code == 413


def test_the_visitor_chooses_mode_and_language_and_the_answers_follow(visitor: WebClient) -> None:
    visitor.post("/installningar", mode="individual", lang="sv", next="/")
    assert "Sparat: vill ha stöd för egen del, svenska." in visitor.page
    turn = visitor.ask("vem kallar till sip")
    assert "Nästa steg för dig" in turn or "Vem kan hjälpa dig" in turn
    assert "Klienten" not in turn
    visitor.get("/installningar", lang="en", next="/kunskap")
    assert '<html lang="en" dir="ltr">' in visitor.page and "<h1>The knowledge bank" in visitor.page


def test_a_next_address_outside_the_site_is_ignored(visitor: WebClient) -> None:
    response = visitor.http.get("/installningar", params={"lang": "sv", "next": "//evil.example/x"},
                                follow_redirects=False)
    assert response.headers["location"] == "/"


def test_the_individual_never_sees_staff_entries_listed(visitor: WebClient) -> None:
    kb = visitor.server.rehabbot.kb
    staff_only = next(e for e in kb.entries if e.audience == "staff")
    visitor.get("/kunskap")
    assert f'href="/kunskap/{staff_only.id}"' in visitor.page
    visitor.post("/installningar", mode="individual", lang="sv", next="/kunskap")
    assert f'href="/kunskap/{staff_only.id}"' not in visitor.page
    visitor.get(f"/kunskap/{staff_only.id}")
    assert "skriven för yrkespersoner" in visitor.page


def test_a_new_conversation_forgets_the_old_one(visitor: WebClient) -> None:
    visitor.ask("vad gör finsamteam")
    visitor.post(do="clear:")
    assert visitor.turns() == [] and "Inga frågor ännu." in visitor.page


# -- the knowledge as a site -----------------------------------------------------

def test_the_knowledge_is_searchable_with_the_bots_matcher(visitor: WebClient) -> None:
    visitor.get("/kunskap", q="vem kallar till sip")
    results = visitor.page.split('<ol class="results">', 1)[1].split("</ol>", 1)[0]
    first = results.split('href="/kunskap/', 1)[1].split('"', 1)[0]
    assert first in ("vem_kallar_till_sip", "sip")  # the first hit: the task "Kalla till SIP", or SIP
    visitor.get("/kunskap", q="qqqq zzzz")
    assert "Inga träffar" in visitor.page


def test_an_entry_page_shows_the_entry_its_source_related_entries_and_its_place_on_the_map(
        visitor: WebClient) -> None:
    visitor.get("/kunskap/forsakringskassan")
    page = visitor.page
    assert "<h1>Försäkringskassan" in page
    assert "Källa:" in page
    assert 'href="/karta?aktor=forsakringskassan"' in page
    kb = visitor.server.rehabbot.kb
    related = kb.related(kb.get("forsakringskassan"), "staff")
    assert all(f'href="/kunskap/{e.id}"' in page for e in related)


def test_the_glossary_explains_the_abbreviations_with_their_sources(visitor: WebClient) -> None:
    page = visitor.get("/kunskap/ordlista").text
    kb = visitor.server.rehabbot.kb
    assert page.count("<dt ") == len(kb.glossary)
    fk = next(g for g in kb.glossary if g.term == "Försäkringskassan")
    assert f"<dt id=\"försäkringskassan\">Försäkringskassan <span class=\"aliases\">({', '.join(fk.aliases)})" in page
    assert 'href="/kunskap/ordlista"' in visitor.get("/kunskap").text


def test_every_entry_has_a_page(visitor: WebClient) -> None:
    for entry in visitor.server.rehabbot.kb.entries:
        assert visitor.http.get(f"/kunskap/{entry.id}").status_code == 200, entry.id


# -- the map -------------------------------------------------------------------

@pytest.mark.graphviz
def test_the_map_is_inline_svg_whose_nodes_link_to_their_entries(visitor: WebClient) -> None:
    visitor.get("/karta")
    page = visitor.page
    assert '<svg class="map"' in page
    assert 'xlink:href="/kunskap/forsakringskassan"' in page or 'href="/kunskap/forsakringskassan"' in page
    assert '<ul class="lanes">' in page  # the same content as a list


@pytest.mark.graphviz
def test_one_actors_part_alone_is_a_smaller_map_and_an_unknown_actor_is_said(visitor: WebClient) -> None:
    whole = visitor.get("/karta").text
    part = visitor.get("/karta", aktor="forsakringskassan", bara="1").text
    assert part.count("<g id=\"node") < whole.count("<g id=\"node")
    visitor.get("/karta", aktor="finns_inte")
    assert "Det finns ingen aktör eller vägledning som heter ”finns_inte”" in visitor.page


@pytest.mark.graphviz
def test_a_plan_on_the_map_has_numbered_steps(visitor: WebClient) -> None:
    kb = visitor.server.rehabbot.kb
    pathway = kb.pathways[0]
    plan = next(name for name, node in pathway.nodes.items() if node.is_plan)
    visitor.get("/karta", vagledning=pathway.id, plan=plan)
    assert '<ol class="plan">' in visitor.page
    assert "1 · " in visitor.page or "1, " in visitor.page  # the step number on the node
    assert visitor.get("/karta.svg", vagledning=pathway.id).headers["content-type"] == "image/svg+xml"


# -- statements ------------------------------------------------------------------

def test_the_accessibility_statement_has_what_digg_requires(visitor: WebClient) -> None:
    page = visitor.get("/tillganglighet").text
    assert "delvis förenlig" in page  # compliance
    assert "Kända brister" in page
    assert 'href="https://www.digg.se/tdosanmalan"' in page
    assert "självskattning" in page and "Samordningsförbundet Test" in page
    assert "rehabbot@example.org" in page


def test_an_accessibility_report_is_kept_redacted_for_the_admins(visitor: WebClient) -> None:
    visitor.get("/tillganglighet")
    visitor.post("/tillganglighet", report="Kartan går inte att zooma. Ring mig på 070-123 45 67")
    assert "Tack! Vi har tagit emot din synpunkt." in visitor.page
    detail = rows(visitor.server, "SELECT detail FROM audit WHERE action = 'accessibility_report'")[-1][0]
    assert "Kartan går inte att zooma" in detail and "070-123 45 67" not in detail
    visitor.post("/tillganglighet", report="  ")
    assert "Skriv vad som inte fungerar" in visitor.page


def test_about_says_how_data_is_handled(visitor: WebClient) -> None:
    page = visitor.get("/om").text
    assert "kaka (cookie)" in page and "sparas inte på disk" in page
    assert "i högst 90 dagar" in page


# -- sessions ----------------------------------------------------------------------

def test_a_session_ends_after_being_idle_and_the_visitor_is_told(shipped_bot: Rehabbot) -> None:
    now = [0.0]
    sessions = Sessions(idle_s=60, clock=lambda: now[0])
    for web in serve(shipped_bot, NoStore(), sessions):
        visitor = WebClient(web)
        visitor.ask("vad gör finsamteam")
        assert visitor.turns()
        now[0] += 61
        visitor.get("/")
        assert visitor.turns() == [] and "tagits bort efter en stund utan aktivitet" in visitor.page
        visitor.close()


def test_without_a_database_the_chat_answers_and_offers_no_feedback(shipped_bot: Rehabbot) -> None:
    for web in serve(shipped_bot, NoStore()):
        visitor = WebClient(web)
        turn = visitor.ask("vem kallar till sip")
        assert "Samordnad individuell plan (SIP)" in turn and "Var svaret till hjälp?" not in turn
        assert "Just nu sparas inga frågor." in visitor.get("/om").text
        visitor.close()


def test_the_oldest_sessions_make_room_when_there_are_too_many() -> None:
    sessions = Sessions(capacity=3)
    first = sessions.create()
    for _ in range(3):
        sessions.create()
    assert len(sessions) == 3 and sessions.get(first.token) is None
    assert sessions.get("x" * 500) is None and sessions.get(None) is None


def test_the_embedded_chat_works_where_the_frame_gets_no_cookie(visitor: WebClient) -> None:
    # In another site's frame the browser may withhold the cookie: the session then travels in
    # the form and the redirect, so the conversation still holds together.
    def no_cookies() -> httpx.Client:
        return httpx.Client(base_url=visitor.server.url, follow_redirects=False, timeout=TIMEOUT)
    with no_cookies() as frame:
        page = frame.get("/embed").text
        sid = re.search(r'name="sid" value="([^"]+)"', page)
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
        assert sid and csrf and 'class="site-header"' not in page  # no menus inside the frame
        frame.cookies.clear()
        posted = frame.post("/chat", data={"csrf": csrf.group(1), "sid": sid.group(1), "embed": "1",
                                           "do": "ask:", "q": "vem kallar till sip"})
        assert posted.status_code == 303
        location = posted.headers["location"]
        assert location.startswith("/embed?sid=") and location.endswith("#turn-1")
        frame.cookies.clear()
        shown = frame.get(location.split("#")[0]).text
    assert "Samordnad individuell plan (SIP)" in shown


def test_a_question_in_arabic_is_answered_right_to_left_in_arabic_and_the_language_offered(
        visitor: WebClient) -> None:
    turn = visitor.ask("أنا مريض وليس عندي مال ماذا أفعل")
    assert '<div class="bot" lang="ar" dir="rtl">' in turn
    assert "العربية" in turn and 'value="lang:ar"' in turn
    visitor.press("✓ العربية")
    assert '<html lang="ar" dir="rtl">' in visitor.page
    assert "Sparat" not in visitor.page  # the confirmation is in Arabic now


def test_a_visitor_asking_too_fast_is_told_to_wait_and_a_crisis_still_gets_through(visitor: WebClient) -> None:
    # One sender's flood once kept everyone else waiting; a person in crisis is never held back.
    from bot.channels.flood import BURST
    before = rows(visitor.server, "SELECT count(*) FROM question_log")[0][0]
    for _ in range(BURST + 3):
        visitor.ask("vem kallar till sip")
    assert "Du skickar många meddelanden på kort tid. Vänta en minut" in visitor.page
    answered = rows(visitor.server, "SELECT count(*) FROM question_log")[0][0] - before
    assert BURST <= answered <= BURST + 1  # one may have refilled meanwhile (a token per 2 s)
    crisis = visitor.ask("jag vill inte leva längre")
    assert "90101" in crisis
