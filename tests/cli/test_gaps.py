"""``dt4e-bot faq gaps`` as a staff member runs it: what people asked in the console chat that
the bot could not answer, grouped, from the same database."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import dt4e


def test_gaps_groups_what_the_chat_could_not_answer(tmp_path: Path) -> None:
    env = {"DT4E_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"}
    empty = dt4e("faq", "gaps", env=env)
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.strip() == "nothing unanswered in the last 30 days"
    questions = [
        "Where can I buy a cheap used car in Brussels?",
        "where can i buy a cheap used car in brussels",
        "Where to buy a cheap second-hand car in Brussels?",
        "What is the weather in Bratislava tomorrow?",
    ]
    chat = dt4e("chat", "--user", "rania", stdin="/start\n2\n1\n" + "\n".join(questions) + "\n", env=env)
    assert chat.returncode == 0, chat.stderr
    listed = dt4e("faq", "gaps", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    gaps = [json.loads(line) for line in listed.stdout.splitlines()]
    assert gaps[0]["question"] == "Where can I buy a cheap used car in Brussels?"
    assert gaps[0]["count"] == 3
    assert gaps[0]["languages"] == {"en": 3}
    assert sum(g["count"] for g in gaps) == 4
    shown = dt4e("faq", "gaps", "--top", "1", env=env)
    assert shown.stdout.splitlines()[0] == "4 unanswered in the last 30 days, in 2 groups; the largest:"
    assert "   3 × Where can I buy a cheap used car in Brussels?" in shown.stdout
    assert "weather" not in shown.stdout, "--top 1 shows the largest group only"
    assert dt4e("faq", "gaps", "--days", "0", env=env).returncode == 2
