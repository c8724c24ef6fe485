"""Text from a file reaches the terminal inert: a unit name with an escape sequence cannot recolour, retitle or clear it."""

from __future__ import annotations

import yaml
from conftest import SAMPLE_EVIDENCE
from typer.testing import CliRunner

import cli
from engine.render.terminal import rich_text, terminal_safe

runner = CliRunner()


def test_control_characters_become_visible_replacement_characters():
    assert terminal_safe("Phường\x1b[31m 1\x07\x9b\tx\n") == "Phường\ufffd[31m 1\ufffd\ufffd\tx\n"
    assert rich_text("a\x1b]0;pwn\x07").plain == "a\ufffd]0;pwn\ufffd"


def test_score_gaps_and_explain_print_no_escape_sequence_from_a_unit_name(tmp_path):
    data = yaml.safe_load((SAMPLE_EVIDENCE / "phuong-1.yaml").read_text(encoding="utf-8"))
    data["unit"]["name"] = "Phường \x1b[2J\x1b]0;pwn\x07 1"
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for args in (["score", str(tmp_path)], ["gaps", "phuong-1", "-e", str(tmp_path)],
                 ["explain", "phuong-1", "1", "-e", str(tmp_path)]):
        result = runner.invoke(cli.app, args)
        assert result.exit_code in (0, 1), result.output
        assert "\x1b" not in result.output and "\x07" not in result.output
        assert "\ufffd" in result.output, args


def test_a_run_written_to_files_says_why_it_exits_1(tmp_path):
    for args in (["score", "-f", "json", "-o", str(tmp_path / "a.json")], ["score", "-f", "csv", "-o", str(tmp_path / "a.csv")],
                 ["report", "--all", str(tmp_path / "tat-ca")]):
        result = runner.invoke(cli.app, args)
        assert result.exit_code == 1, result.output
        assert "Một số đơn vị có lỗi dữ liệu" in result.output and "parindex gaps" in result.output
