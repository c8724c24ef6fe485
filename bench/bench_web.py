"""Load bench of the web portal on loopback: N units with 3 rounds of records, gunicorn on 127.0.0.1.

Measures p50/p95 of the unit dashboard and of an evidence upload with rescoring, then has 50 units submit
their explanation round at the same moment (twice: the second wave must all be refused) and checks that no
entry was lost or duplicated against the audit trail. Bounded: requests have timeouts, counts are fixed.

    python3 bench/bench_web.py [--units 200] [--requests 200] [--uploads 60] [--concurrent 50]
A temporary SQLite database unless DATABASE_URL is set (e.g. after `source .ci/postgres.sh`).
Targets: dashboard p95 < 300 ms, upload + rescoring p95 < 2 s.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PASSWORD = "parindex-demo-2024"


def clone_bundles(target: Path, count: int) -> None:
    """`count` evidence bundles cut from the 17 sample wards, each with its own unit id."""
    samples = sorted((ROOT / "evidence" / "vung-tau-2024").glob("*.yaml"))
    for index in range(count):
        data = yaml.safe_load(samples[index % len(samples)].read_text(encoding="utf-8"))
        data["unit"].update(id=f"don-vi-{index + 1:03d}", name=f"UBND Đơn vị {index + 1:03d}", aliases=[])
        (target / f"don-vi-{index + 1:03d}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def seed_records(units: int, folder: Path) -> None:
    """The assessment with three rounds of records per unit: self (note, manual score, submit), appraisal 1
    (score with an explanation request, submit) and an explanation note; the explanation submit is the bench's."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from web.portal import domain
    from web.portal.demo import seed
    from web.portal.models import Assignment, Round

    call_command("migrate", interactive=False, verbosity=0)
    evidence = folder / "evidence"
    evidence.mkdir()
    clone_bundles(evidence, units)
    started = time.perf_counter()
    assessment = seed(evidence=evidence, code="bench")
    appraiser = get_user_model().objects.get(username="thamdinh")
    Assignment.objects.create(assessment=assessment, appraiser=appraiser, area="Khu ven biển và đảo")
    for unit in assessment.units.order_by("code"):
        user = get_user_model().objects.get(username=unit.code)
        domain.add_entry(user, unit, round_=Round.SELF, criterion="1.1.2", points=None, reason="Đủ nhiệm vụ")
        domain.add_entry(user, unit, round_=Round.SELF, criterion="1.5.1", points=1, reason="Có mô hình mới")
        domain.submit(user, unit, Round.SELF, "Lê Văn A", "Chủ tịch UBND")
        domain.add_entry(appraiser, unit, round_=Round.APPRAISAL_1, criterion="1.1.2", points=0.5,
                         reason="Chưa bố trí kinh phí", explanation_requested=True, question="Bổ sung dự toán")
        domain.submit(appraiser, unit, Round.APPRAISAL_1, "Trần Văn B", "Thẩm định viên")
        domain.add_entry(user, unit, round_=Round.EXPLANATION, criterion="1.1.2", points=None,
                         reason="Đã có quyết định giao dự toán")
    print(f"seeded {units} units with 3 rounds of records in {time.perf_counter() - started:.1f} s", flush=True)


