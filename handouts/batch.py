"""Many handouts at once: one PDF to print, or a ZIP of separate files."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject


def _fields(writer: PdfWriter) -> ArrayObject | None:
    form = writer.root_object.get("/AcroForm")
    if form is None:
        return None
    fields = form.get_object().get("/Fields")
    return None if fields is None else fields.get_object()


def _keep_apart(writer: PdfWriter, fields_before: int, number: int) -> None:
    """Put one document's form fields under their own name (d1, d2, ...).

    Two copies of a worksheet have fields with the same names, and a PDF reader treats
    fields with one name as one field: typing into one copy would fill in the other.
    """
    fields = _fields(writer)
    if fields is None or len(fields) <= fields_before:
        return
    own = list(fields[fields_before:])
    parent = DictionaryObject(
        {
            NameObject("/T"): TextStringObject(f"d{number}"),
            NameObject("/Kids"): ArrayObject(own),
        }
    )
    parent_ref = writer._add_object(parent)
    for ref in own:
        ref.get_object()[NameObject("/Parent")] = parent_ref
    del fields[fields_before:]
    fields.append(parent_ref)


def combine(pdfs: Iterable[bytes], progress: Callable[[int, int], None] | None = None) -> bytes:
    """One PDF of all the documents in order, calling progress(done, total) after each.

    Raises ValueError naming the document (1, 2, ...) that is not a readable PDF.
    """
    documents = list(pdfs)
    total = len(documents)
    writer = PdfWriter()
    for number, pdf in enumerate(documents, start=1):
        try:
            reader = PdfReader(io.BytesIO(pdf))
            fields = _fields(writer)
            before = 0 if fields is None else len(fields)
            writer.append(reader)
        except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
            raise ValueError(f"Document {number} is not a readable PDF.") from exc
        _keep_apart(writer, before, number)
        if progress is not None:
            progress(number, total)
    writer.add_metadata({"/Title": "Casebook handouts", "/Creator": "Casebook"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _safe_name(name: str, taken: set[str]) -> str:
    """A plain file name (no folders, no "..") that is not yet in the archive."""
    base = PurePosixPath(str(name).replace("\\", "/")).name.strip() or "document.pdf"
    if base in (".", ".."):
        base = "document.pdf"
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    candidate, n = base, 2
    while candidate.lower() in taken:
        candidate = f"{stem} ({n}).{suffix}" if suffix else f"{stem} ({n})"
        n += 1
    taken.add(candidate.lower())
    return candidate


def zip_of(named: Iterable[tuple[str, bytes]]) -> bytes:
    """A ZIP archive of (file name, bytes); names are kept flat and made unique."""
    out = io.BytesIO()
    taken: set[str] = set()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in named:
            archive.writestr(_safe_name(name, taken), data)
    return out.getvalue()
