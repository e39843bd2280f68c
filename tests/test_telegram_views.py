"""What the Telegram channel renders, checked without a server: every entry, every button.

Telegram's limits are checked with the same rules the fake Bot API applies
(`parse_html`, 4,096 characters, `callback_data` of at most 64 bytes), over
every entry of the shipped knowledge base in both modes and languages.
"""

from __future__ import annotations

import re

import pytest
from fake_bot_api import BadRequest, check_markup, parse_html, utf16_len
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answers import render_entry
from bot.answers.render import labels
from bot.channels.telegram import bot_commands, file_url_for
from bot.channels.telegram.handlers import callbacks as cb
from bot.channels.telegram.handlers import views
from bot.channels.telegram.handlers.views import Prefs, split_html
from bot.settings import LANGS, MODES

MAX_LOG = 2 ** 63 - 1  # the largest row id a database hands out
CONTEXTS = ["", str(MAX_LOG), "a9999", "i9999", "t9999"]


def all_callback_data(markup) -> list[str]:
    if markup is None:
        return []
    return [b.callback_data for row in markup.inline_keyboard for b in row if b.callback_data is not None]


def assert_sendable(html: str, markup=None) -> None:
    """Would Telegram take this? Every part of the split message, and the keyboard."""
    for part in split_html(html):
        assert utf16_len(parse_html(part)) <= 4096 and utf16_len(part) <= 4096
    check_markup(markup.to_dict() if markup is not None else None)
    for data in all_callback_data(markup):
        assert len(data.encode("utf-8")) <= cb.MAX_BYTES, data
        assert cb.is_valid(data), data


def test_every_entry_renders_as_valid_telegram_html_with_buttons_within_64_bytes(shipped_bot):
    kb = shipped_bot.kb
    datas: set[str] = set()
    for entry in kb.entries:
        assert len(cb.view(entry.id, "x", str(MAX_LOG)).encode()) <= 64
        for mode in MODES:
            for lang in LANGS:
                prefs = Prefs(mode, lang)
                for ctx in CONTEXTS:
                    html, markup = views.entry_message(entry, kb, prefs, "", ctx)
                    assert_sendable(html, markup)
                    datas.update(all_callback_data(markup))
                for section in cb.SECTIONS:
                    for ctx in ("a9999", str(MAX_LOG)):
                        html, markup = views.entry_message(entry, kb, prefs, section, ctx)
                        assert_sendable(html, markup)
                        datas.update(all_callback_data(markup))
    for code in cb.LISTS:
        for page in range(5):
            html, markup = views.list_page(kb, code, page, "sv")
            assert_sendable(html, markup)
            datas.update(all_callback_data(markup))
    assert max(len(d.encode()) for d in datas) <= 64
    assert {d.split(":")[0] for d in datas} >= {"v", "o", "p", "fb"}


def test_every_answer_to_every_example_question_is_sendable(shipped_bot):
    for entry in shipped_bot.kb.entries[::3]:
        for question in entry.questions[:1]:
            for mode in MODES:
                reply = shipped_bot.ask(question, mode, "sv", fmt="telegram")
                html, markup = views.reply_view(reply, shipped_bot.kb, Prefs(mode, "sv"), MAX_LOG)
                assert_sendable(html, markup)


def test_knowledge_text_cannot_inject_markup(small_bot):
    entry = small_bot.kb.entries[0].model_copy(update={"title": "<b>x</b> & <script>", "does_not": ("a < b",)})
    html = render_entry(entry, small_bot.kb, "staff", "sv", "telegram")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;" in html and "a &lt; b" in html
    parse_html(html)


@pytest.mark.parametrize("data", [
    "v:sip::", "v:sip:n:123", "v:sip:d:a0", "o:sip", "p:i:3", "fb:12:+", "fb:12:-", "n:0", "n:7", "m:s", "m:i",
    "l:sv", "l:en", "_"])
def test_callback_patterns_accept_what_the_bot_makes(data):
    assert cb.is_valid(data)


@pytest.mark.parametrize("data", [
    "", "v:SIP::", "v:sip:z:", "v:sip::b1", "v:sip::0", "o:../x", "p:x:1", "p:a:12345", "fb:0:+", "fb:01:+",
    "fb:1:*", "m:staff", "l:de", "v:" + "a" * 33 + "::", "fb:" + "9" * 20 + ":+", "n:-1", "__"])
