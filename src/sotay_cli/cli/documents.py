"""`sotay report`, `init`, `followup`: the documents, the set-up, the lists of members."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..fmt import number
from .common import (
    ForceOption,
    Inputs,
    NoHistoryOption,
    StrictOption,
    command,
    compare_history,
    err,
    fail,
    finish,
    out,
    outputs,
    parse_date,
    progress,
    store_history,
    with_inputs,
)


@command()
@with_inputs()
def report(
    inputs: Inputs,
    template: Annotated[str, typer.Option("--template", "-t", help="Mẫu văn bản: cong-van (công văn đôn đốc), "
                                          "bao-cao (báo cáo định kỳ), thong-bao (thông báo phân công) hoặc "
                                          "tên một mẫu riêng trong thư mục mẫu.")] = "cong-van",
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="Thư mục ghi; tệp nằm trong thư mục con "
                                          "theo kỳ, ví dụ bao-cao/2026-06/.")] = Path("bao-cao"),
    formats: Annotated[str, typer.Option("--format", "-f", help="Các định dạng, cách nhau dấu phẩy: docx, xlsx, "
                                         "md.")] = "docx,xlsx,md",
    date: Annotated[Optional[str], typer.Option("--ngay", "--date", help="Ngày ban hành in trên văn bản "
                                                "(08/06/2026); bỏ trống: để trống cho viết tay.")] = None,
    doc_number: Annotated[str, typer.Option("--so", "--number", help="Số văn bản (bỏ trống: để trống cho văn thư "
                                            "điền).")] = "",
    force: ForceOption = False,
    strict: StrictOption = False,
    no_history: NoHistoryOption = False,
) -> None:
    """Soạn dự thảo văn bản (Word), phụ lục (Excel) và bản Markdown cho một kỳ.

    Ví dụ: sotay report --period 2026-06 --template bao-cao --ngay 05/07/2026
    """
    from ..render.draft import DraftProblem
    from ..render.templating import TemplateProblem
    from ..report import FORMATS, ReportExists, ReportOptions, output_paths, write_report

    chosen = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    if not chosen or any(f not in FORMATS for f in chosen):
        raise fail(f"--format chỉ gồm: {', '.join(FORMATS)} (ví dụ docx,xlsx).")
    issued = parse_date(date)
    end = inputs.parsed_period().end
    if issued is not None and issued < end:  # said before any file is read
        raise fail(f"--ngay {issued:%d/%m/%Y} trước ngày số liệu ({end:%d/%m/%Y}); thêm --as-of {issued:%d/%m/%Y} để "
                   f"lấy số liệu tính đến ngày đó, hoặc ghi --ngay từ {end:%d/%m/%Y} trở đi.")
    result = inputs.analyse()
    compare_history(result, not no_history)
    from rich.markup import escape

    from ..render.context import UNNAMED, unnamed

    if unnamed(result.config, result.root):
        err.print(f"[yellow]Cảnh báo:[/yellow] {escape(UNNAMED)}.", highlight=False)
    options = ReportOptions(template, chosen, out_dir, force, issued, doc_number)
    outputs(force, output_paths(result.period.file_label, options).values(), result)
    try:
        with progress("Đang soạn văn bản…") as status:
            step = (lambda message: status.update(message)) if hasattr(status, "update") else (lambda message: None)
            written = write_report(result, options, step)
    except ReportExists as exc:
        raise fail(f"đã có tệp {', '.join(map(str, exc.paths))}; thêm --force để ghi đè hoặc chọn --output khác.")
    except (TemplateProblem, DraftProblem) as exc:
        raise fail(str(exc))
    for path in written:
        out.print(str(path), highlight=False, markup=False)
    store_history(result, not no_history)
    finish(result, strict)


@command()
def init(
    folder: Annotated[Path, typer.Argument(help="Thư mục làm việc (mặc định: thư mục hiện tại).")] = Path("."),
    tinh: Annotated[str, typer.Option("--tinh", help="Tỉnh, thành phố (theo danh mục từ 07/2025), ví dụ "
                                      "\"Thanh Hóa\".")] = "",
    xa: Annotated[str, typer.Option("--xa", help="Xã, phường, đặc khu; bỏ trống khi là cấp tỉnh (Ban Tổ chức "
                                    "Tỉnh ủy).")] = "",
    signer: Annotated[str, typer.Option("--nguoi-ky", help="Họ tên người ký.")] = "",
    force: Annotated[bool, typer.Option("--force", help="Ghi đè sotay.toml đã có.")] = False,
) -> None:
    """Tạo sotay.toml (đơn vị, người ký, tệp đầu vào, chỉ tiêu) và sao chép các mẫu văn bản để sửa.

    Ví dụ: sotay init --tinh "Thanh Hóa" --xa "Hoa Lộc"
    """
    from ..places import PlaceNotFound, find
    from ..scaffold import AlreadyThere
    from ..scaffold import init as scaffold

    if not tinh:
        raise fail("cần --tinh, ví dụ: sotay init --tinh \"Thanh Hóa\" --xa \"Hoa Lộc\".")
    outputs(force)
    try:
        place = find(tinh, xa or None)
        written = scaffold(folder, place, signer, force)
    except PlaceNotFound as exc:
        raise fail(str(exc))
    except AlreadyThere as exc:
        raise fail(f"đã có {exc}; thêm --force để ghi đè (các mẫu đã sửa được giữ nguyên).")
    out.print(f"{place.superior} / {place.issuer} — địa danh: {place.place_name}", highlight=False)
    for path in written:
        out.print(str(path), highlight=False)
    out.print("Sửa \\[inputs] trong sotay.toml cho đúng tệp xuất, rồi chạy: sotay report --period 2026-06",
              highlight=False)



@command()
@with_inputs()
def followup(
    inputs: Inputs,
    unit: Annotated[Optional[str], typer.Option("--unit", "-u", help="Chỉ các chi bộ thuộc đơn vị này (mã hoặc "
                                                "tên).")] = None,
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="Thư mục ghi (thư mục con theo kỳ).")] = Path("bao-cao"),
    mask_phone: Annotated[bool, typer.Option("--mask-phone", help="Che giữa số điện thoại (091****678).")] = False,
    force: ForceOption = False,
) -> None:
    """Danh sách từng đảng viên chưa cài đặt hoặc đã cài mà chưa sử dụng, theo chi bộ (XLSX và DOCX).

    Tệp Excel: trang Tổng hợp, rồi mỗi chi bộ một trang tính; quá 100 chi bộ (cấp tỉnh) thì một trang
    Danh sách có cột Chi bộ và bộ lọc. Tệp Word: mỗi chi bộ một trang gửi đồng chí Bí thư.
    Tệp tài khoản không có cột lần truy cập gần nhất hay số lần truy cập thì không biết ai chưa sử
    dụng: danh sách chỉ gồm đảng viên chưa cài đặt, kích hoạt.

    Đây là lệnh duy nhất ghi tên đảng viên; giữ các tệp này như hồ sơ đảng viên.
    """
    from ..followup import UNKNOWN_USE, followup_list, use_known
    from ..render.followup import output_paths, write_lists
    from ..report import ReportExists

    result = inputs.analyse()
    outputs(force, output_paths(result.period.file_label, out_dir), result)
    try:
        counts: dict = {}
        todo = followup_list(result, unit, mask_phone, counts)
    except KeyError:
        raise fail(f"không có đơn vị '{unit}' trong cây tổ chức.")
    try:
        with progress("Đang lập danh sách…"):
            paths = write_lists(result, todo, out_dir, force)
    except ReportExists as exc:
        raise fail(f"đã có tệp {', '.join(map(str, exc.paths))}; thêm --force để ghi đè.")
    late = counts.get("used_after_end", 0)
    if late and use_known(result):
        err.print(f"[yellow]Lưu ý:[/yellow] {number(late)} đảng viên truy cập ứng dụng sau ngày "
                  f"{result.period.end:%d/%m/%Y} không có trong danh sách: họ đang sử dụng ứng dụng (số liệu của kỳ "
                  "vẫn tính là chưa sử dụng, xem cảnh báo ở trên).", highlight=False)
    if not use_known(result):  # why is said above, in the usage file's own warning
        err.print(f"[yellow]Cảnh báo:[/yellow] {UNKNOWN_USE}: danh sách chỉ gồm đảng viên chưa cài đặt, kích hoạt.",
                  highlight=False)
    err.print(f"{number(len(todo))} đảng viên cần đôn đốc ở {number(todo['chi_bo'].nunique())} chi bộ.",
              highlight=False)
    for path in paths:
        out.print(str(path), highlight=False)
