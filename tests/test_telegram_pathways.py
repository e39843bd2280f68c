"""Guided pathways and the process map in Telegram, end to end over the fake Bot API.

/vagledning, a walk with buttons (choose, back, start over, cancel), every
route of the small fixture's pathway, a restart of the bot in the middle of a
walk, the plan as one message to forward, the plan and /karta as photos,
the pathway offered under an answer, and forged or outdated buttons. The
render-only checks (every button of every step of every shipped pathway
within 64 bytes, every plan in one message) need no server.
"""

from __future__ import annotations

import html as htmlmod

import pytest
from fake_bot_api import BOT_USERNAME, build, check_photo, polling
from test_telegram_views import all_callback_data, assert_sendable

from bot.channels.telegram.handlers import callbacks as cb
from bot.channels.telegram.handlers import views
from bot.channels.telegram.handlers.maps import MapCache
from bot.channels.telegram.handlers.views import Prefs, split_html
from bot.kb.pathways import Pathway
from bot.map.targets import find_target
from bot.pathways.walk import Walk, shape_key
from bot.service import Rehabbot
from bot.settings import LANGS, MODES

USER = 5151
SMALL = "ny_klient"


def routes(pathway: Pathway) -> list[tuple[int, ...]]:
    """Every sequence of choices from the start to a plan."""
    found, stack = [], [Walk.start(pathway)]
    while stack:
        walk = stack.pop()
        if walk.finished:
            found.append(walk.choices)
        else:
            stack += [walk.choose(i) for i in range(len(walk.node.options))]
    return sorted(found)


def walks(pathway: Pathway) -> list[Walk]:
    """Every step of every route (each node as reached by every path to it)."""
    out, stack = [], [Walk.start(pathway)]
    while stack:
        walk = stack.pop()
        out.append(walk)
        if not walk.finished:
            stack += [walk.choose(i) for i in range(len(walk.node.options))]
    return out


def exact(call, text: str) -> str:
    """The callback_data of the button labelled exactly `text`."""
    for row in call.buttons:
        for b in row:
            if b["text"] == text:
                return b["callback_data"]
    raise AssertionError(f"no button {text!r} in {call.button_texts}")


async def tap(api, call, text: str):
    """Tap the button labelled exactly `text` under `call`'s message; the edit it causes."""
    data = exact(call, text)
    return await api.after("editMessageText", lambda: api.press(USER, data, call))


# -- without a server --------------------------------------------------------------

def test_every_step_of_every_shipped_pathway_is_sendable_with_buttons_within_64_bytes(shipped_bot):
    kb = shipped_bot.kb
    datas: set[str] = set()
    for pathway in kb.pathways:
        every = walks(pathway)
        assert {w.node_name for w in every} == set(pathway.nodes)  # every node is reached
        for walk in every:
            for mode in MODES:
                for lang in LANGS:
                    prefs = Prefs(mode, lang)
                    html, markup = views.walk_message(walk, kb, prefs)
                    assert_sendable(html, markup)
                    datas.update(all_callback_data(markup))
                    if walk.finished:
                        plan = views.plan_message(walk, kb, prefs, "a" * 32)  # the longest bot name
                        assert len(split_html(plan)) == 1, (pathway.id, walk.node_name)  # one message
                        assert_sendable(plan)
    for mode in MODES:
        for lang in LANGS:
            html, markup = views.pathway_list(kb, Prefs(mode, lang))
            assert_sendable(html, markup)
            datas.update(all_callback_data(markup))
    assert all(len(d.encode()) <= cb.MAX_BYTES and cb.is_valid(d) for d in datas)
    assert {d.split(":")[0] for d in datas} >= {"g", "gs", "gm", "gl", "gx", "o"}
    # The longest a pathway could make it: the longest id and a walk of 29 questions.
    assert len(cb.walk("p" * 24, "abcdef", [35] * 29, cb.SEND_PLAN)) == 64


