"""Forms: every field validated on the server, labels in Vietnamese."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from web.portal.models import Assessment, Unit, Upload

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class EvidenceUploadForm(forms.Form):
    file = forms.FileField(label="Phiếu minh chứng đã điền (.xlsx)")


class RoundWorkbookForm(forms.Form):
    file = forms.FileField(label="Bảng đã điền (.xlsx)")


class DocumentUploadForm(forms.Form):
    file = forms.FileField(label="Tệp tài liệu kiểm chứng")
    criterion = forms.CharField(label="Tiêu chí", max_length=40, required=False)
    number = forms.CharField(label="Số ký hiệu", max_length=120, required=True)
    issued = forms.DateField(label="Ngày ban hành", required=False, widget=DATE_INPUT)
    place = forms.CharField(label="Trang hoặc mục", max_length=120, required=False)


def _documents(unit: Unit):
    return unit.uploads.filter(kind=Upload.Kind.DOCUMENT).order_by("-uploaded_at")


class DocumentChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Upload) -> str:
        return obj.reference()


class SelfScoreForm(forms.Form):
    points = forms.DecimalField(label="Điểm tự chấm (chỉ tiêu chí đơn vị tự chấm; để trống nếu chỉ ghi giải thích)",
                                max_digits=7, decimal_places=2, required=False)
    reason = forms.CharField(label="Giải thích của đơn vị", widget=forms.Textarea(attrs={"rows": 3}), required=False,
                             max_length=4000)
    documents = DocumentChoice(label="Tài liệu kiểm chứng", queryset=Upload.objects.none(), required=False,
                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, unit: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].queryset = _documents(unit)


class ExplanationForm(forms.Form):
    reason = forms.CharField(label="Nội dung giải trình", widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    documents = DocumentChoice(label="Tài liệu bổ sung", queryset=Upload.objects.none(), required=False,
                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, unit: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].queryset = _documents(unit)


class AppraisalForm(forms.Form):
    points = forms.DecimalField(label="Điểm thẩm định (để trống nếu chỉ nhận xét hoặc yêu cầu giải trình)",
                                max_digits=7, decimal_places=2, required=False)
    reason = forms.CharField(label="Nhận xét, lý do", widget=forms.Textarea(attrs={"rows": 3}), required=False,
                             max_length=4000)
    explanation_requested = forms.BooleanField(label="Yêu cầu đơn vị giải trình", required=False)
    question = forms.CharField(label="Nội dung cần giải trình", widget=forms.Textarea(attrs={"rows": 2}),
                               required=False, max_length=2000)


class SubmitForm(forms.Form):
    leader_name = forms.CharField(label="Họ tên lãnh đạo ký duyệt", max_length=200)
    leader_position = forms.CharField(label="Chức vụ", max_length=200)
    confirm = forms.BooleanField(label="Lãnh đạo đơn vị đã xem và đồng ý gửi kết quả", required=True)


class AppraisalSubmitForm(forms.Form):
    confirm = forms.BooleanField(label="Xác nhận gửi kết quả thẩm định vòng này", required=True)


class AssessmentForm(forms.ModelForm):
    criteria_upload = forms.FileField(label="Bộ chỉ số (.yaml)")

    class Meta:
        model = Assessment
        fields = ["code", "title", "year", "block", "self_open", "self_deadline", "appraisal_1_deadline",
                  "explanation_deadline", "appraisal_2_deadline", "publication_date", "bonus_cap", "penalty_cap"]
        widgets = {f: DATE_INPUT for f in ["self_open", "self_deadline", "appraisal_1_deadline",
                                               "explanation_deadline", "appraisal_2_deadline", "publication_date"]}

    def clean(self):
        data = super().clean()
        _check_schedule_order(self, data)
        return data


SCHEDULE_ORDER = ["self_open", "self_deadline", "appraisal_1_deadline", "explanation_deadline", "appraisal_2_deadline",
                  "publication_date"]


def _check_schedule_order(form: forms.ModelForm, data: dict) -> None:
    """The rounds follow each other: a schedule out of order is refused here, never stored for the engine to reject."""
    values = [data.get(k) for k in SCHEDULE_ORDER]
    if all(values):
        for (a, va), (b, vb) in zip(zip(SCHEDULE_ORDER, values), zip(SCHEDULE_ORDER[1:], values[1:])):
            if vb < va:
                form.add_error(b, f"phải sau mốc '{form.fields[a].label}'")


class ScheduleForm(forms.ModelForm):
    reason = forms.CharField(label="Lý do thay đổi", max_length=1000)

    class Meta:
        model = Assessment
        fields = ["self_open", "self_deadline", "appraisal_1_deadline", "explanation_deadline", "appraisal_2_deadline",
                  "publication_date", "bonus_cap", "penalty_cap"]
        widgets = AssessmentForm.Meta.widgets

    def clean(self):
        data = super().clean()
        _check_schedule_order(self, data)
        return data


class UnitImportForm(forms.Form):
    file = forms.FileField(label="Danh sách đơn vị và tài khoản (.xlsx)")


class AssignmentForm(forms.Form):
    appraiser = forms.ModelChoiceField(label="Người thẩm định", queryset=get_user_model().objects.none())
    unit = forms.ModelChoiceField(label="Đơn vị", queryset=Unit.objects.none(), required=False)
    area = forms.CharField(label="Hoặc cả địa bàn", max_length=200, required=False)
    criterion = forms.CharField(label="Lĩnh vực/tiêu chí (để trống: tất cả)", max_length=40, required=False)

    def __init__(self, *args, assessment: Assessment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appraiser"].queryset = get_user_model().objects.filter(account__role="appraiser")
        self.fields["unit"].queryset = assessment.units.all()

    def clean(self):
        data = super().clean()
        if not data.get("unit") and not (data.get("area") or "").strip():
            raise forms.ValidationError("chọn một đơn vị hoặc ghi một địa bàn")
        return data


class UnlockForm(forms.Form):
    until = forms.DateField(label="Mở đến hết ngày", widget=DATE_INPUT)
    reason = forms.CharField(label="Lý do mở khóa", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class StateForm(forms.Form):
    reason = forms.CharField(label="Ghi chú", max_length=1000, required=False)
