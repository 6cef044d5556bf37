"""`sotay web` through Starlette's TestClient: the form, the safety rules, the results and the downloads."""

from __future__ import annotations

import html
import io
import re
import socket
from pathlib import Path

import docx
import openpyxl
import pytest
from typer.testing import CliRunner

from sotay_cli.cli import app as cli_app
from sotay_cli.web import app as web_app
from sotay_cli.web.app import MB, Options, create_app
from sotay_cli.web.guard import allowed_hosts, host_allowed

# newer Starlette would rather its TestClient ran on httpx2; older ones need httpx
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
BASE = "http://127.0.0.1:8765"
JUNE = {"ky": "thang", "thang": "6", "nam": "2026", "mau_vb": "cong-van", "nguon": "tep"}


def sample_files() -> list[tuple[str, tuple[str, bytes]]]:
    return [("tep", (p.name, p.read_bytes())) for p in sorted(SAMPLE.glob("*.xlsx"))]


@pytest.fixture
def history(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "lich-su.sqlite"
    monkeypatch.setenv("SOTAY_HISTORY", str(path))
    return path


@pytest.fixture
def make_client(tmp_path, history):
    from starlette.testclient import TestClient

    clients = []

    def make(raise_server_exceptions=True, **options):
        workdir = tmp_path / "work"
        workdir.mkdir(exist_ok=True)
        application = create_app(Options(workdir=workdir, **options))
        client = TestClient(application, base_url=BASE, raise_server_exceptions=raise_server_exceptions)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()


def token_of(client) -> str:
    page = client.get("/")
    assert page.status_code == 200
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def post_report(client, files=None, **fields):
    data = JUNE | {"csrf": token_of(client)} | fields
    return client.post("/bao-cao", data=data, files=files or [], follow_redirects=False)


def docx_text(data: bytes) -> str:
    """Every paragraph of a DOCX, those in tables too (the header is a table)."""
    document = docx.Document(io.BytesIO(data))
    cells = [p.text for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def results_of(client, response):
    assert response.status_code == 303, response.text[:2000]
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    rid = re.search(r"/tai/([^/]+)/docx", page.text).group(1)
    return page, rid


def test_form_is_vietnamese_served_from_the_package_and_sets_a_session():
    from starlette.testclient import TestClient

    with TestClient(create_app(Options()), base_url=BASE) as c:
        page = c.get("/")
        assert page.status_code == 200
        assert '<html lang="vi">' in page.text and "Kỳ báo cáo" in page.text
        assert "sotay_phien" in page.cookies
        for url in re.findall(r'(?:src|href)="([^"]+)"', page.text):
            assert url.startswith("/"), url  # nothing fetched from elsewhere
        for asset in ("/static/sotay.css", "/static/sotay.js"):
            assert c.get(asset).status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]


def test_sample_files_give_87_86_and_a_docx_that_opens(client):
    page, rid = results_of(client, post_report(client, sample_files()))
    assert "87,86%" in page.text
    assert "Đảng bộ xã Hoa Lộc" in page.text
    assert 'class="num below"' in page.text  # below-target cells coloured
    download = client.get(f"/tai/{rid}/docx")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(download.content)).paragraphs)
    assert "87,86%" in text
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/tai/{rid}/xlsx").content))
    values = [c.value for ws in book for row in ws.iter_rows() for c in row]
    assert 1687 in values and pytest.approx(0.8786) in values


def test_flags_show_the_gap_in_members(client):
    page, _ = results_of(client, post_report(client, sample_files()))
    assert re.search(r'<td class="num gap">\d+ đảng viên</td>', page.text)
    assert "Chưa đạt chỉ tiêu" in page.text


def test_member_names_only_in_the_follow_up_files(client):
    page, rid = results_of(client, post_report(client, sample_files()))
    lists = client.get(f"/tai/{rid}/followup-xlsx")
    assert lists.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(lists.content))
    names = [row[1] for ws in book.worksheets[1:] for row in ws.iter_rows(min_row=4, values_only=True) if row[1]]
    assert len(names) > 100
    assert not [n for n in names if n in page.text]
    word = client.get(f"/tai/{rid}/followup-docx")
    assert names[0] in "\n".join(c.text for t in docx.Document(io.BytesIO(word.content)).tables for r in t.rows
                                 for c in r.cells)


