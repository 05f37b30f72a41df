"""Write a small real PDF (pages of Helvetica text) without a PDF library.

The test corpus needs a PDF whose text layer pypdf really has to parse; hand-writing the few objects
keeps reportlab & co. out of the test dependencies.
"""

from __future__ import annotations

from pathlib import Path


def write_text_pdf(path: Path, lines: list[str]) -> None:
    """A one-page PDF holding ``lines``."""
    write_pages_pdf(path, [lines])


def write_pages_pdf(path: Path, pages: list[list[str]]) -> None:
    """A PDF with one page per item of ``pages``, each holding its lines (an empty list: a blank page)."""
    def escape(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    font = 3 + 2 * len(pages)  # object number of the shared font
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (3 + 2 * i) for i in range(len(pages))), len(pages)),
    ]
    for i, lines in enumerate(pages):
        text_ops = ["BT", "/F1 11 Tf", "14 TL", "50 780 Td"]
        for line in lines:
            text_ops += [f"({escape(line)}) Tj", "T*"]
        text_ops.append("ET")
        stream = "\n".join(text_ops).encode("latin-1")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (4 + 2 * i, font))
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
