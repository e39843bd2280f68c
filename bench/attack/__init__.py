"""Attacks on a running `rehabbot run`, over the fake Bot API (tests/fake_bot_api.py) on 127.0.0.1.

    python -m bench.attack             # everything (about four minutes); writes bench/attack/REPORT.md
    python -m bench.attack --quick     # smaller loads and fewer tries, under two minutes
    python -m bench.attack --json out.json --only faults,webhook

One module per category: bad_input, buttons, admin, privacy, faults, load, webhook and
lifecycle ("the rest"). `core` has what they share: the result types (`Attack`, a scenario;
`Try`, one of its tries, which holds or says in one line why not), the bot under attack
(`Bot`: a real `python -m bot run` subprocess in a temporary directory of its own, with its
own SQLite file, log, RSS and CLI) and the helpers that send many messages at once and judge
the replies. `report` turns the results into the table, REPORT.md and JSON.

The categories run in lanes at the same time (`PLAN_FULL`, `PLAN_QUICK` in `__main__`), the
load category alone in the full run; `--serial` runs one at a time. Every bot is killed when
the run ends, however it ends. A failed try is a finding about the bot, not an error of the
harness: the exit status is 0 either way.
"""
