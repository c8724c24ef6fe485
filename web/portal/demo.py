"""The demo assessment: the 17 wards of Vũng Tàu (2024) with their sample evidence, one account per ward,
an appraiser and an office account. Used by `parindex serve`, the browser tests and the bench.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from web.portal import domain
from web.portal.models import Account, Assessment, Assignment, Role, Round, Unit, Upload

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CRITERIA = ROOT / "criteria" / "xa-2024.yaml"
SAMPLE_EVIDENCE = ROOT / "evidence" / "vung-tau-2024"
DEMO_PASSWORD = "parindex-demo-2024"
OFFICE = "noivu"
APPRAISER = "thamdinh"
CENTRAL = {"phuong-1", "phuong-2", "phuong-3", "phuong-4", "phuong-5", "phuong-7", "phuong-8", "phuong-9"}


def credentials(assessment: Assessment) -> list[tuple[str, str, str]]:
    """(who, username, password) for the printout and the README."""
    rows = [("Phòng Nội vụ", OFFICE, DEMO_PASSWORD), ("Thẩm định viên (khu trung tâm)", APPRAISER, DEMO_PASSWORD)]
    rows += [(u.name, u.code, DEMO_PASSWORD) for u in assessment.units.order_by("code")]
    return rows


def _user(username: str, role: str, unit: Unit | None = None, full_name: str = "", position: str = "",
          password_hash: str | None = None):
    """A demo login; the password is hashed once per seed (PBKDF2 is slow on purpose) and shared by the demo logins."""
    user = get_user_model()(username=username, password=password_hash or make_password(DEMO_PASSWORD))
    user.save()
    Account.objects.create(user=user, role=role, unit=unit, full_name=full_name, position=position)
    return user


def seed(criteria: Path = SAMPLE_CRITERIA, evidence: Path = SAMPLE_EVIDENCE, code: str = "vung-tau-2024",
         now=None, units_limit: int | None = None) -> Assessment:
    """Create the demo assessment once; a second call returns the existing one untouched."""
    existing = Assessment.objects.filter(code=code).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    day = timezone.localtime(now).date()
    data = criteria.read_bytes()
    with transaction.atomic():
        assessment = Assessment(
            code=code, title="Đánh giá Chỉ số CCHC năm 2024 — các phường, xã thành phố Vũng Tàu", year=2024,
            block="Cấp xã", criteria_name=criteria.name, criteria_sha256=hashlib.sha256(data).hexdigest(),
            self_open=day - timedelta(days=1), self_deadline=day + timedelta(days=14),
            appraisal_1_deadline=day + timedelta(days=28), explanation_deadline=day + timedelta(days=35),
            appraisal_2_deadline=day + timedelta(days=42), publication_date=day + timedelta(days=49),
            bonus_cap=2, penalty_cap=2, state=Assessment.State.OPEN)
        assessment.criteria_file.save(f"{code}/{criteria.name}", ContentFile(data), save=False)
        assessment.save()
        hashed = make_password(DEMO_PASSWORD)
        office = _user(OFFICE, Role.OFFICE, full_name="Nguyễn Thị Nội Vụ", position="Chuyên viên Phòng Nội vụ",
                       password_hash=hashed)
        appraiser = _user(APPRAISER, Role.APPRAISER, full_name="Trần Văn Thẩm Định", position="Thành viên Hội đồng",
                          password_hash=hashed)
        domain.audit(office, "seed", assessment=assessment, new=assessment.title, reason="dữ liệu mẫu", at=now)
        files = sorted(evidence.glob("*.yaml"))[:units_limit]
        for path in files:
            bundle = yaml.safe_load(path.read_text(encoding="utf-8"))["unit"]
            unit = Unit.objects.create(assessment=assessment, code=bundle["id"], name=bundle["name"],
                                       level=bundle.get("level", ""),
                                       area="Khu trung tâm" if bundle["id"] in CENTRAL else "Khu ven biển và đảo")
            user = _user(unit.code, Role.UNIT, unit, full_name=f"Cán bộ CCHC {unit.name}", password_hash=hashed)
            raw = path.read_bytes()
            upload = Upload(assessment=assessment, unit=unit, kind=Upload.Kind.BUNDLE, original_name=path.name,
                            content_type="application/yaml", size=len(raw), sha256=hashlib.sha256(raw).hexdigest(),
                            round=Round.SELF, uploaded_by=user, uploaded_at=now, accepted=True)
            upload.file.save(f"{code}/{unit.code}/{upload.sha256[:16]}.yaml", ContentFile(raw), save=False)
            upload.save()
            domain.audit(user, "upload_evidence", unit=unit, new=f"{path.name} (sha256 {upload.sha256})",
                         reason="dữ liệu mẫu", at=now)
            domain.rescore(unit, now)
        Assignment.objects.create(assessment=assessment, appraiser=appraiser, area="Khu trung tâm")
        domain.audit(office, "assign", assessment=assessment, new=f"{APPRAISER} → địa bàn Khu trung tâm", at=now)
    return assessment
