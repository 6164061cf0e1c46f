"""`flask intake import --help` lists every column of a discharge list, laid out as the column table writes it."""

from __future__ import annotations

from app.domain.discharge_columns import COLUMN_TABLE


def test_import_help_lists_every_column_with_its_rules_and_an_example(runner) -> None:
    result = runner.invoke(args=["intake", "import", "--help"])
    assert result.exit_code == 0 and "Traceback" not in result.output
    lines = result.output.splitlines()
    for item in COLUMN_TABLE:
        heading = f"  {item.name} ({item.status}), for example {item.example}"
        assert heading in lines, f"--help does not list {item.name}"
        block = lines[lines.index(heading) + 1 :]
        block = block[: block.index("")] if "" in block else block
        text = " ".join(line.strip().removeprefix("- ") for line in block)
        for rule in (item.meaning, *item.rules):
            assert rule in text, rule  # the same sentences, wrapped at spaces and not rewrapped by click
    assert "/submit/guide" in result.output and "docs/intake.md" in result.output
    assert max(len(line) for line in lines) <= 80
