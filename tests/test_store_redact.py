"""Redaction: personal data never reaches the database or the logs.

The table uses real-looking inputs. Valid numbers were made with a correct
check digit (verified independently by ``_luhn`` below, not by the code under
test); "invalid" ones differ from a valid one in the last digit.
"""

from __future__ import annotations

import io
import logging

import pytest

from bot.store.logging_filter import RedactingFilter, install
from bot.text.idnumbers import IdKind, classify, luhn_ok
from bot.text.redact import redact


def _luhn(ten_digits: str) -> bool:
    """Reference Luhn, written differently from the one under test."""
    digits = [int(c) for c in ten_digits]
    doubled = [d * 2 - 9 if d * 2 > 9 else d * 2 for d in digits[0::2]]
    return (sum(doubled) + sum(digits[1::2])) % 10 == 0


VALID_10 = ["8112189876", "6408233234", "9011221232", "0306154527", "0002291235"]
VALID_SAMORDNING = ["7010632391", "8512901235"]
INVALID_LUHN = ["8112189875", "6408233230", "7010632390"]


def test_reference_numbers_are_what_the_table_says() -> None:
    for number in VALID_10 + VALID_SAMORDNING:
        assert _luhn(number), number
    for number in INVALID_LUHN:
        assert not _luhn(number), number


@pytest.mark.parametrize("number", VALID_10 + VALID_SAMORDNING + INVALID_LUHN + ["1234567890"])
def test_luhn_agrees_with_reference(number: str) -> None:
    assert luhn_ok(number) == _luhn(number)


@pytest.mark.parametrize(
    ("digits", "kind"),
    [
        ("8112189876", IdKind.PERSONNUMMER),
        ("198112189876", IdKind.PERSONNUMMER),
        ("0002291235", IdKind.PERSONNUMMER),  # 29 Feb 2000 exists
        ("7010632391", IdKind.SAMORDNINGSNUMMER),  # day 63 = 3rd + 60
        ("197010632391", IdKind.SAMORDNINGSNUMMER),
        ("8112189875", IdKind.INVALID_CHECKSUM),
        ("9902291237", IdKind.NOT_AN_ID),  # 29 Feb 1999/2099 does not exist
        ("8113189876", IdKind.NOT_AN_ID),  # month 13
        ("8112329876", IdKind.NOT_AN_ID),  # day 32
        ("258112189876", IdKind.NOT_AN_ID),  # century 25
        ("811218987", IdKind.NOT_AN_ID),  # 9 digits
    ],
)
def test_classify(digits: str, kind: IdKind) -> None:
    assert classify(digits) is kind


