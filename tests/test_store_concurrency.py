"""Two bot instances sharing one database log 1,000 questions at the same time.

Each instance is a separate process with its own store (its own connection
pool on PostgreSQL, its own connection on SQLite) and several threads, as
webhook workers behind a load balancer would be. Both start on an empty
database, so they also race to create the schema and the key.
"""

from __future__ import annotations

import multiprocessing

from store_fixtures import fetch_all, log_many

PER_INSTANCE = 500


def test_two_instances_log_1000_questions_none_lost_or_duplicated(store_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(processes=2) as pool:
        start = manager.Event()  # both begin logging at the same moment
        results = [
            pool.apply_async(log_many, (store_url, name, PER_INSTANCE, 4, start))
            for name in ("a", "b")
        ]
        start.set()
        ids = [row_id for result in results for row_id in result.get(timeout=300)]

    assert len(ids) == 2 * PER_INSTANCE
    assert len(set(ids)) == 2 * PER_INSTANCE  # every insert got its own row

    rows = fetch_all(store_url, "SELECT id, question FROM question_log")
    assert len(rows) == 2 * PER_INSTANCE
    assert {row_id for row_id, _ in rows} == set(ids)
    expected = {f"fråga {name}-{i}" for name in ("a", "b") for i in range(PER_INSTANCE)}
    assert sorted(question for _, question in rows) == sorted(expected)
