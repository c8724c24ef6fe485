"""Aggregated one-stop reports (biểu mẫu báo cáo tổng hợp): count tables with multi-row headers.

A province rarely has one row per dossier; what units send are report forms: one row per unit or
per field (lĩnh vực), a few header rows, a total row. A mapping names each column by its header
path, the reader turns the table into per-unit counts, and every count that must agree with
another is checked, so a contradictory table becomes a data problem instead of a score.
"""
