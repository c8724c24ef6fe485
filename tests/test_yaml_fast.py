"""The fast YAML path (libyaml straight to data) gives exactly what the careful path gives, or hands over to it."""

from __future__ import annotations

import unicodedata

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core import yamlsource
from engine.core.yamlsource import load_yaml


def careful(text: str):
    node = yaml.compose(text, Loader=yamlsource._ScalarLoader)
    lines, problems, found = {}, [], {}
    data = yamlsource._build(node, (), lines, problems, "f.yaml", found) if node is not None else None
    return data, lines, problems, found


words = st.sampled_from(["Phường 1", "Hà Nội", unicodedata.normalize("NFD", "Hà Nội"), "1.952", "12.345.678", "0.001",
                         "yes", "no", "true", "null", "~", "2024-01-01", "01/02/2024", "1,5", "-3.000", "+1.000",
                         "a: b", "x", "", " lề ", "1e3", ".inf", "0x1F", "1_000", "12"])
scalars = st.one_of(words, st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                    st.booleans(), st.none(), st.text(max_size=8))
keys = st.one_of(words, st.text(min_size=1, max_size=6))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=4)), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(values, st.booleans())
def test_fast_path_equals_careful_path(data, flow):
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow)
    if yamlsource._UNUSUAL_TEXT.search(text):
        return
    expected, lines, problems, found = careful(text)
    try:
        got, got_found = yamlsource._fast_load(text)
    except yamlsource._Unusual:
        return  # handed over: the careful path decides, nothing to compare
    assert not problems
    assert got == expected and repr(got) == repr(expected)
    assert got_found == found
    doc = yamlsource.YamlDoc("f.yaml", got, None, "", text)
    assert doc.lines == lines


def test_plain_thousands_stay_text_and_are_found(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("metrics:\n  - name: a\n    value: 1.952\n  - name: b\n    value: '1.952'\n", encoding="utf-8")
    doc, problems = load_yaml(path, vi_numbers=True)
    assert doc.data["metrics"][0]["value"] == "1.952" and type(doc.data["metrics"][0]["value"]) is str
    assert not problems
    doc, problems = load_yaml(path, vi_numbers=False)
    assert [(p.code, p.line, p.path) for p in problems] == [("yaml.ambiguous_number", 3, "metrics[0].value")]


def test_repeated_key_is_reported_not_overwritten(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("unit:\n  id: a\n  id: b\n", encoding="utf-8")
    _, problems = load_yaml(path)
    assert [(p.code, p.line) for p in problems] == [("yaml.duplicate_key", 3)]


def test_keys_equal_after_nfc_are_repeated(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text(f"Hà: 1\n{unicodedata.normalize('NFD', 'Hà')}: 2\n", encoding="utf-8")
    _, problems = load_yaml(path)
    assert [p.code for p in problems] == ["yaml.duplicate_key"]


def test_number_keys_stay_text_as_written(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("2024: a\ntrue: b\n1.5: c\n", encoding="utf-8")
    doc, problems = load_yaml(path)
    assert doc.data == {"2024": "a", "true": "b", "1.5": "c"} and not problems


def test_too_deep_is_still_refused(tmp_path):
    path = tmp_path / "b.yaml"
    deep = "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v: 1\n"
    path.write_text(deep, encoding="utf-8")
    doc, problems = load_yaml(path)
    assert doc is None and [p.code for p in problems] == ["yaml.too_deep"]


def test_lines_are_mapped_only_when_asked(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("unit:\n  id: a\n  name: Phường 1\n", encoding="utf-8")
    doc, _ = load_yaml(path)
    assert doc._lines is None
    assert doc.line(("unit", "name")) == 3


def test_a_large_file_is_measured_before_any_value_is_built(tmp_path, monkeypatch):
    """Past the fast path's size the careful path decides, so a wide file is refused without being loaded first."""
    path = tmp_path / "wide.yaml"
    path.write_text("\n".join("- 1" for _ in range(250_000)), encoding="utf-8")
    monkeypatch.setattr(yamlsource, "_walk", lambda *a: (_ for _ in ()).throw(AssertionError("fast path used")))
    doc, problems = load_yaml(path)
    assert doc is None and [p.code for p in problems] == ["yaml.too_many_values"]
