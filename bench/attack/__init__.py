"""Attacks on a running `rehabbot run`, over the fake Bot API (tests/fake_bot_api.py) on 127.0.0.1.

    python -m bench.attack             # everything (a few minutes); writes bench/attack/REPORT.md
    python -m bench.attack --quick     # smaller loads, under two minutes
    python -m bench.attack --json out.json --only faults,webhook

One module per category (bad_input, buttons, admin, privacy, faults, load, webhook,
lifecycle); `core` has the shared result types (`Attack`, `Try`), the bot subprocess (`Bot`)
and the helpers that send many messages at once and judge the replies. Every bot is a real
`python -m bot run` subprocess in a temporary directory of its own, killed at the end.
"""
