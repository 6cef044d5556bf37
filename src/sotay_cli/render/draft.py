"""A document draft: the header of a Party document, the rendered template body, the signing block.

A template renders to a few labelled lines, a `===` line, then the body:

    Tên văn bản: BÁO CÁO
    Trích yếu: Kết quả cài đặt, sử dụng ứng dụng ...
    Kính gửi: Ban Thường vụ Đảng ủy xã
    Nơi nhận: Như trên
    ===
    Paragraphs separated by blank lines; **bold**, *italic*; "## " starts a heading.

The same draft becomes the Markdown file and the DOCX, so both always say the same thing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ..fmt import long_date

FIELDS = {"tên văn bản": "title", "trích yếu": "summary", "kính gửi": "to", "nơi nhận": "recipients",
          "ký hiệu": "symbol"}
SEPARATOR = "==="
CHART_MARK = "[biểu đồ]"  # where the báo cáo places the chart of rates by month
_INLINE = re.compile(r"(\*\*.+?\*\*|\*[^*\s][^*]*?\*)")


class DraftProblem(ValueError):
    """A rendered template without the expected shape."""


@dataclass
class Block:
    text: str
    style: str = "body"  # body, heading, chart


@dataclass
class Header:
    superior: str  # ĐẢNG BỘ TỈNH THANH HÓA
    issuer: str  # ĐẢNG ỦY XÃ HOA LỘC
    code: str  # ĐU, as in 25-CV/ĐU
    place: str  # Hoa Lộc
    date: dt.date | None  # None: left blank to fill in by hand
    number: str = ""  # left blank until the document is registered

    def number_line(self, symbol: str) -> str:
        return f"Số {self.number or '     '}-{symbol}/{self.code}"

    def date_line(self) -> str:
        if self.date is None:
            return f"{self.place}, ngày     tháng     năm     "
        return f"{self.place}, {long_date(self.date)}"


@dataclass
class Signature:
    on_behalf: str = "T/M BAN THƯỜNG VỤ"
    position: str = "PHÓ BÍ THƯ"
    name: str = ""


@dataclass
class Draft:
    kind: str  # cong-van, bao-cao, thong-bao
    symbol: str  # CV, BC, TB
    header: Header
    signature: Signature
    title: str = ""  # BÁO CÁO / THÔNG BÁO; empty for a công văn
    summary: str = ""  # trích yếu: "V/v ..." under the number for a công văn, under the title otherwise
    to: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    body: list[Block] = field(default_factory=list)


def parse(kind: str, text: str, header: Header, signature: Signature, symbol: str) -> Draft:
    """Split a rendered template into its labelled lines and its body blocks."""
    lines = text.replace("\r\n", "\n").split("\n")
    try:
        cut = next(i for i, line in enumerate(lines) if line.strip() == SEPARATOR)
    except StopIteration:
        raise DraftProblem(f"mẫu '{kind}' thiếu dòng '{SEPARATOR}' ngăn phần đầu (Trích yếu, Kính gửi…) với nội dung.")
    draft = Draft(kind, symbol, header, signature)
    for number, line in enumerate(lines[:cut], start=1):
        if not line.strip():
            continue
        label, sep, value = line.partition(":")
        key = FIELDS.get(label.strip().lower())
        if not sep or key is None:
            raise DraftProblem(f"mẫu '{kind}', dòng {number} phần đầu: '{line.strip()}' không phải một trong "
                               f"{', '.join(l.capitalize() + ':' for l in FIELDS)}.")
        value = value.strip()
        if key in ("to", "recipients"):
            if value:
                getattr(draft, key).append(value)
        else:
            setattr(draft, key, value)
    draft.body = blocks("\n".join(lines[cut + 1:]))
    return draft


def blocks(text: str) -> list[Block]:
    """Paragraphs: blank-line separated, inner line breaks joined; a line starting with '## ' (a
    heading) or '- ' (an item) always starts a block of its own, so a template's loops need no
    careful blank lines."""
    out: list[Block] = []
    current: list[str] = []

    def close() -> None:
        if current:
            joined = " ".join(current)
            if joined.startswith("## "):
                out.append(Block(joined[3:].strip(), "heading"))
            elif joined == CHART_MARK:
                out.append(Block("", "chart"))
            else:
                out.append(Block(joined))
            current.clear()

    for raw in text.strip().splitlines():
        line = raw.strip()
        if not line:
            close()
        elif line.startswith(("## ", "- ")) or line == CHART_MARK:
            close()
            current.append(line)
            if line.startswith("## ") or line == CHART_MARK:
                close()
        else:
            current.append(line)
    close()
    return out


def runs(text: str) -> list[tuple[str, bool, bool]]:
    """Inline markup as (text, bold, italic) pieces."""
    pieces = []
    for part in _INLINE.split(text):
        if not part:
            continue
        if part.startswith("**") and part.endswith("**") and len(part) > 4:
            pieces.append((part[2:-2], True, False))
        elif part.startswith("*") and part.endswith("*") and len(part) > 2:
            pieces.append((part[1:-1], False, True))
        else:
            pieces.append((part, False, False))
    return pieces


def to_markdown(draft: Draft) -> str:
    """The draft as Markdown, for a quick read, a diff, or pasting into another editor."""
    h = draft.header
    out = [h.superior, f"**{h.issuer}**", "\\*", h.number_line(draft.symbol)]
    if not draft.title and draft.summary:
        out.append(f"*{draft.summary}*")
    out += ["", "**ĐẢNG CỘNG SẢN VIỆT NAM**", "", f"*{h.date_line().rstrip()}*", ""]
    out = [line + "  " if line and i < len(out) - 1 and out[i + 1] else line for i, line in enumerate(out)]
    if draft.title:
        out += [f"# {draft.title}", ""]
        if draft.summary:
            out += [f"**{draft.summary}**", ""]
    if draft.to:
        if len(draft.to) == 1:
            out += [f"Kính gửi: {draft.to[0]}", ""]
        else:
            out += ["Kính gửi:", *[f"- {t}" for t in draft.to], ""]
    for block in draft.body:
        if block.style == "chart":
            out += ["*(Biểu đồ tỷ lệ cài đặt, sử dụng theo tháng: xem bản Word.)*", ""]
        else:
            out += [f"## {block.text}" if block.style == "heading" else block.text, ""]
    s = draft.signature
    out += ["**Nơi nhận:**", *[f"- {r}" for r in draft.recipients], ""]
    out += [f"**{s.on_behalf}**  ", f"**{s.position}**", ""]
    out += [f"**{s.name}**" if s.name else "(ký, ghi rõ họ tên)"]
    return "\n".join(out) + "\n"
