"""`sotay report` and `sotay init`: every output opened back with the real reader."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from typer.testing import CliRunner

from sotay_cli.cli import app
from sotay_cli.places import PlaceNotFound, find

runner = CliRunner()
SAMPLE = ["--config", "sample_data/sotay.toml"]
GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module", autouse=True)
def own_history(tmp_path_factory):
    """The reports of these tests keep their periods in a history of their own, never in the user's."""
    import os

    before = os.environ.get("SOTAY_HISTORY")
    os.environ["SOTAY_HISTORY"] = str(tmp_path_factory.mktemp("lich-su") / "lich-su.sqlite")
    yield
    if before is None:
        del os.environ["SOTAY_HISTORY"]
    else:
        os.environ["SOTAY_HISTORY"] = before


def report(tmp_path, *args):
    result = runner.invoke(app, ["report", "-p", "2026-06", "--ngay", "08/07/2026", "-o", str(tmp_path), *SAMPLE,
                                 *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def cong_van(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    report(folder)
    return folder / "2026-06"


def province(tmp_path: Path, issuer: str | None = None) -> Path:
    """A small province (4 đảng bộ xã, 60 chi bộ) made by `sotay sample` in `tmp_path`, with its sotay.toml."""
    from sotay_cli.sample import Commune, write_sample

    write_sample(tmp_path, Commune(members=3000, chi_bo=60, co_so=12, xa=4, seed=5), "csv")
    config = tmp_path / "sotay.toml"
    config.write_text('[organisation]\nroot = "Đảng bộ tỉnh Thử"\nlevel = "tinh"\n'
                      + (f'issuer = "{issuer}"\n' if issuer else "")
                      + '[inputs]\nmembers = "dang-vien.csv"\nusage = "tai-khoan.csv"\nmeetings = "sinh-hoat.csv"\n',
                      encoding="utf-8")
    return config


def draft(template: str, out: Path, *inputs: str) -> str:
    """The Markdown of `template` for June 2026 from `inputs` (--config, --members…), history off."""
    result = runner.invoke(app, ["report", "-p", "2026-06", "-t", template, "-f", "md", "--no-history",
                                 "-o", str(out), *inputs])
    assert result.exit_code == 0, result.output
    return (out / "2026-06" / f"{template}-2026-06.md").read_text(encoding="utf-8")


def all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def test_report_writes_the_three_files_and_prints_their_paths(tmp_path):
    result = report(tmp_path)
    folder = tmp_path / "2026-06"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["cong-van-2026-06.docx", "cong-van-2026-06.md", "phu-luc-2026-06.xlsx"]  # no chart of 1 month
    assert all(str(folder / n) in result.stdout for n in names)
    assert not list(folder.glob(".*")), "no temporary file left behind"


def test_report_never_overwrites_without_force(tmp_path):
    report(tmp_path)
    again = runner.invoke(app, ["report", "-p", "2026-06", "-o", str(tmp_path), *SAMPLE])
    assert again.exit_code == 2
    assert "--force" in again.stderr and "Traceback" not in again.output
    report(tmp_path, "--force")


def test_markdown_draft_matches_golden(cong_van):
    produced = (cong_van / "cong-van-2026-06.md").read_text(encoding="utf-8")
    assert produced == (GOLDEN / "cong-van-2026-06.md").read_text(encoding="utf-8")


def test_docx_page_layout_follows_the_party_guide(cong_van):
    doc = Document(str(cong_van / "cong-van-2026-06.docx"))
    first, appendix = doc.sections
    assert (round(first.page_width.mm), round(first.page_height.mm)) == (210, 297)
    assert (round(first.top_margin.mm), round(first.bottom_margin.mm)) == (20, 20)
    assert (round(first.left_margin.mm), round(first.right_margin.mm)) == (30, 15)
    assert first.different_first_page_header_footer, "no page number on page 1"
    assert "PAGE" in first.header._element.xml
    assert appendix.orientation == WD_ORIENT.LANDSCAPE and round(appendix.page_width.mm) == 297
    assert doc.styles["Normal"].font.name == "Times New Roman"


def test_docx_header_block_and_figures(cong_van):
    doc = Document(str(cong_van / "cong-van-2026-06.docx"))
    header = doc.tables[0].rows[0].cells
    left = [p.text for p in header[0].paragraphs]
    assert left[:4] == ["ĐẢNG BỘ TỈNH THANH HÓA", "ĐẢNG ỦY XÃ HOA LỘC", "*", "Số      -CV/ĐU"]
    assert left[4].startswith("V/v ") and header[0].paragraphs[4].runs[0].italic
    national = header[1].paragraphs[0].runs[0]
    assert national.text == "ĐẢNG CỘNG SẢN VIỆT NAM" and national.bold and national.underline
    assert header[1].paragraphs[2].text == "Hoa Lộc, ngày 08 tháng 7 năm 2026"
    text = all_text(doc)
    assert "1.687/1.920 đảng viên đang sinh hoạt" in text and "87,86%" in text and "14,94%" in text
    assert "Kính gửi: Các chi bộ, đảng bộ cơ sở trực thuộc Đảng ủy xã Hoa Lộc" in text
    assert "T/M BAN THƯỜNG VỤ" in text and "Nơi nhận:" in text


def test_docx_appendix_lists_every_chi_bo_and_the_totals(cong_van):
    doc = Document(str(cong_van / "cong-van-2026-06.docx"))
    table = doc.tables[-1]
    assert "PHỤ LỤC" in [p.text for p in doc.paragraphs]
    rows = table.rows
    assert rows[0].cells[1].text == "Tổ chức đảng"
    assert len(rows) == 2 + 38 + 1 + 2  # header, number row, units, totals, then the two groups
    total = [c.text for c in rows[-3].cells]
    assert [r.cells[1].text for r in rows[-2:]] == ["Trong đó: khối cơ quan nhà nước", "Trong đó: khối lực lượng vũ trang"]
    assert total[1] == "Tổng cộng" and total[2] == "1.920" and total[4] == "1.687" and total[5] == "87,86%"
    assert "<w:tblHeader/>" in rows[0]._tr.xml
    # the meeting rate is over the chi bộ given that target: 36 of 38, said under the table (and in Excel)
    note = ("tỷ lệ chi bộ sinh hoạt trên ứng dụng tính trên các chi bộ được giao chỉ tiêu (không tính 2 chi bộ lực "
            "lượng vũ trang).")
    assert any(p.text.endswith(note) for p in doc.paragraphs)
    sheet = openpyxl.load_workbook(cong_van / "phu-luc-2026-06.xlsx").worksheets[0]
    assert any(isinstance(c.value, str) and c.value.endswith(note) for r in sheet.iter_rows() for c in r)


def test_xlsx_appendix_layout(cong_van):
    book = openpyxl.load_workbook(cong_van / "phu-luc-2026-06.xlsx")
    ws = book.worksheets[0]
    assert "A1" in {str(r).split(":")[0] for r in ws.merged_cells.ranges}
    assert ws.freeze_panes == "C6"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize in (9, "9")
    assert ws.print_title_rows == "$4:$5"
    assert ws["A1"].font.name == "Times New Roman"
    headers = [c.value for c in ws[4]]
    assert headers[:3] == ["STT", "Tên tổ chức đảng", "Tổng số đảng viên"]
    total = next(r for r in ws.iter_rows(values_only=True) if r[0] == "Tổng cộng")
    assert total[4] == 1920 and total[5] == 1687 and total[6] == pytest.approx(0.8786)
    for row in ws.iter_rows(values_only=True):
        for value in row:
            assert not (isinstance(value, str) and value[:1] in "=+-@"), value
    rates = dashes = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=6):
            for cell in row:
                if cell.number_format == "0.00%" and isinstance(cell.value, float):
                    rates += 1  # the rate as shown, exactly: 83.33 % stored as 0.8333, not 0.8332999999999999
                    assert repr(cell.value) == repr(round(cell.value, 4)), (cell.coordinate, cell.value)
                elif cell.value == "—":
                    dashes += 1  # centred, as in the Word appendix
                    assert cell.alignment.horizontal == "center", cell.coordinate
    assert rates > 20 and dashes


def test_xlsx_rates_are_stored_as_shown_and_dashes_align_with_numbers(tmp_path):
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from sotay_cli.render import xlsx

    book = xlsx.Workbook(tmp_path / "x.xlsx", "x.xlsx")
    styles = xlsx._styles(book)
    rate = SimpleNamespace(kind="rate")
    values, formats = xlsx._figure_cells(pd.Series([0.833333, 0.9999, np.nan]), None, rate, "half-up", styles)
    assert [repr(v) for v in values[:2]] == ["0.8333", "0.9999"] and values[2] == "—"
    assert formats[2] is styles["dash"] and formats[0] is styles["rate"]
    count = SimpleNamespace(kind="count")
    values, formats = xlsx._figure_cells(pd.Series([3.0, np.nan]), None, count, "half-up", styles, total=True)
    assert values == [3, "—"] and formats == [styles["total_count"], styles["total_dash"]]
    book.close()


def test_template_error_names_template_line_and_name(tmp_path):
    folder = tmp_path / "mau"
    folder.mkdir()
    (folder / "cong-van.md").write_text("Trích yếu: V/v thử\n===\nĐoạn một.\n\nSố liệu {{ total.khong_co }}.\n",
                                        encoding="utf-8")
    config = tmp_path / "sotay.toml"
    sample = Path("sample_data").resolve()
    config.write_text((sample / "sotay.toml").read_text(encoding="utf-8").replace('= "dang-vien', f'= "{sample}/dang-vien')
                      .replace('= "tai-khoan', f'= "{sample}/tai-khoan').replace('= "sinh-hoat', f'= "{sample}/sinh-hoat')
                      .replace('= "to-chuc', f'= "{sample}/to-chuc') + f'\n[report]\ntemplates = "{folder}"\n',
                      encoding="utf-8")
    result = runner.invoke(app, ["report", "-p", "2026-06", "-o", str(tmp_path / "out"), "--config", str(config)])
    assert result.exit_code == 2
    assert "cong-van.md, dòng 5" in result.stderr and "khong_co" in result.stderr
    assert not (tmp_path / "out" / "2026-06" / "cong-van-2026-06.docx").exists()


def test_user_template_replaces_the_shipped_one(tmp_path):
    folder = tmp_path / "mau"
    folder.mkdir()
    (folder / "cong-van.md").write_text("Trích yếu: V/v riêng\n===\nĐã cài {{ total.installed | number }}.\n",
                                        encoding="utf-8")
    from sotay_cli.analysis import analyse
    from sotay_cli.config import load_config
    from sotay_cli.periods import parse_period
    from sotay_cli.report import ReportOptions, make_draft

    a = analyse(load_config("sample_data/sotay.toml"), parse_period("2026-06"))
    a.config.report = {"templates": str(folder)}
    draft = make_draft(a, ReportOptions())
    assert draft.summary == "V/v riêng" and draft.body[0].text == "Đã cài 1.687."


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_docx_converts_to_pdf_with_libreoffice(cong_van, tmp_path):
    done = subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                           str(cong_van / "cong-van-2026-06.docx")], capture_output=True, timeout=180)
    pdf = tmp_path / "cong-van-2026-06.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        assert pages >= 3  # the letter runs past page 1, the landscape appendix follows


