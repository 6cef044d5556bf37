"""The drafts' wording: Jinja2 templates a non-programmer can edit, with Vietnamese filters.

Templates live in the top-level `templates/` folder (shipped inside the wheel); a folder of the
user's, given in sotay.toml as `[report] templates`, is searched first, so a copied and edited
template replaces the shipped one of the same name.
"""

from __future__ import annotations

import difflib
import re
import sys
from importlib import resources
from pathlib import Path

import jinja2

from .. import fmt

SUFFIX = ".md"


class TemplateProblem(Exception):
    """A template that cannot be rendered; the message names the template, the line and the cause."""


def shipped_templates() -> Path:
    """`templates/` of a checkout (editable install), or the copy inside the wheel."""
    packaged = Path(str(resources.files("sotay_cli") / "templates"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "templates"


def environment(user_dir: Path | None = None) -> jinja2.Environment:
    folders = [str(p) for p in (user_dir, shipped_templates()) if p is not None and Path(p).is_dir()]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders, encoding="utf-8"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,  # a tag closing a prose line must not swallow the paragraph break after it
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update({
        "percent": lambda rate, rounding=None, digits=2: fmt.percent(rate, digits, rounding or env.globals["rounding"]),
        "number": fmt.number,
        "target": fmt.target_percent,
        "points": lambda delta, digits=2: fmt.points(delta, digits, env.globals["rounding"]),
        "change_words": lambda delta, digits=2: fmt.change_words(delta, digits, env.globals["rounding"]),
        "long_date": fmt.long_date,
        "short_date": fmt.short_date,
        "month_year": fmt.month_year,
        "two_digits": lambda n: f"{int(n):02d}",
    })
    env.globals["rounding"] = "half-up"
    return env


def render_text(kind: str, context: dict, user_dir: Path | None = None) -> str:
    """Render template `kind` (cong-van, bao-cao, thong-bao or a user's own) with `context`."""
    env = environment(user_dir)
    env.globals["rounding"] = context.get("rounding", "half-up")
    name = kind + SUFFIX
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        known = ", ".join(sorted(available(user_dir)))
        raise TemplateProblem(f"không có mẫu '{kind}'; các mẫu có: {known}.") from exc
    except jinja2.TemplateSyntaxError as exc:
        said = _syntax(exc.message or "", env)
        raise TemplateProblem(f"mẫu {exc.filename or name}, dòng {exc.lineno}: {said}"
                              + ("" if said.endswith("?") else ".")) from exc
    try:
        return template.render(context)
    except jinja2.UndefinedError as exc:
        line = _template_line(template.filename)
        found = re.search(r"'([^']*)' is undefined|has no attribute '([^']*)'", str(exc.message))
        missing = next((g for g in found.groups() if g), "") if found else str(exc.message)
        raise TemplateProblem(f"mẫu {template.filename}, dòng {line}: không có tên '{missing}' trong dữ liệu của "
                              f"mẫu{_close(missing, _names(context))} (xem danh sách tên trong README).") from exc
    except (TypeError, ValueError, jinja2.TemplateError) as exc:
        line = _template_line(template.filename)
        raise TemplateProblem(f"mẫu {template.filename}, dòng {line}: {exc}.") from exc


def _syntax(message: str, env: jinja2.Environment) -> str:
    """Jinja's syntax error, in Vietnamese for the mistakes people make (else its own words, quoted)."""
    message = message.rstrip(".")
    if m := re.match(r"No filter named '([^']*)'", message):
        return f"không có bộ lọc '{m[1]}'{_close(m[1], env.filters)}"
    if m := re.match(r"No test named '([^']*)'", message):
        return f"không có phép thử '{m[1]}'{_close(m[1], env.tests)}"
    if m := re.search(r"Unexpected end of template\. Jinja was looking for the following tags: (.*?)(?:\. |$)",
                      message):
        return f"mẫu hết mà một khối chưa đóng (thiếu {m[1].replace(' or ', ' hoặc ')}; khối mở ở phía trên)"
    if m := re.match(r"Encountered unknown tag '([^']*)'", message):
        return f"thẻ lạ '{m[1]}'"
    if m := re.match(r"expected token '([^']*)', got '([^']*)'", message):
        return f"cần '{m[1]}' nhưng gặp '{m[2]}'"
    return f"sai cú pháp (Jinja: {message})"


def _names(context: dict) -> set[str]:
    """The names a template can use: the context's own and, one level down, those of its dicts."""
    names = set(context)
    for value in context.values():
        if isinstance(value, dict):
            names |= {k for k in value if isinstance(k, str)}
    return names


def _close(name: str, known) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=2, cutoff=0.75)
    return f"; có phải {' hay '.join(repr(c) for c in close)}?" if close else ""


def _template_line(filename: str | None) -> int | str:
    """The template line being rendered when the exception now handled was raised (Jinja rewrites
    its traceback so that template frames carry the template's file name and line)."""
    tb = sys.exc_info()[2]
    line: int | str = "?"
    while tb is not None:
        if filename and tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def available(user_dir: Path | None = None) -> set[str]:
    names = set()
    for folder in (user_dir, shipped_templates()):
        if folder is not None and Path(folder).is_dir():
            names |= {p.name[: -len(SUFFIX)] for p in Path(folder).glob("*" + SUFFIX)}
    return names
