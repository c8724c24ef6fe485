"""Every output on the bundled sample is byte-identical to the committed golden files.

A change that is meant to alter an output regenerates them with `python tests/golden/regen.py`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "golden"
_spec = importlib.util.spec_from_file_location("golden_regen", HERE / "regen.py")
regen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(regen)


@pytest.fixture(scope="module")
def produced(tmp_path_factory) -> dict[str, bytes]:
    return regen.produce(tmp_path_factory.mktemp("golden"))


@pytest.mark.parametrize("name", [name for name, _ in regen.COMMANDS])
def test_output_is_byte_identical_to_golden(produced, name):
    expected = (HERE / "files" / name).read_bytes()
    assert produced[name] == expected, f"{name} differs from tests/golden/files/{name}"
