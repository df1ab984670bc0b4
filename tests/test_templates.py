"""Templates read like HTML (house rule 12): one element or tag per line where it is long.

A 400-character line of if/elif hides what a page says and makes every change a diff of one line; wording
that needs that much logic belongs in a template tag named after what it renders.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LONGEST_LINE = 120


def test_no_template_line_is_longer_than_120_characters() -> None:
    too_long = [
        f"{path.relative_to(ROOT)}:{number} ({len(line)} characters)"
        for path in sorted((ROOT / "templates").rglob("*"))
        if path.is_file()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if len(line) > LONGEST_LINE
    ]
    assert too_long == [], "\n".join(too_long)


def test_oneline_joins_the_template_lines_of_a_sentence_but_not_what_variables_print() -> None:
    from django.template import Context, Template

    template = Template(
        "{% load servicedesk %}<p>{% oneline %}\n"
        "    First line,\n    then {{ name }}\n    and the end.\n"
        "{% endoneline %}</p>"
    )

    assert template.render(Context({"name": "two\nlines"})) == "<p>First line, then two\nlines and the end.</p>"