def test_places_lookup_and_suggestions():
    place = find("Thanh Hóa", "Hoa Lộc")
    assert (place.superior, place.issuer, place.place_name) == ("ĐẢNG BỘ TỈNH THANH HÓA", "ĐẢNG ỦY XÃ HOA LỘC",
                                                                "Hoa Lộc")
    assert find("thanh hoa", "xa hoa loc") == place
    with pytest.raises(PlaceNotFound) as err:
        find("Thanh Hóa", "Hoa Lôc x")
    assert "Xã Hoa Lộc" in err.value.suggestions


def test_init_writes_a_config_that_loads_and_the_templates(tmp_path):
    from sotay_cli.config import load_config

    result = runner.invoke(app, ["init", str(tmp_path), "--tinh", "Thanh Hóa", "--xa", "Hoa Lộc"])
    assert result.exit_code == 0, result.output
    config = load_config(tmp_path / "sotay.toml")
    assert config.organisation["issuer"] == "ĐẢNG ỦY XÃ HOA LỘC"
    assert config.input_path("usage", "2026-06").endswith("du-lieu/2026-06/tai-khoan.xlsx")
    assert sorted(p.name for p in (tmp_path / "templates").iterdir()) == ["bao-cao.md", "cong-van.md", "thong-bao.md"]
    again = runner.invoke(app, ["init", str(tmp_path), "--tinh", "Thanh Hóa", "--xa", "Hoa Lộc"])
    assert again.exit_code == 2 and "--force" in again.stderr


