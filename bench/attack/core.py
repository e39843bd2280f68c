"""What every category shares: the result types, the bot under attack and the fake Bot API.

* `Try` and `Attack` are the results: an attack is one scenario, with one or many tries;
  a try *holds* when the bot behaved as specified, and says in one line why when it did not.
* `Harness` runs the attacks of a category, times them, turns an exception inside an attack
  into a reported failure (never a crash of the whole run), and cleans up every process.
* `Bot` is a real `python -m bot run` subprocess pointed at a `FakeBotApi`
  (tests/fake_bot_api.py) on 127.0.0.1: its own work directory, SQLite file and log;
  its RSS from /proc; the CLI (`python -m bot stats`, …) with the same environment.
* `Probe`, `settle` and `judge` send many messages at once (one chat each) and check that
  each was answered exactly as often as it should be, without the error message and
  without an "update N failed" in the bot's log.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import itertools
import logging
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))  # tests/fake_bot_api.py is a plain module

from fake_bot_api import Call, FakeBotApi, Fault  # noqa: E402

# The fake's tornado logs every 4xx it answers (the bot's harmless setMyCommands for an admin chat
# not seen yet, and the attacks' own refusals): not the bot's output, and noise on the progress bar.
logging.getLogger("tornado.access").setLevel(logging.CRITICAL)

__all__ = ["REPO", "Attack", "Bot", "Call", "FakeBotApi", "Fault", "Harness", "Probe", "Try"]

TRACEBACK = "Traceback (most recent call last)"
_FAILED_UPDATE = re.compile(r"update (\d+) failed")


def _labels() -> dict[str, dict[str, str]]:
    data = yaml.safe_load((REPO / "bot" / "answers" / "labels.yaml").read_text(encoding="utf-8"))
    return {lang: data[lang]["tg"] for lang in ("sv", "en")}


LABELS = _labels()  # the bot's fixed Telegram texts, to recognise a notice among the replies
ERROR_TEXTS = tuple(LABELS[lang]["error"] for lang in LABELS)


def label(key: str, lang: str = "sv") -> str:
    """A fixed text up to its first placeholder (enough to recognise it in a reply)."""
    return LABELS[lang][key].split("{", 1)[0].strip()


# -- results -------------------------------------------------------------------------------

@dataclass
class Try:
    """One try of an attack. `reason` says in one line why it failed; `note` is a measurement."""

    name: str
    held: bool
    reason: str = ""
    note: str = ""


@dataclass
class Attack:
    """One scenario: what it checks (its docstring's first line) and its tries."""

    category: str
    name: str
    what: str
    tries: list[Try] = field(default_factory=list)
    seconds: float = 0.0
    broke: str = ""  # the attack itself stopped with an exception: reported as one failed try

    def check(self, name: str, held: Any, reason: str = "", note: str = "") -> bool:
        self.tries.append(Try(name, bool(held), "" if held else one_line(reason or "did not hold"), note))
        return bool(held)

    @property
    def failures(self) -> list[Try]:
        failed = [t for t in self.tries if not t.held]
        if self.broke:
            failed.append(Try("(the attack itself)", False, self.broke))
        return failed

    @property
    def try_count(self) -> int:
        return len(self.tries) + bool(self.broke)

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category, "name": self.name, "what": self.what, "seconds": round(self.seconds, 2),
                "broke": self.broke, "tries": [t.__dict__ for t in self.tries]}


def one_line(text: str, limit: int = 220) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short(text: str, limit: int = 60) -> str:
    return one_line(repr(text)[1:-1], limit)


# -- the harness ---------------------------------------------------------------------------

AttackFn = Callable[..., Awaitable[None]]


