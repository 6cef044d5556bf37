"""`sotay report`: the draft (DOCX, Markdown) and the phụ lục (XLSX) of one analysed period."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import pandas as pd

from .analysis import Analysis
from .problems import InputError
from .atomic import atomic_path
from .background import Background
from .render import context as ctx
from .render.draft import Draft, Header, Signature, parse, to_markdown
from .render.templating import render_text

FORMATS = ("docx", "xlsx", "md")
SYMBOLS = {"cong-van": "CV", "bao-cao": "BC", "thong-bao": "TB"}
KIND_WORDS = {"CV": "Công văn", "BC": "Báo cáo", "TB": "Thông báo"}


class ReportExists(Exception):
    """Outputs already on disk and no --force; `paths` are the files that would be overwritten."""

    def __init__(self, paths: list[Path]):
        super().__init__(", ".join(map(str, paths)))
        self.paths = paths


@dataclass
class ReportOptions:
    kind: str = "cong-van"
    formats: tuple[str, ...] = FORMATS
    out_dir: Path = Path("bao-cao")
    force: bool = False
    date: dt.date | None = None
    number: str = ""
    extra: dict = field(default_factory=dict)  # more template names (history, chart)


def output_paths(period_label: str, options: ReportOptions) -> dict[str, Path]:
    folder = options.out_dir / period_label
    names = {"docx": f"{options.kind}-{period_label}.docx", "xlsx": f"phu-luc-{period_label}.xlsx",
             "md": f"{options.kind}-{period_label}.md"}
    return {fmt: folder / names[fmt] for fmt in options.formats}


def user_templates(analysis: Analysis) -> Path | None:
    folder = analysis.config.report.get("templates")
    if not folder:
        return None
    path = Path(folder)
    return path if path.is_absolute() else analysis.config.base / path


def make_draft(analysis: Analysis, options: ReportOptions) -> Draft:
    """Render the template of `options.kind` for `analysis` into a draft."""
    context = ctx.build(analysis, options.date, options.extra)
    text = render_text(options.kind, context, user_templates(analysis))
    org = context["org"]
    header = Header(org["superior"], org["issuer"], org["code"], org["place"], options.date, options.number)
    sig = analysis.config.signature
    signature = Signature(sig.get("on_behalf", "T/M BAN THƯỜNG VỤ"), sig.get("position", "PHÓ BÍ THƯ"),
                          sig.get("name", ""))
    draft = parse(options.kind, text, header, signature, SYMBOLS.get(options.kind, "CV"))
    if analysis.config.recipients:
        draft.recipients = list(analysis.config.recipients)
    return draft


def appendix_for(analysis: Analysis, draft: Draft):
    from .render.docx import Appendix

    from .render.columns import HISTORY_COLUMNS, with_history

    figures, columns = with_history(analysis)
    extra = [c for c in HISTORY_COLUMNS if c.kind == "points" and c in columns]
    units = ctx.report_units(figures, analysis.root)
    h = draft.header
    when = f"ngày {h.date.day:02d}/{h.date.month:02d}/{h.date.year}" if h.date else "ngày     /     /     "
    kind = KIND_WORDS.get(draft.symbol, "Văn bản")
    subtitle = f"(Kèm theo {kind} số {h.number or '     '}-{draft.symbol}/{h.code}, {when} của {ctx.organisation(analysis.config, analysis.root, analysis.figures.at[analysis.root, 'level'])['issuer_title']})"
    title = f"KẾT QUẢ CÀI ĐẶT, SỬ DỤNG ỨNG DỤNG SỔ TAY ĐẢNG VIÊN ĐIỆN TỬ {analysis.period.words.upper()}"
    from .analysis import GROUP_LABELS

    groups = [(f"Trong đó: {GROUP_LABELS[key].lower()}", row) for key, row in analysis.groups().iterrows()]
    return Appendix(title, subtitle, units, analysis.targets.loc[units.index], figures.loc[analysis.root],
                    analysis.targets.loc[analysis.root], analysis.rounding, extra, groups)


def history_context(analysis: Analysis) -> dict:
    """The template's `history`: the previous period and the changes of the root, and whether a
    chart can be drawn; None without a history file."""
    c = analysis.comparison
    if c is None:
        return {"history": None}
    root = analysis.root

    def changes(before, label, against):
        if label is None or root not in before.index:
            return None, None
        delta = c.change(analysis.figures, against, shown=analysis.rounding).loc[root]  # as the page shows it
        return {"label": label.label, "words": label.words}, {r: None if pd.isna(v) else float(v) for r, v in delta.items()}

    previous, change = changes(c.previous_rates, c.previous, "previous")
    year_before, change_year = changes(c.year_rates, c.year_before, "year_before")
    months = c.series.loc[c.series["kind"] == "month", "period"].nunique()
    return {"history": {"previous": previous, "change": change, "year_before": year_before,
                        "change_year": change_year, "chart": months >= 2}}


def write_chart(analysis: Analysis, path: Path, into: Path | None = None) -> Path | None:
    """The PNG of rates by month, for the root and its weakest units (None without two months)."""
    from .render.chart import WEAKEST, rates_chart

    root = analysis.root
    base = ctx.report_units(analysis.figures, root)
    weakest = base.sort_values(["installed_rate", "active_rate"]).index[:WEAKEST].tolist()
    labels = analysis.figures["label"] if "label" in analysis.figures else None  # the legend names units
    names = None if labels is None else {u: labels.get(u, u) for u in [root, *weakest]}
    return rates_chart(analysis.comparison.series, root, weakest, path,
                       f"Tỷ lệ cài đặt, sử dụng ứng dụng theo tháng — {root}", names, into)


def chart_path(analysis: Analysis, folder: Path) -> Path:
    return folder / f"bieu-do-{analysis.period.file_label}.png"


def check_date(analysis: Analysis, issued: dt.date | None) -> None:
    """A document cannot give figures 'tính đến' a day after its own date."""
    end = analysis.period.end
    if issued is not None and issued < end:
        raise InputError(f"ngày ban hành {issued:%d/%m/%Y} trước ngày số liệu ({end:%d/%m/%Y}): lấy số liệu tính đến "
                         f"ngày ban hành, hoặc ghi ngày ban hành từ {end:%d/%m/%Y} trở đi.")


def _start_appendix(stack: contextlib.ExitStack, analysis: Analysis, path: Path, options: ReportOptions) -> Background:
    """The XLSX appendix, the longest part, begun on the other core (see `background`) into its temporary
    file while the rest is made."""
    from .render.xlsx import write_appendix

    return stack.enter_context(Background(str(path), write_appendix, analysis, path, extra=options.extra,
                                          into=_staged(stack, path)))


def _staged(stack: contextlib.ExitStack, path: Path) -> Path:
    """A temporary file beside `path`, renamed to it when `stack` closes without an error (with the report's
    other files, a moment apart), removed otherwise."""
    return stack.enter_context(atomic_path(path))


def write_report(analysis: Analysis, options: ReportOptions,
                 step: Callable[[str], None] = lambda message: None) -> list[Path]:
    """Write the requested files; ReportExists when any is there already and `force` is off.

    Every file is made in a temporary file; they are renamed into place together once all are made: an
    error or a Ctrl-C on the way leaves the files of before (or none), never a draft without its appendix.
    """
    check_date(analysis, options.date)
    paths = output_paths(analysis.period.file_label, options)
    existing = [p for p in paths.values() if p.exists()]
    if existing and not options.force:
        raise ReportExists(existing)
    step("Soạn dự thảo từ mẫu…")
    options = replace(options, extra=options.extra | history_context(analysis))  # the caller's stay as given
    written: list[Path] = []
    with contextlib.ExitStack() as stack:
        appendix = _start_appendix(stack, analysis, paths["xlsx"], options) if "xlsx" in paths else None
        draft = make_draft(analysis, options)  # a template error stops here, before any file is in place
        chart = chart_file = None
        if options.extra["history"] and options.extra["history"]["chart"]:  # two months or more: drawn
            step("Vẽ biểu đồ…")
            chart = chart_path(analysis, next(iter(paths.values())).parent)
            chart_file = _staged(stack, chart)
            write_chart(analysis, chart, into=chart_file)
        if "docx" in paths:
            from .render.docx import write_docx

            step("Ghi văn bản Word…")
            written.append(write_docx(draft, paths["docx"], appendix_for(analysis, draft), chart_file,
                                      into=_staged(stack, paths["docx"])))
        if appendix is not None:
            step("Ghi phụ lục Excel…")
            written.append(appendix.result())
        if "md" in paths:
            _staged(stack, paths["md"]).write_bytes(to_markdown(draft).encode("utf-8"))
            written.append(paths["md"])
    if chart is not None:
        written.append(chart)
    return written
