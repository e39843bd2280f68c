"""4. Privacy: personal data written into the chat must not be kept in clear anywhere.

People write personnummer, phone numbers, e-mail addresses, names, addresses, account and
card numbers and diagnoses into a chat about rehabilitation. Each form below is sent by a
user of its own; then the harness looks for it, byte for byte and case-insensitively, in
every place the bot keeps or shows data:

* the SQLite file, its -wal and its -shm, while the bot runs and again after it stopped
  (the stop flushes python-telegram-bot's persistence);
* the bot's own log (stderr and stdout);
* `python -m bot stats`, `python -m bot stats --json` and `python -m bot export unanswered --csv`.

A form holds when none of its needles (the text as typed, and its digits alone for a number)
is found in any of them.
"""

from __future__ import annotations

import asyncio
import itertools

from bench.attack.core import Attack, Bot, Harness, luhn_digit

CATEGORY = "privacy"
_users = itertools.count(4_600_000)
TELEGRAM_ID = 7_319_046_582  # a user whose own Telegram id must not be stored in clear either

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")  # as Arabic speakers write digits
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")  # as Persian and Dari speakers write them


def _pnr(date: str, serial: str) -> tuple[str, str]:
    """(YYMMDD, NNNC) of a valid personnummer (or samordningsnummer: day + 60)."""
    return date, serial + luhn_digit(date + serial)


def _card(prefix: str) -> str:
    return prefix + luhn_digit(prefix)


def forms() -> dict[str, tuple[str, list[str]]]:
    """form → (the message, the needles that must not be found)."""
    out: dict[str, tuple[str, list[str]]] = {}

    def pnr_form(name: str, serial: str, write, date: str = "850101") -> None:
        d, s = _pnr(date, serial)
        typed = write(d, s)
        out[name] = (f"Mitt personnummer är {typed}, vem hjälper mig?", sorted({typed, d + s}))
    pnr_form("personnummer with -", "123", lambda d, s: f"{d}-{s}")
    pnr_form("personnummer with +", "124", lambda d, s: f"{d}+{s}")
    pnr_form("personnummer, 12 digits with -", "125", lambda d, s: f"19{d}-{s}")
    pnr_form("personnummer, 12 digits", "126", lambda d, s: f"19{d}{s}")
    pnr_form("personnummer without a separator", "127", lambda d, s: d + s)
    pnr_form("personnummer with an en dash", "128", lambda d, s: f"{d}\u2013{s}")
    pnr_form("personnummer with a minus sign (U+2212)", "129", lambda d, s: f"{d}\u2212{s}")
    pnr_form("personnummer with a space", "131", lambda d, s: f"{d} {s}")
    pnr_form("personnummer in digit pairs", "132", lambda d, s: " ".join((d + s)[i:i + 2] for i in range(0, 10, 2)))
    pnr_form("personnummer, every digit spaced", "133", lambda d, s: " ".join(d + s))
    pnr_form("personnummer with dots", "134", lambda d, s: f"{d[:2]}.{d[2:4]}.{d[4:]}-{s}")
    pnr_form("personnummer with a slash", "135", lambda d, s: f"{d}/{s}")
    pnr_form("personnummer in full-width digits", "136", lambda d, s: f"{d}-{s}".translate(FULL_WIDTH))
    pnr_form("personnummer with zero-width characters inside", "137",
             lambda d, s: f"{d[:4]}\u200b{d[4:]}-{s[:2]}\u200d{s[2:]}")
    pnr_form("personnummer with a soft hyphen", "138", lambda d, s: f"{d}\u00ad{s}")
    pnr_form("personnummer with a non-breaking space", "139", lambda d, s: f"{d}\u00a0{s}")
    pnr_form("personnummer in Arabic-Indic digits", "143", lambda d, s: f"{d}-{s}".translate(ARABIC_INDIC))
    pnr_form("personnummer in Persian digits", "144", lambda d, s: f"{d}-{s}".translate(PERSIAN))
    pnr_form("samordningsnummer", "141", lambda d, s: f"{d}-{s}", date="850161")
    d, s = _pnr("850101", "142")
    wrong = s[:3] + str((int(s[3]) + 1) % 10)
    out["personnummer with a wrong check digit (a typo)"] = (f"pnr {d}-{wrong}", [f"{d}-{wrong}", d + wrong])

    for name, typed, digits in [("phone 070-123 45 67", "070-123 45 67", "0701234567"),
                                ("phone +46 70 765 43 21", "+46 70 765 43 21", "46707654321"),
                                ("phone 08-123 456 78", "08-123 456 78", "0812345678"),
                                ("phone 0046701112233", "0046701112233", "0046701112233"),
                                ("phone (08) 55 66 77", "(08) 55 66 77", "08556677"),
                                ("phone in Arabic-Indic digits", "0709876543".translate(ARABIC_INDIC), "0709876543")]:
        out[name] = (f"ring mig på {typed}", [typed, digits])

    for name, typed, needle in [("e-mail", "kalle.bergstrom@example.se", "kalle.bergstrom"),
                                ("e-mail written (at)", "lisa.holm(at)example.se", "lisa.holm"),
                                ("e-mail written [at] [dot]", "per.ek [at] example [dot] se", "per.ek"),
                                ("e-mail with spaces around @", "sara.lund @ example.se", "sara.lund"),
                                ("e-mail in capitals", "OLLE.DAHL@EXAMPLE.SE", "olle.dahl")]:
        out[name] = (f"min e-post är {typed}", [typed, needle])

    for name, text, needle in [("name: jag heter …", "jag heter Anna Svensson och undrar om SIP", "Anna Svensson"),
                               ("name: … ringde", "Karin Lindqvist ringde i går och frågade om SIP",
                                "Karin Lindqvist"),
                               ("name: min klient …", "min klient Ahmed Hassan behöver sjukpenning", "Ahmed Hassan"),
                               ("name: Namn: …", "Namn: Erik Johansson. Vem kallar till SIP?", "Erik Johansson"),
                               ("name: min mamma heter …", "min mamma heter Fatima Ali", "Fatima Ali"),
                               ("name in lower case", "jag heter maria nilsson", "maria nilsson")]:
        out[name] = (text, [needle])

    out["street address and postcode"] = ("jag bor på Storgatan 12, 123 45 Stockholm", ["Storgatan 12", "123 45"])
    out["street address (vägen)"] = ("adress Drottningholmsvägen 57B", ["Drottningholmsvägen 57B"])
    out["IBAN with spaces"] = ("mitt konto SE45 5000 0000 0583 9825 7466",
                               ["SE45 5000 0000 0583 9825 7466", "SE4550000000058398257466"])
    out["IBAN without spaces"] = ("IBAN SE3550000000054910000003", ["SE3550000000054910000003"])
    card = _card("453914880343646")
    out["card number in groups"] = (f"kort {' '.join(card[i:i + 4] for i in range(0, 16, 4))}",
                                    [" ".join(card[i:i + 4] for i in range(0, 16, 4)), card])
    card2 = _card("542523343010990")
    out["card number, one run of digits"] = (f"kort {card2}", [card2])
    card3 = _card("601100099990001")
    out["card number with dashes"] = (f"kort {'-'.join(card3[i:i + 4] for i in range(0, 16, 4))}",
                                      ["-".join(card3[i:i + 4] for i in range(0, 16, 4)), card3])
    out["ICD-10 code"] = ("jag har diagnos F32.1, får jag sjukpenning?", ["F32.1"])
    out["two ICD-10 codes"] = ("läkaren skrev F43.2 och M54.5", ["F43.2", "M54.5"])
    out["ICD-10 code without a dot"] = ("diagnos F431 på intyget", ["F431"])
    out["diagnosis word"] = ("jag har schizofreni, vem hjälper mig?", ["schizofreni"])
    out["diarienummer"] = ("mitt ärende har Dnr 2024/18734", ["2024/18734"])
    return out