# (input, expected stored text, expected kinds)
CASES = [
    # personnummer, every common layout
    ("811218-9876", "[personnummer]", {"personnummer"}),
    ("8112189876", "[personnummer]", {"personnummer"}),
    ("811218+9876", "[personnummer]", {"personnummer"}),  # 100 years or older
    ("811218 9876", "[personnummer]", {"personnummer"}),
    ("81 12 18-98 76", "[personnummer]", {"personnummer"}),
    ("19811218-9876", "[personnummer]", {"personnummer"}),
    ("198112189876", "[personnummer]", {"personnummer"}),
    ("19811218 9876", "[personnummer]", {"personnummer"}),
    ("20030615-4527", "[personnummer]", {"personnummer"}),
    (
        "Hej! Mitt personnummer är 640823-3234, vad gäller för mig?",
        "Hej! Mitt personnummer är [personnummer], vad gäller för mig?",
        {"personnummer"},
    ),
    ("pnr:901122-1232.", "pnr:[personnummer].", {"personnummer"}),
    ("(19640823-3234)", "([personnummer])", {"personnummer"}),
    # samordningsnummer
    ("701063-2391", "[samordningsnummer]", {"samordningsnummer"}),
    ("samordningsnr 197010632391 tack", "samordningsnr [samordningsnummer] tack", {"samordningsnummer"}),
    ("851290-1235", "[samordningsnummer]", {"samordningsnummer"}),
    # wrong check digit in the layout of one: removed, but not called a personnummer
    ("811218-9875", "[nummer]", {"number"}),
    ("Jag skrev 19640823-3230 fel", "Jag skrev [nummer] fel", {"number"}),
    ("6408233230", "[nummer]", {"number"}),
    # ... unless it is a phone number, which it most likely is
    ("0701234567", "[telefon]", {"phone"}),
    # phone numbers
    ("Ring mig på 070-123 45 67", "Ring mig på [telefon]", {"phone"}),
    ("070 123 45 67", "[telefon]", {"phone"}),
    ("073-1234567", "[telefon]", {"phone"}),
    ("08-123 456 78", "[telefon]", {"phone"}),
    ("08-12 34 56", "[telefon]", {"phone"}),
    ("(08) 12 34 56", "[telefon]", {"phone"}),
    ("031-12 34 56", "[telefon]", {"phone"}),
    ("0521-123 45", "[telefon]", {"phone"}),
    ("+46 70 123 45 67", "[telefon]", {"phone"}),
    ("+46701234567", "[telefon]", {"phone"}),
    ("+46 (0)70-123 45 67", "[telefon]", {"phone"}),
    ("0046 8 123 456 78", "[telefon]", {"phone"}),
    ("+44 20 7946 0958", "[telefon]", {"phone"}),
    # e-mail
    ("mejla anna.svensson@example.se", "mejla [e-post]", {"email"}),
    ("A.B+rehab@kommun.example.org!", "[e-post]!", {"email"}),
    ("anna.811218-9876@example.se", "[e-post]", {"email"}),
    # other long numbers: case and account numbers
    ("ärendenummer 123456789012", "ärendenummer [nummer]", {"number"}),
    ("konto 12345678", "konto [nummer]", {"number"}),
    # names given as names
    ("Jag heter Anna Svensson och undrar", "Jag heter [namn] och undrar", {"name"}),
    ("min mamma heter Karin.", "min mamma heter [namn].", {"name"}),
    ("My name is John Smith", "My name is [namn]", {"name"}),
    # several at once
    (
        "Anna, 19811218-9876, 070-123 45 67, anna@example.se",
        "[namn], [personnummer], [telefon], [e-post]",
        {"name", "personnummer", "phone", "email"},
    ),
    # the same, written so that a plain pattern misses them (issue 17's attack: 34 of 91 forms)
    ("811218–9876", "[personnummer]", {"personnummer"}),  # en dash
    ("811218—9876", "[personnummer]", {"personnummer"}),  # em dash
    ("811218\u20109876", "[personnummer]", {"personnummer"}),  # U+2010 hyphen
    ("811218/9876", "[personnummer]", {"personnummer"}),
    ("81.12.18-9876", "[personnummer]", {"personnummer"}),
    ("811218_9876", "[personnummer]", {"personnummer"}),
    ("８１１２１８-９８７６", "[personnummer]", {"personnummer"}),  # full-width digits
    ("8112\u200b18-9876", "[personnummer]", {"personnummer"}),  # a zero-width space inside
    ("8 1 1 2 1 8 - 9 8 7 6", "[personnummer]", {"personnummer"}),  # every digit spaced
    ("070.123.45.67", "[telefon]", {"phone"}),
    ("070–123 45 67", "[telefon]", {"phone"}),
    ("anna(at)example.se", "[e-post]", {"email"}),
    ("anna @ example.se", "[e-post]", {"email"}),
    ("anna[at]example[dot]se", "[e-post]", {"email"}),
    ("Namn: Anna Svensson", "Namn: [namn]", {"name"}),
    ("I'm Anna Svensson", "I'm [namn]", {"name"}),
    ("Anna Svensson heter jag", "[namn] heter jag", {"name"}),
    ("Jag, Anna Svensson, undrar", "Jag, [namn], undrar", {"name"}),
    # names without a cue, by the curated lists of first names and surnames (bot/text/names/)
    ("Anna Svensson ringde mig igår", "[namn] ringde mig igår", {"name"}),
    ("min klient Ahmed Hassan vill inte ha SIP", "min klient [namn] vill inte ha SIP", {"name"}),
    ("Min klient Anna Svensson har fsd", "Min klient [namn] har fsd", {"name"}),
    ("Fatima behöver hjälp med blanketterna", "[namn] behöver hjälp med blanketterna", {"name"}),
    ("Kan Mohammed få sjukpenning?", "Kan [namn] få sjukpenning?", {"name"}),
    ("Anna Maria Svensson Karlsson ringde", "[namn] ringde", {"name"}),
    ("jag heter anna svensson", "jag heter [namn]", {"name"}),
    ("Jag heter\nAnna Svensson", "Jag heter\n[namn]", {"name"}),
    ("min klient anna svensson är sjukskriven", "min klient [namn] är sjukskriven", {"name"}),
    ("Zlatko Andersson vill ha tolk", "[namn] vill ha tolk", {"name"}),
    ("Hans Berg ringde från Jobbtorg", "[namn] ringde från Jobbtorg", {"name"}),
    ("Ahmed Försäkringskassan sa nej", "[namn] Försäkringskassan sa nej", {"name"}),
    # a name that is also a word counts only beside another name
    ("Hans handläggare ringde", "Hans handläggare ringde", set()),
    ("Per månad får jag 5000 kronor", "Per månad får jag 5000 kronor", set()),
    ("Vad gör Försäkringskassan och Jobbtorg?", "Vad gör Försäkringskassan och Jobbtorg?", set()),
    ("Jag bor i Rinkeby och har ont", "Jag bor i Rinkeby och har ont", set()),
    ("Liv och hälsa", "Liv och hälsa", set()),
    ("Är det en lex Sarah-anmälan? Mvh Ahmad Karimi", "Är det en lex Sarah-anmälan? Mvh [namn]", {"name"}),
    # addresses, accounts, case numbers, diagnoses
    ("Jag bor på Storgatan 12 i Spånga", "Jag bor på [adress] i Spånga", {"address"}),
    ("123 45 Stockholm", "[adress] Stockholm", {"address"}),
    ("SE45 5000 0000 0583 9825 7466", "[kontonummer]", {"account"}),
    ("kort 4111 1111 1111 1111", "kort [kontonummer]", {"account"}),
    ("Dnr 2024/1234", "[diarienummer]", {"case"}),
    ("dnr SN 2023-0456", "[diarienummer]", {"case"}),
    ("F31.8 och M54.5", "[diagnos] och [diagnos]", {"diagnosis"}),
    ("diagnos F431 sedan i våras", "diagnos [diagnos] sedan i våras", {"diagnosis"}),  # the dot left out
    ("Jag har depression och ADHD", "Jag har [diagnos] och [diagnos]", {"diagnosis"}),
    ("beroende på vad soc säger", "beroende på vad soc säger", set()),
    ("SFB 30 kap. 10 § och lag (2019:1297)", "SFB 30 kap. 10 § och lag (2019:1297)", set()),
    # kept: nothing personal
    ("Vad gör Försäkringskassan?", "Vad gör Försäkringskassan?", set()),
    ("Ska jag ringa 1177 eller 112?", "Ska jag ringa 1177 eller 112?", set()),
    ("Öppet 08.00-17.00, 8-17", "Öppet 08.00-17.00, 8-17", set()),
    ("Hur var det 2019 2020 2021?", "Hur var det 2019 2020 2021?", set()),
    ("Beslut 2024-01-15 om 14 dagar", "Beslut 2024-01-15 om 14 dagar", set()),
    ("Jag är 45 år och har 3 barn", "Jag är 45 år och har 3 barn", set()),
    ("8113189876", "[nummer]", {"number"}),  # no date, but 10 digits in a row
    ("811318-9876", "811318-9876", set()),  # month 13: not an identity number
]