def test_post_without_the_token_is_refused(client):
    token_of(client)
    for data in (JUNE, JUNE | {"csrf": "không-phải-mã-này"}):
        answer = client.post("/bao-cao", data=data, files=sample_files(), follow_redirects=False)
        assert answer.status_code == 403
        assert "Yêu cầu bị từ chối" in answer.text
    assert client.post("/kiem-tra", data={}, files=sample_files()[:1]).status_code == 403


def test_token_of_another_session_is_refused(make_client):
    first, second = make_client(), make_client()
    answer = second.post("/bao-cao", data=JUNE | {"csrf": token_of(first)}, files=sample_files(),
                         follow_redirects=False)
    assert answer.status_code == 403


def test_results_belong_to_their_session(make_client):
    owner, other = make_client(), make_client()
    _, rid = results_of(owner, post_report(owner, sample_files()))
    token_of(other)
    assert other.get(f"/ket-qua/{rid}").status_code == 404
    assert other.get(f"/tai/{rid}/docx").status_code == 404


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1.nip.io:8765", "127.0.0.1:9999", "localhost", ""])
def test_other_host_headers_are_refused(client, host):
    answer = client.get("/", headers={"host": host})
    assert answer.status_code == 400
    assert "Địa chỉ không được phép" in answer.text


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "LOCALHOST:8765"])
def test_loopback_host_headers_are_served(client, host):
    assert client.get("/", headers={"host": host}).status_code == 200


def test_host_rules_for_a_given_address():
    allowed = allowed_hosts("192.168.1.5", 8765)
    assert host_allowed("192.168.1.5:8765", allowed, any_ip=False)
    assert not host_allowed("evil.example:8765", allowed, any_ip=False)
    everywhere = allowed_hosts("0.0.0.0", 8765)
    assert host_allowed("10.0.0.7:8765", everywhere, any_ip=True)  # an address: no DNS rebinding
    assert not host_allowed("evil.example:8765", everywhere, any_ip=True)
    assert not host_allowed("10.0.0.7:80", everywhere, any_ip=True)
    assert host_allowed("[::1]:8765", allowed_hosts("::1", 8765), any_ip=False)


def test_upload_over_the_limit_gets_a_vietnamese_413(make_client):
    client = make_client(max_upload=1 * MB)
    answer = post_report(client, [("tep", ("lon.csv", b"x" * (MB + 10)))])
    assert answer.status_code == 413
    assert "Tệp quá lớn" in answer.text and "1 MB" in answer.text
    assert "Traceback" not in answer.text


def test_a_streamed_body_over_the_limit_is_stopped_without_content_length():
    import asyncio

    from sotay_cli.web.guard import Guard

    reached = []

    async def app(scope, receive, send):
        while (await receive()).get("more_body"):
            pass
        reached.append(True)

    guard = Guard(app, "127.0.0.1", 8765, 100, lambda status, title, message: title.encode())
    chunks = [{"type": "http.request", "body": b"x" * 60, "more_body": True}] * 4
    chunks.append({"type": "http.request", "body": b"", "more_body": False})
    sent = []

    async def receive():
        return chunks.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "headers": [(b"host", b"127.0.0.1:8765")]}
    asyncio.run(guard(scope, receive, send))
    assert sent[0]["status"] == 413 and not reached and not chunks


def test_a_broken_file_gets_its_message_next_to_it(client):
    files = [("tep", ("hong.xlsx", b"PK\x03\x04 not a workbook")), ("tep", ("dang-vien.xlsx",
                                                                            (SAMPLE / "dang-vien.xlsx").read_bytes()))]
    answer = post_report(client, files)
    assert answer.status_code == 422
    bad = re.search(r'<li class="bad">\s*<span class="fname">hong.xlsx</span>\s*<span class="fmsg">([^<]+)</span>',
                    answer.text)
    assert bad and "bị hỏng" in bad.group(1)
    assert re.search(r'<li class="ok">\s*<span class="fname">dang-vien.xlsx</span>', answer.text)
    assert "Traceback" not in answer.text and "tai-len-" not in answer.text