def test_init_unknown_place_suggests(tmp_path):
    result = runner.invoke(app, ["init", str(tmp_path), "--tinh", "Thanh Hoa", "--xa", "Hoa Loc x"])
    assert result.exit_code == 2 and "Có phải: Xã Hoa Lộc" in result.stderr


def test_bao_cao_counts_and_names_units_of_the_level_it_says(tmp_path):
    """A province's báo cáo counts its đảng bộ xã below target and names chi bộ: each figure says which
    level it is about (it said '136/136 tổ chức đảng chưa đạt chỉ tiêu, thấp nhất là Chi bộ thôn 8')."""
    import re

    text = draft("bao-cao", tmp_path / "out", "--config", str(province(tmp_path)))
    below = re.search(r"Còn (\d+)/(\d+) tổ chức đảng trực thuộc chưa đạt chỉ tiêu; các chi bộ có tỷ lệ cài đặt "
                      r"thấp nhất: (Chi bộ [^:]+): ", text)
    assert below, text
    assert int(below[2]) == 4  # the four đảng bộ xã directly under the province, not its 60 chi bộ
    assert "Các chi bộ có tỷ lệ cài đặt cao nhất: Chi bộ " in text


def test_docx_appendix_with_changes_keeps_header_words_whole(tmp_path):
    """A province's appendix with the changes since last month has 15 figure columns: each stays wide enough,
    with 9 pt headers, for 'thường' on one line (at 12.7 mm, LibreOffice broke it 'thườn/g')."""
    config = province(tmp_path)
    assert runner.invoke(app, ["stats", "-p", "2026-05", "-f", "csv", "--config", str(config)]).exit_code in (0, 1)
    result = runner.invoke(app, ["report", "-p", "2026-06", "-f", "docx", "-o", str(tmp_path / "out"),
                                 "--config", str(config)])
    assert result.exit_code == 0, result.output
    table = Document(str(tmp_path / "out" / "2026-06" / "cong-van-2026-06.docx")).tables[-1]
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    widths = [int(g.get(ns + "w")) / 56.7 for g in table._tbl.tblGrid.iter(ns + "gridCol")]
    assert len(widths) == 17 and sum(widths) == pytest.approx(262, abs=0.5)
    assert widths[1] >= 45 and min(widths[2:]) >= 13.5, widths
    sizes = {r.font.size.pt for c in table.rows[0].cells[2:] for p in c.paragraphs for r in p.runs}
    assert sizes == {9.0}


