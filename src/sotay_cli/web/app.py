"""The Starlette application of `sotay web`: the form, the results page and the downloads.

The basic path needs no JavaScript: the form posts the files (multipart), the answer redirects to the
results page, and every download is a plain link. sotay.js only adds dropping files, checking each
file as soon as it is chosen and hiding the period fields that do not apply.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..config import CONFIG_NAME
from ..fmt import number
from ..ingest import KIND_LABELS, KINDS
from ..periods import parse_period
from ..problems import InputError
from . import pipeline
from .guard import Guard, TooLarge
from .pipeline import CONFIG, SAMPLE, TEMPLATES, UPLOAD, PageError, Result, Upload

MB = 1024 * 1024
COOKIE = "sotay_phien"
MAX_FILES = 12
RESULTS_PER_SESSION = 3
log = logging.getLogger("sotay.web")


@dataclass
class Options:
    host: str = "127.0.0.1"
    port: int = 8765
    max_upload: int = 200 * MB  # bytes in one request
    workdir: Path = field(default_factory=Path.cwd)  # where sotay.toml is looked for
    history: Path | None = None  # the history file (None: sotay.toml's, or the user's)


@dataclass
class Session:
    token: str  # the form's token: every POST carries it
    results: list[str] = field(default_factory=list)


FOLDER_PREFIX = "sotay-web-"
_FOLDER = re.compile(rf"^{FOLDER_PREFIX}(\d+)-")


STALE_DAYS = 7  # on Windows, where a process cannot be asked whether it lives: a folder this old is stale


def sweep_folders(parent: Path | None = None) -> None:
    """Remove the folders of `sotay web` servers that were killed (their process is gone)."""
    parent = Path(parent or tempfile.gettempdir())
    for entry in parent.glob(f"{FOLDER_PREFIX}*"):
        match = _FOLDER.match(entry.name)
        if match and entry.is_dir() and not _alive(int(match.group(1)), entry):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int, folder: Path) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill there ends the process instead of asking about it
        try:
            return time.time() - folder.stat().st_mtime < STALE_DAYS * 86400
        except OSError:
            return True
    from ..atomic import process_alive

    return process_alive(pid)


class Refused(Exception):
    """A POST without this session's token: another site's, or a page from before a restart."""


class State:
    """Sessions, results and the folder their files live in (removed when the server stops)."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}
        self.results: OrderedDict[str, Result] = OrderedDict()
        self.lock = threading.Lock()
        self._folder: Path | None = None

    @property
    def folder(self) -> Path:
        with self.lock:
            if self._folder is None or not self._folder.exists():
                sweep_folders()
                self._folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
            return self._folder

    def close(self) -> None:
        with self.lock:
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
            self.results.clear()

    def keep(self, result: Result) -> None:
        """Keep `result`; a session's oldest results beyond the last few are forgotten, files and all."""
        with self.lock:
            session = self.sessions[result.session]
            self.results[result.id] = result
            session.results.append(result.id)
            while len(session.results) > RESULTS_PER_SESSION:
                old = self.results.pop(session.results.pop(0), None)
                if old is not None:
                    shutil.rmtree(old.folder, ignore_errors=True)


