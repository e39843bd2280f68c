"""Pathways: validated as graphs, walked to every plan, offered for matching situations."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from bot.kb import check_directory, load_knowledge_base
from bot.kb.pathways import plans
from bot.pathways.walk import Walk, shape_key
from bot.service import Rehabbot


def errors(directory: Path) -> list[str]:
    return [str(p) for p in check_directory(directory) if not p.warning]


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def plant(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_fixture_pathway_loads(small_kb_dir):
    kb = load_knowledge_base(small_kb_dir)
    pathway = kb.pathway("ny_klient")
    assert sorted(plans(pathway)) == ["plan_fk", "plan_intyg", "plan_sip"]


@pytest.mark.parametrize(("old", "new", "needle", "message"), [
    ("        - {label: Nej, next: plan_fk}", "        - {label: Nej, next: plan_fkk}", "plan_fkk",
     "leder till 'plan_fkk', som inte finns"),
    ("        - {label: Nej, next: plan_fk}", "        - {label: Nej, next: intyg}", "{label: Nej, next: intyg}",
     "går i cirkel"),
    ("        - {label: Ja, label_en: \"Yes\", next: bada}", "        - {label: Ja, label_en: \"Yes\", next: plan_sip}",
     "    bada:", "kan inte nås från starten"),
    ("          entry: sip", "          entry: sipp", "entry: sipp", "posten 'sipp' finns inte"),
    ("        - actor: halso_och_sjukvarden", "        - actor: varden", "actor: varden", "'actor' ska vara en aktör"),
    ("  start: intyg", "  start: intygg", "start: intygg", "startnoden 'intygg' finns inte"),
    ("        - {label: Ja, next: plan_sip}\n", "", "    bada:", "minst två svarsalternativ"),
    ("    plan_fk:\n      plan:", "    plan_fk:\n      ask: Vad?\n      plan:", "    plan_fk:", "antingen en fråga"),
])
def test_each_pathway_mistake_is_reported_with_file_and_line(kb_copy, old, new, needle, message):
    path = kb_copy / "pathways.yaml"
    plant(path, old, new)
    found = errors(kb_copy)
    assert any(e.startswith(f"{path}:{line_of(path, needle)}: ") and message in e for e in found), found


def test_a_walk_goes_forward_back_and_starts_over(small_bot):
    walk = Walk.start(small_bot.kb.pathway("ny_klient"))
    assert walk.node_name == "intyg" and not walk.finished
    walk = walk.choose(0).choose(0)
    assert walk.node_name == "plan_sip" and walk.finished
    assert walk.back().node_name == "bada"
    assert walk.restart().path == ("intyg",)
    with pytest.raises(ValueError):
        walk.restart().choose(5)


def test_a_walk_is_its_choices_and_the_shape_key_tells_a_restructured_pathway(small_bot, kb_copy):
    pathway = small_bot.kb.pathway("ny_klient")
    walk = Walk.start(pathway).choose(0).choose(1)
    assert walk.choices == (0, 1) and Walk.start(pathway).choices == ()
    assert Walk.follow(pathway, walk.choices) == walk
    assert Walk.follow(pathway, (2,)) is None and Walk.follow(pathway, (1, 0)) is None  # no such option; past a plan
    copy = Rehabbot(kb_copy).kb.pathway("ny_klient")
    assert len(shape_key(pathway)) == 6 and shape_key(copy) == shape_key(pathway)
    plant(kb_copy / "pathways.yaml", "Finns ett aktuellt läkarintyg?", "Finns ett läkarintyg?")
    assert shape_key(Rehabbot(kb_copy).kb.pathway("ny_klient")) == shape_key(pathway)  # wording only
    plant(kb_copy / "pathways.yaml", "next: plan_sip}", "next: plan_fk}")
    plant(kb_copy / "pathways.yaml", "{label: Nej, next: plan_fk}", "{label: Nej, next: plan_sip}")
    assert shape_key(Rehabbot(kb_copy).kb.pathway("ny_klient")) != shape_key(pathway)  # options swapped


def test_a_situation_in_free_text_offers_the_pathway(small_bot):
    reply = small_bot.ask("vad ska jag göra med en ny klient utan SGI")
    assert reply.pathway is not None and reply.pathway.id == "ny_klient"
    assert "vägledning steg för steg" in reply.text
    assert reply.to_json()["pathway"] == {"id": "ny_klient", "title": reply.pathway.title}
    assert small_bot.ask("Vad gör Försäkringskassan?").pathway is None


def _walk_to_every_plan(walk: Walk) -> list[tuple[list[str], str]]:
    """Every sequence of choices from the start to a plan: (choices, plan node)."""
    if walk.finished:
        return [([], walk.node_name)]
    out = []
    for i in range(len(walk.node.options)):
        for choices, plan in _walk_to_every_plan(walk.choose(i)):
            out.append(([str(i + 1), *choices], plan))
    return out


def _every_route(kb_dir: Path, mode: str):
    kb = load_knowledge_base(kb_dir)
    for pathway in kb.pathways_for(mode):
        for choices, plan in _walk_to_every_plan(Walk.start(pathway)):
            yield pathway, choices, plan


@pytest.mark.slow
@pytest.mark.parametrize("kb_name", ["small", "shipped"])
@pytest.mark.parametrize("mode", ["staff", "individual"])
def test_every_pathway_is_walked_to_every_plan_in_the_console(kb_name, mode, small_kb_dir, shipped_bot):
    """One console session per mode walks every route of every pathway, starting over between routes."""
    kb_dir = small_kb_dir if kb_name == "small" else shipped_bot.kb.directory
    routes = list(_every_route(kb_dir, mode))
    assert routes, "no pathways"
    lines: list[str] = []
    for pathway in {p.id: p for p, _, _ in routes}.values():
        lines.append(f"/guide {pathway.id}")
        for other, choices, _ in routes:
            if other.id == pathway.id:
                lines += [*choices, "s"]
        lines.append("/quit")
    result = run_cli("chat", "--kb", str(kb_dir), "--mode", mode, input="\n".join([*lines, "/quit"]) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for pathway, choices, plan in routes:
        step = pathway.nodes[plan].plan[0]
        assert step.do.for_mode(mode).strip().splitlines()[0] in out, (pathway.id, choices, plan)
    assert out.count("Plan:") == len(routes)


def test_the_console_guide_goes_back_and_starts_over(small_kb_dir):
    out = run_cli("guide", "--kb", str(small_kb_dir), input="1\nb\n2\ns\n1\n1\nq\n").stdout
    assert out.count("Finns ett aktuellt läkarintyg?") >= 3  # at the start, after "back" and after "start over"
    assert "Klienten bokar tid på vårdcentralen." in out  # "2" after going back
    assert "Kallar till SIP." in out  # start over, then 1, 1
    assert "Ta med: Samtycke" in out


def test_the_guide_lists_pathways_when_none_is_named(small_kb_dir):
    out = run_cli("guide", "--kb", str(small_kb_dir), input="1\n2\nq\n").stdout
    assert "Vägledningar steg för steg:\n1. Ny klient: sjukskriven, försörjningsstöd, saknar SGI (ny_klient)" in out
    assert "Klienten bokar tid på vårdcentralen." in out


def test_the_chat_offers_and_runs_a_pathway(small_kb_dir):
    out = run_cli("chat", "--kb", str(small_kb_dir),
                  input="vad ska jag göra med en ny klient utan SGI\n/guide ny_klient\n2\n/quit\n/quit\n").stdout
    assert "Starta vägledningen: /guide ny_klient" in out
    assert "Klienten bokar tid på vårdcentralen." in out


def test_english_and_individual_wording(small_bot):
    walk = Walk.start(small_bot.kb.pathway("ny_klient"))
    from bot.answers.pathways import render_walk
    assert "Har du ett läkarintyg?" in render_walk(walk, small_bot.kb, "individual", "sv")
    assert "1. Yes" in render_walk(walk, small_bot.kb, "staff", "en")
    plan = render_walk(walk.choose(0).choose(0), small_bot.kb, "individual", "sv")
    assert "Alla som hjälper dig gör en plan ihop." in plan
    assert "Dina svar:\n- Har du ett läkarintyg? Ja" in plan


def test_the_console_offers_the_same_numbered_pathways_as_telegram(shipped_bot):
    # The core decides: an individual is offered the individual pathways, numbered the same way in
    # every channel, so "/guide 2" in the console and "/vagledning 2" in Telegram are one pathway.
    kb = shipped_bot.kb
    individual = kb.pathways_for("individual")
    assert individual and len(individual) < len(kb.pathways)
    assert all(p.audience in ("individual", "both") for p in individual)
    out = run_cli("chat", "--mode", "individual", input="/guide\n/quit\n").stdout
    for number, pathway in enumerate(individual, 1):
        assert f"{number}. {pathway.title_in('sv')}" in out
    staff_only = next(p for p in kb.pathways if p.audience == "staff")
    assert staff_only.title_in("sv") not in out
    assert kb.find_pathway("2", "individual") is individual[1]
    assert kb.find_pathway(staff_only.id, "individual") is None  # not by id either