def test_the_plan_message_holds_everything_a_colleague_needs(small_bot):
    kb = small_bot.kb
    walk = Walk.follow(kb.pathway(SMALL), (0, 0))
    plan = views.plan_message(walk, kb, Prefs(), BOT_USERNAME)
    for part in ("Ny klient: sjukskriven, försörjningsstöd, saknar SGI", "Klienten är sjukskriven",
                 "Finns ett aktuellt läkarintyg? <b>Ja</b>", "1. <b>Socialtjänsten:</b> Kallar till SIP.",
                 "Ta med: Samtycke", f'<a href="https://t.me/{BOT_USERNAME}?start=e_sip">',
                 "2. <b>Hälso- och sjukvården:</b> Deltar i SIP.", "2026-11-24"):
        assert part in plan
    contact = Walk.follow(kb.pathway(SMALL), (0, 1))
    assert "Kontakt: Kundcenter, 0771-524 524, https://www.forsakringskassan.se" in \
        views.plan_message(contact, kb, Prefs(), BOT_USERNAME)
    individual = views.plan_message(walk, kb, Prefs("individual", "en"), BOT_USERNAME)
    assert "Jag är sjuk och har inga pengar." in individual and "Answers to the questions" in individual


def test_knowledge_text_is_escaped_in_walks_and_plans(kb_copy):
    path = kb_copy / "pathways.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Kallar till SIP.", "Kallar <b>till</b> SIP & co."),
                    encoding="utf-8")
    bot = Rehabbot(kb_copy)
    walk = Walk.follow(bot.kb.pathway(SMALL), (0, 0))
    for html in (views.walk_message(walk, bot.kb, Prefs())[0], views.plan_message(walk, bot.kb, Prefs(), "b")):
        assert "Kallar &lt;b&gt;till&lt;/b&gt; SIP &amp; co." in html
        assert_sendable(html)


@pytest.mark.parametrize(("text", "expected"), [
    ("socialtjansten", ("a", "socialtjansten")), ("Försäkringskassan (FK)", ("a", "forsakringskassan")),
    ("FK", ("a", "forsakringskassan")), ("soc", ("a", "socialtjansten")), ("vården", ("a", "halso_och_sjukvarden")),
    ("jobbtorg", ("a", "jobbtorg")), ("sip_soc_och_vard", ("p", "sip_soc_och_vard")),
    ("Jag är sjuk och har inga pengar", ("p", "sjuk_inga_pengar")), ("xyzzy", None), ("a", None),
])
def test_karta_finds_an_actor_or_a_pathway_by_name(shipped_bot, text, expected):
    assert find_target(shipped_bot.kb, text) == expected


@pytest.mark.graphviz
async def test_the_map_cache_draws_each_picture_once_per_knowledge_base_version(small_bot):
    drawn = []

    def render(kb, actor, pathway, plan, lang):
        drawn.append((actor, pathway, plan, lang))
        return b"png"

    cache = MapCache(size=2, render=render)
    kb = small_bot.kb
    await cache.png(kb)
    await cache.png(kb)
    await cache.png(kb, actor="socialtjansten")
    await cache.png(kb, lang="en")
    assert drawn == [(None, None, None, "sv"), ("socialtjansten", None, None, "sv"), (None, None, None, "en")]
    await cache.png(kb)  # fell out: only the 2 most recently used are kept
    assert len(drawn) == 4 and cache.renders == 4


# -- end to end --------------------------------------------------------------------

async def test_vagledning_lists_the_pathways_for_the_users_mode_and_language(api, shipped_bot):
    kb = shipped_bot.kb

    def titles(mode: str, lang: str = "sv") -> list[str]:
        return [f"{n}. {p.title_in(lang)}" for n, p in enumerate(kb.pathways_for(mode), 1)]

    async with polling(build(api, shipped_bot)):
        staff = await api.reply_to(USER, "/vagledning")
        await api.reply_to(USER, "/lage individual")
        individual = await api.reply_to(USER, "/vagledning")
        by_number = await api.reply_to(USER, "/vagledning 1")
        unknown = await api.reply_to(USER, "/vagledning ny_klient_utan_sgi")  # a staff pathway
        await api.reply_to(USER, "/sprak en")
        english = await api.reply_to(USER, "/guide")
        help_text = await api.reply_to(USER, "/help")

    lists = {c.params.get("language_code"): [x["command"] for x in c.params["commands"]]
             for c in api.calls_of("setMyCommands")}
    assert {"vagledning", "karta"} <= set(lists["sv"]) and {"guide", "map"} <= set(lists["en"])
    assert "Vägledning steg för steg" in staff.text and staff.button_texts == titles("staff")
    assert individual.button_texts == titles("individual") != titles("staff")
    assert "sjuk_inga_pengar" not in " ".join(all_data(staff)) and "ny_klient_utan_sgi" not in " ".join(
        all_data(individual))
    first = kb.pathways_for("individual")[0]
    assert by_number.text == views.walk_message(Walk.start(first), kb, Prefs("individual"))[0]
    assert unknown.text.startswith("Den vägledningen hittar jag inte.") and unknown.buttons
    assert "Step-by-step guides" in english.text and english.button_texts == titles("individual", "en")
    assert "/guide" in help_text.text and "/map" in help_text.text


