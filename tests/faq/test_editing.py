"""Adding a question to a content file line by line: whatever the question (quotes, colons,
``#``, a leading ``-``, ``yes``, Arabic, emoji), the file reads back with exactly that question
at the end of the right list and nothing else changed."""

from __future__ import annotations

import yaml
from hypothesis import given
from hypothesis import strategies as st

from faq.editing import _with_question

ENTRIES = """\
schema: 1
entries:
  - id: visa-type
    audience: both
    questions:
      en:
        - What visa is it?
        # a comment an editor left
        - which permit
      fr:
        - Quel visa ?

  - id: procedure-duration
    audience: both
    questions:
      en:
        - how long?
"""


def read(lines: list[str]) -> dict[str, dict[str, list[str]]]:
    data = yaml.safe_load("".join(lines))
    return {e["id"]: e["questions"] for e in data["entries"]}


questions = (
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85\ufeff"),
        min_size=1,
        max_size=80,
    )
    .map(lambda text: " ".join(text.split()))
    .filter(bool)
)


@given(question=questions, key=st.sampled_from(["en", "fr", "ar", "arabizi"]))
def test_any_question_reads_back_at_the_end_of_its_list(question: str, key: str) -> None:
    lines = ENTRIES.splitlines(keepends=True)
    before = read(lines)
    after = read(_with_question(lines, question, key, "visa-type", "faq/content/x.yaml"))
    assert after["visa-type"][key] == [*before["visa-type"].get(key, []), question]
    assert after["procedure-duration"] == before["procedure-duration"], "the next entry is untouched"
    assert {k: v for k, v in after["visa-type"].items() if k != key} == {
        k: v for k, v in before["visa-type"].items() if k != key
    }


def test_the_comment_and_the_blank_line_stay_where_they_were() -> None:
    lines = ENTRIES.splitlines(keepends=True)
    changed = "".join(_with_question(lines, "Is it a work permit?", "fr", "visa-type", "x.yaml"))
    assert "        # a comment an editor left\n" in changed
    assert "        - Quel visa ?\n        - Is it a work permit?\n\n  - id: procedure-duration" in changed