def test_drafts_name_no_leader_at_zero_nor_lowest_at_full_and_say_low_use_only_when_it_is(tmp_path):
    """The báo cáo said 'đã cài đặt nhưng chưa sử dụng thường xuyên còn cao' whatever the figures, listed
    chi bộ at 100% among the lowest, and the công văn a chi bộ at 0,00% among the leaders."""
    members = tmp_path / "dv.csv"
    members.write_text("Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng\r\n"
                       "09.000001,A,Chi bộ thôn Một,Đang sinh hoạt\r\n09.000002,B,Chi bộ thôn Một,Đang sinh hoạt\r\n"
                       "09.000003,C,Chi bộ thôn Hai,Đang sinh hoạt\r\n09.000004,D,Chi bộ thôn Hai,Đang sinh hoạt\r\n",
                       encoding="utf-8")
    usage = tmp_path / "tk.csv"
    usage.write_text("Số thẻ ĐV,Trạng thái,Lần truy cập gần nhất\r\n09.000001,Đã kích hoạt,20/06/2026\r\n"
                     "09.000002,Đã kích hoạt,21/06/2026\r\n", encoding="utf-8")
    texts = {t: draft(t, tmp_path / "out", "--members", str(members), "--usage", str(usage))
             for t in ("bao-cao", "cong-van")}
    assert "các chi bộ có tỷ lệ cài đặt thấp nhất: Chi bộ thôn Hai: 0,00%." in texts["bao-cao"]
    assert "cao nhất: Chi bộ thôn Một: 100,00%." in texts["bao-cao"]  # never named both highest and lowest
    assert "Các chi bộ có tỷ lệ cài đặt cao nhất: Chi bộ thôn Một: 100,00%." in texts["bao-cao"]
    assert "Dẫn đầu về tỷ lệ cài đặt là Chi bộ thôn Một: 100,00%." in texts["cong-van"]
    # half the members use the app (all who installed): below the 95% target
    assert "Tỷ lệ đảng viên sử dụng thường xuyên còn thấp (50,00% số đảng viên đang sinh hoạt)." in texts["bao-cao"]
    assert "chưa sử dụng thường xuyên còn cao" not in texts["bao-cao"]