def all_data(call) -> list[str]:
    return [b["callback_data"] for row in call.buttons for b in row]


async def test_a_walk_chooses_goes_back_starts_over_and_cancels_in_one_message(api, small_bot):
    async with polling(build(api, small_bot)):
        listing = await api.reply_to(USER, "/vagledning")
        assert listing.button_texts == ["1. Ny klient: sjukskriven, försörjningsstöd, saknar SGI"]
        first = await tap(api, listing, listing.button_texts[0])
        assert "Klienten är sjukskriven" in first.text and "<b>Finns ett aktuellt läkarintyg?</b>" in first.text
        assert first.button_texts == ["Ja", "Nej", "◀ Tillbaka", "✖ Avbryt"]

        second = await tap(api, first, "Ja")
        assert "✓ Finns ett aktuellt läkarintyg? <b>Ja</b>" in second.text
        assert "<b>Behövs insatser från både socialtjänsten och vården?</b>" in second.text
        assert second.button_texts == ["Ja", "Nej", "◀ Tillbaka", "↺ Börja om", "✖ Avbryt"]

        back = await tap(api, second, "◀ Tillbaka")
        assert back.text == first.text and back.button_texts == first.button_texts
        second = await tap(api, back, "Ja")
        plan = await tap(api, second, "Ja")
        assert "<i>SIP samordnar insatserna.</i>" in plan.text
        assert "1. <b>Socialtjänsten:</b> Kallar till SIP.\nTa med: Samtycke" in plan.text
        assert plan.button_texts == ["📨 Skicka planen som ett meddelande", "🗺 Visa på kartan",
                                     "↗ Samordnad individuell plan (SIP)", "◀ Tillbaka", "↺ Börja om"]

        again = await tap(api, plan, "↺ Börja om")
        assert again.text == first.text
        to_list = await tap(api, again, "◀ Tillbaka")
        assert to_list.text == listing.text and to_list.button_texts == listing.button_texts
        first = await tap(api, to_list, listing.button_texts[0])
        cancelled = await tap(api, first, "✖ Avbryt")
        assert cancelled.text.startswith("Vägledningen är avbruten.") and not cancelled.buttons

    edits = api.calls_of("editMessageText")
    assert {c.params["message_id"] for c in edits} == {listing.params["_message_id"]}  # all in one message
    assert len(api.sent(USER)) == 1


async def test_every_route_of_the_small_pathway_ends_in_its_plan(api, small_bot):
    kb = small_bot.kb
    pathway = kb.pathway(SMALL)
    every = routes(pathway)
    assert every == [(0, 0), (0, 1), (1,)]
    async with polling(build(api, small_bot)):
        for route in every:
            shown = await api.reply_to(USER, f"/vagledning {SMALL}")
            walk = Walk.start(pathway)
            for index in route:
                shown = await tap(api, shown, walk.node.options[index].label)
                walk = walk.choose(index)
            assert walk.finished
            assert shown.text == views.walk_message(walk, kb, Prefs())[0]
            for step in walk.node.plan:
                assert htmlmod.escape(step.do.staff, quote=False) in shown.text
    plans = [Walk.follow(pathway, r).node_name for r in every]
    assert plans == ["plan_sip", "plan_fk", "plan_intyg"]


@pytest.mark.parametrize("with_store", [True, False], ids=["store-persistence", "no-store"])
async def test_a_walk_goes_on_after_a_restart_of_the_bot(api, small_bot, store, with_store):
    def app():
        if with_store:
            return build(api, small_bot, store, persistence=store.persistence())
        return build(api, small_bot)

    async with polling(app()):
        first = await api.reply_to(USER, f"/vagledning {SMALL}")
        second = await tap(api, first, "Ja")
    # The bot stops; a new Application (same database) takes the next tap on the same message.
    async with polling(app()):
        plan = await tap(api, second, "Nej")
        assert "Ansöker om samordning hos Försäkringskassan." in plan.text
        back = await tap(api, plan, "◀ Tillbaka")
    assert back.text == second.text


