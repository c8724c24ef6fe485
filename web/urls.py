"""URLs: every unit-scoped page carries the unit's id and checks it against the person's reach."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from web.portal.views import appraiser, common, office, unit

admin.site.site_header = "Quản trị parindex"
admin.site.site_title = "Quản trị parindex"
admin.site.index_title = "Quản trị hệ thống"

urlpatterns = [
    path("", common.home, name="home"),
    path("dang-nhap/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("don-vi/<int:pk>/", unit.dashboard, name="unit_dashboard"),
    path("don-vi/<int:pk>/tieu-chi/<str:criterion>/", unit.criterion, name="unit_criterion"),
    path("don-vi/<int:pk>/tieu-chi/<str:criterion>/cham/", unit.enter_points, name="unit_enter_points"),
    path("don-vi/<int:pk>/tai-len/phieu/", unit.upload_evidence, name="unit_upload_evidence"),
    path("don-vi/<int:pk>/tai-len/tai-lieu/", unit.upload_document, name="unit_upload_document"),
    path("don-vi/<int:pk>/gui/", unit.submit, name="unit_submit"),
    path("don-vi/<int:pk>/tep/<int:upload>/", unit.download_upload, name="unit_download"),
    path("don-vi/<int:pk>/phieu-cham.<str:fmt>", unit.scoring_sheet, name="unit_sheet"),
    path("don-vi/<int:pk>/ke-hoach-khac-phuc.<str:fmt>", unit.corrective_plan, name="unit_plan"),
    path("don-vi/<int:pk>/mau-phieu-minh-chung.xlsx", unit.evidence_template, name="unit_template"),
    path("don-vi/<int:pk>/nhat-ky/", unit.unit_audit, name="unit_audit"),
    path("don-vi/<int:pk>/bang-vong-hien-tai.xlsx", unit.round_workbook, name="unit_round_workbook"),
    path("don-vi/<int:pk>/tai-len/bang/", unit.upload_round_workbook, name="unit_upload_round_workbook"),
    path("tham-dinh/", appraiser.home, name="appraiser_home"),
    path("tham-dinh/don-vi/<int:pk>/", appraiser.appraise_unit, name="appraise_unit"),
    path("tham-dinh/don-vi/<int:pk>/gui/", appraiser.submit_round, name="appraise_submit"),
    path("noi-vu/", office.board, name="office_board"),
    path("noi-vu/thiet-lap/", office.setup, name="office_setup"),
    path("noi-vu/lich/", office.schedule, name="office_schedule"),
    path("noi-vu/nhap-don-vi/", office.import_units, name="office_import"),
    path("noi-vu/phan-cong/", office.assignments, name="office_assignments"),
    path("noi-vu/mo-khoa/<int:pk>/", office.unlock, name="office_unlock"),
    path("noi-vu/trang-thai/<str:state>/", office.change_state, name="office_state"),
    path("noi-vu/phan-tich/", office.analysis, name="office_analysis"),
    path("noi-vu/bao-cao/<str:kind>.<str:fmt>", office.download_report, name="office_report"),
    path("noi-vu/nhat-ky/", office.audit_trail, name="office_audit"),
    path("quan-tri/", admin.site.urls),
]
