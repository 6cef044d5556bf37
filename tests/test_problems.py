"""Problems as a catalogue: every code the code can give is defined once, collection stops at a limit
and says so, and the counts per code stay whole."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from conftest import csv_text
from sotay_cli.cli import app
from sotay_cli.ingest import load_table
from sotay_cli.problems import CATALOGUE, LIMIT

SRC = Path(__file__).resolve().parents[1] / "src" / "sotay_cli"
# a code is the string right before the severity in every Problem(...), table.problem(...), _report_bad(...)
CALL = re.compile(r"""["']([a-z]+_[a-z_]+|cycle)["'],\s*["'](?:error|warning|info)["']""")


def test_every_code_given_anywhere_is_in_the_catalogue():
    used = {m for path in SRC.rglob("*.py") for m in CALL.findall(path.read_text(encoding="utf-8"))}
    assert len(used) > 25
    assert used - set(CATALOGUE) == set(), "define these codes in problems.CATALOGUE"
    assert all(kind.title and kind.severity in ("error", "warning", "info") for kind in CATALOGUE.values())


def test_collection_stops_at_the_limit_and_says_so_but_counts_everything(tmp_path):
    rows = [["Số thẻ", "Họ và tên", "Ngày sinh", "Chi bộ"]] + [[f"38.{i:06d}", f"N{i}", "ngày lạ", "Chi bộ 1"]
                                                             for i in range(LIMIT + 500)]
    path = tmp_path / "dv.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    table = load_table(path, kind="members")
    assert len(table.problems) == LIMIT + 1 and table.problems[-1].code == "problem_limit"
    assert table.codes["bad_date"] == LIMIT + 500
    assert table.problems[0].value == "ngày lạ" and table.problems[0].as_dict()["title"] == "Ngày không hiểu được"
    result = CliRunner().invoke(app, ["check", str(path), "-f", "json"])
    payload = json.loads(result.stdout)
    assert payload["by_code"]["bad_date"] == LIMIT + 500 and payload["by_code"]["problem_limit"] == 1
