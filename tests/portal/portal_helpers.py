"""Helpers shared by the web tests."""

from __future__ import annotations

from datetime import timedelta

DEMO_UNITS = 6  # phuong-1, -10, -11, -12 (coast), -2, -3 (central): enough for both areas and a data error


def login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def advance(assessment, days: float) -> None:
    """Move every deadline of the assessment by `days` (negative: into the past)."""
    delta = timedelta(days=days)
    for field in ("self_open", "self_deadline", "appraisal_1_deadline", "explanation_deadline",
                  "appraisal_2_deadline", "publication_date"):
        setattr(assessment, field, getattr(assessment, field) + delta)
    assessment.save()


def filled_workbook(unit_code: str, name: str, as_of: str = "29/02/2024") -> bytes:
    """The unit's evidence workbook from the engine, with the as-of date filled in (the one required cell)."""
    import io
    from pathlib import Path

    from openpyxl import load_workbook

    from web import services
    root = Path(__file__).resolve().parents[2]
    data = services.template(root / "criteria" / "xa-2024.yaml", unit_code, name, "xa", 2024)
    if as_of is None:
        return data
    book = load_workbook(io.BytesIO(data))
    book["Hướng dẫn"]["B12"] = as_of
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
