"""The compact `callback_data` scheme of the inline buttons.

Telegram carries at most 64 bytes of `callback_data` per button, and anyone
can send any bytes back (a modified client forges them), so every button's
data is short, self-describing and checked against a strict pattern before a
handler acts on it. Entry ids are at most 32 characters of ``[a-z0-9_]``
(the knowledge schema guarantees it); log ids are database row ids.

=====================  =====================================================
``v:<id>:<sec>:<ctx>``  show entry ``id`` in this message; ``sec`` is a part
                        of it (``''`` the whole, ``d`` what they do, ``x``
                        what they don't do, ``c`` contacts, ``n`` next steps,
                        ``r`` related); ``ctx`` is where it was opened from:
                        a log id (an answer: 👍/👎 go with it), ``a3``/``i3``/
                        ``t3`` (a page of /aktorer, /insatser, /vemgorvad:
                        "back" goes there) or ``''`` (nothing)
``o:<id>``              open entry ``id`` in a new message (related links)
``p:<a|i|t>:<page>``    a page of a list
``fb:<log>:<+|->``      👍/👎 on the answer logged as ``log``
``n:<log>``             "Inget av dessa" under a suggestion (``0``: not logged)
``m:<s|i>``             mode: staff / individual
``l:<sv|en|ar|…>``       language (any of `bot.settings.LANGS`)
``_``                   does nothing (the page counter)
``g:<pw>:<key>:<ch>``   guided pathway ``pw`` walked by the choices ``ch``
                        (one character per question: the option taken,
                        ``0``–``9``, ``a``–``z``), shown in this message;
                        ``key`` is the pathway's `shape_key`, so a button
                        from before a restructuring is refused, not misread
``gs:<pw>:<key>:<ch>``  send the finished plan as one message to forward
``gm:<pw>:<key>:<ch>``  the finished plan on the process map (a photo)
``gn:<pw>``             start pathway ``pw`` in a new message (the offer
                        under an answer, which stays)
``gl``                  the list of pathways, in this message
``gx``                  cancel the walk
``k:<a|p>:<id>``        the process map with actor / pathway ``id`` marked
``u:<token>:<y|n>``     an admin confirms (``y``) or drops (``n``) the upload
                        waiting under ``token`` (it would remove entries)
=====================  =====================================================

The longest entry button, ``v:`` + 32 + ``:x:`` + 19 digits, is 56 bytes. A
walk carries its whole state, so it survives a restart of the bot with or
without a database and every message's buttons stay true to that message;
``gs:`` + 24 + ``:`` + 6 + ``:`` fits 29 questions in 64 bytes.
"""

from __future__ import annotations

import re
import string

MAX_BYTES = 64

SECTIONS = ("d", "x", "c", "n", "r")
LISTS = {"a": "actor", "i": "insats", "t": "task"}
MODE_CODES = {"s": "staff", "i": "individual"}
MODE_OF_CODE = {mode: code for code, mode in MODE_CODES.items()}

_ID = r"[a-z0-9_]{1,32}"
_LOG = r"[1-9][0-9]{0,18}"
_CTX = rf"(?:{_LOG}|[ait][0-9]{{1,4}})?"

VIEW = re.compile(rf"^v:(?P<id>{_ID}):(?P<sec>[dxcnr]?):(?P<ctx>{_CTX})$")
OPEN = re.compile(rf"^o:(?P<id>{_ID})$")
PAGE = re.compile(r"^p:(?P<list>[ait]):(?P<page>[0-9]{1,4})$")
FEEDBACK = re.compile(rf"^fb:(?P<log>{_LOG}):(?P<value>[+-])$")
NONE_OF_THESE = re.compile(rf"^n:(?P<log>0|{_LOG})$")
MODE = re.compile(r"^m:(?P<mode>[si])$")
LANG = re.compile(r"^l:(?P<lang>sv|en|ar|fa|so|ti|tr|pl)$")
NOOP = re.compile(r"^_$")