class Harness:
    """Runs attacks, keeps their results, and owns every process and file they make."""

    def __init__(self, quick: bool = False, progress: Any = None, keep: bool = False):
        self.quick = quick
        self.keep = keep
        self.progress = progress  # a tqdm bar (or None): the current attack goes in its postfix
        self.tmp = Path(tempfile.mkdtemp(prefix="rehabbot-attack-"))
        self.cache = self.tmp / "cache"  # the bots' caches (knowledge snapshots, templates), shared
        self.shared_kb = self.tmp / "kb-shared"  # a copy of knowledge/, for every bot that uploads nothing
        shutil.copytree(REPO / "knowledge", self.shared_kb)
        self.attacks: list[Attack] = []
        self.bots: list[Bot] = []
        self.immutable: list[Path] = []  # files made immutable (chattr +i): undone at cleanup
        self._names = itertools.count(1)

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def workdir(self, name: str) -> Path:
        path = self.tmp / f"{next(self._names):02d}-{name}"
        path.mkdir(parents=True)
        return path

    def kb_copy(self, name: str) -> Path:
        path = self.workdir(f"kb-{name}")
        shutil.copytree(REPO / "knowledge", path, dirs_exist_ok=True)
        return path

    async def run(self, category: str, fn: AttackFn, *args: Any, **kwargs: Any) -> Attack:
        """Run one attack: `fn(attack, *args)`; its docstring says what it checks."""
        doc = (fn.__doc__ or "").strip().splitlines()
        attack = Attack(category, fn.__name__.strip("_").replace("_", " "), doc[0] if doc else "")
        if self.progress is not None:
            self.progress.set_postfix_str(attack.name[:40])
        started = time.perf_counter()
        try:
            await fn(attack, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - an attack that breaks is a reported failure, not a crash
            where = traceback.extract_tb(exc.__traceback__)[-1]
            attack.broke = one_line(f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})")
        attack.seconds = time.perf_counter() - started
        self.attacks.append(attack)
        mark = "held" if not attack.failures else f"{len(attack.failures)} failed"
        line = f"  {category} / {attack.name}: {attack.try_count} tries, {mark} ({attack.seconds:.1f} s)"
        if self.progress is not None:
            self.progress.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr)
        return attack

    @contextlib.asynccontextmanager
    async def bot(self, name: str, *, api: FakeBotApi | None = None, start: bool = True,
                  **options: Any) -> AsyncIterator[Bot]:
        """A fake Bot API (unless given) and a bot on it; both stopped afterwards, whatever happens."""
        own_api = api is None
        if api is None:
            api = await FakeBotApi().start()
        bot = Bot(self, api, name, **options)
        try:
            if start:
                await bot.start()
            yield bot
        finally:
            await bot.stop()
            if own_api:
                await api.stop()

    def make_immutable(self, path: Path) -> bool:
        """`chattr +i`: read-only even for root (a chmod is not, and the harness runs as root)."""
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode == 0
        if done:
            self.immutable.append(path)
        return done

    def make_mutable(self, path: Path) -> None:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
        with contextlib.suppress(ValueError):
            self.immutable.remove(path)

    def cleanup(self) -> None:
        for bot in self.bots:
            bot.kill_now()
        for path in list(self.immutable):
            self.make_mutable(path)
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


# -- the bot under attack --------------------------------------------------------------------

