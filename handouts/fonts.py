"""The typeface every handout prints in: DejaVu Sans, shipped beside this module.

DejaVu Sans covers Latin, Greek and Cyrillic (and much more), so clients' names print as
typed. The files in handouts/fonts/ are unmodified DejaVu Sans 2.37; their licence is
handouts/fonts/LICENSE. Nothing is fetched at run time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

FONT_DIR = Path(__file__).with_name("fonts")
FAMILY = "DejaVuSans"
FILES = {
    "DejaVuSans": "DejaVuSans.ttf",
    "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique": "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique": "DejaVuSans-BoldOblique.ttf",
}

_lock = threading.Lock()
_registered: HandoutFonts | None = None


class FontMissing(RuntimeError):
    """A shipped font file is missing or unreadable: the installation is incomplete."""


@dataclass(frozen=True)
class HandoutFonts:
    """Names of the registered fonts, to use in reportlab styles and canvas calls."""

    regular: str = "DejaVuSans"
    bold: str = "DejaVuSans-Bold"
    italic: str = "DejaVuSans-Oblique"
    bold_italic: str = "DejaVuSans-BoldOblique"
    family: str = FAMILY


def unprintable(text: str) -> str:
    """The characters of `text` that the handout font has no glyph for (Chinese, Japanese,
    Korean, among others): a handout would print each as an empty box."""
    glyphs = pdfmetrics.getFont(handout_fonts().regular).face.charToGlyph
    return "".join(dict.fromkeys(ch for ch in text if not ch.isspace() and ord(ch) not in glyphs))


def handout_fonts() -> HandoutFonts:
    """The handout font family, registered with reportlab on first use; raises FontMissing."""
    global _registered
    with _lock:  # Streamlit serves sessions from several threads
        if _registered is None:
            for name, filename in FILES.items():
                path = FONT_DIR / filename
                try:
                    pdfmetrics.registerFont(TTFont(name, str(path)))
                except (OSError, TTFError) as exc:
                    raise FontMissing(
                        f"The handout font {path} cannot be read ({exc}): reinstall Casebook."
                    ) from exc
            fonts = HandoutFonts()
            # With a family, <b> and <i> in paragraph markup pick the right faces.
            pdfmetrics.registerFontFamily(
                fonts.family,
                normal=fonts.regular,
                bold=fonts.bold,
                italic=fonts.italic,
                boldItalic=fonts.bold_italic,
            )
            _registered = fonts
        return _registered
