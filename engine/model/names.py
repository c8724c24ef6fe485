"""Evidence names every set may use without declaring them: the metrics of one-stop dossier exports and reports.

The dossier categories are disjoint: each dossier received in the period or carried over from the
previous one is resolved (on time or late), in progress (within or past its deadline), waiting for
supplements, withdrawn or returned; so their sum never exceeds received + carried over.
"""

from __future__ import annotations

BUILTIN_METRICS: dict[str, tuple[str, str]] = {
    "dossiers_received": ("Số hồ sơ TTHC tiếp nhận", "hồ sơ"),
    "dossiers_resolved": ("Số hồ sơ TTHC đã giải quyết", "hồ sơ"),
    "dossiers_resolved_on_time": ("Số hồ sơ giải quyết đúng hạn hoặc trước hạn", "hồ sơ"),
    "dossiers_resolved_late": ("Số hồ sơ giải quyết quá hạn", "hồ sơ"),
    "dossiers_in_progress": ("Số hồ sơ đang giải quyết (còn hạn)", "hồ sơ"),
    "dossiers_in_progress_overdue": ("Số hồ sơ đang giải quyết (quá hạn)", "hồ sơ"),
    "dossiers_waiting_supplement": ("Số hồ sơ chờ bổ sung", "hồ sơ"),
    "dossiers_withdrawn": ("Số hồ sơ rút không giải quyết", "hồ sơ"),
    "dossiers_returned": ("Số hồ sơ trả lại, từ chối giải quyết", "hồ sơ"),
    "dossiers_carried_over": ("Số hồ sơ kỳ trước chuyển qua", "hồ sơ"),
    "results_digitized": ("Số hồ sơ đã số hóa kết quả giải quyết", "hồ sơ"),
    "dossiers_online": ("Số hồ sơ nộp trực tuyến", "hồ sơ"),
    "payments_online": ("Số hồ sơ thanh toán trực tuyến", "hồ sơ"),
}

# Denominators that are sums of the counts above, so a set can say which dossiers a rate is over
# (resolved, received, due for resolution, all handled) without the unit typing the sum.
DERIVED_METRICS: dict[str, tuple[str, ...]] = {
    "dossiers_due": ("dossiers_resolved", "dossiers_in_progress_overdue"),
    "dossiers_handled": ("dossiers_received", "dossiers_carried_over"),
}
BUILTIN_METRICS["dossiers_due"] = ("Số hồ sơ đến hạn giải quyết (đã giải quyết và đang giải quyết quá hạn)", "hồ sơ")
BUILTIN_METRICS["dossiers_handled"] = ("Số hồ sơ phải giải quyết (tiếp nhận mới và kỳ trước chuyển qua)", "hồ sơ")


LEVEL_LABELS: dict[str, str] = {
    "xa": "Cấp xã (xã, phường, thị trấn)",
    "huyen": "Cấp huyện (quận, huyện, thị xã, thành phố thuộc tỉnh)",
    "tinh": "Cấp tỉnh",
    "so": "Cấp sở (sở, ban, ngành)",
}


def level_label(code: str) -> str:
    """The words people choose a unit level by; a level a set invents is shown with its code."""
    return LEVEL_LABELS.get(code, f"Cấp {code}")