def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """The child gets SIGKILL when the harness dies, even by SIGKILL (Linux prctl PDEATHSIG)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def exit_reason(process: Any) -> str:
    """"exit code 1", "killed by SIGBUS", or "running"."""
    code = getattr(process, "returncode", None)
    if code is None:
        return "running" if process is not None else "not started"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int | None) -> dict[str, int]:
    """Fields of /proc/<pid>/status in kB (VmRSS, VmHWM = the peak RSS so far)."""
    fields: dict[str, int] = {}
    if pid is None:
        return fields
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[key] = int(value.split()[0])
    return fields


class Bot:
    """`python -m bot run` (polling, or `--webhook`) against `api`, in a work directory of its own.

    The environment is the one tests/test_telegram_transport.py gives `rehabbot run`, plus a
    copy of the knowledge base (an upload must never touch the repository's knowledge/), the
    semantic re-ranker off (it embeds the knowledge base for ~30 s at each start) and caches in
    the harness's temporary directory.
    """

    def __init__(self, h: Harness, api: FakeBotApi, name: str, *, admins: Iterable[int] = (),
                 db: Path | None = None, kb: Path | None = None, webhook: bool = False,
                 webhook_secret: str | None = None, env: dict[str, str] | None = None):
        self.h, self.api, self.name = h, api, name
        self.dir = h.workdir(name)
        self.db = db or self.dir / "run.sqlite"
        self.kb = kb or h.shared_kb
        self.admins = frozenset(admins)
        self.webhook_port = free_port() if webhook else None
        self.webhook_secret = webhook_secret
        self.extra_env = env or {}
        self.process: asyncio.subprocess.Process | None = None
        self._chunks: list[str] = []  # stderr of every start, in order
        self._size = 0
        self._readers: list[asyncio.Task[None]] = []
        self.starts = 0
        self.exits: list[int | None] = []
        h.bots.append(self)

    # -- environment and lifecycle

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REHABBOT_", "TELEGRAM_", "DATABASE_URL"))}
        env.update(TELEGRAM_BOT_TOKEN=self.api.token, TELEGRAM_API_BASE_URL=self.api.base_url,
                   DATABASE_URL=f"sqlite:///{self.db}", PYTHONPATH=str(REPO), REHABBOT_KB=str(self.kb),
                   REHABBOT_SEMANTIC="off", REHABBOT_HEARTBEAT_FILE=str(self.dir / "heartbeat"),
                   XDG_CACHE_HOME=str(self.h.cache), XDG_DATA_HOME=str(self.dir / "data"),
                   PYTHONUNBUFFERED="1")
        if self.admins:
            env["REHABBOT_ADMIN_IDS"] = ",".join(str(i) for i in sorted(self.admins))
        if self.webhook_secret:
            env["REHABBOT_WEBHOOK_SECRET"] = self.webhook_secret
        env.update(self.extra_env)
        return env

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.webhook_port}/telegram"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None and self.process.returncode is None else None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self, within: float = 90.0) -> None:
        """Start the process and wait until it polls (or its webhook listener answers)."""
        polls_before = len(self.api.calls_of("getUpdates", ok=False))
        hooks_before = len(self.api.calls_of("setWebhook"))
        command = [sys.executable, "-m", "bot", "run"]
        if self.webhook_port is not None:
            command += ["--webhook", self.webhook_url, "--listen", "127.0.0.1", "--port", str(self.webhook_port)]
        self.starts += 1
        self._append(f"\n--- start {self.starts} ---\n")
        self.process = await asyncio.create_subprocess_exec(
            *command, env=self.env(), cwd=self.dir, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, preexec_fn=_die_with_parent)
        self._readers = [asyncio.create_task(self._drain(self.process.stderr)),
                         asyncio.create_task(self._drain(self.process.stdout))]
        deadline = time.monotonic() + within
        while True:
            if not self.alive:
                await asyncio.gather(*self._readers, return_exceptions=True)
                raise RuntimeError(f"bot {self.name} exited with {self.process.returncode} before it was ready: "
                                   f"{one_line(self.log()[-400:])}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"bot {self.name} not ready within {within:.0f} s")
            if self.webhook_port is None:
                if len(self.api.calls_of("getUpdates", ok=False)) > polls_before:
                    return
            elif len(self.api.calls_of("setWebhook")) > hooks_before and await self._listening():
                return
            await asyncio.sleep(0.05)

    async def _listening(self) -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.webhook_port)
        except OSError:
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    async def stop(self, sig: int = signal.SIGTERM, within: float = 30.0) -> int | None:
        """Stop with `sig` (SIGKILL after `within`); the exit code, None when it was not running."""
        process = self.process
        if process is None:
            return None
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
            try:
                await asyncio.wait_for(process.wait(), within)
            except TimeoutError:
                self._append(f"\n[harness: no exit {within:.0f} s after signal {sig}; SIGKILL]\n")
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        await asyncio.gather(*self._readers, return_exceptions=True)
        self.exits.append(process.returncode)
        self.process = None
        return self.exits[-1]

    async def kill(self) -> int | None:
        return await self.stop(signal.SIGKILL)

    async def restart(self) -> int | None:
        code = await self.stop()
        await self.start()
        return code

    def kill_now(self) -> None:
        """At exit, without the event loop."""
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)

    # -- the log

    async def _drain(self, stream: asyncio.StreamReader | None) -> None:
        if stream is None:
            return
        with self._log_file() as file:
            while chunk := await stream.read(65536):
                text = chunk.decode("utf-8", errors="replace")
                file.write(text)
                self._append(text)

    def _log_file(self) -> Any:
        return open(self.dir / "output.log", "a", encoding="utf-8", errors="replace")

    def _append(self, text: str) -> None:
        if self._size < 20_000_000:  # the file has it all; memory keeps the first 20 MB
            self._chunks.append(text)
            self._size += len(text)

    def log(self, since: int = 0) -> str:
        """What the bot wrote (stderr and stdout) since `mark()` gave `since`."""
        text = "".join(self._chunks)
        self._chunks = [text]
        return text[since:]

    def mark(self) -> int:
        return len(self.log())

    def failed_updates(self, since: int = 0) -> set[int]:
        """Updates the bot's error handler logged as failed ("update N failed")."""
        return {int(m) for m in _FAILED_UPDATE.findall(self.log(since))}

    def tracebacks(self, since: int = 0) -> list[str]:
        """The last line of each traceback in the log (the exception), or the line that led it."""
        lines = self.log(since).splitlines()
        found = []
        for i, line in enumerate(lines):
            if TRACEBACK in line:
                j = i + 1
                while j < len(lines) and (lines[j].startswith((" ", "\t")) or not lines[j].strip()):
                    j += 1
                found.append(lines[j] if j < len(lines) else line)
        return found

    def log_lines(self, pattern: str, since: int = 0) -> list[str]:
        return [line for line in self.log(since).splitlines() if re.search(pattern, line)]

    # -- measurements

    def rss_mb(self) -> float:
        return proc_status(self.pid).get("VmRSS", 0) / 1024

    def peak_rss_mb(self) -> float:
        return proc_status(self.pid).get("VmHWM", 0) / 1024

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """A read-only query on the bot's SQLite file (WAL readers do not disturb the bot)."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def count(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        return int(self.rows(sql, params)[0][0])

    def db_files(self) -> list[Path]:
        return [p for p in (self.db, Path(f"{self.db}-wal"), Path(f"{self.db}-shm")) if p.exists()]

    def user_hash(self, user_id: int) -> str:
        """The pseudonym the store keeps instead of a user id (its key is in `<db>.key`)."""
        from bot.store.pseudonyms import Pseudonymizer  # read-only use of the bot's own definition
        key = bytes.fromhex(Path(f"{self.db}.key").read_text(encoding="ascii").strip())
        return Pseudonymizer(key).id_hash(user_id)

    def kb_digest(self) -> str:
        """Every file of the bot's knowledge directory (backups included), as one digest."""
        digest = hashlib.sha256()
        for path in sorted(p for p in self.kb.rglob("*") if p.is_file()):
            digest.update(path.relative_to(self.kb).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    async def cli(self, *args: str, within: float = 120.0) -> subprocess.CompletedProcess[str]:
        """`python -m bot ARGS` with the bot's environment (its database, its knowledge base)."""
        env = {k: v for k, v in self.env().items() if not k.startswith("TELEGRAM_")}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, env=env, cwd=self.dir, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, preexec_fn=_die_with_parent)
        try:
            out, err = await asyncio.wait_for(process.communicate(), within)
        except TimeoutError:
            process.kill()
            out, err = await process.communicate()
        return subprocess.CompletedProcess(["python", "-m", "bot", *args], process.returncode or 0,
                                           out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))

    # -- what the bot sent

    def replies(self, chat: int) -> list[Call]:
        """Messages and photos the bot sent to a chat (successful calls), in order."""
        return sorted(self.api.sent(chat) + self.api.photos.get(chat, []), key=lambda c: c.at)

    async def ask(self, user: int, text: str, within: float = 30.0, chat: int | None = None) -> Call:
        """Send `text` and wait for the next message to that chat; AssertionError when none comes
        within `within` s, or at once when the process dies."""
        chat_id = chat if chat is not None else user
        before = len(self.api.sent(chat_id))
        self.api.send_text(user, text, chat)
        deadline = time.monotonic() + within
        while len(self.api.sent(chat_id)) <= before:
            if not self.alive:
                raise AssertionError(f"the bot process died ({exit_reason(self.process)})")
            if time.monotonic() > deadline:
                raise AssertionError(f"no reply within {within:.0f} s")
            await asyncio.sleep(0.02)
        return self.api.sent(chat_id)[before]

    async def quiet(self, seconds: float = 1.0, limit: float = 10.0) -> None:
        """Wait until the bot has made no call but getUpdates for `seconds` (at most `limit`)."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            recent = [c for c in self.api.calls[-50:] if c.method != "getUpdates"]
            last = recent[-1].at if recent else 0.0
            if time.perf_counter() - last >= seconds:
                return
            await asyncio.sleep(0.1)


# -- updates the harness builds itself --------------------------------------------------------

_message_ids = itertools.count(7_000_000)
_query_ids = itertools.count(1)


def message(api: FakeBotApi, user: int, chat: int | None = None, *, sender: bool = True,
            **content: Any) -> dict[str, Any]:
    """A message dict from `user` (in their private chat, or the group `chat`)."""
    msg: dict[str, Any] = {"message_id": next(_message_ids), "date": int(time.time()),
                           "chat": api.chat(user, chat), **content}
    if sender:
        msg["from"] = api.user(user)
    return msg


def document(api: FakeBotApi, user: int, name: str | None, content: bytes, *, declared: int | None = None,
             chat: int | None = None) -> int:
    """A file sent to the bot; `declared` is the file_size Telegram reports (a lie, if you like)."""
    file_id = f"atkdoc{next(_message_ids)}"
    api.files[file_id] = content
    doc: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u{file_id}", "mime_type": "application/x-yaml",
                           "file_size": len(content) if declared is None else declared}
    if name is not None:
        doc["file_name"] = name
    return api.push({"message": message(api, user, chat, document=doc)})


def as_dict(api: FakeBotApi, sent: Call | dict[str, Any]) -> dict[str, Any]:
    if isinstance(sent, Call):
        sent = api.messages[(sent.chat_id, sent.params.get("message_id") or sent.params.get("_message_id"))]
    return {k: v for k, v in sent.items() if not k.startswith("_")}


def press(api: FakeBotApi, user: int, data: str | None, under: Call | dict[str, Any] | None) -> tuple[str, int]:
    """A button press with `data` (None: the field missing) under a message (None: an inline
    message, which has no message); returns (callback query id, update id)."""
    query_id = f"atk{next(_query_ids)}"
    query: dict[str, Any] = {"id": query_id, "from": api.user(user), "chat_instance": "ci"}
    if data is not None:
        query["data"] = data
    if under is None:
        query["inline_message_id"] = "inline-atk"
    else:
        query["message"] = as_dict(api, under)
    return query_id, api.push({"callback_query": query})


def answers_to(api: FakeBotApi, query_id: str) -> list[Call]:
    return [c for c in api.calls_of("answerCallbackQuery") if c.params.get("callback_query_id") == query_id]


# -- many messages at once, one chat each ------------------------------------------------------

@dataclass
class Probe:
    """One try: updates pushed into `chat`, which should get `expect` replies (0: ignored)."""

    name: str
    chat: int
    expect: int
    update_ids: list[int]
    before: int = 0
    query_id: str | None = None  # a button press: its answerCallbackQuery is a reply too


async def settle(bot: Bot, probes: list[Probe], within: float = 30.0, quiet: float = 1.0) -> None:
    """Wait until every probe's chat has its replies, then until the bot has been quiet a moment."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if all(len(bot.replies(p.chat)) - p.before >= p.expect for p in probes):
            break
        await asyncio.sleep(0.05)
    await bot.quiet(quiet)


