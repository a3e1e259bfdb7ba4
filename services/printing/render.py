"""PDF pages as images (pypdfium2), for the print preview and for printing through the system dialog.

PySide6-Essentials has no QtPdf, and pdftoppm is not on a clerk's Windows machine; PDFium ships inside
the pypdfium2 wheel on every platform, so the preview shows exactly the PDF that is saved.
"""

from __future__ import annotations

from PIL import Image

from services.printing.errors import PrintError


class PdfPages:
    """An open PDF (from bytes); pages render on demand, one at a time."""

    def __init__(self, data: bytes) -> None:
        import pypdfium2 as pdfium

        try:
            self._pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise PrintError(f"无法打开要预览的 PDF：{exc}。") from exc
        self.data = data

    def __len__(self) -> int:
        return len(self._pdf)

    def size_points(self, index: int) -> tuple[float, float]:
        width, height = self._pdf[index].get_size()
        return float(width), float(height)

    def image(self, index: int, dpi: float) -> Image.Image:
        """Page ``index`` (0-based) as an RGB image at ``dpi``."""
        page = self._pdf[index]
        try:
            bitmap = page.render(scale=dpi / 72.0)
            return bitmap.to_pil().convert("RGB")
        finally:
            page.close()

    def close(self) -> None:
        self._pdf.close()
