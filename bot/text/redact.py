"""Removing personal data from free text before anything is stored or logged.

People write personnummer, phone numbers, e-mail addresses and names into a
chat about rehabilitation. The question log exists to improve the knowledge
base, which never needs any of those, so they are replaced by placeholders
*before* a question reaches the database or a log line.

The passes run in a fixed order, and the order is the design:

1. **E-mail** first, because addresses may contain digits
   (``anna.811218@example.se``).
2. **Valid identity numbers**: personnummer and samordningsnummer in any
   common layout (10 or 12 digits; ``-``, ``+`` or a space before the last
   four; single spaces between digit pairs), kept only when the date exists
   (day + 60 for samordningsnummer) *and* the Luhn check digit is right.
   They become ``[personnummer]`` / ``[samordningsnummer]``.
3. **Phone numbers**: Swedish national (``070-123 45 67``, ``08-123 456 78``,
   ``(08) 12 34 56``), ``+46``/``0046`` and other ``+``-international forms.
4. **Identity-number layout with a wrong check digit** → ``[nummer]``. Such a
   number is most often a personnummer with a typo, and a personnummer one
   digit off still points at a person (the date of birth is there in clear),
   so it is not kept. It is *not* labelled ``[personnummer]``: the Luhn check
   is what makes that label trustworthy in the statistics and in what the bot
   tells the user. This pass runs after the phone pass on purpose, so a
   Luhn-invalid ``0701234567`` is reported as the phone number it most likely
   is.
5. **Any other unbroken run of 8 or more digits** → ``[nummer]``
   (ärendenummer, bank accounts, ...): no answer depends on such a number.
   Shorter numbers (``1177``, ``112``, years, ages) are kept, since
   questions legitimately mention them.
6. **Names** → ``[namn]``: introduced as names ("jag heter Anna Svensson", "min
   mamma heter …", "my name is …", "Namn: …", the name on the next line), and
   anywhere else by curated lists of the first names and surnames common in
   Sweden (``bot/text/names/``): "Anna Svensson ringde", "min klient Ahmed
   Hassan", "Fatima behöver hjälp", "anna svensson" typed in lower case (first
   name and surname both listed). A listed name that is also a word ("Per
   månad", "Hans handläggare", "Björn"; ``ambiguous.txt``) counts only beside
   another name.
7. **Addresses, accounts and case numbers**: IBAN and grouped card numbers,
   a street with its number, a postcode, a diarienummer → ``[adress]``,
   ``[kontonummer]``, ``[diarienummer]``.
8. **Diagnoses** (health data): ICD-10 codes and the common diagnosis words →
   ``[diagnos]``, for storing only: the matcher reads the question with them
   (``redact(text, health=False)``).

A valid personnummer that also fits a phone layout (``0701234567``) is
labelled ``[personnummer]``: either way it is removed, and the label only
chooses what the user is told.

Placeholders contain no digits, so a later pass never matches an earlier
pass's output.

Before the passes the text is normalised, so a number cannot hide behind its
typography: NFKC (full-width digits become digits), every dash (en, em,
U+2010, minus …) becomes "-", zero-width characters and soft hyphens go.
Identity numbers may also be written with dots, slashes or underscores
("85.01.01-1236", "850101/1236") or with every digit spaced; e-mail addresses
as "anna(at)example.se", "anna @ example.se" or "anna[at]example[dot]se".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bot.text.idnumbers import IdKind, classify

#: kind → the placeholder that replaces it in stored text (Swedish, as admins
#: read the log).
PLACEHOLDERS: dict[str, str] = {
    "personnummer": "[personnummer]",
    "samordningsnummer": "[samordningsnummer]",
    "phone": "[telefon]",
    "email": "[e-post]",
    "number": "[nummer]",
    "name": "[namn]",
    "address": "[adress]",
    "account": "[kontonummer]",
    "case": "[diarienummer]",
    "diagnosis": "[diagnos]",
}


@dataclass(frozen=True)
class Redacted:
    """The result of :func:`redact`."""

    text: str
    kinds: frozenset[str]

    @property
    def found(self) -> bool:
        """True when anything was removed (the bot then says it was not stored)."""
        return bool(self.kinds)


_SPACE = r"[ \u00a0]"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# "anna(at)example.se", "anna [at] example [dot] se", "anna @ example.se"
_AT = r"(?:\s*[\(\[{]\s*(?:at|snabel-a)\s*[\)\]}]\s*|\s+@\s*|\s*@\s+)"
_DOT = r"(?:\s*[\(\[{]\s*(?:dot|punkt)\s*[\)\]}]\s*|\.)"
_EMAIL_WRITTEN = re.compile(rf"(?<![\w.+-])[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)+", re.IGNORECASE)

_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")

# Date part (optionally with the century), then an optional -, + or space,
# then the serial number and check digit. Single spaces may sit between the
# two-digit groups ("81 12 18-9876"). Not preceded or followed by a digit.
_GROUP = rf"(?:{_SPACE}|[./_])?"
_ID_LAYOUT = re.compile(
    rf"""(?<![\d+])
    (?:(?:1{_SPACE}?[89]|2{_SPACE}?0){_SPACE}?(?=\d{_SPACE}?\d))?\d{_SPACE}?\d{_GROUP}\d{_SPACE}?\d{_GROUP}\d{_SPACE}?\d
    (?:{_SPACE}?[-+/_.]{_SPACE}?|{_SPACE})?
    \d(?:{_SPACE}?\d){{3}}
    (?!\d)""",
    re.VERBOSE,
)

_SEP = rf"(?:{_SPACE}?-{_SPACE}?|[ /\u00a0])?"
_PHONE = re.compile(
    rf"""(?<![\w+])
    (?:
        (?:\+|00){_SPACE}?46{_SEP}(?:\(0\){_SEP})?[1-9](?:{_SEP}\d){{6,8}}
      | (?:\+|00)(?!46)[1-9]\d{{0,2}}{_SEP}\d(?:{_SEP}\d){{5,12}}
      | \(0\d{{1,3}}\){_SPACE}?\d(?:{_SEP}\d){{4,7}}
      | 0[1-9](?:{_SEP}\d){{6,8}}
      | 0[1-9]\d?(?:\.?\d){{7,8}}
    )
    (?!\d)""",
    re.VERBOSE,
)

_LONG_NUMBER = re.compile(r"(?<!\w)\d{8,}(?!\w)")
# IBAN ("SE45 5000 0000 0583 9825 7466") and card numbers written in groups ("4111 1111 1111 1111").
_ACCOUNT = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,4})?\b"
                      r"|(?<!\d)\d{4}(?:[ -]\d{4}){3}(?!\d)")
# A street and number ("Storgatan 12", "Drottningholmsvägen 5B"), a postcode ("123 45", "SE-123 45").
_STREET = re.compile(r"\b[A-ZÅÄÖ][a-zåäöé]+(?:gatan|vägen|gränd|backen|torget|stigen|allén|platsen|plan|leden|gata|väg)"
                     r"\s+\d{1,4}[A-Za-z]?\b")
_POSTCODE = re.compile(r"(?<![\d-])(?:SE-?)?[1-9]\d{2}\s\d{2}(?!\d)")
# Diarienummer: "Dnr 2024/1234", "dnr SN 2023-0456", "ärende 2024:123".
_CASE = re.compile(r"(?i)\b(?:dnr|diarienr|diarienummer|ärendenr|ärendenummer)\.?\s*:?\s*(?:[A-ZÅÄÖ]{1,4}\s?)?"
                   r"\d{2,4}[/:.-]\d{1,6}(?:[/:.-]\d{1,4})?")
# Diagnoses: ICD-10 codes (F31.8, M54.5, F32) and the diagnosis words people write most.
_ICD = re.compile(r"\b[A-TV-Z][0-9]{2}(?:\.?[0-9][0-9A-Z]?)?\b(?=[^\w]|$)")  # F31.8, F318, F43
_DIAGNOSES = re.compile(r"(?i)\b(?:depression(?:er)?|deprimerad|bipolär(?:\s+sjukdom)?|schizofreni|psykos|"
                        r"ptsd|adhd|autism|aspergers?|ångestsyndrom|paniksyndrom|ocd|anorexi|bulimi|"
                        r"fibromyalgi|multipel\s+skleros|epilepsi|diabetes|cancer|hiv|"
                        r"utmattningssyndrom|utbrändhet|missbruk|alkoholism)\b")

_NAME_WORD = r"[A-ZÅÄÖÉÜ][\w'-]+"
# "Namn: Anna Svensson", "I'm Anna Svensson", "Jag, Anna Svensson, undrar": a capitalised
# first name and surname after a label that says it is a name.
_NAME_LABELLED = re.compile(
    rf"""(?P<intro>(?:\b(?i:namn|name)\s*:\s*|\b(?:I'm|I\ am|Jag,)[ \t]+))
    (?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{1,3}})""",
    re.VERBOSE,
)
# "Anna Svensson heter jag"
_NAME_FIRST = re.compile(rf"(?P<name>\b{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{1,2}})(?P<outro>[ \t]+heter\ jag\b)",
                         re.VERBOSE)
_NAME = re.compile(
    rf"""(?P<intro>
        (?i:\b(?:jag\ heter|jag\ kallas|mitt\ namn\ är|han\ heter|hon\ heter|
              (?:min|mitt)\ \w+\ heter|my\ name\ is|i\ am\ called|i'm\ called)\b)
        :?\s+)
    (?P<name>(?i:[a-zåäöéü][\w'-]*)(?:[ \t]+{_NAME_WORD}){{0,2}})""",
    re.VERBOSE,
)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _valid_id(match: re.Match[str]) -> str | None:
    kind = classify(_digits(match.group(0)))
    if kind is IdKind.PERSONNUMMER:
        return "personnummer"
    if kind is IdKind.SAMORDNINGSNUMMER:
        return "samordningsnummer"
    return None


def _id_with_bad_checksum(match: re.Match[str]) -> str | None:
    kind = classify(_digits(match.group(0)))
    return "number" if kind is IdKind.INVALID_CHECKSUM else None


def _always(kind: str) -> Callable[[re.Match[str]], str | None]:
    return lambda _match: kind


# (pattern, decides the kind of a match or None to keep it); order matters,
# see the module docstring.
_PASSES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]]] = [
    (_EMAIL, _always("email")),
    (_EMAIL_WRITTEN, _always("email")),
    (_ACCOUNT, _always("account")),
    (_ID_LAYOUT, _valid_id),
    (_PHONE, _always("phone")),
    (_ID_LAYOUT, _id_with_bad_checksum),
    (_CASE, _always("case")),
    (_LONG_NUMBER, _always("number")),
    (_STREET, _always("address")),
    (_POSTCODE, _always("address")),
]
# Health data: stored text never keeps it, but the matcher needs it ("Vem hjälper mig med min
# depression?"), so `redact(..., health=False)` leaves it for understanding the question.
_HEALTH: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]]] = [
    (_ICD, _always("diagnosis")),
    (_DIAGNOSES, _always("diagnosis")),
]