@pytest.mark.graphviz
async def test_the_finished_plan_is_sent_as_one_message_and_shown_on_the_map(api, small_bot):
    async with polling(build(api, small_bot)) as app:
        first = await api.reply_to(USER, f"/vagledning {SMALL}")
        plan = await tap(api, await tap(api, first, "Ja"), "Ja")
        sent = await api.after("sendMessage", lambda: api.press(USER, plan.data_of("Skicka planen"), plan))
        photo = await api.after("sendPhoto", lambda: api.press(USER, plan.data_of("Visa på kartan"), plan))
        again = await api.after("sendPhoto", lambda: api.press(USER, plan.data_of("Visa på kartan"), plan))
        renders = app.services.maps.renders

    walk = Walk.follow(small_bot.kb.pathway(SMALL), (0, 0))
    assert sent.text == views.plan_message(walk, small_bot.kb, Prefs(), BOT_USERNAME)
    assert not sent.buttons and sent.params["parse_mode"] == "HTML"
    assert len(api.sent(USER)) == 2  # the walk and the plan: one message each

    width, height = check_photo(photo.files["photo"])  # a PNG within Telegram's limits
    assert width > 200 and height > 200 and len(photo.files["photo"]) <= 10 * 1024 * 1024
    assert "Din plan på processkartan" in photo.caption and "Ny klient" in photo.caption
    assert again.files["photo"] == photo.files["photo"] and renders == 1  # drawn once
    assert [c.params["action"] for c in api.calls_of("sendChatAction")] == ["upload_photo"]


@pytest.mark.graphviz
async def test_an_answer_offers_the_pathway_that_fits_and_it_opens_below(api, shipped_bot):
    question = "vad gör jag med en ny klient som saknar SGI"
    expected = shipped_bot.ask(question, "staff", "sv", fmt="telegram")
    pathway = expected.pathway
    assert pathway is not None
    async with polling(build(api, shipped_bot)):
        answer = await api.reply_to(USER, question)
        # "en ny klient": the first telling message chose staff mode, and the answer says so first.
        assert answer.text == "<i>Jag svarar dig som yrkesperson. Byt med /lage om du frågar för egen del.</i>\n\n" \
            + expected.text.strip()
        assert f"🧭 Det finns en vägledning steg för steg för den här situationen: <b>{pathway.title}</b>" \
            in answer.text
        assert answer.data_of("Gå igenom vägledningen") == f"gn:{pathway.id}"
        opened = await api.after("sendMessage", lambda: api.press(USER, f"gn:{pathway.id}", answer))
        assert opened.text == views.walk_message(Walk.start(pathway), shipped_bot.kb, Prefs())[0]

        # Through to a plan of the shipped pathway, and its map: a real-sized PNG a phone can take.
        shown, walk = opened, Walk.start(pathway)
        while not walk.finished:
            shown = await tap(api, shown, walk.node.options[0].label)
            walk = walk.choose(0)
        photo = await api.after("sendPhoto", lambda: api.press(USER, shown.data_of("Visa på kartan"), shown))
        nothing = await api.reply_to(USER, "xyzzy qwerty")
    assert all(c.params["message_id"] != answer.params["_message_id"] for c in api.calls_of("editMessageText"))
    check_photo(photo.files["photo"])
    assert not nothing.buttons  # no pathway fits: no offer