def _find(needles: list[str], sinks: dict[str, bytes]) -> list[str]:
    """'needle' in sink, sink … for every needle found."""
    found = []
    for needle in needles:
        key = needle.encode("utf-8").lower()
        where = [name for name, data in sinks.items() if key in data]
        if where:
            found.append(f"{needle!r} in {', '.join(where)}")
    return found


def _db_sinks(bot: Bot, when: str) -> dict[str, bytes]:
    return {f"sqlite{p.name[len(bot.db.name):] or ' file'} ({when})": p.read_bytes().lower() for p in bot.db_files()}


async def personal_data_in_every_form(a: Attack, bot: Bot) -> None:
    """Personnummer, phone, e-mail, names, addresses, IBAN, cards, ICD-10: not in clear in the store, log or reports."""
    sent = {}
    for name, (text, needles) in forms().items():
        uid = next(_users)
        sent[name] = (needles, uid, len(bot.replies(uid)))
        bot.api.send_text(uid, text)
    before = len(bot.replies(TELEGRAM_ID))
    bot.api.send_text(TELEGRAM_ID, "vem kallar till sip")
    await bot.api.wait_for(lambda: len(bot.replies(TELEGRAM_ID)) > before and all(
        len(bot.replies(u)) > b for _, u, b in sent.values()), timeout=60)
    await bot.quiet(1.0)
    stats, stats_json, export = await asyncio.gather(bot.cli("stats"), bot.cli("stats", "--json"),
                                                     bot.cli("export", "unanswered", "--csv"))
    sinks = _db_sinks(bot, "running")
    code = await bot.stop()
    sinks |= _db_sinks(bot, "stopped")
    sinks |= {"bot log": bot.log().encode().lower(), "stats": (stats.stdout + stats.stderr).encode().lower(),
              "stats --json": (stats_json.stdout + stats_json.stderr).encode().lower(),
              "export unanswered": (export.stdout + export.stderr).encode().lower()}
    a.check("the reports ran", all(r.returncode == 0 for r in (stats, stats_json, export)) and code == 0,
            f"exit codes stats {stats.returncode}, --json {stats_json.returncode}, export {export.returncode}, "
            f"bot {code}", note=f"{len(sinks)} places searched")
    for name, (needles, _, _) in sent.items():
        found = _find(needles, sinks)
        a.check(name, not found, "; ".join(found))
    found = _find([str(TELEGRAM_ID)], sinks)
    a.check("the user's Telegram id", not found, "; ".join(found))


async def run(h: Harness) -> None:
    async with h.bot("privacy") as bot:
        await h.run(CATEGORY, personal_data_in_every_form, bot)
