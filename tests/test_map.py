"""The process map is generated from the knowledge base and fits on a phone."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from conftest import run_cli

from bot.map.graph import STRONG, MapError, build_graph, render_map

pytestmark = pytest.mark.graphviz

TELEGRAM_PHOTO_MAX_BYTES = 10 * 1024 * 1024
TELEGRAM_PHOTO_MAX_SIDES = 10_000  # width + height
TELEGRAM_PHOTO_MAX_RATIO = 20


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def assert_sendable_photo(path: Path) -> None:
    width, height = png_size(path)
    assert 0 < path.stat().st_size <= TELEGRAM_PHOTO_MAX_BYTES
    assert width + height <= TELEGRAM_PHOTO_MAX_SIDES
    assert max(width, height) / min(width, height) <= TELEGRAM_PHOTO_MAX_RATIO


def test_the_whole_map_contains_every_actor_and_is_a_sendable_photo(shipped_bot, tmp_path):
    kb = shipped_bot.kb
    source = build_graph(kb).source
    for actor in kb.of_kind("actor"):
        assert f"cluster_{actor.id}" in source and f"\t{actor.id} [" in source
    relations = sum(len(e.relations) for e in kb.entries)
    assert source.count(" -> ") >= relations > 0
    assert_sendable_photo(render_map(kb, tmp_path / "map.png"))


def test_one_actor_is_highlighted_and_the_rest_dimmed(shipped_bot):
    source = build_graph(shipped_bot.kb, actor="jobbtorg").source
    jobbtorg = next(line for line in source.splitlines() if line.strip().startswith("jobbtorg ["))
    assert STRONG in jobbtorg
    other = next(line for line in source.splitlines() if line.strip().startswith("lss ["))
    assert STRONG not in other


def test_a_pathway_highlights_its_steps_in_order(small_bot, tmp_path):
    source = build_graph(small_bot.kb, pathway="ny_klient", plan="plan_sip").source
    assert 'sip -> halso_och_sjukvarden [label="steg 2"' in source
    assert 'label="1 · Samordnad' in source and 'label="2 · Hälso- och' in source
    assert_sendable_photo(render_map(small_bot.kb, tmp_path / "p.png", pathway="ny_klient"))


def test_plan_steps_sit_on_nodes_of_the_map_never_on_bare_ids(shipped_bot):
    """A step whose entry is not drawn (a task, an faq) sits at its actor instead."""
    import re
    for pathway in shipped_bot.kb.pathways:
        source = build_graph(shipped_bot.kb, pathway=pathway.id).source
        declared = set(re.findall(r"^\t+(\w+) \[", source, re.MULTILINE))
        ends = {name for pair in re.findall(r"(\w+) -> (\w+)", source) for name in pair}
        assert ends <= declared, (pathway.id, ends - declared)


def test_several_plans_are_highlighted_without_tangled_step_arrows(small_bot):
    source = build_graph(small_bot.kb, pathway="ny_klient").source
    assert "steg 2" not in source and " · " not in source
    assert STRONG in re.search(r"\tsip \[[^\]]*\]", source).group(0)


def test_svg_is_written_too(small_bot, tmp_path):
    out = render_map(small_bot.kb, tmp_path / "map.svg", actor="socialtjansten")
    assert out.read_text(encoding="utf-8").lstrip().startswith("<?xml") and "<svg" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"actor": "nobody"}, "okänd aktör"),
    ({"pathway": "nowhere"}, "okänd vägledning"),
    ({"pathway": "ny_klient", "plan": "intyg"}, "ingen plan"),
])
def test_unknown_names_are_clear_errors(small_bot, kwargs, message):
    with pytest.raises(MapError, match=message):
        build_graph(small_bot.kb, **kwargs)


def test_the_map_command_writes_the_file(small_kb_dir, tmp_path):
    out = tmp_path / "karta.png"
    result = run_cli("map", "--kb", str(small_kb_dir), "--actor", "socialtjansten", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert_sendable_photo(out)
    bad = run_cli("map", "--kb", str(small_kb_dir), "--out", str(tmp_path / "karta.gif"))
    assert bad.returncode == 2 and ".png eller .svg" in bad.stderr


def test_the_map_command_knows_an_actor_by_its_abbreviation_as_karta_does(tmp_path):
    by_id = run_cli("map", "--actor", "forsakringskassan", "--out", str(tmp_path / "id.svg"))
    by_abbreviation = run_cli("map", "--actor", "FK", "--out", str(tmp_path / "fk.svg"))
    assert by_id.returncode == by_abbreviation.returncode == 0, by_abbreviation.stderr
    assert (tmp_path / "id.svg").read_bytes() == (tmp_path / "fk.svg").read_bytes()
    unknown = run_cli("map", "--actor", "nobody", "--out", str(tmp_path / "x.svg"))
    assert unknown.returncode == 2 and "okänd aktör: nobody" in unknown.stderr