def test_callback_patterns_refuse_forged_data(data):
    assert not cb.is_valid(data)


def test_making_a_button_outside_the_scheme_is_an_error():
    with pytest.raises(ValueError):
        cb.view("Not An Id")
    with pytest.raises(ValueError):
        cb.view("a" * 40)


def test_labels_have_the_same_keys_in_both_languages():
    def keys(value, prefix=""):
        if isinstance(value, dict):
            return {k for key, item in value.items() for k in keys(item, f"{prefix}{key}.")} | {prefix}
        return {prefix}
    assert keys(labels()["sv"]["tg"]) == keys(labels()["en"]["tg"])
    assert labels()["sv"]["tg"]["commands"][0][0] == "start"


def test_command_lists_are_valid_bot_commands():
    for lang in LANGS:
        for admin in (False, True):
            commands = bot_commands(lang, admin)
            assert all(re.fullmatch(r"[a-z0-9_]{1,32}", c.command) and 1 <= len(c.description) <= 256
                       for c in commands)
    assert len(bot_commands("sv", True)) == len(bot_commands("sv")) + 3


def test_notice_names_what_was_found_in_the_users_language():
    assert "ett personnummer och ett telefonnummer" in views.notice("sv", {"personnummer", "phone"})
    assert "a name" in views.notice("en", {"name"})
    assert views.notice("sv") == ""
    assert "Skriv inte ditt personnummer" in views.notice("sv", privacy=True)


# -- splitting ----------------------------------------------------------------------

def test_split_prefers_paragraphs_then_lines_then_words():
    first, second, third = ("Första stycket. " * 4).strip(), ("Andra stycket. " * 4).strip(), "Tredje."
    assert split_html(f"{first}\n\n{second}\n\n{third}", limit=len(first) + len(second) + 2) == [
        f"{first}\n\n{second}", third]
    assert split_html(f"{first}\n\n{second}\n\n{third}", limit=len(first) + 1) == [first, second, third]
    lines = split_html("rad ett\nrad två\nrad tre", limit=16)
    assert lines == ["rad ett\nrad två", "rad tre"]
    words = split_html("ord " * 10, limit=12)
    assert all(len(w) <= 12 for w in words) and " ".join(words).split() == ["ord"] * 10


def test_split_closes_and_reopens_tags_and_never_cuts_an_entity():
    html = "<b>" + "Fet &amp; viktig text. " * 20 + "</b>\n\n<pre>" + "kod &lt;x&gt;\n" * 30 + "</pre>"
    parts = split_html(html, limit=100)
    assert len(parts) > 3
    for part in parts:
        assert len(part) <= 100
        parse_html(part)
    assert parts[1].startswith("<b>") and parts[-1].endswith("</pre>")


def test_a_short_message_is_one_part():
    assert split_html("<b>Hej</b>") == ["<b>Hej</b>"]


_WORD = st.text(alphabet="abcåäö&<>😀 ", min_size=1, max_size=12)


@st.composite
def html_documents(draw):
    from markupsafe import escape
    paragraphs = []
    for _ in range(draw(st.integers(1, 8))):
        lines = []
        for _ in range(draw(st.integers(1, 4))):
            text = str(escape(" ".join(draw(st.lists(_WORD, min_size=1, max_size=10)))))
            tag = draw(st.sampled_from(["", "b", "i", "code"]))
            lines.append(f"<{tag}>{text}</{tag}>" if tag else text)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


@settings(max_examples=150, deadline=None)
@given(html_documents(), st.integers(min_value=40, max_value=300))
def test_split_parts_are_valid_fit_and_keep_every_word(document, limit):
    parts = split_html(document, limit)
    for part in parts:
        assert utf16_len(part) <= limit
        parse_html(part)

    def words(text):
        return parse_html(text).split()
    assert [w for p in parts for w in words(p)] == words(document) or \
        "".join(w for p in parts for w in words(p)) == "".join(words(document))


def test_the_fake_server_rejects_what_telegram_rejects():
    for bad in ("<b>open", "<div>x</div>", "a & b", "<b><i>x</b></i>", "&nbsp;"):
        with pytest.raises(BadRequest):
            parse_html(bad)
    assert parse_html("<b>a</b> &lt; &#39;x&#39; &amp; y") == "a < 'x' & y"


def test_file_url_follows_the_api_base():
    assert file_url_for("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url_for("http://localhost:8081/bot") == "http://localhost:8081/file/bot"