def test_a_file_of_no_known_kind_is_said_and_its_path_stays_private(client):
    answer = post_report(client, [("tep", ("bang-la.csv", b"Cot A;Cot B\n1;2\n"))])
    assert answer.status_code == 422
    assert "không tìm thấy dòng tiêu đề" in answer.text.lower()
    assert "tai-len-" not in answer.text


def test_two_rosters_and_no_roster_are_said(client):
    roster = (SAMPLE / "dang-vien.xlsx").read_bytes()
    twice = post_report(client, [("tep", ("a.xlsx", roster)), ("tep", ("b.xlsx", roster))])
    assert twice.status_code == 422 and "mỗi loại chỉ chọn một tệp" in twice.text
    none = post_report(client, [("tep", ("tk.xlsx", (SAMPLE / "tai-khoan.xlsx").read_bytes()))])
    assert none.status_code == 422 and "chưa có danh sách đảng viên" in none.text
    empty = post_report(client, [])
    assert empty.status_code == 422 and "Chưa chọn tệp nào" in empty.text


def test_uploads_are_removed_when_the_request_is_done_and_results_on_shutdown(make_client):
    client = make_client()
    folder = client.app.state.sotay.folder
    results_of(client, post_report(client, sample_files()))
    post_report(client, [("tep", ("hong.xlsx", b"PK\x03\x04 broken"))])
    assert not list(folder.rglob("tai-len-*"))
    assert not list(folder.rglob("dang-vien.xlsx")) and not list(folder.rglob("hong.xlsx"))
    assert list(folder.rglob("cong-van-2026-06.docx"))  # the downloads stay until the server stops
    client.__exit__(None, None, None)
    assert not folder.exists()


def test_the_sample_and_a_missing_sotay_toml(client):
    page, _ = results_of(client, post_report(client, nguon="mau"))
    assert "DỮ LIỆU MẪU" in page.text and "87,86%" in page.text
    missing = post_report(client, nguon="cau-hinh")
    assert missing.status_code == 422 and "Không có tệp sotay.toml" in missing.text


def test_sotay_toml_of_the_folder(client, tmp_path):
    work = tmp_path / "work"
    toml = (SAMPLE / "sotay.toml").read_text(encoding="utf-8")
    for name in ("dang-vien", "tai-khoan", "sinh-hoat", "to-chuc"):
        toml = toml.replace(f'"{name}.xlsx"', f'"{(SAMPLE / name).as_posix()}.xlsx"')
    (work / "sotay.toml").write_text(toml, encoding="utf-8")
    page, rid = results_of(client, post_report(client, nguon="cau-hinh", mau_vb="bao-cao"))
    assert "87,86%" in page.text and "DỮ LIỆU MẪU" not in page.text
    text = docx_text(client.get(f"/tai/{rid}/docx").content)
    assert "ĐẢNG ỦY XÃ HOA LỘC" in text and "BÁO CÁO" in text.upper()


def test_a_quarter_and_a_bad_period(client):
    page, _ = results_of(client, post_report(client, sample_files(), ky="quy", quy="2"))
    assert "quý II năm 2026" in page.text
    # one month's accounts file for the quarter: the page says why regular use is unknown, beside the figures
    warned = [html.unescape(w) for w in re.findall(r'<p class="warn">(.*?)</p>', page.text, re.S)]
    assert any(w.startswith("Một tệp tài khoản cho cả quý II năm 2026") for w in warned), warned
    bad = post_report(client, sample_files(), nam="1999")
    assert bad.status_code == 422 and "Kỳ báo cáo" in bad.text and "1999" in bad.text


def test_history_only_when_asked_and_the_chart_with_two_months(client, history):
    results_of(client, post_report(client, sample_files()))
    assert not history.exists()
    results_of(client, post_report(client, sample_files(), thang="5", luu="1"))
    assert history.exists()
    page, rid = results_of(client, post_report(client, sample_files(), luu="1"))
    assert 'class="chart"' in page.text
    chart = client.get(f"/tai/{rid}/chart")
    assert chart.status_code == 200 and chart.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_conflict_of_cards_is_shown_without_the_names(client, tmp_path):
    from conftest import write_xlsx

    roster = write_xlsx(tmp_path / "ds.xlsx", [
        ["Số thẻ ĐV", "Họ và tên", "Ngày sinh", "Chi bộ", "Tình trạng"],
        ["38.000001", "Nguyễn Thị Hoa", "01/01/1970", "Chi bộ thôn Đông", "Đang sinh hoạt"],
        ["38.000001", "Phạm Văn Khánh", "02/02/1980", "Chi bộ thôn Đông", "Đang sinh hoạt"],
        ["38.000002", "Lê Văn Tâm", "03/03/1990", "Chi bộ thôn Tây", "Đang sinh hoạt"],
    ])
    page, _ = results_of(client, post_report(client, [("tep", ("ds.xlsx", roster.read_bytes()))]))
    assert "Hai người khác nhau cùng số thẻ 38.000001" in page.text
    for name in ("Nguyễn Thị Hoa", "Phạm Văn Khánh", "Lê Văn Tâm"):
        assert name not in page.text
    assert "Danh sách đôn đốc cần tệp tài khoản ứng dụng" in page.text


