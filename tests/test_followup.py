"""The follow-up files for many chi bộ: the Word document built in linear time with its section
properties last, and the workbook's rule (a sheet per chi bộ up to SHEETS_MAX, else one list sheet)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn
from typer.testing import CliRunner

from conftest import nobody_on_the_app
from sotay_cli.cli import app
from sotay_cli.render import followup as render

runner = CliRunner()
HEADER = "Số thẻ đảng viên,Họ và tên,Chi bộ,Tình trạng\r\n"


def follow(tmp_path: Path, roster: str, accounts: str, *args: str):
    """`followup` for June 2026 on a roster (rows under HEADER) and an accounts file (its whole text), into
    tmp_path/bc: the result and the period's folder."""
    (tmp_path / "dv.csv").write_text(HEADER + roster, encoding="utf-8")
    (tmp_path / "tk.csv").write_text(accounts, encoding="utf-8")
    result = runner.invoke(app, ["followup", "-p", "2026-06", "--members", str(tmp_path / "dv.csv"), "--usage",
                                 str(tmp_path / "tk.csv"), "-o", str(tmp_path / "bc"), *args])
    return result, tmp_path / "bc" / "2026-06"


def run(tmp_path: Path, units: int, per_unit: int = 2) -> tuple[Path, Path, list[tuple[str, list[str]]]]:
    """`followup` on a roster of `units` chi bộ of `per_unit` members (none of them on the app);
    the workbook, the document, and each chi bộ with its members' names in the order written."""
    rows = [(f"09.{u * per_unit + k:06d}", f"Đảng viên {u:03d}-{k}", f"Chi bộ thôn {u:03d}")
            for u in range(units) for k in range(per_unit)]
    members = tmp_path / "dv.csv"
    members.write_text(HEADER + "".join(f"{c},{n},{u},Đang sinh hoạt\r\n" for c, n, u in rows), encoding="utf-8")
    out = tmp_path / "bc"
    result = runner.invoke(app, ["followup", "-p", "2026-06", "--members", str(members),
                                 *nobody_on_the_app(tmp_path, rows[0][0]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    expected = [(f"Chi bộ thôn {u:03d}", [f"Đảng viên {u:03d}-{k}" for k in range(per_unit)]) for u in range(units)]
    folder = out / "2026-06"
    return folder / "doi-chieu-2026-06.xlsx", folder / "doi-chieu-2026-06.docx", expected


def test_document_of_many_chi_bo_has_every_page_before_the_section_properties(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "SHEETS_MAX", 3)
    _, docx, expected = run(tmp_path, 40, per_unit=3)
    doc = Document(str(docx))
    body = list(doc.element.body)
    assert body[-1].tag == qn("w:sectPr") and sum(e.tag == qn("w:sectPr") for e in body) == 1
    # each page: [page break], greeting, count, anchor, table, closing
    tags = ["p" if e.tag == qn("w:p") else "tbl" for e in body[:-1]]
    assert tags == ["p", "p", "p", "tbl", "p"] + ["p", "p", "p", "p", "tbl", "p"] * 39
    greetings = [p.text for p in doc.paragraphs if p.text.startswith("Kính gửi:")]
    assert greetings == [f"Kính gửi: Đồng chí Bí thư {unit}" for unit, _ in expected]
    assert [[row.cells[1].text for row in t.rows[1:]] for t in doc.tables] == [names for _, names in expected]
    assert doc.sections[0].page_width is not None and len(doc.sections) == 1


def test_workbook_up_to_the_limit_has_a_sheet_per_chi_bo(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "SHEETS_MAX", 4)
    xlsx, _, expected = run(tmp_path, 4)
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == [render.SUMMARY_SHEET] + [unit.removeprefix("Chi bộ ") for unit, _ in expected]
    for (unit, names), sheet in zip(expected, book.worksheets[1:]):
        assert sheet["A1"].value == unit
        assert [r[1] for r in sheet.iter_rows(min_row=4, values_only=True)] == names


def test_workbook_above_the_limit_has_one_list_sheet_with_a_filter(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "SHEETS_MAX", 4)
    xlsx, _, expected = run(tmp_path, 5)
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == [render.SUMMARY_SHEET, render.LIST_SHEET]
    summary, sheet = book.worksheets
    assert [r[1] for r in summary.iter_rows(min_row=4, values_only=True)] == [unit for unit, _ in expected]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[0] == ("STT", "Chi bộ", "Họ và tên", "Năm sinh", "Điện thoại", "Tình trạng")
    assert [r[:3] for r in rows[1:]] == [(i, unit, name) for i, (unit, name) in
                                         enumerate(((u, n) for u, names in expected for n in names), start=1)]
    assert sheet.auto_filter.ref == f"A3:F{3 + 10}"
    assert sheet.freeze_panes == "A4" and sheet.print_title_rows == "$3:$3"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToHeight == 0
    assert sheet.page_setup.fitToWidth in (None, 1)  # 1 is the default XlsxWriter leaves out


def test_list_past_excel_rows_goes_on_to_numbered_sheets(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "SHEETS_MAX", 1)
    monkeypatch.setattr(render, "ROWS_MAX", 3 + 4)  # 4 members a sheet
    xlsx, _, expected = run(tmp_path, 5)  # 10 members
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames == [render.SUMMARY_SHEET, "Danh sách", "Danh sách (2)", "Danh sách (3)"]
    rows = [r for sheet in book.worksheets[1:] for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert [r[:3] for r in rows] == [(i, unit, name) for i, (unit, name) in
                                     enumerate(((u, n) for u, names in expected for n in names), start=1)]
    assert [s.max_row for s in book.worksheets[1:]] == [7, 7, 5]


@pytest.mark.parametrize("units", [render.SHEETS_MAX, render.SHEETS_MAX + 1])
def test_the_real_limit_is_where_the_rule_changes(tmp_path, units):
    xlsx, _, _ = run(tmp_path, units, per_unit=1)
    names = openpyxl.load_workbook(xlsx, read_only=True).sheetnames
    assert len(names) == (units + 1 if units <= render.SHEETS_MAX else 2)


def test_without_access_data_only_members_not_installed_are_listed(tmp_path):
    """An accounts export with no last access and no access count cannot tell who used the app: nobody is
    listed as 'installed, not using' (it listed every installed member so), the summary shows a dash for
    use, and the command says why the list is short. A name with Word's line break (U+000B) pasted into its
    cell is written with a space: it made both documents fail ('Lỗi không lường trước')."""
    members = tmp_path / "dv.csv"
    members.write_text(HEADER + "09.000001,Nguyễn\x0bVăn A,Chi bộ thôn 1,Đang sinh hoạt\r\n"
                       "09.000002,Trần Thị B,Chi bộ thôn 1,Đang sinh hoạt\r\n"
                       "09.000003,Lê Văn C,Chi bộ thôn 2,Đang sinh hoạt\r\n", encoding="utf-8")
    usage = tmp_path / "tk.csv"
    usage.write_text("Số thẻ ĐV,Trạng thái\r\n09.000002,Đã kích hoạt\r\n", encoding="utf-8")
    out = tmp_path / "bc"
    args = ["-p", "2026-06", "--members", str(members), "--usage", str(usage), "-o", str(out)]
    result = runner.invoke(app, ["followup", *args])
    assert result.exit_code == 0, result.output
    assert "danh sách chỉ gồm đảng viên chưa cài đặt" in result.stderr
    assert "2 đảng viên cần đôn đốc ở 2 chi bộ" in result.stderr
    book = openpyxl.load_workbook(out / "2026-06" / "doi-chieu-2026-06.xlsx")
    rows = list(book["Tổng hợp"].iter_rows(min_row=4, values_only=True))
    assert [r[1] for r in rows] == ["Chi bộ thôn 1", "Chi bộ thôn 2"]
    assert [r[2:] for r in rows] == [(2, 1, "—", 1, "—", 0), (1, 0, "—", 1, "—", 0)]
    listed = [r[1] for sheet in book.worksheets[1:] for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert listed == ["Nguyễn Văn A", "Lê Văn C"]
    text = "\n".join(c.text for t in Document(str(out / "2026-06" / "doi-chieu-2026-06.docx")).tables
                     for row in t.rows for c in row.cells)
    assert "Nguyễn Văn A" in text and "Trần Thị B" not in text and "chưa sử dụng" not in text
    # the files say it too (the web page writes them without a terminal to warn on)
    assert book["Tổng hợp"]["A2"].value == ("Chỉ gồm đảng viên chưa cài đặt, kích hoạt: tệp tài khoản không cho biết "
                                            "ai đã sử dụng ứng dụng trong kỳ.")
    intro = Document(str(out / "2026-06" / "doi-chieu-2026-06.docx")).paragraphs[1].text
    assert intro.startswith("Danh sách đảng viên chưa cài đặt, kích hoạt ứng dụng Sổ tay đảng viên điện tử (tệp tài "
                            "khoản không cho biết ai đã sử dụng ứng dụng trong kỳ) (tháng 6 năm 2026): 1 đồng chí")
    result = runner.invoke(app, ["report", *args, "--no-history"])
    assert result.exit_code == 0, result.output


def test_pages_streamed_into_the_document_keep_text_exact_and_compressed(tmp_path):
    """The pages are written as XML text into word/document.xml: a name or a unit with &, < or > reads back
    exactly, characters no XML file may hold (U+FFFE, U+FFFF) were made spaces when read, and the part
    is deflated like the rest of the file."""
    import zipfile

    from lxml import etree

    members = tmp_path / "dv.csv"
    members.write_text(HEADER + '09.000001,Nguyễn <Văn> & A,"Chi bộ ""A&B"" <1>",Đang sinh hoạt\r\n'
                       '09.000002,Lê\ufffeVăn\uffffB,"Chi bộ ""A&B"" <1>",Đang sinh hoạt\r\n'
                       # enough ordinary rows that two odd characters do not make the file look binary
                       + "".join(f"09.1{k:05d},Đảng viên {k},Chi bộ thôn Z,Đang sinh hoạt\r\n" for k in range(200)),
                       encoding="utf-8")
    out = tmp_path / "bc"
    result = runner.invoke(app, ["followup", "-p", "2026-06", "--members", str(members),
                                 *nobody_on_the_app(tmp_path, "09.000001"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    path = out / "2026-06" / "doi-chieu-2026-06.docx"
    doc = Document(str(path))
    assert doc.paragraphs[0].text == 'Kính gửi: Đồng chí Bí thư Chi bộ "A&B" <1>'
    assert [doc.tables[0].rows[i].cells[1].text for i in (1, 2)] == ["Lê Văn B", "Nguyễn <Văn> & A"]
    with zipfile.ZipFile(path) as parts:
        assert parts.getinfo("word/document.xml").compress_type == zipfile.ZIP_DEFLATED
        etree.fromstring(parts.read("word/document.xml"))  # well-formed: no character XML forbids


def test_nobody_to_follow_up_gives_a_one_line_document(tmp_path):
    result, folder = follow(tmp_path, "09.000001,Nguyễn Văn A,Chi bộ thôn 1,Đang sinh hoạt\r\n",
                            "Số thẻ ĐV,Trạng thái,Lần truy cập gần nhất\r\n09.000001,Đã kích hoạt,20/06/2026\r\n")
    assert result.exit_code == 0, result.output
    assert "0 đảng viên cần đôn đốc" in result.stderr
    doc = Document(str(folder / "doi-chieu-2026-06.docx"))
    assert [p.text for p in doc.paragraphs] == [
        "Mọi đảng viên đang sinh hoạt đã cài đặt và sử dụng ứng dụng trong tháng 6 năm 2026."]
    assert not doc.tables


def test_no_list_is_made_when_nobody_is_known_to_have_installed(tmp_path):
    """An accounts file of another commune: every member was listed 'Chưa cài đặt, kích hoạt'."""
    result, folder = follow(tmp_path, "09.000001,A,Chi bộ thôn 1,Đang sinh hoạt\r\n",
                            "Số thẻ ĐV,Trạng thái,Lần truy cập gần nhất\r\n07.000001,Đã kích hoạt,20/06/2026\r\n")
    assert result.exit_code == 2
    assert "danh sách đôn đốc cần biết ai đã cài đặt, nhưng không dòng nào của tệp tài khoản" in \
        " ".join(result.stderr.split())
    assert not folder.parent.exists()


def test_members_who_used_the_app_after_the_period_are_not_chased(tmp_path):
    """An accounts file exported on 09/07: a member last in the app on 05/07 is counted not active in June (it
    cannot be told), but was listed 'Đã cài đặt, chưa sử dụng trong kỳ' for a chi bộ to chase."""
    result, folder = follow(tmp_path, "09.000001,Lê Văn A,Chi bộ thôn 1,Đang sinh hoạt\r\n"
                            "09.000002,Trần Thị B,Chi bộ thôn 1,Đang sinh hoạt\r\n"
                            "09.000003,Ngô Văn C,Chi bộ thôn 1,Đang sinh hoạt\r\n",
                            "Số thẻ ĐV,Trạng thái,Lần truy cập gần nhất\r\n09.000001,Đã kích hoạt,05/07/2026\r\n"
                            "09.000002,Đã kích hoạt,20/06/2026\r\n")
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())
    assert "1 đảng viên truy cập ứng dụng sau ngày 30/06/2026 không có trong danh sách" in said
    assert "1 đảng viên cần đôn đốc ở 1 chi bộ" in said
    text = "\n".join(c.text for t in Document(str(folder / "doi-chieu-2026-06.docx")).tables
                     for row in t.rows for c in row.cells)
    assert "Ngô Văn C" in text and "Lê Văn A" not in text


def test_the_members_left_off_for_a_late_use_are_counted_within_the_unit_asked(tmp_path):
    result, _ = follow(tmp_path, "09.000001,Lê Văn A,Chi bộ thôn 1,Đang sinh hoạt\r\n"
                       "09.000002,Trần Thị B,Chi bộ thôn 2,Đang sinh hoạt\r\n"
                       "09.000003,Ngô Văn C,Chi bộ thôn 2,Miễn sinh hoạt\r\n",
                       "Số thẻ ĐV,Trạng thái,Lần truy cập gần nhất\r\n09.000001,Đã kích hoạt,05/07/2026\r\n"
                       "09.000002,Đã kích hoạt,06/07/2026\r\n09.000003,Đã kích hoạt,07/07/2026\r\n",
                       "--unit", "Chi bộ thôn 2")
    assert result.exit_code == 0, result.output
    said = " ".join(result.stderr.split())  # B only: A is in another chi bộ, C is exempt
    assert "1 đảng viên truy cập ứng dụng sau ngày 30/06/2026 không có trong danh sách" in said