@pytest.mark.parametrize(("text", "expected", "kinds"), CASES)
def test_redaction_table(text: str, expected: str, kinds: set[str]) -> None:
    result = redact(text)
    assert result.text == expected
    assert set(result.kinds) == kinds
    assert result.found == bool(kinds)


def test_redacted_text_has_nothing_left_to_redact() -> None:
    for _, expected, _ in CASES:
        again = redact(expected)
        assert again.text == expected
        assert not again.kinds, expected


def test_no_digits_of_a_personnummer_survive_in_a_long_message() -> None:
    text = (
        "Hej, jag heter Lisa Berg, personnummer 19640823-3234, och min son "
        "har samordningsnummer 701063-2391. Nå mig på +46 70 987 65 43 eller "
        "lisa.berg@example.com. Mitt ärende har nummer 2024123456."
    )
    stored = redact(text).text
    for secret in ("6408233234", "0823", "7010632391", "987 65 43", "lisa.berg", "2024123456", "Lisa"):
        assert secret not in stored.replace("-", ""), secret


def _capture(logger_name: str) -> tuple[logging.Logger, io.StringIO, logging.Handler]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return logger, stream, handler


def test_logging_filter_redacts_args_messages_and_tracebacks() -> None:
    parent, stream, handler = _capture("rehabbot_test_parent")
    try:
        child = logging.getLogger("rehabbot_test_parent.child")
        child.info("fråga från användaren: %s (%d tecken)", "pnr 811218-9876", 15)
        child.debug("update %r", {"text": "ring 070-123 45 67"})
        child.warning("direkt i meddelandet: anna@example.se")
        try:
            raise ValueError("kunde inte tolka 19811218-9876")
        except ValueError:
            child.exception("fel för %s", "anna@example.se")
    finally:
        parent.removeHandler(handler)
    output = stream.getvalue()
    for secret in ("811218-9876", "9876", "070-123", "anna@example.se"):
        assert secret not in output, secret
    assert "fråga från användaren: pnr [personnummer] (15 tecken)" in output
    assert "[telefon]" in output
    assert "ValueError: kunde inte tolka [personnummer]" in output  # traceback kept, redacted


