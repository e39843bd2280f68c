"""Admin sub-commands of ``rehabbot`` that work on the store.

``stats [--json] [--days N]``, ``export unanswered --csv [--days N] [--out
FILE]`` and ``privacy forget TELEGRAM_USER_ID``. Each opens the store named
by ``DATABASE_URL`` (or the default SQLite file) and closes it again.

:func:`add_commands` registers them on the main parser's sub-parsers and
returns ``{command: handler}`` for its dispatch table; each handler takes the
parsed arguments (with ``args.settings``) and returns the exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"måste vara ett heltal ≥ 1: {text!r}")
    return value


def _telegram_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"inte ett Telegram-användar-id: {text!r}") from None


def _open(args: argparse.Namespace):
    from bot.store import open_store

    settings = args.settings
    try:
        return open_store(settings.database_url, retention_days=settings.retention_days, secret=settings.secret)
    except Exception as exc:  # one line for the admin, not a traceback
        print(f"rehabbot: kunde inte öppna databasen: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def cmd_stats(args: argparse.Namespace) -> int:
    from bot.store.report import format_stats

    with _open(args) as store:
        stats = store.stats(args.days)
    if args.json:
        print(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_stats(stats))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from bot.store.report import write_unanswered_csv

    # CSV is the only format; --csv names it explicitly, as the docs spell it.
    with _open(args) as store:
        rows = store.unanswered(args.days)
    if args.out:
        # utf-8-sig: Excel only recognises UTF-8 (å, ä, ö) with the BOM.
        with open(args.out, "w", encoding="utf-8-sig", newline="") as stream:
            count = write_unanswered_csv(rows, stream)
        print(f"Skrev {count} obesvarade frågor till {args.out}", file=sys.stderr)
    else:
        write_unanswered_csv(rows, sys.stdout)
    return 0


def cmd_privacy(args: argparse.Namespace) -> int:
    from bot.store.pseudonyms import MissingSecret

    with _open(args) as store:
        try:
            deleted = store.forget(args.telegram_user_id)
        except MissingSecret as exc:  # the person's rows are found by their pseudonym only
            print(f"rehabbot privacy: {exc}", file=sys.stderr)
            return 2
        # Record that an erasure happened, but not whose: the audit row must
        # not bring back what was just deleted.
        store.audit("privacy_forget", None, "ok", detail=f"{deleted} rader raderade")
    if deleted:
        rows = "rad" if deleted == 1 else "rader"
        print(f"Raderade {deleted} {rows} om användaren (inställningar, frågor, återkoppling, samtalsläge).")
    else:
        print("Det fanns inget sparat om den användaren.")
    return 0


def add_commands(
    subparsers: argparse._SubParsersAction,
    parents: Sequence[argparse.ArgumentParser] = (),
) -> dict[str, Handler]:
    """Register ``stats``, ``export`` and ``privacy``; return their handlers by name.

    ``parents`` are passed to each new parser (e.g. one that accepts ``--kb``
    after the sub-command).
    """
    parents = list(parents)
    stats = subparsers.add_parser(
        "stats",
        parents=parents,
        help="statistik: frågor, andel besvarade, vanligaste svar, återkoppling, teman",
    )
    stats.add_argument("--json", action="store_true", help="skriv JSON")
    stats.add_argument(
        "--days", type=_positive_int, default=None, metavar="N", help="bara de senaste N dagarna"
    )

    export = subparsers.add_parser("export", parents=parents, help="exportera data")
    export_sub = export.add_subparsers(dest="export_what", required=True, metavar="WHAT")
    unanswered = export_sub.add_parser(
        "unanswered",
        parents=parents,
        help="obesvarade frågor (förslag eller inget svar) som CSV, grupperade efter tema",
    )
    unanswered.add_argument("--csv", action="store_true", help="CSV (det enda formatet)")
    unanswered.add_argument(
        "--days", type=_positive_int, default=None, metavar="N", help="bara de senaste N dagarna"
    )
    unanswered.add_argument("--out", metavar="FILE", help="skriv till FILE i stället för stdout")

    privacy = subparsers.add_parser("privacy", parents=parents, help="integritet")
    privacy_sub = privacy.add_subparsers(dest="privacy_action", required=True, metavar="ACTION")
    forget = privacy_sub.add_parser(
        "forget",
        parents=parents,
        help="radera allt om en person (rätten att bli bortglömd)",
    )
    forget.add_argument("telegram_user_id", type=_telegram_id, metavar="TELEGRAM_USER_ID")

    return {"stats": cmd_stats, "export": cmd_export, "privacy": cmd_privacy}