@pytest.mark.graphviz
async def test_karta_sends_the_map_and_marks_an_actor_or_a_pathway(api, small_bot):
    async with polling(build(api, small_bot)) as app:
        whole = await api.after("sendPhoto", lambda: api.send_text(USER, "/karta"))
        assert whole.caption.startswith("Processkartan: vem gör vad.")
        assert whole.button_texts == ["Försäkringskassan", "Socialtjänsten", "Hälso- och sjukvården"]
        assert exact(whole, "Socialtjänsten") == "k:a:socialtjansten"
        marked = await api.after("sendPhoto", lambda: api.press(USER, "k:a:socialtjansten", whole))
        by_name = await api.after("sendPhoto", lambda: api.send_text(USER, "/karta Socialtjänsten"))
        by_pathway = await api.after("sendPhoto", lambda: api.send_text(USER, f"/karta {SMALL}"))
        unknown = await api.reply_to(USER, "/karta xyzzy")
        await api.reply_to(USER, "/sprak en")
        english = await api.after("sendPhoto", lambda: api.send_text(USER, "/map"))
        renders = app.services.maps.renders
        # A (forged) walk button under a photo: a photo has no text to edit, so the list comes anew.
        listed = await api.after("sendMessage", lambda: api.press(USER, cb.WALK_LIST_DATA, whole))
        assert "Step-by-step guides" in listed.text

    assert marked.caption == by_name.caption == "Processkartan med Socialtjänsten markerad i rött."
    assert marked.files["photo"] == by_name.files["photo"] != whole.files["photo"]
    assert "Ny klient" in by_pathway.caption
    assert unknown.text.startswith("Jag hittar ingen aktör eller vägledning som heter ”xyzzy”")
    assert len(unknown.buttons) == 2  # the actors to choose from instead
    assert english.caption.startswith("The process map")
    assert renders == 4  # whole, one actor (twice), one pathway, the whole in English
    for call in api.calls_of("sendPhoto"):
        check_photo(call.files["photo"])


async def test_without_graphviz_the_map_is_explained_not_a_crash(api, small_bot, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` program to be found
    async with polling(build(api, small_bot)):
        reply = await api.reply_to(USER, "/karta")
        first = await api.reply_to(USER, f"/vagledning {SMALL}")
        plan = await tap(api, first, "Nej")
        explained = await api.after("sendMessage", lambda: api.press(USER, plan.data_of("Visa på kartan"), plan))
    assert "Graphviz saknas" in reply.text and "Graphviz saknas" in explained.text
    assert not api.calls_of("sendPhoto", ok=False)
    assert not [c for c in api.sent(USER) if "Något gick fel" in c.text]


async def test_forged_or_outdated_walk_buttons_are_refused_gracefully(api, kb_copy):
    bot = Rehabbot(kb_copy)
    key = shape_key(bot.kb.pathway(SMALL))
    forged = [f"g:{SMALL}:000000:", f"g:{SMALL}:{key}:9", f"g:{SMALL}:{key}:000", f"g:nowhere:{key}:",
              f"gs:{SMALL}:{key}:0", f"gm:{SMALL}:{key}:", f"gs:{SMALL}:{key}:1z", "gn:nowhere",
              "k:a:nobody", "k:a:sip", "k:p:nowhere", f"g:{SMALL}", f"g:{SMALL}:{key}:A", "gx:1", "gq",
              f"g:{SMALL}:{key}:0:", "k:x:socialtjansten", "g:" + "a" * 62]
    async with polling(build(api, bot)):
        first = await api.reply_to(USER, f"/vagledning {SMALL}")
        for data in forged:
            refused = await api.after("answerCallbackQuery", lambda data=data: api.press(USER, data, first))
            assert refused.params.get("text") in (
                "Vägledningen har ändrats sedan knappen visades. Börja om med /vagledning.",
                "Den här knappen fungerar inte längre. Skriv din fråga igen."), data
        assert not api.calls_of("editMessageText") and not api.calls_of("sendPhoto")
        assert len(api.sent(USER)) == 1  # nothing sent, no error message either

        # The pathway is restructured (its options swapped): a button from before is refused, not misread.
        path = kb_copy / "pathways.yaml"
        text = path.read_text(encoding="utf-8")
        yes = "        - {label: Ja, label_en: \"Yes\", next: bada}\n"
        no = "        - {label: Nej, label_en: \"No\", next: plan_intyg}\n"
        assert yes + no in text
        path.write_text(text.replace(yes + no, no + yes), encoding="utf-8")
        assert not [p for p in bot.reload() if not p.warning]
        stale = await api.after("answerCallbackQuery", lambda: api.press(USER, exact(first, "Ja"), first))
        assert stale.params["text"].startswith("Vägledningen har ändrats")
        # A change of wording only keeps the walks going.
        fresh = await api.reply_to(USER, f"/vagledning {SMALL}")
        swapped = shape_key(bot.kb.pathway(SMALL))
        path.write_text(path.read_text(encoding="utf-8").replace("Finns ett aktuellt läkarintyg?",
                                                                  "Finns ett läkarintyg?"), encoding="utf-8")
        bot.reload()
        assert shape_key(bot.kb.pathway(SMALL)) == swapped != key
        worded = await tap(api, fresh, "Nej")
        assert "Finns ett läkarintyg? <b>Nej</b>" in worded.text