def test_an_unexpected_failure_is_a_friendly_page(make_client, monkeypatch):
    client = make_client(raise_server_exceptions=False)

    def broken(*args, **kwargs):
        raise RuntimeError("bí mật nội bộ")

    monkeypatch.setattr(web_app.pipeline, "run", broken)
    answer = post_report(client, sample_files())
    assert answer.status_code == 500
    assert "Có lỗi không lường trước" in answer.text
    assert "Traceback" not in answer.text and "bí mật nội bộ" not in answer.text


def test_odd_form_fields_are_said_not_crashed(client):
    token = token_of(client)
    answer = client.post("/bao-cao", data={"csrf": token, "ky": "thang", "thang": "13", "nam": "2026",
                                           "ngay": "31/02/2026", "mau_vb": "ke-hoach", "nguon": "tep"},
                         files=[("so", ("so.txt", b"1")), *sample_files()])
    assert answer.status_code == 422
    assert "tháng 13 không hợp lệ" in answer.text
    assert "Ngày ban hành không hợp lệ" in answer.text and "Chọn một mẫu văn bản" in answer.text


def test_unknown_pages_and_old_results(client):
    token_of(client)
    assert client.get("/ket-qua/khong-co").status_code == 404
    assert "Không có trang này" in client.get("/tai/khong-co/docx").text


def test_check_endpoint_names_the_kind(client):
    token = token_of(client)
    answer = client.post("/kiem-tra", data={"csrf": token},
                         files=[("tep", ("tk.xlsx", (SAMPLE / "tai-khoan.xlsx").read_bytes()))])
    assert answer.json() == {"name": "tk.xlsx", "kind": "usage", "kind_label": "tài khoản ứng dụng",
                             "rows": 1989, "error": None}


runner = CliRunner()


def test_cli_web_serves_loopback_by_default_and_warns_for_another_host(monkeypatch):
    calls = []
    monkeypatch.setattr("sotay_cli.web.server.serve", lambda *args: calls.append(args))
    result = runner.invoke(cli_app, ["web", "--no-browser"])
    assert result.exit_code == 0, result.output
    host, port, max_upload, open_browser = calls[0][:4]
    assert (host, port, max_upload, open_browser) == ("127.0.0.1", 8765, 200, False)
    assert "Cảnh báo" not in result.output
    result = runner.invoke(cli_app, ["web", "--host", "0.0.0.0", "--port", "9000", "--max-upload", "50"])
    assert result.exit_code == 0
    assert calls[1][:4] == ("0.0.0.0", 9000, 50, True)
    assert "Cảnh báo" in result.output and "0.0.0.0" in result.output


def test_cli_web_on_a_busy_port_says_so():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(cli_app, ["web", "--no-browser", "--port", str(port)])
    assert result.exit_code == 2
    assert "đang được chương trình khác dùng" in result.output and "Traceback" not in result.output


def test_folders_of_killed_servers_are_swept(tmp_path):
    import os
    import subprocess
    import sys

    from sotay_cli.web.app import sweep_folders

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = tmp_path / f"sotay-web-{int(gone.stdout)}-abc"
    (dead / "tai-len-x").mkdir(parents=True)
    ours = tmp_path / f"sotay-web-{os.getpid()}-def"
    ours.mkdir()
    other = tmp_path / "sotay-web-khong-phai"
    other.mkdir()
    sweep_folders(tmp_path)
    assert not dead.exists() and ours.exists() and other.exists()
