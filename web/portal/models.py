"""The assessment in the database: units, accounts, assignments, uploads, the append-only record and the audit trail.

Scores are never computed here: web.services calls the engine with the unit's evidence and its record
entries, and keeps the result in UnitScore as a cache that the dashboards read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    UNIT = "unit", "Đơn vị"
    APPRAISER = "appraiser", "Thẩm định"
    OFFICE = "office", "Nội vụ"


class Round(models.TextChoices):
    """The rounds of an assessment in their order; names match the engine's record (final: after round 2)."""

    SELF = "self", "Tự chấm"
    APPRAISAL_1 = "appraisal_1", "Thẩm định vòng 1"
    EXPLANATION = "explanation", "Giải trình"
    APPRAISAL_2 = "appraisal_2", "Thẩm định vòng 2"
    FINAL = "final", "Kết quả cuối cùng"


class Assessment(models.Model):
    """One assessment (đợt đánh giá) of one block in one year."""

    class State(models.TextChoices):
        SETUP = "setup", "Đang thiết lập"
        OPEN = "open", "Đang đánh giá"
        FINALISED = "finalised", "Đã chốt kết quả"
        PUBLISHED = "published", "Đã công bố"

    code = models.SlugField("mã đợt", max_length=80, unique=True)
    title = models.CharField("tên đợt đánh giá", max_length=300)
    year = models.PositiveIntegerField("năm")
    block = models.CharField("khối", max_length=120, default="")
    criteria_file = models.FileField("bộ chỉ số", upload_to="criteria/", max_length=300)
    criteria_name = models.CharField("tên tệp bộ chỉ số", max_length=300)
    criteria_sha256 = models.CharField(max_length=64)
    criteria_set_id = models.CharField("mã bộ chỉ số", max_length=120, default="")
    self_open = models.DateField("mở tự đánh giá")
    self_deadline = models.DateField("hạn tự đánh giá")
    appraisal_1_deadline = models.DateField("hạn thẩm định vòng 1")
    explanation_deadline = models.DateField("hạn giải trình")
    appraisal_2_deadline = models.DateField("hạn thẩm định vòng 2")
    publication_date = models.DateField("ngày công bố")
    bonus_cap = models.DecimalField("trần điểm thưởng", max_digits=7, decimal_places=2, default=0)
    penalty_cap = models.DecimalField("trần điểm trừ", max_digits=7, decimal_places=2, default=0)
    state = models.CharField("trạng thái", max_length=20, choices=State.choices, default=State.SETUP)
    finalised_at = models.DateTimeField("chốt lúc", null=True, blank=True)
    published_at = models.DateTimeField("công bố lúc", null=True, blank=True)

    class Meta:
        verbose_name = "đợt đánh giá"
        verbose_name_plural = "đợt đánh giá"
        ordering = ["-year", "code"]

    def __str__(self) -> str:
        return self.title

    def deadline(self, round_: str):
        """The last day of a round (inclusive, Vietnam time), as in the engine's schedule."""
        return {Round.SELF: self.self_deadline, Round.APPRAISAL_1: self.appraisal_1_deadline,
                Round.EXPLANATION: self.explanation_deadline, Round.APPRAISAL_2: self.appraisal_2_deadline,
                Round.FINAL: self.publication_date}[round_]

    def schedule(self) -> list[tuple[str, str, object]]:
        """(round, label, deadline) in order, for the pages that list the next deadlines."""
        return [(r.value, r.label, self.deadline(r.value)) for r in Round]


class Unit(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="units")
    code = models.CharField("mã đơn vị", max_length=80)
    name = models.CharField("tên đơn vị", max_length=300)
    area = models.CharField("địa bàn", max_length=200, blank=True, default="")
    level = models.CharField("cấp", max_length=40, blank=True, default="")

    class Meta:
        verbose_name = "đơn vị"
        verbose_name_plural = "đơn vị"
        ordering = ["assessment", "code"]
        constraints = [models.UniqueConstraint(fields=["assessment", "code"], name="unit_code_unique")]

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    """The portal role of a login: a unit's account is bound to its unit."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account")
    role = models.CharField("vai trò", max_length=20, choices=Role.choices)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts")
    full_name = models.CharField("họ và tên", max_length=200, blank=True, default="")
    position = models.CharField("chức vụ", max_length=200, blank=True, default="")

    class Meta:
        verbose_name = "tài khoản cổng"
        verbose_name_plural = "tài khoản cổng"
        constraints = [models.CheckConstraint(
            condition=(models.Q(role="unit", unit__isnull=False) | (~models.Q(role="unit") & models.Q(unit__isnull=True))),
            name="unit_account_has_unit")]

    def __str__(self) -> str:
        return f"{self.user.username} ({self.get_role_display()})"

    @property
    def display_name(self) -> str:
        return self.full_name or self.user.get_username()


class Assignment(models.Model):
    """What an appraiser may see and score: one unit, or every unit of an area; all criteria or those under a prefix."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="assignments")
    appraiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments")
    area = models.CharField("địa bàn", max_length=200, blank=True, default="")
    criterion = models.CharField("tiêu chí (để trống: tất cả)", max_length=40, blank=True, default="")

    class Meta:
        verbose_name = "phân công thẩm định"
        verbose_name_plural = "phân công thẩm định"
        constraints = [models.CheckConstraint(condition=models.Q(unit__isnull=False) | ~models.Q(area=""),
                                              name="assignment_names_unit_or_area")]