def create_app(options: Options | None = None) -> Starlette:
    options = options or Options()
    env = Environment(loader=PackageLoader("sotay_cli.web", "templates"), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["number"] = number
    state = State()

    def page(name: str, status: int = 200, **context) -> HTMLResponse:
        context.setdefault("max_upload_mb", f"{options.max_upload / MB:g}".replace(".", ","))
        return HTMLResponse(env.get_template(name).render(**context), status_code=status,
                            headers={"cache-control": "no-store"})

    def message_page(status: int, title: str, message: str) -> bytes:
        return env.get_template("message.html").render(title=title, message=message, status=status).encode("utf-8")

    def session_of(request: Request) -> tuple[str, Session | None]:
        sid = request.cookies.get(COOKIE, "")
        return sid, state.sessions.get(sid)

    def with_cookie(response: Response, sid: str) -> Response:
        response.set_cookie(COOKIE, sid, httponly=True, samesite="strict", path="/")
        return response

    def checked(request: Request, form) -> tuple[str, Session]:
        sid, session = session_of(request)
        sent = form.get("csrf")
        if session is None or not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), session.token.encode()):
            raise Refused
        return sid, session

    def form_context(session: Session, **values) -> dict:
        today = dt.date.today()
        last = today.replace(day=1) - dt.timedelta(days=1)  # reports are made for the month just ended
        defaults = {"ky": "thang", "nam": last.year, "thang": last.month, "quy": (last.month - 1) // 3 + 1,
                    "mau_vb": "cong-van", "nguon": UPLOAD, "luu": True, "ngay": "", "so": ""}
        local = options.workdir / CONFIG_NAME
        return {"token": session.token, "templates": TEMPLATES, "values": defaults | values,
                "config_path": str(local) if local.exists() else None, "workdir": str(options.workdir),
                "kinds": [KIND_LABELS[k] for k in KINDS], "max_upload": options.max_upload,
                "years": range(today.year + 1, 2019, -1), "errors": {}, "uploads": []}

    async def home(request: Request) -> Response:
        sid, session = session_of(request)
        if session is None:
            sid, session = secrets.token_urlsafe(24), Session(secrets.token_urlsafe(32))
            with state.lock:
                state.sessions[sid] = session
        return with_cookie(page("form.html", **form_context(session)), sid)

    async def make(request: Request) -> Response:
        form = await request.form(max_files=MAX_FILES, max_fields=40)
        try:
            sid, session = checked(request, form)
            values = {k: _text(form.get(k)) for k in ("ky", "nam", "thang", "quy", "mau_vb", "nguon", "ngay", "so")}
            values["luu"] = form.get("luu") == "1"
            files = [f for f in form.getlist("tep") if isinstance(f, UploadFile) and (f.filename or f.size)]
            request_folder = Path(tempfile.mkdtemp(prefix="tai-len-", dir=state.folder))
            try:
                uploads = await run_in_threadpool(_save_uploads, files, request_folder)
                outcome = await run_in_threadpool(_process, values, uploads, sid, state, options)
            finally:
                shutil.rmtree(request_folder, ignore_errors=True)
        finally:
            await form.close()
        if isinstance(outcome, Result):
            return RedirectResponse(f"/ket-qua/{outcome.id}", status_code=303)
        errors, uploads = outcome
        return page("form.html", 422, **form_context(session, **values) | {"errors": errors, "uploads": uploads})

    async def check_file(request: Request) -> Response:
        """One file recognised (the page's script calls this as soon as a file is chosen)."""
        form = await request.form(max_files=1, max_fields=5)
        try:
            checked(request, form)
            files = [f for f in form.getlist("tep") if isinstance(f, UploadFile)]
            if not files:
                return JSONResponse({"error": "Không có tệp."}, status_code=422)
            folder = Path(tempfile.mkdtemp(prefix="kiem-tra-", dir=state.folder))
            try:
                uploads = await run_in_threadpool(_save_uploads, files[:1], folder)
                answer = await run_in_threadpool(_recognise_one, uploads[0], options)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        finally:
            await form.close()
        return JSONResponse(answer)

    def result_of(request: Request) -> Result:
        _, session = session_of(request)
        result = state.results.get(request.path_params["rid"])
        if session is None or result is None or result.id not in session.results:
            raise HTTPException(404)
        return result

    async def results_page(request: Request) -> Response:
        from .view import results

        result = result_of(request)
        context = await run_in_threadpool(results, result)
        return page("results.html", result=result, sample=result.analysis.config.is_sample,
                    template_name=TEMPLATES.get(result.template, result.template), **context)

    async def download(request: Request) -> Response:
        result = result_of(request)
        key = request.path_params["key"]
        if key.startswith("followup-"):
            try:
                await run_in_threadpool(pipeline.followup_files, result)
            except PageError as exc:
                return page("message.html", 422, title="Chưa lập được danh sách đôn đốc", message=str(exc),
                            back=f"/ket-qua/{result.id}")
        path = result.files.get(key)
        if path is None or not path.exists():
            raise HTTPException(404)
        inline = key == "chart"
        return FileResponse(path, filename=path.name, content_disposition_type="inline" if inline else "attachment",
                            headers={"cache-control": "no-store"})

    async def refused(request: Request, exc: Exception) -> Response:
        return page("message.html", 403, title="Yêu cầu bị từ chối",
                    message="Trang này đã cũ (sotay web vừa khởi động lại) hoặc yêu cầu không đến từ trang sotay. "
                            "Tải lại trang rồi làm lại.", back="/")

    async def too_large(request: Request, exc: Exception) -> Response:
        return HTMLResponse(message_page(413, "Tệp quá lớn", _too_large_words(options.max_upload)), status_code=413)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:
            return page("message.html", 404, title="Không có trang này",
                        message="Kết quả này không còn (sotay web đã khởi động lại, hoặc đã làm nhiều báo cáo mới "
                                "hơn). Làm lại báo cáo từ trang đầu.", back="/")
        if exc.status_code == 405:
            return page("message.html", 405, title="Không dùng được cách này", message="Quay về trang đầu.", back="/")
        return page("message.html", exc.status_code, title="Yêu cầu không hợp lệ",
                    message="Trình duyệt gửi một yêu cầu sotay không đọc được. Tải lại trang rồi làm lại.", back="/")

    async def crashed(request: Request, exc: Exception) -> Response:
        log.error("sotay web: lỗi không lường trước khi xử lý %s %s", request.method, request.url.path, exc_info=exc)
        return page("message.html", 500, title="Có lỗi không lường trước",
                    message="sotay gặp một lỗi chưa lường trước nên chưa làm xong việc này; các tệp của anh/chị "
                            "không bị thay đổi. Chi tiết đã ghi ở cửa sổ dòng lệnh đang chạy sotay web; hãy gửi "
                            "chi tiết đó cho người hỗ trợ.", back="/")

    @asynccontextmanager
    async def lifespan(app):
        state.folder  # noqa: B018 (made now, so a full disk is said at start)
        try:
            yield
        finally:
            state.close()

    routes = [
        Route("/", home, methods=["GET"]),
        Route("/bao-cao", make, methods=["POST"]),
        Route("/kiem-tra", check_file, methods=["POST"]),
        Route("/ket-qua/{rid}", results_page, methods=["GET"]),
        Route("/tai/{rid}/{key}", download, methods=["GET"]),
        Mount("/static", StaticFiles(packages=[("sotay_cli.web", "static")]), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, host=options.host, port=options.port, max_body=options.max_upload,
                               page=message_page)],
        exception_handlers={Refused: refused, TooLarge: too_large, HTTPException: http_error, Exception: crashed},
        lifespan=lifespan,
    )
    app.state.sotay = state
    app.state.options = options
    return app


