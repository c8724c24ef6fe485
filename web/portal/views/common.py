"""Shared view helpers: the current assessment, the page context, downloads that are never rendered by the browser."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect

from web.portal.models import Assessment, AuditEvent, Role
from web.portal.permissions import role_of

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}
ACTIONS = {
    "upload_evidence": "Tải phiếu minh chứng",
    "upload_refused": "Phiếu minh chứng có lỗi",
    "upload_document": "Tải tài liệu kiểm chứng",
    "upload_round_workbook": "Tải bảng thẩm định, giải trình",
    "round_workbook_refused": "Bảng thẩm định, giải trình có lỗi",
    "entry_self": "Tự chấm",
    "entry_appraisal_1": "Thẩm định vòng 1",
    "entry_explanation": "Giải trình",
    "entry_appraisal_2": "Thẩm định vòng 2",
    "submit": "Gửi kết quả",
    "unlock": "Mở khóa",
    "assessment_state": "Trạng thái đợt",
    "assessment_setup": "Thiết lập đợt",
    "schedule": "Lịch đánh giá",
    "import_units": "Nhập đơn vị",
    "assign": "Phân công thẩm định",
    "seed": "Khởi tạo dữ liệu mẫu",
}


def current_assessment() -> Assessment | None:
    return Assessment.objects.order_by("-year", "-id").first()


def portal_context(request):
    role = role_of(request.user) if hasattr(request, "user") else None
    return {"portal_role": role, "portal_roles": Role, "portal_account": getattr(request.user, "account", None)
            if role else None}


@login_required
def home(request):
    role = role_of(request.user)
    if role == Role.UNIT:
        return redirect("unit_dashboard", pk=request.user.account.unit_id)
    if role == Role.APPRAISER:
        return redirect("appraiser_home")
    if role == Role.OFFICE:
        return redirect("office_board")
    if request.user.is_staff:
        return redirect("admin:index")
    return HttpResponse("Tài khoản chưa được gán vai trò trên cổng.", status=403, content_type="text/plain; charset=utf-8")


def attachment(data: bytes, filename: str, fmt: str) -> HttpResponse:
    """A generated file, always as a download (never rendered inline), with its type and no sniffing."""
    response = HttpResponse(data, content_type=CONTENT_TYPES.get(fmt, "application/octet-stream"))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


def stored_file(path: Path, filename: str) -> FileResponse:
    """An uploaded file, byte for byte, as an opaque download: never HTML, never executed."""
    response = FileResponse(path.open("rb"), as_attachment=True, filename=filename,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


def safe_cell(value: str) -> str:
    """A spreadsheet never reads a cell we write as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def audit_csv(events) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Thời gian", "Người thực hiện", "Vai trò", "Đơn vị", "Tiêu chí", "Thao tác", "Giá trị cũ",
                     "Giá trị mới", "Lý do"])
    for e in events:
        writer.writerow([safe_cell(str(v)) for v in (
            e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"), e.username, e.role, e.unit.name if e.unit else "",
            e.criterion, ACTIONS.get(e.action, e.action), e.old, e.new, e.reason)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def audit_rows(events: "list[AuditEvent]") -> list[dict]:
    return [{"event": e, "action": ACTIONS.get(e.action, e.action)} for e in events]
