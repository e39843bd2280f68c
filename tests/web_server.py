"""A real web channel on 127.0.0.1 for the tests: uvicorn serving `create_app` in a thread,
over the shipped knowledge base and a real SQLite store in the test's directory.

`WebClient` is httpx with the chat's round trip spelled out: it reads the CSRF token from
the page as a browser would, posts a form, follows the redirect, and returns the page.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from bot.channels.web.app import WebConfig, create_app
from bot.channels.web.sessions import Sessions
from bot.service import Rehabbot
from bot.store import open_store
from bot.store.gateway import StoreGateway

# A guard against a hung server, not a speed bound: publishing validates and indexes the whole
# knowledge base, which on a busy CI machine took longer than httpx's default of 5 s.
TIMEOUT = httpx.Timeout(120.0)


@dataclass
class WebServer:
    url: str
    store: StoreGateway
    sessions: Sessions
    rehabbot: Rehabbot


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(rehabbot: Rehabbot, store: StoreGateway, sessions: Sessions | None = None,
          config: WebConfig | None = None) -> Iterator[WebServer]:
    sessions = Sessions() if sessions is None else sessions
    app = create_app(rehabbot, store, config or WebConfig(operator="Samordningsförbundet Test",
                                                           contact="rehabbot@example.org"), sessions)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # no time bound: the server says when it listens
        if not thread.is_alive():
            raise RuntimeError("the web server did not start")
        time.sleep(0.01)
    try:
        yield WebServer(f"http://127.0.0.1:{port}", store, sessions, rehabbot)
    finally:
        server.should_exit = True
        thread.join()


@pytest.fixture(scope="module")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreGateway]:
    path = Path(tmp_path_factory.mktemp("web")) / "rehabbot.db"
    store = open_store(f"sqlite:///{path}")
    yield StoreGateway(store)
    store.close()


@pytest.fixture(scope="module")
def web(shipped_bot: Rehabbot, web_store: StoreGateway) -> Iterator[WebServer]:
    """The web channel over the shipped knowledge base, one server per test module."""
    yield from serve(shipped_bot, web_store)


class WebClient:
    """A visitor: one cookie jar, forms posted with the page's CSRF token."""

    def __init__(self, server: WebServer):
        self.server = server
        self.http = httpx.Client(base_url=server.url, follow_redirects=True, timeout=TIMEOUT)
        self.page = ""

    def get(self, path: str, **params: str) -> httpx.Response:
        response = self.http.get(path, params=params or None)
        self.page = response.text
        return response

    @property
    def csrf(self) -> str:
        if 'name="csrf"' not in self.page:
            self.get("/")
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', self.page)
        assert found, "the page has no CSRF token"
        return found.group(1)

    def post(self, path: str = "/chat", **fields: str) -> httpx.Response:
        response = self.http.post(path, data={"csrf": self.csrf, **fields})
        self.page = response.text
        return response

    def ask(self, question: str) -> str:
        self.post(do="ask:", q=question)
        return self.last_turn()

    def press(self, label: str) -> str:
        """Press the button with this text in the newest turn that has it."""
        for number, turn in reversed(self.turns()):
            found = re.search(r'<button type="submit" name="do" value="([^"]*)"[^>]*>(?:<span[^>]*>[^<]*</span> )?'
                              + re.escape(label) + "</button>", turn)
            if found:
                self.post(do=unescape(found.group(1)), turn=str(number))
                return self.last_turn()
        raise AssertionError(f"no button {label!r} on the page")

    def turns(self) -> list[tuple[int, str]]:
        parts = re.split(r'(?=<li class="turn )', self.page)
        out = []
        for part in parts[1:]:
            number = re.search(r'id="turn-(\d+)"', part)
            assert number
            out.append((int(number.group(1)), part.split("\n</ol>\n</section>")[0]))
        return out

    def last_turn(self) -> str:
        turns = self.turns()
        return turns[-1][1] if turns else ""

    def close(self) -> None:
        self.http.close()


def unescape(value: str) -> str:
    import html
    return html.unescape(value)


EDITOR, VIEWER, PASSWORD = "anna", "ville", "ett-långt-lösenord"


@pytest.fixture
def admin_web(tmp_path: Path) -> Iterator[WebServer]:
    """The web channel over a copy of the shipped knowledge base (admins publish into it), with
    an editor and a viewer account."""
    import shutil

    from bot.settings import shipped_kb_dir
    kb = tmp_path / "knowledge"
    shutil.copytree(shipped_kb_dir(), kb)
    store = open_store(f"sqlite:///{tmp_path / 'rehabbot.db'}")
    store.admin.add(EDITOR, PASSWORD, "editor")
    store.admin.add(VIEWER, PASSWORD, "viewer")
    try:
        yield from serve(Rehabbot(kb), StoreGateway(store))
    finally:
        store.close()


@pytest.fixture
def visitor(web: WebServer) -> Iterator[WebClient]:
    client = WebClient(web)
    yield client
    client.close()