def judge(attack: Attack, bot: Bot, probes: list[Probe], since: int, at_most: int | None = None) -> None:
    """Each probe holds when its chat got exactly `expect` replies (or between 1 and `at_most`),
    none of them the error message, and the log has no "update N failed" for its updates."""
    failed = bot.failed_updates(since)
    for p in probes:
        got = bot.replies(p.chat)[p.before:]
        errors = [c for c in got if any(e in (c.text or c.caption) for e in ERROR_TEXTS)]
        logged = sorted(set(p.update_ids) & failed)
        if at_most is not None:
            count_ok = p.expect <= len(got) <= at_most
            wanted = f"{p.expect}–{at_most}"
        else:
            count_ok = len(got) == p.expect
            wanted = str(p.expect)
        problems = []
        if not count_ok:
            problems.append(f"{len(got)} replies, expected {wanted}")
        if errors:
            problems.append("answered with the error message")
        if logged:
            problems.append(f"log: update {logged[0]} failed")
        if not bot.alive:
            problems.append("the bot process died")
        attack.check(p.name, not problems, "; ".join(problems),
                     note="reply: " + short(got[0].text or got[0].caption, 50) if got else "")


async def until(predicate: Callable[[], Any], within: float, step: float = 0.05) -> bool:
    """Poll `predicate` (state in another process, or the fake's records) until it holds or
    `within` seconds pass; whether it held."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def luhn_digit(digits: str) -> str:
    """The Luhn check digit for `digits` (personnummer, card numbers)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)
