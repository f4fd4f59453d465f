"""SVG to PNG and PDF with wheels from PyPI alone: resvg (PNG) and svglib + reportlab (PDF).

Used when the system Graphviz ``dot`` is not installed: the embedded renderer writes SVG only.
Why these two (measured on the seed graph, 1178 x 1785 pt): resvg-py is a 1.4 MB wheel with no
dependencies that rasterises faithfully (Rust's resvg) in about 0.2 s at 96 dpi; svglib +
reportlab (2.1 MB of wheels, plus lxml and pillow) write a vector PDF whose text can be selected
and searched in about 0.15 s. PyMuPDF would do both but its wheel is 69 MB, it pulls in
onnxruntime, and it is AGPL-licensed.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

__all__ = ["ConversionError", "svg_to_png", "svg_to_pdf", "DEFAULT_DPI", "MAX_PIXELS"]

DEFAULT_DPI = 96.0  # Graphviz's own default for bitmaps: 1 pt = 4/3 px
MAX_PIXELS = 200_000_000  # a bigger bitmap would need gigabytes: refuse before drawing
# A font that is always there (reportlab ships it): the last resort when a machine has no
# monospace font, so a PNG never loses its text.
_FALLBACK_FAMILY = "Bitstream Vera Sans"
_FONT_FAMILY = re.compile(r'font-family="([^"]*)"')
_SVG_SIZE = re.compile(r'<svg\b[^>]*?\bwidth="([\d.]+)pt"[^>]*?\bheight="([\d.]+)pt"', re.S)


class ConversionError(RuntimeError):
    """The SVG could not be turned into PNG or PDF (a converter missing or failing)."""


def check_dpi(dpi: float) -> float:
    """dpi as a float, or ValueError unless it is a number from 1 to 2400."""
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not 1 <= dpi <= 2400:
        raise ValueError(f"dpi must be a number from 1 to 2400, got {dpi!r}")
    return float(dpi)


def png_size(svg: str, dpi: float = DEFAULT_DPI) -> tuple[int, int]:
    """The pixel size a Graphviz SVG (width and height in pt) gets at ``dpi``."""
    found = _SVG_SIZE.search(svg)
    if found is None:
        raise ConversionError("the SVG has no width and height in pt")
    w, h = (float(x) * dpi / 72.0 for x in found.groups())
    return round(w), round(h)


def svg_to_png(svg: str, dpi: float = DEFAULT_DPI) -> bytes:
    """PNG bytes of a Graphviz SVG at ``dpi`` dots per inch (72: one pixel per point)."""
    dpi = check_dpi(dpi)
    w, h = png_size(svg, dpi)
    if w * h > MAX_PIXELS:
        raise ConversionError(
            f"a {w} x {h} px PNG is too large to make; use a lower dpi, or PDF or SVG"
        )
    try:
        import resvg_py
    except ImportError:
        raise ConversionError("PNG needs resvg-py: pip install resvg-py") from None
    import reportlab

    fonts = str(Path(reportlab.__file__).resolve().parent / "fonts")
    with_fallback = _FONT_FAMILY.sub(
        lambda m: f'font-family="{m.group(1)},{_FALLBACK_FAMILY}"', svg
    )
    try:
        return bytes(resvg_py.svg_to_bytes(svg_string=with_fallback, dpi=dpi, font_dirs=[fonts]))
    except Exception as exc:  # resvg raises ValueError on anything it cannot draw
        raise ConversionError(f"resvg could not draw the PNG: {exc}") from None


def svg_to_pdf(svg: str) -> bytes:
    """A one-page vector PDF of a Graphviz SVG, its text selectable and searchable."""
    try:
        from reportlab.graphics import renderPDF
        from svglib.svglib import svg2rlg
    except ImportError:
        raise ConversionError("PDF needs svglib and reportlab: pip install svglib") from None
    quiet = logging.getLogger("svglib")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # it warns about every font family it maps
    try:
        drawing = svg2rlg(io.BytesIO(svg.encode("utf-8")))
        if drawing is None:
            raise ConversionError("svglib could not read the SVG")
        return bytes(renderPDF.drawToString(drawing))
    except ConversionError:
        raise
    except Exception as exc:
        raise ConversionError(f"svglib could not write the PDF: {exc}") from None
    finally:
        quiet.setLevel(level)
