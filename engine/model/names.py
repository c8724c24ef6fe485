"""Evidence names every set may use without declaring them: the metrics of one-stop dossier exports."""

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
    "results_digitized": ("Số hồ sơ đã số hóa kết quả giải quyết", "hồ sơ"),
    "dossiers_online": ("Số hồ sơ nộp trực tuyến", "hồ sơ"),
    "payments_online": ("Số hồ sơ thanh toán trực tuyến", "hồ sơ"),
}
