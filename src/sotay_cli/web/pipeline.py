"""What the page does with a request, through the same library calls as the commands.

Uploaded files are recognised by their content (as `sotay check` does), analysed with `analysis.analyse`,
and the report is written by `report.write_report` into the result's own folder; the follow-up lists are
written only when someone asks for them. Nothing here knows about HTTP.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis import Analysis, analyse
from ..config import CONFIG_NAME, Config, load_config, sample_dir
from ..ingest import KIND_LABELS, load_table
from ..periods import Period
from ..problems import InputError

TEMPLATES = {"cong-van": "Công văn đôn đốc", "bao-cao": "Báo cáo định kỳ", "thong-bao": "Thông báo phân công"}
UPLOAD = "tep"  # where the inputs come from: the files sent with the form,
CONFIG = "cau-hinh"  # the sotay.toml of the folder the server was started in,
SAMPLE = "mau"  # or the bundled sample
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


class PageError(Exception):
    """A request the page cannot carry out; the message is for the person, in Vietnamese."""


@dataclass
class Upload:
    """One file as the person sent it: its own name, where it is kept during the request, and what it
    turned out to be (a kind of export) or why it cannot be used."""

    name: str
    path: Path
    kind: str | None = None
    rows: int = 0
    error: str | None = None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, "")


def safe_name(filename: str | None, index: int) -> str:
    """The uploaded file's own name, without folders or characters a file system refuses."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    return name[:120] or f"tep-{index + 1}"


def recognise(uploads: list[Upload], config: Config) -> dict[str, Upload]:
    """Each file's kind by its content; an unreadable file, or a second file of a kind, gets its message.
    Returns the usable file of each kind."""
    chosen: dict[str, Upload] = {}
    for upload in uploads:
        try:
            table = load_table(upload.path, overrides=config.columns)
        except InputError as exc:
            upload.error = _about(shown(str(exc), uploads), upload.name)
            continue
        upload.kind, upload.rows = table.kind, table.rows_used
        if table.kind in chosen:
            first = chosen[table.kind]
            upload.error = (f"Đã có một tệp {KIND_LABELS[table.kind]} ({first.name}); mỗi loại chỉ chọn một tệp. "
                            "Bỏ bớt một trong hai tệp rồi gửi lại.")
            continue
        chosen[table.kind] = upload
    return chosen


def _about(message: str, name: str) -> str:
    """A file's message shown beside the file: without its name in front, as a sentence."""
    message = message.removeprefix(f"{name}: ")
    return message[:1].upper() + message[1:]


def shown(text: str, uploads: list[Upload]) -> str:
    """`text` with the request's temporary folders taken out of file paths: a file is called by the name
    the person gave it."""
    for upload in uploads:
        text = text.replace(str(upload.path), upload.name)
    return text


def settings(workdir: Path, source: str) -> Config:
    """The configuration for a request: the sample's; or the sotay.toml of `workdir` (organisation, targets,
    rules, columns, templates), whose configured inputs are used only when asked for (`CONFIG`)."""
    if source == SAMPLE:
        config = load_config(sample_dir() / CONFIG_NAME)
        config.is_sample = True
        return config
    local = workdir / CONFIG_NAME
    if source == CONFIG:
        if not local.exists():
            raise PageError(f"Không có tệp {CONFIG_NAME} trong thư mục {workdir}. Chọn các tệp xuất để tải lên, "
                            "hoặc tạo sotay.toml bằng lệnh: sotay init")
        return load_config(local)
    if not local.exists():
        return Config()
    # the files sent are the only inputs: none of sotay.toml's is mixed in
    return dataclasses.replace(load_config(local), inputs={})


@dataclass
class Result:
    """One analysed period, kept for the session that asked for it: the page is drawn from it and the
    follow-up lists are written from it on demand."""

    id: str
    session: str
    folder: Path
    analysis: Analysis
    template: str
    uploads: list[Upload]
    files: dict[str, Path] = field(default_factory=dict)  # download key -> file written
    notes: list[str] = field(default_factory=list)  # what the person should know (history, sample)
    followup_error: str | None = None
    created: dt.datetime = field(default_factory=dt.datetime.now)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def display(self, text: str) -> str:
        return shown(text, self.uploads)


def run(config: Config, period: Period, inputs: dict[str, str], folder: Path, template: str,
        date: dt.date | None, number: str, store: bool, history_path: Path | None = None) -> tuple[Analysis, dict, list]:
    """Analyse, compare with the history (read only), write the report into `folder`, and keep the period
    in the history when `store` is on. Returns the analysis, the files by download key and the notes.

    InputError (and the template errors) are left to the caller, which shows them on the page."""
    from ..forecast import annotate
    from ..history import HistoryError, HistoryUnavailable, default_path, read_comparison, save
    from ..report import ReportOptions, write_report

    analysis = analyse(config, period, inputs)
    notes = []
    path = history_path or default_path(config)
    try:
        comparison = read_comparison(path, analysis)
    except HistoryUnavailable as exc:
        notes.append(f"Lịch sử: {exc}; bỏ qua so sánh với kỳ trước.")
    except HistoryError as exc:
        notes.append(f"Lịch sử: {exc}")
        store = False  # a damaged or foreign file is never written
    else:
        analysis.comparison = comparison
        analysis.with_flags(annotate(analysis, comparison.series))
    from ..render.context import UNNAMED, unnamed

    if unnamed(config, analysis.root):
        notes.append(UNNAMED[0].upper() + UNNAMED[1:] + ".")
    written = write_report(analysis, ReportOptions(template, ("docx", "xlsx", "md"), folder, True, date, number))
    files = {}
    for p in written:
        key = {".docx": "docx", ".xlsx": "xlsx", ".md": "md", ".png": "chart"}.get(p.suffix)
        if key:
            files[key] = p
    if store:
        try:
            replaced = save(path, analysis)
        except HistoryError as exc:
            notes.append(f"Lịch sử: {exc}; số liệu kỳ {period.label} chưa được lưu vào lịch sử.")
        else:
            notes.append(f"Đã {'thay' if replaced else 'lưu'} số liệu kỳ {period.label} của {analysis.root} trong "
                         "lịch sử (để so sánh với kỳ sau).")
    return analysis, files, notes


def followup_files(result: Result) -> dict[str, Path]:
    """The follow-up lists (XLSX, DOCX) of `result`, written the first time they are asked for; PageError
    when they cannot be made (no accounts file)."""
    from ..followup import followup_list
    from ..render.followup import write_lists

    with result.lock:
        if "followup-xlsx" not in result.files:
            try:
                todo = followup_list(result.analysis)
            except InputError as exc:
                raise PageError(str(exc)[:1].upper() + str(exc)[1:]) from None
            xlsx, docx = write_lists(result.analysis, todo, result.folder / "doi-chieu", force=True)
            result.files["followup-xlsx"], result.files["followup-docx"] = xlsx, docx
    return {k: result.files[k] for k in ("followup-xlsx", "followup-docx")}