def test_logging_filter_leaves_clean_records_lazy() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "svar %s på %d ms", ("sip", 12), None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "svar sip på 12 ms"


def test_install_adds_the_filter_to_every_root_handler_once() -> None:
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        install()
        install()
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
        assert [type(f).__name__ for f in handler.filters] == ["RepeatFilter", "RedactingFilter"]
        logging.getLogger("telegram.ext.Application").info("text: %s", "811218-9876")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert "811218-9876" not in stream.getvalue()
    assert "[personnummer]" in stream.getvalue()


def test_a_repeated_error_is_logged_a_few_times_then_counted() -> None:
    from bot.store.logging_filter import RepeatFilter
    now = [0.0]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RepeatFilter(burst=5, window=60.0, clock=lambda: now[0]))
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("test.repeat")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        for i in range(1000):
            log.error("update %d failed", i)
        log.warning("another kind of trouble")
        now[0] = 61.0  # a minute later the same kind is let through again, with the count
        log.error("update %d failed", 1000)
        log.info("info is never held back")
    finally:
        log.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert lines[:5] == [f"update {i} failed" for i in range(5)]
    assert lines[5:] == ["another kind of trouble", "update 1000 failed (995 liknande rader hölls tillbaka)",
                         "info is never held back"]


def test_diagnoses_are_kept_for_understanding_a_question_never_for_storing_it() -> None:
    question = "Vem hjälper mig med min depression?"
    assert redact(question).text == "Vem hjälper mig med min [diagnos]?"
    assert redact(question, health=False).text == question
