"""Shipping labels as an HTML print page or a PDF (reportlab, Roboto so Vietnamese renders)."""

from __future__ import annotations

import html
import io
from pathlib import Path

import font_roboto
from reportlab.graphics.barcode import code128
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

PAGE_SIZES = {
    "A5": (148 * mm, 210 * mm),
    "A6": (105 * mm, 148 * mm),
    "A7": (74 * mm, 105 * mm),
    "80x80": (80 * mm, 80 * mm),
    "52x70": (52 * mm, 70 * mm),
}

_FONT_DIR = Path(font_roboto.__file__).parent / "files"
_fonts_ready = False


def _register_fonts() -> None:
    global _fonts_ready
    if not _fonts_ready:
        pdfmetrics.registerFont(TTFont("Roboto", str(_FONT_DIR / "Roboto-Regular.ttf")))
        pdfmetrics.registerFont(TTFont("Roboto-Bold", str(_FONT_DIR / "Roboto-Bold.ttf")))
        _fonts_ready = True


def money(value: int) -> str:
    return f"{int(value or 0):,}".replace(",", ".") + " đ"


def _lines(label: dict) -> list[tuple[str, str]]:
    """(style, text) lines shared by the HTML and the PDF."""
    out = [
        ("title", f"{label['carrier']} — {label['code']}"),
        ("small", f"Mã đơn shop: {label.get('reference') or '-'}"),
    ]
    if label.get("sort_code"):
        out.append(("bold", f"Mã phân loại: {label['sort_code']}"))
    out += [
        ("small", f"Từ: {label.get('sender_name', '')} — {label.get('sender_phone', '')}"),
        ("small", label.get("sender_address", "")),
        ("head", f"Đến: {label.get('receiver_name', '')}"),
        ("text", f"SĐT: {label.get('receiver_phone', '')}"),
        ("text", label.get("receiver_address", "")),
        ("text", f"Nội dung: {label.get('content') or '-'}"),
        ("text", f"Khối lượng: {label.get('weight', 0)} g"),
        ("head", f"Thu hộ (COD): {money(label.get('cod', 0))}"),
    ]
    if label.get("note"):
        out.append(("small", f"Ghi chú: {label['note']}"))
    return out


def render_html(labels: list[dict], size: str = "A5") -> str:
    w, h = PAGE_SIZES.get(size, PAGE_SIZES["A5"])
    parts = [
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>",
        "<title>In vận đơn</title><style>",
        f"@page {{ size: {w / mm:.0f}mm {h / mm:.0f}mm; margin: 4mm; }}",
        "body{font-family:Roboto,Arial,sans-serif} .label{page-break-after:always;"
        "border:1px dashed #333;padding:8px;margin-bottom:12px}"
        " .title{font-size:1.3em;font-weight:bold} .head{font-weight:bold;font-size:1.1em}"
        " .small{font-size:.85em;color:#333} .bold{font-weight:bold}",
        "</style></head><body onload='window.print && 0'>",
    ]
    for label in labels:
        parts.append(f"<div class='label' data-order-code='{html.escape(label['code'])}'>")
        for style, text in _lines(label):
            parts.append(f"<div class='{style}'>{html.escape(str(text))}</div>")
        parts.append("</div>")
    parts.append("</body></html>")
    return "".join(parts)


def render_pdf(labels: list[dict], size: str = "A5") -> bytes:
    _register_fonts()
    w, h = PAGE_SIZES.get(size, PAGE_SIZES["A5"])
    scale = min(1.0, w / (148 * mm) * 1.4)
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=(w, h))
    pdf.setTitle("Vận đơn")
    margin = 4 * mm
    styles = {
        "title": ("Roboto-Bold", 14),
        "head": ("Roboto-Bold", 12),
        "bold": ("Roboto-Bold", 10),
        "text": ("Roboto", 10),
        "small": ("Roboto", 8),
    }
    for label in labels:
        y = h - margin
        barcode = code128.Code128(label["code"], barHeight=12 * mm * scale, barWidth=0.9 * scale)
        y -= barcode.height
        barcode.drawOn(pdf, margin, y)
        y -= 2 * mm
        for style, text in _lines(label):
            font, size_pt = styles[style]
            size_pt = max(5.0, size_pt * scale)
            pdf.setFont(font, size_pt)
            for line in simpleSplit(str(text), font, size_pt, w - 2 * margin) or [""]:
                y -= size_pt * 1.25
                if y < margin:
                    break
                pdf.drawString(margin, y, line)
        pdf.showPage()
    pdf.save()
    return buf.getvalue()
