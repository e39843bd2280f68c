"""Recognising Swedish personal identity numbers (personnummer) and
coordination numbers (samordningsnummer).

Kept apart from the regular expressions in :mod:`bot.text.redact` because the
*validity* rules (a real calendar date, the Luhn check digit, day + 60 for a
samordningsnummer) are what separate an identity number from any other run of
ten digits, and they deserve tests of their own.
"""

from __future__ import annotations

import datetime as _dt
from enum import StrEnum


class IdKind(StrEnum):
    """What a personnummer-shaped number turned out to be."""

    PERSONNUMMER = "personnummer"
    SAMORDNINGSNUMMER = "samordningsnummer"
    #: A plausible date part but a wrong check digit: most likely a mistyped
    #: personnummer (still personal data), possibly some other number.
    INVALID_CHECKSUM = "invalid_checksum"
    #: Not a date at all (month 13, day 45, ...): not an identity number.
    NOT_AN_ID = "not_an_id"


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check used by Skatteverket, over the 10-digit form.

    Weights 2,1,2,1,... from the left; the sum of the digits of the products
    must be divisible by 10.
    """
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return total % 10 == 0


def _date_exists(years: list[int], month: int, day: int) -> bool:
    for year in years:
        try:
            _dt.date(year, month, day)
        except ValueError:
            continue
        return True
    return False


def classify(digits: str) -> IdKind:
    """Classify 10 or 12 digits (separators already removed).

    With 10 digits the century is unknown, so a date counts as real when it
    exists in either the 1900s or the 2000s (29 February needs a leap year in
    one of them). Day 61–91 is a samordningsnummer (day + 60).
    """
    if len(digits) == 12:
        century, rest = int(digits[:2]), digits[2:]
        if century not in (18, 19, 20):
            return IdKind.NOT_AN_ID
        years = [century * 100 + int(rest[:2])]
    elif len(digits) == 10:
        rest = digits
        years = [1900 + int(rest[:2]), 2000 + int(rest[:2])]
    else:
        return IdKind.NOT_AN_ID
    month, day = int(rest[2:4]), int(rest[4:6])
    coordination = day > 60
    if coordination:
        day -= 60
    if not _date_exists(years, month, day):
        return IdKind.NOT_AN_ID
    if not luhn_ok(rest):
        return IdKind.INVALID_CHECKSUM
    return IdKind.SAMORDNINGSNUMMER if coordination else IdKind.PERSONNUMMER
