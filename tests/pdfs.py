"""Reading printed PDFs back as a clerk reads the paper: the text on the page (poppler's pdftotext)
and the number of pages (pdfinfo). No mock of the renderer: these read what WeasyPrint wrote."""

import subprocess
import tempfile


def _poppler(tool: str, pdf: bytes, *args: str) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        output = ["-"] if tool == "pdftotext" else []
        return subprocess.run([tool, *args, file.name, *output], capture_output=True, check=True).stdout.decode()


def pdf_words(pdf: bytes) -> str:
    """The text with every space and line break taken out: pdftotext splits letter-spaced labels
    ("县 教育局意见") and wraps long values, so a test looks for "县教育局意见" in this."""
    return "".join(_poppler("pdftotext", pdf).split())


def page_count(pdf: bytes) -> int:
    info = _poppler("pdfinfo", pdf)
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def squeezed(text: str) -> str:
    """A string as pdf_words gives it: "打印：张三 2026-12-04 10:30" → "打印：张三2026-12-0410:30"."""
    return "".join(text.split())


def image_pages(pdf: bytes) -> list[int]:
    """The page of every image in the PDF, in order (poppler's pdfimages -list: two header lines,
    then a line an image with its page first)."""
    return [int(line.split()[0]) for line in _poppler("pdfimages", pdf, "-list").splitlines()[2:]]


def pdf_stream_words(pdf: bytes) -> str:
    """As pdf_words, in the order the text was drawn (pdftotext -raw): a label wrapped inside its
    table cell ("38.是否进城务工人员" / "随迁子女★") reads as one, where the reading order of the
    page would put the next cell's value between its lines."""
    return "".join(_poppler("pdftotext", pdf, "-raw").split())
