"""End to end in Chromium from the distribution (selenium with /usr/bin/chromedriver; nothing downloads a browser).

Two units, one appraiser and the office run the whole cycle through the pages, by keyboard where a person
would type; screenshots at 1366 and 390 px go to tests/output/screenshots.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from portal.portal_helpers import PDF, filled_workbook

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SHOTS = Path(__file__).resolve().parents[1] / "output" / "screenshots"

if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    if os.environ.get("CI"):
        raise RuntimeError("CI: chromium and chromium-driver must be installed (apt-get install chromium chromium-driver)")
    pytest.skip("chromium or chromedriver not installed", allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver") if not os.environ.get("CI") else __import__(
    "selenium.webdriver", fromlist=["webdriver"])
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1366,900", "--lang=vi"):
        options.add_argument(flag)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.fixture
def site(live_server, transactional_db, settings):
    from web.portal.demo import seed
    seed(units_limit=6)
    return live_server.url


class navigation:
    """Wait until the action inside the block has loaded a new page (a form post and its redirect)."""

    def __init__(self, driver):
        self.driver = driver

    def __enter__(self):
        self.driver.execute_script("window.__oldPage = true")

    def __exit__(self, *exc):
        if exc[0] is None:
            WebDriverWait(self.driver, 20).until(lambda d: d.execute_script(
                "return !window.__oldPage && document.readyState === 'complete'"))


def shot(driver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1366, 390):
        driver.set_window_size(width, 900)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(max(height, 600), 6000))
        driver.save_screenshot(str(SHOTS / f"{name}-{width}.png"))
        if width == 390:
            overflow = driver.execute_script("return document.documentElement.scrollWidth")
            assert overflow <= 400, f"{name}: the page is {overflow}px wide at 390px"
    driver.set_window_size(1366, 900)


def login_by_keyboard(driver, site: str, username: str) -> None:
    driver.delete_all_cookies()
    driver.get(site + "/dang-nhap/")
    active = driver.switch_to.active_element  # the username field has autofocus
    active.send_keys(username)
    active.send_keys(Keys.TAB)
    with navigation(driver):
        driver.switch_to.active_element.send_keys("parindex-demo-2024", Keys.ENTER)
    assert driver.find_element(By.TAG_NAME, "h1")


def logout(driver) -> None:
    with navigation(driver):
        driver.find_element(By.XPATH, "//button[normalize-space()='Đăng xuất']").click()


def unit_id(code: str) -> int:
    from web.portal.models import Unit
    return Unit.objects.get(code=code).pk


def text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def enter(driver, site, unit: str, criterion: str, points: str | None, reason: str, request: str | None = None,
          keyboard: bool = False) -> None:
    driver.get(f"{site}/don-vi/{unit_id(unit)}/tieu-chi/{criterion}/")
    form = driver.find_element(By.ID, "cham-diem")
    if points is not None:
        field = form.find_element(By.NAME, "points")
        field.clear()
        field.send_keys(points)
    form.find_element(By.NAME, "reason").send_keys(reason)
    if request:
        form.find_element(By.NAME, "explanation_requested").send_keys(Keys.SPACE)
        form.find_element(By.NAME, "question").send_keys(request)
    button = form.find_element(By.XPATH, ".//button[@type='submit']")
    if keyboard:
        form.find_element(By.NAME, "reason").send_keys(Keys.TAB)
        while driver.switch_to.active_element != button:
            driver.switch_to.active_element.send_keys(Keys.TAB)
        with navigation(driver):
            driver.switch_to.active_element.send_keys(Keys.ENTER)
    else:
        with navigation(driver):
            button.click()
    assert "Đã ghi nhận" in text(driver), text(driver)[:500]


def submit_unit(driver, site, unit: str) -> None:
    driver.get(f"{site}/don-vi/{unit_id(unit)}/")
    with navigation(driver):
        driver.find_element(By.ID, "id_leader_name").send_keys("Lê Văn Chủ Tịch", Keys.TAB, "Chủ tịch UBND", Keys.TAB,
                                                              Keys.SPACE, Keys.TAB, Keys.ENTER)
    assert "Đã gửi kết quả" in text(driver)


def submit_appraisal(driver, site, unit: str) -> None:
    driver.get(f"{site}/tham-dinh/don-vi/{unit_id(unit)}/")
    with navigation(driver):
        driver.find_element(By.ID, "id_confirm").send_keys(Keys.SPACE, Keys.TAB, Keys.ENTER)
    assert "Đã gửi kết quả" in text(driver)


def test_full_cycle_in_chromium(browser, site, tmp_path):
    from web.portal.models import Assessment, Entry

    driver = browser
    workbook = tmp_path / "phieu-minh-chung-phuong-1.xlsx"
    workbook.write_bytes(filled_workbook("phuong-1", "UBND Phường 1"))
    document = tmp_path / "quyet-dinh.pdf"
    document.write_bytes(PDF)

    # unit 1: upload, self-score (keyboard), submit
    login_by_keyboard(driver, site, "phuong-1")
    assert "UBND Phường 1" in text(driver) and "Xếp hạng trong khối" in text(driver)
    shot(driver, "don-vi-bang-dieu-khien")
    driver.find_element(By.ID, "id_file").send_keys(str(workbook))
    with navigation(driver):
        driver.find_element(By.XPATH, "//button[normalize-space()='Tải lên và chấm điểm']").click()
    assert "Đã nhận phiếu minh chứng" in text(driver), [m.text for m in driver.find_elements(By.CLASS_NAME, "msg")]
    driver.find_element(By.ID, "id_doc_file").send_keys(str(document))
    driver.find_element(By.ID, "id_doc_number").send_keys("45/QĐ-UBND")
    driver.find_element(By.ID, "id_doc_place").send_keys("Điều 1")
    with navigation(driver):
        driver.find_element(By.ID, "id_doc_criterion").send_keys("1.5.1", Keys.ENTER)
    assert "Đã lưu tài liệu" in text(driver)
    enter(driver, site, "phuong-1", "1.5.1", "1", "Mô hình Một cửa thân thiện", keyboard=True)
    shot(driver, "don-vi-tieu-chi")
    submit_unit(driver, site, "phuong-1")
    logout(driver)

    # unit 2: a note and the submission
    login_by_keyboard(driver, site, "phuong-2")
    enter(driver, site, "phuong-2", "1.1.2", None, "Kế hoạch có đủ nhiệm vụ và kinh phí")
    submit_unit(driver, site, "phuong-2")
    logout(driver)

    # appraiser, round 1: a request for explanation on unit 1
    login_by_keyboard(driver, site, "thamdinh")
    assert "UBND Phường 1" in text(driver) and "UBND Phường 2" in text(driver)
    driver.get(f"{site}/tham-dinh/don-vi/{unit_id('phuong-1')}/")
    shot(driver, "tham-dinh-don-vi")
    enter(driver, site, "phuong-1", "1.1.2", "0.5", "Chưa thấy bố trí kinh phí", request="Bổ sung quyết định giao dự toán")
    enter(driver, site, "phuong-2", "1.1.2", "1", "Đạt")
    submit_appraisal(driver, site, "phuong-1")
    submit_appraisal(driver, site, "phuong-2")
    logout(driver)

    # unit 1 explains with a new document; unit 2 has nothing to explain
    login_by_keyboard(driver, site, "phuong-1")
    assert "Bổ sung quyết định giao dự toán" in text(driver)
    driver.find_element(By.ID, "id_doc_file").send_keys(str(document))
    driver.find_element(By.ID, "id_doc_number").send_keys("12/QĐ-UBND")
    with navigation(driver):
        driver.find_element(By.ID, "id_doc_criterion").send_keys("1.1.2", Keys.ENTER)
    driver.get(f"{site}/don-vi/{unit_id('phuong-1')}/tieu-chi/1.1.2/")
    driver.find_element(By.XPATH, "//label[contains(., '12/QĐ-UBND')]").click()
    form = driver.find_element(By.ID, "cham-diem")
    form.find_element(By.NAME, "reason").send_keys("Đã có quyết định giao dự toán")
    with navigation(driver):
        form.find_element(By.XPATH, ".//button[@type='submit']").click()
    assert "Đã ghi nhận" in text(driver)
    submit_unit(driver, site, "phuong-1")
    logout(driver)
    login_by_keyboard(driver, site, "phuong-2")
    submit_unit(driver, site, "phuong-2")
    logout(driver)

    # appraiser, round 2
    login_by_keyboard(driver, site, "thamdinh")
    enter(driver, site, "phuong-1", "1.1.2", "1", "Đã giải trình đủ")
    submit_appraisal(driver, site, "phuong-1")
    submit_appraisal(driver, site, "phuong-2")
    logout(driver)

    # office: progress, finalise, publish, download the scoring sheet
    login_by_keyboard(driver, site, "noivu")
    shot(driver, "noi-vu-tien-do")
    with navigation(driver):
        driver.find_element(By.ID, "id_final_reason").send_keys("Hội đồng đã họp", Keys.ENTER)
    assert "Đã chốt kết quả" in text(driver)
    with navigation(driver):
        driver.find_element(By.XPATH, "//button[normalize-space()='Công bố kết quả']").click()
    assert Assessment.objects.get().state == "published"
    driver.get(site + "/noi-vu/phan-tich/")
    shot(driver, "noi-vu-phan-tich")
    driver.get(site + "/noi-vu/nhat-ky/?tieu_chi=1.1.2")
    assert "Đã giải trình đủ" in text(driver)
    shot(driver, "noi-vu-nhat-ky")
    driver.get(site + "/noi-vu/")
    driver.find_element(By.LINK_TEXT, "Excel").click()
    target = driver.downloads / "phieu-cham-vung-tau-2024.xlsx"
    for _ in range(50):
        if target.exists() and target.stat().st_size > 0:
            break
        time.sleep(0.1)
    assert target.read_bytes()[:2] == b"PK"
    assert Entry.objects.filter(kind="finalise").count() == 6
    shutil.copy(target, SHOTS / target.name)
