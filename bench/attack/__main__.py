"""`python -m bench.attack [--quick] [--json out.json] [--only CATEGORY,…]`.

Prints the table (category, attacks, tries, held, failed) and writes bench/attack/REPORT.md
with the table and the failures; progress goes to standard error. A failed try is a finding,
not an error of the run: the exit status is 0 unless the harness itself could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import importlib
import json
import os
import platform
import signal
import sys
import time
from pathlib import Path

from bench.attack import report
from bench.attack.core import Attack, Harness, one_line

# (category, module) in the order they run and are reported.
CATEGORIES = [("bad input", "bad_input"), ("forged buttons", "buttons"), ("admin path", "admin"),
              ("privacy", "privacy"), ("faults", "faults"), ("load", "load"), ("webhook", "webhook"),
              ("the rest", "lifecycle")]
HERE = Path(__file__).resolve().parent
# The order of the run: phases one after the other; in a phase, lanes at the same time, each lane's
# categories one after the other. Most of an attack is waiting for the bot, so lanes share the two
# cores well; the load category has the machine to itself in the full run, so its latencies are the
# bot's own (in --quick it shares, and its thresholds are generous enough for that).
PLAN_FULL = [[["load"]], [["admin"], ["faults", "privacy", "webhook", "bad_input"], ["lifecycle", "buttons"]]]
PLAN_QUICK = [[["load", "bad_input", "webhook", "privacy"], ["faults", "lifecycle"], ["admin", "buttons"]]]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.attack", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller loads and fewer tries (under two minutes)")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON to FILE")
    p.add_argument("--only", metavar="CATEGORIES",
                   help="comma-separated modules or categories: " + ", ".join(m for _, m in CATEGORIES))
    p.add_argument("--report", type=Path, default=HERE / "REPORT.md", help="where to write the Markdown report")
    p.add_argument("--no-report", action="store_true", help="write no REPORT.md")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (the bots' logs and files)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--serial", action="store_true", help="one category at a time (slower; no lanes)")
    return p.parse_args(argv)


def _selected(only: str | None) -> list[tuple[str, str]]:
    if not only:
        return CATEGORIES
    wanted = {x.strip() for x in only.split(",") if x.strip()}
    chosen = [(c, m) for c, m in CATEGORIES if c in wanted or m in wanted]
    unknown = wanted - {c for c, _ in chosen} - {m for _, m in chosen}
    if unknown:
        raise SystemExit(f"python -m bench.attack: unknown category {sorted(unknown)[0]!r}")
    return chosen


async def _category(h: Harness, category: str, module: str, bar) -> None:
    mod = importlib.import_module(f"bench.attack.{module}")
    started = time.perf_counter()
    try:
        await mod.run(h)
    except Exception as exc:  # noqa: BLE001 - e.g. a bot that never started: the category says so
        h.attacks.append(Attack(category, "(setup)", "the category's bot could not be set up",
                                broke=one_line(f"{type(exc).__name__}: {exc}")))
    line = f"{category}: {time.perf_counter() - started:.0f} s"
    if bar is not None:
        bar.write(line, file=sys.stderr)
        bar.update(1)
    else:
        print(line, file=sys.stderr)


async def _run(h: Harness, chosen: list[tuple[str, str]], bar, serial: bool) -> None:
    modules = {m: c for c, m in chosen}
    plan = [[[m] for m in modules]] if serial else PLAN_QUICK if h.quick else PLAN_FULL
    for phase in plan:
        lanes = [[m for m in lane if m in modules] for lane in phase]

        async def lane_of(ms: list[str]) -> None:
            for m in ms:
                await _category(h, modules[m], m, bar)
        await asyncio.gather(*(lane_of(lane) for lane in lanes if lane))
    order = [c for c, _ in CATEGORIES]
    h.attacks.sort(key=lambda a: order.index(a.category) if a.category in order else len(order))  # stable


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = _selected(args.only)
    bar = None
    if not args.no_progress:
        from tqdm import tqdm
        bar = tqdm(total=len(chosen), file=sys.stderr, unit="category", dynamic_ncols=True, leave=False)
    h = Harness(quick=args.quick, progress=bar, keep=args.keep)
    def interrupted(*_: object) -> None:
        """SIGTERM or Ctrl-C: every bot is killed at once (not stopped gracefully), then the run ends
        through the finally below and reports what finished."""
        for bot in h.bots:
            bot.kill_now()
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    started, clock = dt.datetime.now().isoformat(timespec="seconds"), time.perf_counter()
    try:
        asyncio.run(_run(h, chosen, bar, args.serial))
    except KeyboardInterrupt:
        print("interrupted; reporting what ran", file=sys.stderr)
    finally:
        h.cleanup()
        if bar is not None:
            bar.close()
    if args.keep:
        print(f"kept {h.tmp}", file=sys.stderr)
    categories = [c for c, _ in chosen]
    meta = {"started": started, "quick": args.quick, "seconds": round(time.perf_counter() - clock, 1),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}
    print(report.text_table(report.rows(h.attacks, categories)))
    failed = report.failures(h.attacks)
    if failed:
        print(f"\nfailed ({len(failed)}):")
        for category, attack, name, reason in failed:
            print(f"- {category} / {attack} – {name}: {reason}")
    print(f"\n{meta['seconds']:.0f} s")
    if args.json:
        with contextlib.suppress(OSError):
            args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.as_json(h.attacks, categories, meta), ensure_ascii=False, indent=1),
                             encoding="utf-8")
    if not args.no_report:
        args.report.write_text(report.markdown(h.attacks, categories, meta), encoding="utf-8")
        print(f"wrote {args.report}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