def redact(text: str, health: bool = True) -> Redacted:
    """Replace personal data in ``text`` by placeholders; report what was found. `health=False`
    keeps diagnoses (for understanding a question, never for storing it)."""
    text = _INVISIBLE.sub("", _DASHES.sub("-", unicodedata.normalize("NFKC", text)))
    kinds: set[str] = set()
    for pattern, decide in _PASSES + (_HEALTH if health else []):

        def replace(match: re.Match[str], decide=decide) -> str:
            kind = decide(match)
            if kind is None:
                return match.group(0)
            kinds.add(kind)
            return PLACEHOLDERS[kind]

        text = pattern.sub(replace, text)

    def replace_name(match: re.Match[str]) -> str:
        kinds.add("name")
        return match.group("intro") + PLACEHOLDERS["name"]

    text = _NAME.sub(replace_name, text)
    text = _NAME_LABELLED.sub(replace_name, text)

    def replace_name_first(match: re.Match[str]) -> str:
        kinds.add("name")
        return PLACEHOLDERS["name"] + match.group("outro")

    text = _NAME_FIRST.sub(replace_name_first, text)
    text, found = _listed_names(text)
    if found:
        kinds.add("name")
    return Redacted(text=text, kinds=frozenset(kinds))


_TOKEN = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*")
# Capitalised words that open a sentence or address someone, never a surname after a first name.
_NOT_SURNAME = frozenset(("jag", "och", "men", "hej", "tack", "har", "är", "ar", "kan", "vill", "ska", "som",
                          "han", "hon", "hen", "vi", "de", "i", "and", "is", "has", "my", "the", "hi", "hello",
                          "dear", "undrar", "ringde", "säger", "sager", "mvh", "hälsningar", "halsningar",
                          "hälsning", "hejsan", "kära", "kara", "från", "fran", "lex"))