_PATHWAY = r"[a-z0-9_]{1,24}"
_WALK = rf"(?P<id>{_PATHWAY}):(?P<key>[0-9a-f]{{6}}):(?P<choices>[0-9a-z]{{0,56}})"
WALK = re.compile(rf"^g:{_WALK}$")
PLAN = re.compile(rf"^g(?P<act>[sm]):{_WALK}$")
WALK_NEW = re.compile(rf"^gn:(?P<id>{_PATHWAY})$")
WALK_LIST = re.compile(r"^gl$")
WALK_CANCEL = re.compile(r"^gx$")
MAP = re.compile(rf"^k:(?P<kind>[ap]):(?P<id>{_ID})$")
UPLOAD = re.compile(r"^u:(?P<token>[0-9a-f]{12}):(?P<act>[yn])$")

ALL = (VIEW, OPEN, PAGE, FEEDBACK, NONE_OF_THESE, MODE, LANG, NOOP, WALK, PLAN, WALK_NEW, WALK_LIST,
       WALK_CANCEL, MAP, UPLOAD)


def view(entry_id: str, section: str = "", ctx: str = "") -> str:
    return _checked(f"v:{entry_id}:{section}:{ctx}")


def open_entry(entry_id: str) -> str:
    return _checked(f"o:{entry_id}")


def page(list_code: str, number: int) -> str:
    return _checked(f"p:{list_code}:{number}")


def feedback(log_id: int, up: bool) -> str:
    return _checked(f"fb:{log_id}:{'+' if up else '-'}")


def none_of_these(log_id: int | None) -> str:
    return _checked(f"n:{log_id or 0}")


def mode(name: str) -> str:
    return _checked(f"m:{MODE_OF_CODE[name]}")


def lang(code: str) -> str:
    return _checked(f"l:{code}")


NOOP_DATA = "_"
WALK_LIST_DATA = "gl"
WALK_CANCEL_DATA = "gx"

_CHOICE_DIGITS = string.digits + string.ascii_lowercase  # the option taken at a question, 0–35
SEND_PLAN, MAP_PLAN = "s", "m"


def choices_code(choices: tuple[int, ...] | list[int]) -> str:
    if any(not 0 <= c < len(_CHOICE_DIGITS) for c in choices):
        raise ValueError(f"a question with more than {len(_CHOICE_DIGITS)} options cannot be a button")
    return "".join(_CHOICE_DIGITS[c] for c in choices)


def parse_choices(code: str) -> tuple[int, ...]:
    return tuple(_CHOICE_DIGITS.index(c) for c in code)


def walk(pathway_id: str, key: str, choices: tuple[int, ...] | list[int], action: str = "") -> str:
    """A step of a walk (``action`` ``''``), or what to do with its plan (`SEND_PLAN`, `MAP_PLAN`)."""
    return _checked(f"g{action}:{pathway_id}:{key}:{choices_code(choices)}")


def walk_new(pathway_id: str) -> str:
    return _checked(f"gn:{pathway_id}")


def upload(token: str, confirm: bool) -> str:
    return _checked(f"u:{token}:{'y' if confirm else 'n'}")


def map_of(kind: str, target_id: str) -> str:
    """``kind`` ``a`` (an actor) or ``p`` (a pathway)."""
    return _checked(f"k:{kind}:{target_id}")


def log_context(log_id: int | None) -> str:
    """The ``ctx`` of an answer: its log id, or nothing when it was not logged."""
    return str(log_id) if log_id else ""


def list_context(list_code: str, number: int) -> str:
    return f"{list_code}{number}"


def parse_context(ctx: str) -> tuple[int | None, tuple[str, int] | None]:
    """``ctx`` as (log id, (list code, page)); at most one of them is set."""
    if not ctx:
        return None, None
    if ctx[0] in LISTS:
        return None, (ctx[0], int(ctx[1:]))
    return int(ctx), None


def is_valid(data: str) -> bool:
    return any(pattern.match(data) for pattern in ALL)


def _checked(data: str) -> str:
    """Every button we make passes the same patterns we accept, within Telegram's limit."""
    if len(data.encode("utf-8")) > MAX_BYTES or not is_valid(data):
        raise ValueError(f"invalid callback_data {data!r}")
    return data