def _too_large_words(limit: int) -> str:
    mb = limit / MB
    return (f"Các tệp gửi lên vượt giới hạn {f'{mb:g}'.replace('.', ',')} MB. Chọn ít tệp hơn, hoặc chạy lại với "
            f"giới hạn lớn hơn: sotay web --max-upload {max(2 * int(mb), 1)}")


def _save_uploads(files: list[UploadFile], folder: Path) -> list[Upload]:
    """Each uploaded file in a folder of its own under `folder`, under its own name."""
    uploads = []
    for i, f in enumerate(files):
        target = folder / str(i) / pipeline.safe_name(f.filename, i)
        target.parent.mkdir()
        f.file.seek(0)
        with target.open("wb") as out:
            shutil.copyfileobj(f.file, out, 1024 * 1024)
        uploads.append(Upload(target.name, target))
    return uploads


def _recognise_one(upload: Upload, options: Options) -> dict:
    try:
        config = pipeline.settings(options.workdir, UPLOAD)
    except InputError:
        config = pipeline.Config()
    pipeline.recognise([upload], config)
    return {"name": upload.name, "kind": upload.kind, "kind_label": upload.kind_label, "rows": upload.rows,
            "error": upload.error}


def _process(values: dict, uploads: list[Upload], sid: str, state: State, options: Options):
    """The work of one form: a Result, or (errors by field, uploads with their messages) to show the
    form again."""
    from ..atomic import OutputError
    from ..render.draft import DraftProblem
    from ..render.templating import TemplateProblem

    errors: dict[str, str] = {}
    period = None
    try:
        period = parse_period(_period_label(values))
    except ValueError as exc:
        errors["ky"] = f"Kỳ báo cáo: {exc}."
    template = values["mau_vb"] if values["mau_vb"] in TEMPLATES else None
    if template is None:
        errors["mau_vb"] = "Chọn một mẫu văn bản trong danh sách."
    date = None
    if values["ngay"]:
        try:
            date = dt.date.fromisoformat(values["ngay"])
        except ValueError:
            errors["ngay"] = "Ngày ban hành không hợp lệ; chọn ngày trong lịch (ví dụ 05/07/2026)."
    source = values["nguon"] if values["nguon"] in (UPLOAD, CONFIG, SAMPLE) else UPLOAD
    if source == UPLOAD and not uploads:
        errors["tep"] = "Chưa chọn tệp nào. Chọn (hoặc kéo thả) các tệp xuất: danh sách đảng viên, tài khoản ứng dụng, …"
    if errors:
        return errors, uploads
    try:
        config = pipeline.settings(options.workdir, source)
        inputs: dict[str, str] = {}
        if source == UPLOAD:
            chosen = pipeline.recognise(uploads, config)
            if any(u.error for u in uploads):
                return {"tep": "Có tệp chưa dùng được (xem thông báo bên cạnh từng tệp). Sửa hoặc bỏ tệp đó, "
                               "rồi chọn lại các tệp và gửi lại."}, uploads
            if "members" not in chosen:
                return {"tep": "Trong các tệp đã chọn chưa có danh sách đảng viên (tệp có cột Họ và tên, Số thẻ đảng "
                               "viên, Chi bộ). Thêm tệp đó rồi gửi lại."}, uploads
            inputs = {kind: str(u.path) for kind, u in chosen.items()}
        rid = secrets.token_urlsafe(16)
        folder = state.folder / sid[:12] / rid
        analysis, files, notes = pipeline.run(config, period, inputs, folder, template, date, values["so"].strip(),
                                              values["luu"], options.history)
    except PageError as exc:
        return {"tep": str(exc)}, uploads
    except (InputError, OutputError, TemplateProblem, DraftProblem) as exc:
        text = pipeline.shown(str(exc), uploads)
        return {"tep": text[:1].upper() + text[1:]}, uploads
    result = Result(rid, sid, folder, analysis, template, uploads, files, notes)
    state.keep(result)
    return result


def _text(value) -> str:
    """A form field's text (a file sent under a text field's name counts as empty)."""
    return value.strip()[:200] if isinstance(value, str) else ""


def _period_label(values: dict) -> str:
    year = str(values["nam"]).strip()
    if values["ky"] == "nam":
        return year
    if values["ky"] == "quy":
        return f"{year}-Q{str(values['quy']).strip()}"
    return f"{year}-{str(values['thang']).strip().zfill(2)}"