def test_bao_cao_says_nothing_of_use_when_its_target_is_met():
    from sotay_cli.analysis import analyse
    from sotay_cli.config import load_config
    from sotay_cli.periods import parse_period
    from sotay_cli.render.context import build
    from sotay_cli.render.templating import render_text

    context = build(analyse(load_config("sample_data/sotay.toml"), parse_period("2026-06")))
    assert "Tỷ lệ đảng viên sử dụng thường xuyên còn thấp (13,13% số đảng viên đang sinh hoạt)." \
        in render_text("bao-cao", context, None)
    total = context["total"] | {"flags": [f for f in context["total"]["flags"] if f["metric"] != "active_rate"]}
    assert "sử dụng thường xuyên còn thấp" not in render_text("bao-cao", context | {"total": total}, None)


def test_cong_van_without_usage_says_why_there_is_nothing_under_han_che(tmp_path):
    members = tmp_path / "dv.csv"
    members.write_text("Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng\r\n09.000001,A,Chi bộ thôn Một,Đang sinh hoạt\r\n",
                       encoding="utf-8")
    result = runner.invoke(app, ["report", "-p", "2026-06", "-f", "md", "--no-history", "--members", str(members),
                                 "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "2026-06" / "cong-van-2026-06.md").read_text(encoding="utf-8")
    limits = text.split("## 2. Hạn chế", 1)[1].split("##", 1)[0]
    assert ("Chưa đánh giá được chỉ tiêu về cài đặt, sử dụng ứng dụng và sinh hoạt chi bộ trên ứng dụng của các tổ "
            "chức đảng do chưa có số liệu trong kỳ.") in limits
    assert "đều đạt" not in text


def test_report_without_an_organisation_leaves_its_names_blank_and_says_so(tmp_path, monkeypatch):
    """Without [organisation] the draft read 'ĐẢNG ỦY TOÀN ĐẢNG BỘ' and 'toàn Toàn đảng bộ': now blanks to
    fill by hand, and a warning that says how to name the đảng bộ."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dv.csv").write_text("Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng\r\n"
                                     "09.000001,A,Chi bộ thôn Một,Đang sinh hoạt\r\n", encoding="utf-8")
    result = runner.invoke(app, ["report", "-p", "2026-06", "-f", "md", "--no-history", "--members", "dv.csv"])
    assert result.exit_code == 0, result.output
    assert "chưa khai báo tên đảng bộ ([organisation] root trong sotay.toml" in " ".join(result.stderr.split())
    text = (tmp_path / "bao-cao" / "2026-06" / "cong-van-2026-06.md").read_text(encoding="utf-8")
    assert "**ĐẢNG ỦY …………**" in text and "Toàn Đảng bộ ………… có 1 đảng viên" in text
    assert "TOÀN ĐẢNG BỘ" not in text and "Toàn đảng bộ" not in text


def test_report_without_organisation_but_with_a_units_file_names_its_top(tmp_path, monkeypatch):
    """The units file's top names the đảng bộ: no blanks, no warning."""
    sample = Path(__file__).resolve().parents[1] / "sample_data"
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["report", "-p", "2026-06", "-f", "md", "--no-history",
                                 "--members", str(sample / "dang-vien.xlsx"), "--units", str(sample / "to-chuc.xlsx")])
    assert result.exit_code == 0, result.output
    assert "chưa khai báo tên đảng bộ" not in result.stderr
    text = (tmp_path / "bao-cao" / "2026-06" / "cong-van-2026-06.md").read_text(encoding="utf-8")
    assert "**ĐẢNG ỦY XÃ HOA LỘC**" in text and "…………" not in text


def test_drafts_never_say_every_target_is_met_over_unknown_figures(tmp_path):
    """Every chi bộ installed, no meetings file: the công văn said 'đều đạt chỉ tiêu đề ra', the báo cáo
    'Các tổ chức đảng đều đạt chỉ tiêu', while the meeting target could not be judged."""
    members = tmp_path / "dv.csv"
    members.write_text("Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng\r\n09.000001,A,Chi bộ thôn Một,Đang sinh hoạt\r\n"
                       "09.000002,B,Chi bộ thôn Hai,Đang sinh hoạt\r\n", encoding="utf-8")
    usage = tmp_path / "tk.csv"
    usage.write_text("Số thẻ ĐV,Trạng thái,Lần truy cập gần nhất\r\n09.000001,Đã kích hoạt,20/06/2026\r\n"
                     "09.000002,Đã kích hoạt,21/06/2026\r\n", encoding="utf-8")
    for template in ("bao-cao", "cong-van"):
        text = draft(template, tmp_path / "out", "--members", str(members), "--usage", str(usage))
        assert "đều đạt chỉ tiêu" not in text, template
        assert ("đạt các chỉ tiêu có số liệu; chưa đánh giá được chỉ tiêu về sinh hoạt chi bộ trên ứng dụng do chưa có "
                "số liệu trong kỳ.") in text, template
        # both chi bộ at 100%: none is 'leading' over the others, none 'lowest'
        assert "cao nhất" not in text and "Dẫn đầu" not in text and "thấp nhất" not in text


def test_a_unit_with_its_own_target_says_it_beside_its_shortfall():
    """The công văn states 'đạt 95% số đảng viên' for all; a state agency's shortfall was counted to its own
    100% without saying so ('40,82% (còn thiếu 29 đảng viên)' could not be checked against 95%)."""
    from sotay_cli.analysis import analyse
    from sotay_cli.config import load_config
    from sotay_cli.periods import parse_period
    from sotay_cli.render.context import build

    context = build(analyse(load_config("sample_data/sotay.toml"), parse_period("2026-06")))
    shorts = {f["metric"]: f["short"] for u in context["below"] for f in u["flags"] if f["target"] == 1.0}
    own = [f for u in context["below"] for f in u["flags"] if f["metric"] == "active_rate"]
    assert {f["target"] for f in own} == {0.95, 1.0}  # the sample has both
    for f in own:
        assert ("chỉ tiêu 100%, còn thiếu" in f["short"]) == (f["target"] == 1.0), f["short"]
    assert shorts


def test_more_chi_bo_tied_at_the_top_than_a_draft_names_are_counted_not_picked(tmp_path):
    """27 chi bộ at 100%: the công văn named three of them 'Dẫn đầu', unfair where the figures feed thi đua."""
    members = tmp_path / "dv.csv"
    rows = [f"09.{i:06d},N{i},Chi bộ thôn {i % 6},Đang sinh hoạt\r\n" for i in range(1, 25)]
    members.write_text("Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng\r\n" + "".join(rows), encoding="utf-8")
    usage = tmp_path / "tk.csv"  # chi bộ 1-4 all installed, 5 and 0 half
    installed = [i for i in range(1, 25) if i % 6 in (1, 2, 3, 4) or i % 12 == 5 or i % 12 == 0]
    usage.write_text("Số thẻ ĐV,Trạng thái,Lần truy cập gần nhất\r\n"
                     + "".join(f"09.{i:06d},Đã kích hoạt,20/06/2026\r\n" for i in installed), encoding="utf-8")
    for template, said in (("cong-van", "Có 4 chi bộ cùng dẫn đầu về tỷ lệ cài đặt, đạt 100,00%."),
                           ("bao-cao", "Có 4 chi bộ cùng có tỷ lệ cài đặt cao nhất, đạt 100,00%.")):
        text = draft(template, tmp_path / "out", "--members", str(members), "--usage", str(usage))
        assert said in text, template


def test_a_province_draft_names_the_province_s_own_bodies(tmp_path):
    """A Tỉnh ủy has no Ban Xây dựng Đảng: the province công văn named it, and closed on 'các chi bộ, đảng bộ
    cơ sở' after being addressed to the đảng bộ trực thuộc."""
    config = province(tmp_path, issuer="TỈNH ỦY THỬ")
    for template in ("cong-van", "thong-bao"):
        text = draft(template, tmp_path / "out", "--config", str(config))
        assert "Ban Xây dựng Đảng" not in text and "chi bộ, đảng bộ cơ sở trực thuộc" not in text, template
        assert "Ban Tổ chức Tỉnh ủy" in text, template
    cong_van = (tmp_path / "out" / "2026-06" / "cong-van-2026-06.md").read_text(encoding="utf-8")
    assert "Đề nghị các đảng bộ trực thuộc nghiêm túc triển khai thực hiện./." in cong_van
    assert "- Ủy ban Kiểm tra Tỉnh ủy, Ban Tổ chức Tỉnh ủy" in cong_van


def test_a_long_place_and_date_line_stays_on_one_line(tmp_path):
    """'Xuân Trường, ngày 08 tháng 7 năm 2026' wrapped '2026' onto a line of its own at 14 pt."""
    sample = Path(__file__).resolve().parents[1] / "sample_data"
    (tmp_path / "sotay.toml").write_text('[organisation]\nroot = "Đảng bộ xã Xuân Trường"\n', encoding="utf-8")
    sizes = {}
    for config in (tmp_path / "sotay.toml", sample / "sotay.toml"):
        out = tmp_path / config.parent.name
        args = ["report", "-p", "2026-06", "-f", "docx", "--ngay", "08/07/2026", "--no-history", "-o", str(out),
                "--config", str(config)]
        if config.parent == tmp_path:
            args += ["--members", str(sample / "dang-vien.xlsx")]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        right = Document(str(out / "2026-06" / "cong-van-2026-06.docx")).tables[0].rows[0].cells[1]
        line = next(p for p in right.paragraphs if "ngày 08 tháng 7 năm 2026" in p.text)
        sizes[line.text] = {r.font.size.pt for r in line.runs}
    assert sizes == {"Xuân Trường, ngày 08 tháng 7 năm 2026": {13.0}, "Hoa Lộc, ngày 08 tháng 7 năm 2026": {14.0}}


def test_drafts_follow_the_targets_set(tmp_path):
    """active_rate = false crashed the báo cáo and the thông báo ('không có tên active_rate'); the công văn said
    '100% chi bộ' whatever the meeting target; with meeting_rate = false and no meetings file, a draft said
    'chưa đánh giá được chỉ tiêu về sinh hoạt chi bộ', a target nobody set."""
    sample = Path(__file__).resolve().parents[1] / "sample_data"
    toml = (sample / "sotay.toml").read_text(encoding="utf-8")
    toml = toml.replace("active_rate = 0.95\nmeeting_rate = 1.0", "active_rate = false\nmeeting_rate = false", 1)
    toml = "\n".join(line for line in toml.splitlines() if not line.startswith("meetings ="))  # no meetings file
    assert "active_rate = false" in toml and "sinh-hoat" not in toml
    for name in ("dang-vien.xlsx", "tai-khoan.xlsx", "sinh-hoat.xlsx", "to-chuc.xlsx"):
        (tmp_path / name).write_bytes((sample / name).read_bytes())
    (tmp_path / "sotay.toml").write_text(toml, encoding="utf-8")
    texts = {t: draft(t, tmp_path / "out", "--config", str(tmp_path / "sotay.toml"))
             for t in ("bao-cao", "cong-van", "thong-bao")}
    assert "phấn đấu tăng số đảng viên đang sinh hoạt sử dụng thường xuyên" in texts["bao-cao"]
    assert "chưa đạt chỉ tiêu (cài đặt trên 95% số đảng viên). Cụ thể:" in texts["cong-van"]  # strict_targets
    assert "Để hoàn thành các chỉ tiêu (cài đặt trên 95% số đảng viên)," in texts["thong-bao"]
    assert all("100% chi bộ" not in t and "chưa đánh giá được" not in t for t in texts.values())


def test_a_ban_to_chuc_never_names_itself_among_those_it_assigns(tmp_path):
    config = province(tmp_path, issuer="BAN TỔ CHỨC TỈNH ỦY")
    for template in ("cong-van", "thong-bao"):
        text = draft(template, tmp_path / "out", "--config", str(config))
        receivers = [line for line in text.splitlines() if line.startswith("- ")]
        assert not any(line.startswith("- Ban Tổ chức") for line in receivers), (template, receivers)
    assert "**1. Ban Tổ chức Tỉnh ủy** chủ trì" in text  # the Ban itself takes the work it assigns


def test_a_tie_the_cut_at_three_would_split_is_left_out_of_the_names(tmp_path):
    """Rates of 100%, 75%, 50%, 50%: naming one of the two at 50% would pick a winner the figures do not."""
    plan = {"A": (1, 1), "B": (4, 3), "C": (2, 1), "D": (2, 1), "E": (1, 0)}  # chi bộ: members, installed
    members, usage, k = [], [], 0
    for unit, (n, installed) in plan.items():
        for j in range(n):
            k += 1
            members.append(f"09.{k:06d},N{k},Chi bộ {unit},Đang sinh hoạt\r\n")
            if j < installed:
                usage.append(f"09.{k:06d},Đã kích hoạt,20/06/2026\r\n")
    (tmp_path / "dv.csv").write_text("Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng\r\n" + "".join(members),
                                     encoding="utf-8")
    (tmp_path / "tk.csv").write_text("Số thẻ ĐV,Trạng thái,Lần truy cập gần nhất\r\n" + "".join(usage),
                                     encoding="utf-8")
    result = runner.invoke(app, ["report", "-p", "2026-06", "-f", "md", "--no-history", "--members",
                                 str(tmp_path / "dv.csv"), "--usage", str(tmp_path / "tk.csv"), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "2026-06" / "cong-van-2026-06.md").read_text(encoding="utf-8")
    assert "Dẫn đầu về tỷ lệ cài đặt là Chi bộ A: 100,00%; Chi bộ B: 75,00%." in text