class Upload(models.Model):
    """A file a person gave us: kept byte for byte under a random name, with its sha256; never served inline."""

    class Kind(models.TextChoices):
        WORKBOOK = "workbook", "Phiếu minh chứng (Excel)"
        BUNDLE = "bundle", "Bộ minh chứng (YAML)"
        DOCUMENT = "document", "Tài liệu kiểm chứng"
        ROUND_WORKBOOK = "round_workbook", "Bảng thẩm định hoặc giải trình (Excel)"

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="uploads")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="uploads")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to="units/%Y/", max_length=300)
    original_name = models.CharField("tên tệp", max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    round = models.CharField(max_length=20, choices=Round.choices)
    criterion = models.CharField("tiêu chí", max_length=40, blank=True, default="")
    doc_number = models.CharField("số ký hiệu", max_length=120, blank=True, default="")
    doc_date = models.DateField("ngày ban hành", null=True, blank=True)
    doc_place = models.CharField("trang/mục", max_length=120, blank=True, default="")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    problems = models.JSONField("lỗi của tệp", default=list, blank=True)
    accepted = models.BooleanField("đã dùng để chấm", default=False)

    class Meta:
        verbose_name = "tệp tải lên"
        verbose_name_plural = "tệp tải lên"
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    def citation(self) -> dict:
        """The engine's evidence reference: the document (file and date), its number and page or section."""
        document = self.original_name + (f" ngày {self.doc_date:%d/%m/%Y}" if self.doc_date else "")
        return {"document": document, "number": self.doc_number or None, "page": self.doc_place or None}

    def reference(self) -> str:
        """How the document is cited in a record entry: number, date and page, as officers write it."""
        parts = [self.doc_number or self.original_name]
        if self.doc_date:
            parts.append(f"ngày {self.doc_date:%d/%m/%Y}")
        if self.doc_place:
            parts.append(self.doc_place)
        return ", ".join(parts)


class Entry(models.Model):
    """One entry of a unit's append-only record (the engine's record entry): round, kind, criterion, points, who,
    role, when, why. The engine accepts or refuses each one before it is stored."""

    class Kind(models.TextChoices):
        SCORE = "score", "Chấm điểm"
        NOTE = "note", "Ghi chú, giải trình"
        SUBMIT = "submit", "Gửi kết quả vòng"
        UNLOCK = "unlock", "Mở lại vòng"
        FINALISE = "finalise", "Chốt kết quả"

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="entries")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="entries")
    seq = models.PositiveIntegerField()
    round = models.CharField(max_length=20, choices=Round.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SCORE)
    criterion = models.CharField(max_length=40, blank=True, default="")
    points = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    role = models.CharField(max_length=20)
    until = models.DateField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_name = models.CharField(max_length=200)
    at = models.DateTimeField()
    reason = models.TextField(blank=True, default="")
    explanation_requested = models.BooleanField(default=False)
    question = models.TextField(blank=True, default="")
    evidence = models.ManyToManyField(Upload, blank=True, related_name="entries")
    evidence_refs = models.JSONField(default=list, blank=True)
    # "sha256:<hex>" of the round workbook the entry was read from: the engine refuses the same workbook twice.
    source = models.CharField("nguồn", max_length=80, blank=True, default="")

    class Meta:
        verbose_name = "mục hồ sơ chấm điểm"
        verbose_name_plural = "hồ sơ chấm điểm"
        ordering = ["unit", "seq"]
        constraints = [models.UniqueConstraint(fields=["unit", "seq"], name="entry_seq_unique")]

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("_allow_update", False):
            raise ValueError("record entries are append-only")
        super().save(*args, **kwargs)


class Submission(models.Model):
    """A unit sends a round (self-assessment or explanation) with its leader's sign-off; one per unit and round."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="submissions")
    round = models.CharField(max_length=20, choices=Round.choices)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    leader_name = models.CharField("lãnh đạo ký duyệt", max_length=200)
    leader_position = models.CharField("chức vụ", max_length=200)

    class Meta:
        verbose_name = "lần gửi"
        verbose_name_plural = "lần gửi"
        constraints = [models.UniqueConstraint(fields=["unit", "round"], name="submission_once")]


class Unlock(models.Model):
    """The office reopens a closed round for one unit until a day, with a reason (also an unlock entry)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="unlocks")
    round = models.CharField(max_length=20, choices=Round.choices)
    until = models.DateField("mở đến hết ngày")
    reason = models.TextField("lý do")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = "mở khóa"
        verbose_name_plural = "mở khóa"


class AuditEvent(models.Model):
    """Every change: who, when, what, old → new, why. Rows are never updated or deleted by the portal."""

    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    username = models.CharField(max_length=150)
    role = models.CharField(max_length=20, blank=True, default="")
    assessment = models.ForeignKey(Assessment, null=True, on_delete=models.PROTECT, related_name="audit")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="audit")
    criterion = models.CharField(max_length=40, blank=True, default="")
    action = models.CharField(max_length=40)
    old = models.TextField(blank=True, default="")
    new = models.TextField(blank=True, default="")
    reason = models.TextField(blank=True, default="")
    entry = models.OneToOneField(Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="audit")

    class Meta:
        verbose_name = "nhật ký thay đổi"
        verbose_name_plural = "nhật ký thay đổi"
        ordering = ["at", "id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("audit events are append-only")


class UnitScore(models.Model):
    """The engine's latest result for a unit (a cache: rebuilt from evidence and record by web.services)."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="score")
    computed_at = models.DateTimeField()
    evidence = models.ForeignKey(Upload, null=True, on_delete=models.SET_NULL, related_name="+")
    record_length = models.PositiveIntegerField(default=0)
    points = models.FloatField(null=True)
    final_points = models.FloatField(null=True)
    index_pct = models.FloatField(null=True)
    band = models.CharField(max_length=80, blank=True, default="")
    rank = models.PositiveIntegerField(null=True)
    data_problems = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict)
    problems = models.JSONField(default=list)