class Browser:
    """One logged-in person: a cookie jar and the CSRF token, over plain HTTP on loopback."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())
        self.get("/dang-nhap/")
        status, _ = self.post("/dang-nhap/", {"username": username, "password": PASSWORD})
        if status != 302:
            raise RuntimeError(f"login failed for {username}: {status}")

    def token(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, path: str) -> tuple[int, bytes]:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.status, response.read()

    def post(self, path: str, data: dict, files: dict | None = None) -> tuple[int, bytes]:
        data = {**data, "csrfmiddlewaretoken": self.token()}
        if files:
            boundary = uuid.uuid4().hex
            body = b"".join(
                [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in data.items()]
                + [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
                   f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n"
                   for k, (name, content) in files.items()] + [f"--{boundary}--\r\n".encode()])
            kind = f"multipart/form-data; boundary={boundary}"
        else:
            body, kind = urllib.parse.urlencode(data).encode(), "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data=body, method="POST",
                                         headers={"Content-Type": kind, "Referer": self.base + path})
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, req, fp, code, msg, headers):
        return fp


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def wait_for(port: int, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--uploads", type=int, default=60)
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="parindex-bench-"))
    os.environ.update(PARINDEX_DATA_DIR=str(folder), DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
                      DJANGO_SETTINGS_MODULE="web.settings", PARINDEX_LOGIN_FAILURES="1000")
    sys.path.insert(0, str(ROOT))
    import django
    django.setup()
    from django.db import connection

    from web import services
    from web.portal.models import AuditEvent, Entry, Submission, Unit
    print(f"database: {connection.vendor}", flush=True)
    seed_records(args.units, folder)

    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "web.wsgi", "-b", f"{HOST}:{port}", "-w",
                               str(args.workers), "-k", "gthread", "--threads", "8", "--timeout", "120"],
                              cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(port)
        base = f"http://{HOST}:{port}"
        units = list(Unit.objects.filter(assessment__code="bench").order_by("code"))
        people = units[: args.concurrent]
        with ThreadPoolExecutor(8) as pool:
            browsers = dict(zip([u.code for u in people], pool.map(lambda u: Browser(base, u.code), people)))

        dashboard = []
        for i in range(args.requests):
            unit = people[i % len(people)]
            started = time.perf_counter()
            status, _ = browsers[unit.code].get(f"/don-vi/{unit.pk}/")
            dashboard.append(time.perf_counter() - started)
            assert status == 200, status

        criteria = Path(Unit.objects.get(pk=people[0].pk).assessment.criteria_file.path)
        workbooks = {}
        upload = []
        for i in range(args.uploads):
            unit = people[i % len(people)]
            if unit.code not in workbooks:
                workbooks[unit.code] = filled(services.template(criteria, unit.code, unit.name, "xa", 2024))
            started = time.perf_counter()
            status, body = browsers[unit.code].post(f"/don-vi/{unit.pk}/tai-len/phieu/", {},
                                                    {"file": ("phieu.xlsx", workbooks[unit.code])})
            upload.append(time.perf_counter() - started)
            assert status == 302, (status, body[:300])

        entries_before = Entry.objects.count()
        audit_before = AuditEvent.objects.count()
        barrier = threading.Barrier(len(people))

        def submit(unit):
            barrier.wait(timeout=60)
            started = time.perf_counter()
            status, _ = browsers[unit.code].post(f"/don-vi/{unit.pk}/gui/", {
                "leader_name": "Lê Văn A", "leader_position": "Chủ tịch UBND", "confirm": "on"})
            return status, time.perf_counter() - started

        waves = []
        for _ in range(2):
            with ThreadPoolExecutor(len(people)) as pool:
                waves.append(list(pool.map(submit, people)))
        codes = [u.code for u in people]
        submits = Entry.objects.filter(unit__code__in=codes, kind="submit", round="explanation")
        per_unit = {c: submits.filter(unit__code=c).count() for c in codes}
        checks = {
            "one explanation submission per unit": all(v == 1 for v in per_unit.values()),
            "submissions table agrees": Submission.objects.filter(unit__code__in=codes, round="explanation").count()
            == len(codes),
            "entries added = units": Entry.objects.count() - entries_before == len(codes),
            "every entry has its audit event": not Entry.objects.filter(audit__isnull=True).exists(),
            "audit submit events = submit entries": AuditEvent.objects.filter(action="submit", entry__in=submits).count()
            == len(codes),
            "no audit event without its entry for entry actions": AuditEvent.objects.filter(
                action__startswith="entry_", entry__isnull=True).count() == 0,
            "audit grew by the submissions only": AuditEvent.objects.count() - audit_before == len(codes),
        }
        p = {name: (percentile(v, 50) * 1000, percentile(v, 95) * 1000) for name, v in
             (("dashboard", dashboard), ("upload + rescoring", upload), ("concurrent submit", [t for _, t in waves[0]]))}
        print(f"\nunits {args.units}, records: {Entry.objects.count()} entries, {AuditEvent.objects.count()} audit events")
        for name, (p50, p95) in p.items():
            print(f"{name:22s} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms")
        print(f"first wave statuses: {sorted(set(s for s, _ in waves[0]))}; second wave (must be refused, no entry): "
              f"{sorted(set(s for s, _ in waves[1]))}")
        for name, ok in checks.items():
            print(f"  {'OK  ' if ok else 'FAIL'} {name}")
        targets = {"dashboard p95 < 300 ms": p["dashboard"][1] < 300,
                   "upload + rescoring p95 < 2 s": p["upload + rescoring"][1] < 2000}
        for name, ok in targets.items():
            print(f"  {'MET ' if ok else 'MISS'} {name}")
        return 0 if all(checks.values()) else 1
    finally:
        server.terminate()
        server.wait(timeout=30)


def filled(data: bytes) -> bytes:
    import io

    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(data))
    book["Hướng dẫn"]["B12"] = "29/02/2024"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


if __name__ == "__main__":
    sys.exit(main())