# Names of the authorities and places people write beside a name ("Ahmed Försäkringskassan sa …"):
# never taken for a surname, so the matcher still reads them.
_DOMAIN = re.compile(r"(?i)^(?:försäkr|forsakr|arbetsf|jobbtorg|social|soc$|fk$|af$|sip$|finsam|samordn|vård|vard|"
                     r"region|kommun|stockholm|rinkeby|järva|jarva|kista|spånga|spanga|tensta|husby|aktivitet|"
                     r"psyk|bup$|lss$|luh$|sgi$|läkar|lakar|rehab)")


@lru_cache(maxsize=1)
def _names() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(first names, surnames, names that are also words), case-folded, from bot/text/names/."""
    from importlib.resources import files
    folder = files("bot.text").joinpath("names")

    def read(name: str) -> frozenset[str]:
        file = folder.joinpath(name)
        if not file.is_file():
            return frozenset()
        return frozenset(line.strip().casefold() for line in file.read_text(encoding="utf-8").splitlines()
                         if line.strip() and not line.lstrip().startswith("#"))
    return read("first_names.txt"), read("surnames.txt"), read("ambiguous.txt")


def _listed_names(text: str) -> tuple[str, bool]:
    """`text` with the names the lists recognise replaced by [namn]; and whether there were any.

    A capitalised listed first name, with the capitalised names that follow it ("Anna Maria
    Svensson Karlsson"); alone only when it is no ordinary word too. A listed surname after any
    capitalised word ("Zlatko Andersson"), or alone when it is no word ("Svensson ringde").
    In lower case only a listed first name and surname together ("anna svensson")."""
    first, last, ambiguous = _names()
    if not first and not last:
        return text, False
    tokens = [(m.start(), m.end(), m.group(0), m.group(0).casefold()) for m in _TOKEN.finditer(text)]

    def joined(a: int) -> bool:  # token a+1 follows token a after one space or tab
        return a + 1 < len(tokens) and text[tokens[a][1]:tokens[a + 1][0]] in (" ", "\t")

    def capital(a: int) -> bool:
        return tokens[a][2][:1].isupper()

    def may_follow(a: int) -> bool:  # token a can be a further name after a first name
        word = tokens[a][3]
        return capital(a) and word not in _NOT_SURNAME and not _DOMAIN.match(word)

    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        word = tokens[i][3]
        end = -1
        after_lex = i > 0 and tokens[i - 1][3] == "lex" and joined(i - 1)  # "lex Sarah", "lex Maria"
        if after_lex:
            pass
        elif capital(i) and word not in _NOT_SURNAME and not _DOMAIN.match(word):
            j = i
            while joined(j) and may_follow(j + 1) and j - i < 3:
                j += 1
            if word in first:
                end = j if j > i else (i if word not in ambiguous else -1)
            elif j > i and tokens[i + 1][3] in last:
                end = j
            elif word in last and word not in ambiguous and j == i:
                end = i
        elif (word in first and word not in ambiguous and joined(i) and not capital(i + 1)
              and tokens[i + 1][3] in last and tokens[i + 1][3] not in ambiguous):
            end = i + 1
        elif text[:tokens[i][0]].endswith(PLACEHOLDERS["name"] + " ") and (word in last or word in first):
            end = i  # the rest of a name after its cue: "jag heter anna svensson" → "[namn] svensson"
        if end >= i:
            spans.append((tokens[i][0], tokens[end][1]))
            i = end + 1
        else:
            i += 1
    for begin, stop in reversed(spans):
        if text[:begin].endswith(PLACEHOLDERS["name"] + " "):  # one placeholder for one name
            text = text[:begin - 1] + text[stop:]
        else:
            text = text[:begin] + PLACEHOLDERS["name"] + text[stop:]
    return text, bool(spans)


def redact_text(text: str) -> str:
    """Shorthand for places that only need the cleaned text."""
    return redact(text).text
