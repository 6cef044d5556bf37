"""`sotay web` in a real browser: Debian's chromium driven by Playwright, against the real command
(`sotay web --port 0 --no-browser`) running in its own process."""

from __future__ import annotations

import base64
import io
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import docx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium "
                                "(.ci/run installs it: apt-get install chromium)")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
LIMIT_MB = 2
SHOTS = os.environ.get("SOTAY_WEB_SHOTS")  # a folder: the pages are saved there as PNG, to look at


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real command on a free port, its own history file and an empty working folder."""
    work = tmp_path_factory.mktemp("web")
    env = dict(os.environ, SOTAY_HISTORY=str(work / "lich-su.sqlite"), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "sotay_cli", "web", "--port", "0", "--no-browser",
                             "--max-upload", str(LIMIT_MB), "--dir", str(work)],
                            cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = None
    deadline = time.monotonic() + 30
    while url is None and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        url = found.group(1) if found else None
    if url is None:
        proc.kill()
        pytest.fail(f"sotay web did not start: {proc.stderr.read()}")
    yield url, proc
    proc.terminate()
    proc.wait(timeout=15)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="vi-VN")
    yield context.new_page()
    context.close()


@pytest.fixture
def plain_page(browser):
    """A browser with JavaScript off: the form must work all the same."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, java_script_enabled=False)
    yield context.new_page()
    context.close()


def drop_files(page, paths: list[Path]) -> None:
    """Drop files onto the drop box as a person drags them from a folder."""
    files = [{"name": p.name, "data": base64.b64encode(p.read_bytes()).decode()} for p in paths]
    transfer = page.evaluate_handle("""files => {
        const dt = new DataTransfer();
        for (const f of files) {
            const bytes = Uint8Array.from(atob(f.data), c => c.charCodeAt(0));
            dt.items.add(new File([bytes], f.name));
        }
        return dt;
    }""", files)
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_drop_the_sample_pick_june_see_87_86_and_download_the_docx(server, page):
    from playwright.sync_api import expect

    url, _ = server
    page.goto(url)
    drop_files(page, sorted(SAMPLE.glob("*.xlsx")))
    files = page.locator("#files li")
    expect(files).to_have_count(4)
    expect(page.locator("#files li.ok")).to_have_count(4, timeout=20000)
    expect(files.filter(has_text="dang-vien.xlsx")).to_contain_text("Danh sách đảng viên")
    expect(files.filter(has_text="tai-khoan.xlsx")).to_contain_text("Tài khoản ứng dụng")
    page.select_option("#ky", "thang")
    page.select_option("#thang", "6")
    page.select_option("#nam", "2026")
    expect(page.locator("#quy")).to_be_hidden()
    shot(page, "form-1366")
    page.click("#submit")
    page.wait_for_url(re.compile(r"/ket-qua/"))
    expect(page.locator(".headline .figure.below").first).to_contain_text("87,86%")
    expect(page.locator("table.units tr.root")).to_contain_text("87,86%")
    shot(page, "results-1366")
    with page.expect_download() as info:
        page.click("text=Dự thảo công văn đôn đốc (Word, .docx)")
    download = info.value
    assert download.suggested_filename == "cong-van-2026-06.docx"
    document = docx.Document(io.BytesIO(Path(download.path()).read_bytes()))
    assert "87,86%" in "\n".join(p.text for p in document.paragraphs)


def test_the_page_fits_a_phone(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    url, _ = server
    page.goto(url)
    page.set_input_files("#tep", [str(p) for p in sorted(SAMPLE.glob("*.xlsx"))])
    page.select_option("#thang", "6")
    page.select_option("#nam", "2026")
    page.click("#submit")
    page.wait_for_url(re.compile(r"/ket-qua/"))
    # the wide table scrolls inside its box; the page itself never scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator(".headline .figure").first.bounding_box()["width"] < 200  # two figures a row
    shot(page, "results-390")
    context.close()


def test_a_broken_file_gets_its_message_beside_it(server, page, plain_page, tmp_path):
    from playwright.sync_api import expect

    url, _ = server
    broken = tmp_path / "hong.xlsx"
    broken.write_bytes(b"PK\x03\x04 half a download")
    page.goto(url)
    page.set_input_files("#tep", [str(broken), str(SAMPLE / "dang-vien.xlsx")])
    bad = page.locator("#files li.bad")
    expect(bad).to_have_count(1, timeout=20000)
    expect(bad).to_contain_text("hong.xlsx")
    expect(bad.locator(".fmsg")).to_contain_text("bị hỏng")
    # without JavaScript: the form is sent and comes back with the message beside the file
    plain_page.goto(url)
    plain_page.set_input_files("#tep", [str(broken), str(SAMPLE / "dang-vien.xlsx")])
    plain_page.click("#submit")
    expect(plain_page.locator("#files li.bad .fmsg")).to_contain_text("bị hỏng")
    expect(plain_page.locator("#files li.ok")).to_contain_text("Danh sách đảng viên")
    assert "Traceback" not in plain_page.content()


def test_an_upload_over_the_limit(server, page, plain_page, tmp_path):
    from playwright.sync_api import expect

    url, _ = server
    big = tmp_path / "rat-lon.csv"
    big.write_bytes(b"x" * (LIMIT_MB * 1024 * 1024 + 1))
    page.goto(url)
    page.set_input_files("#tep", str(big))
    expect(page.locator("#files li.bad .fmsg")).to_contain_text(f"vượt giới hạn {LIMIT_MB} MB")
    messages = []
    page.on("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    page.click("#submit")
    assert messages and "vượt giới hạn" in messages[0]
    assert "/ket-qua/" not in page.url
    # without JavaScript the server answers: 413 and a page in Vietnamese
    plain_page.goto(url)
    plain_page.set_input_files("#tep", str(big))
    with plain_page.expect_response(re.compile(r"/bao-cao$")) as answer:
        plain_page.click("#submit")
    assert answer.value.status == 413
    expect(plain_page.locator("h1")).to_have_text("Tệp quá lớn")


def test_a_post_without_the_token_is_refused(server, page):
    url, _ = server
    page.goto(url)  # a session cookie, but no token sent
    answer = page.request.post(url + "bao-cao", multipart={"ky": "thang", "thang": "6", "nam": "2026",
                                                          "nguon": "mau", "mau_vb": "cong-van"})
    assert answer.status == 403
    assert "Yêu cầu bị từ chối" in answer.text()
    # another site's page posting to sotay: no token, and the session cookie is not sent
    page.set_content(f"""<form method="post" action="{url}bao-cao"><input name="nguon" value="mau">
        <input name="csrf" value="doan-bua"><button id="go">Gửi</button></form>""")
    with page.expect_navigation():
        page.click("#go")
    assert "Yêu cầu bị từ chối" in page.content()


def test_the_server_listens_on_the_loopback_only(server):
    url, proc = server
    port = int(re.search(r":(\d+)/", url).group(1))
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    listening = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True).stdout if _has("ss") else ""
    ours = [line for line in listening.splitlines() if f"pid={proc.pid}," in line]
    if ours:
        assert all(f"127.0.0.1:{port}" in line.split()[3] for line in ours), ours
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no address besides the loopback to try")
    with pytest.raises(OSError):
        socket.create_connection((address, port), timeout=3).close()


def _has(command: str) -> bool:
    from shutil import which

    return which(command) is not None


def _outside_address() -> str | None:
    """An address of this machine other than the loopback (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address
