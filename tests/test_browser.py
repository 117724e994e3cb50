"""Rendered reports checked in a real browser (headless Chromium), plus their PDF and XLSX copies."""
from __future__ import annotations

import os
import re

import pytest

from foundation_eval.reporting.export import (
    PRINTABLE_WIDTH_PX,
    dump_dom,
    find_browser,
    inspect_page,
    screenshot,
)

needs_browser = pytest.mark.skipif(find_browser() is None and os.environ.get("CI") != "true",
                                   reason="headless Chromium not installed (make install installs it)")


@needs_browser
def test_report_loads_in_chromium_with_figures_and_no_code(rendered_site):
    dom, console = dump_dom(rendered_site / "district-sou.html")
    imgs = re.findall(r"<img [^>]*>", dom)
    # every figure the page carries loads (a chart disclosure withholds is not on the page at all)
    assert len(imgs) == (rendered_site / "district-sou.html").read_text().count("<img ") >= 4
    assert all('alt="' in i and 'alt=""' not in i for i in imgs)
    assert "Uncaught" not in console
    assert "Traceback" not in dom and "jp-RenderedText" not in dom.split("<body", 1)[1] or "stderr" not in dom
    assert 'class="jp-InputArea' not in dom
    assert "Summary" in dom and "Disclosure control" in dom and "Provenance" in dom


@needs_browser
def test_every_report_type_loads_with_figures(rendered_site):
    for page in ("force-overview", "pilot-vs-rollout", "ppit-validity", "data-quality", "index"):
        dom, console = dump_dom(rendered_site / f"{page}.html")
        assert "Uncaught" not in console, page
        assert 'class="jp-InputArea' not in dom and "Traceback" not in dom, page
        if page != "index":
            assert len(re.findall(r"<img [^>]*alt=", dom)) >= 1, page
            assert (rendered_site / f"{page}.pdf").exists()
        assert (rendered_site / "screenshots" / f"{page}.png").stat().st_size > 5_000


@needs_browser
def test_screenshots_and_pdf_are_produced(rendered_site):
    shots = rendered_site / "screenshots"
    shots.mkdir(exist_ok=True)
    png = screenshot(rendered_site / "district-sou.html", shots / "district.png", 1200, 1600)
    assert png.stat().st_size > 20_000
    idx = screenshot(rendered_site / "index.html", shots / "index.png", 1000, 800)
    assert idx.stat().st_size > 5_000
    pdf = rendered_site / "district-sou.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 50_000


@needs_browser
def test_pdf_is_a4_with_the_report_text_and_figures(rendered_site):
    from pypdf import PdfReader

    reader = PdfReader(rendered_site / "district-sou.pdf")
    assert len(reader.pages) >= 3
    box = reader.pages[0].mediabox
    # A4 is 210 x 297 mm = 595.3 x 841.9 points
    assert float(box.width) == pytest.approx(595.3, abs=1) and float(box.height) == pytest.approx(841.9, abs=1)
    text = "".join(p.extract_text() for p in reader.pages)
    assert "Summary" in text and "Provenance" in text
    # the figures were loaded before printing
    n_figures = (rendered_site / "district-sou.html").read_text().count("<img ")
    assert sum(len(p.images) for p in reader.pages) >= n_figures >= 4


@needs_browser
def test_one_browser_prints_many_pages(rendered_site, tmp_path):
    from foundation_eval.reporting.export import PdfPrinter

    with PdfPrinter() as printer:
        for page in ("district-sou", "index", "data-quality"):
            assert printer.print(rendered_site / f"{page}.html", tmp_path / f"{page}.pdf") is None
    assert all((tmp_path / f"{p}.pdf").read_bytes()[:5] == b"%PDF-" for p in ("district-sou", "index", "data-quality"))


def test_a_browser_that_fails_is_reported_per_page(rendered_site, tmp_path, monkeypatch):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("FOUNDATION_EVAL_CHROMIUM", str(fake))
    from foundation_eval.reporting.export import html_to_pdfs

    failed = html_to_pdfs([(rendered_site / "index.html", tmp_path / "a.pdf"),
                           (rendered_site / "data-quality.html", tmp_path / "b.pdf")])
    assert set(failed) == {"index.html", "data-quality.html"}
    assert "stopped answering" in failed["index.html"] and "not available" in failed["data-quality.html"]
    assert not list(tmp_path.glob("*.pdf"))


def test_workbook_holds_every_published_table_without_small_counts(rendered_site):
    from openpyxl import load_workbook

    wb = load_workbook(rendered_site / "district-sou.xlsx")
    assert wb.sheetnames[0] == "Contents" and wb.sheetnames[-1] == "Notes"
    titles = [r[1].value for r in wb["Contents"].iter_rows(min_row=4) if r[1].value]
    assert len(titles) == len(wb.sheetnames) - 2 and any("listed" in s.lower() for s in titles)
    notes = {r[0].value: r[1].value for r in wb["Notes"].iter_rows(min_row=3)}
    assert "rounded to the nearest 5" in notes["Disclosure control"]
    for ws in wb.worksheets[1:-1]:
        heads = [str(c.value or "").lower() for c in ws[3]]
        for j, head in enumerate(heads, start=1):
            if head in ("people", "n", "listed", "referred", "started", "completed", "da offences"):
                for row in ws.iter_rows(min_row=4, min_col=j, max_col=j):
                    v = row[0].value
                    if isinstance(v, int | float) and 0 < v < 10:
                        pytest.fail(f"count {v} below the threshold in {ws.title!r}, column {head!r}")


def _pages(site):
    return sorted(site.glob("*.html"))


@needs_browser
def test_no_page_makes_any_network_request(rendered_site):
    """Every page of a render is self-contained: the browser requests nothing but the page itself."""
    pages = _pages(rendered_site)
    assert {p.stem for p in pages} >= {"index", "force-overview", "pilot-vs-rollout", "data-quality",
                                       "ppit-validity", "district-sou"}
    checks = inspect_page(pages)
    for check in checks:
        assert check.requests and check.requests[0] == check.page  # the recorder saw the page load
        assert check.outside_requests == (), (check.page, check.outside_requests)


_WIDEST = """(() => {
  const tables = [...document.querySelectorAll("table")];
  return {widest: Math.max(0, ...tables.map(t => t.scrollWidth)), page: document.documentElement.scrollWidth,
          tables: tables.length};
})()"""


@needs_browser
def test_no_table_is_wider_than_the_printable_a4_width(rendered_site):
    """With print media emulated at the width of A4 less its margins, every table fits."""
    for check in inspect_page(_pages(rendered_site), _WIDEST, width=PRINTABLE_WIDTH_PX, media="print"):
        if check.page.endswith("/index.html"):
            continue
        assert check.value["tables"] >= 1, check.page
        assert check.value["widest"] <= PRINTABLE_WIDTH_PX, (check.page, check.value)
        assert check.value["page"] <= PRINTABLE_WIDTH_PX, (check.page, check.value)


@needs_browser
def test_no_pdf_page_is_blank(rendered_site):
    from pypdf import PdfReader

    pdfs = sorted(rendered_site.glob("*.pdf"))
    assert {p.stem for p in pdfs} >= {"force-overview", "pilot-vs-rollout", "data-quality", "ppit-validity",
                                      "district-sou"}
    for pdf in pdfs:
        for k, page in enumerate(PdfReader(pdf).pages, start=1):
            assert page.extract_text().strip() or len(page.images), f"{pdf.name} page {k} is blank"


@needs_browser
def test_render_records_the_formats_it_produced(rendered_site):
    import json

    meta = json.loads((rendered_site / "render.json").read_text())
    assert meta["pdf"] == "printed" and meta["warnings"] == []
    assert meta["formats"]["pdf"] == meta["formats"]["html"] == meta["reports"]
    assert set(meta["formats"]["xlsx"]) | set(meta["missing_workbooks"]) == set(meta["reports"])
    for name in meta["formats"]["xlsx"]:
        assert (rendered_site / f"{name}.xlsx").exists()


def _visible_text(page: str) -> str:
    """The text a page prints: no head, styles, scripts, markup or alt text."""
    import html

    page = re.sub(r"<(head|style|script)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _whole(token: str) -> re.Pattern:
    """``token`` not run into other digits or letters (a number ending "1,44" is not "1,445")."""
    return re.compile(rf"(?<![\w.,]){re.escape(token)}(?![\w%]|[.,]\d)")


@needs_browser
def test_no_pdf_breaks_a_table_number_or_a_heading_word(rendered_site):
    """Every number in a table's numeric cells, and every word of its headings, prints whole: the PDF's
    text holds each as many times as the page's text does (a number broken across two lines, "1,44" then
    "5", or a word, "Num" then "ber", is missing from it)."""
    import unicodedata

    from pypdf import PdfReader

    checked = 0
    for pdf in sorted(rendered_site.glob("*.pdf")):
        page = pdf.with_suffix(".html").read_text(encoding="utf-8")
        printed = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in PdfReader(pdf).pages))
        shown = _visible_text(page)
        cells = re.findall(r"""<td class=["'][^"']*\bfe-num\b[^"']*["']>([^<]*)</td>""", page)
        heads = re.findall(r"<th[^>]*>([^<]*)</th>", page)
        tokens = {t for c in cells for t in re.findall(r"[-+]?\d[\d,]*(?:\.\d+)?%?", c) if len(t) >= 2}
        tokens |= {w for h in heads for w in re.findall(r"[A-Za-z]{4,}", h)}
        for token in sorted(tokens):
            pattern = _whole(token)
            assert len(pattern.findall(printed)) >= len(pattern.findall(shown)), (
                f"{pdf.name}: {token!r} is printed {len(pattern.findall(printed))} times whole, shown "
                f"{len(pattern.findall(shown))} times")
            checked += 1
    assert checked > 100


@needs_browser
def test_every_table_prints_on_the_page_of_its_caption(rendered_site):
    """A caption is never left at the foot of a page: the first words of a table's first row are printed
    after its caption on the caption's page."""
    import html
    import unicodedata

    from pypdf import PdfReader

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).split())

    tables = 0
    for pdf in sorted(rendered_site.glob("*.pdf")):
        printed = [norm(p.extract_text()) for p in PdfReader(pdf).pages]
        page = pdf.with_suffix(".html").read_text(encoding="utf-8")
        for caption, body in re.findall(r"<caption>(.*?)</caption>(.*?)</table>", page, re.S):
            caption = norm(html.unescape(re.sub(r"<[^>]+>", "", caption)))
            first = re.search(r"<td[^>]*>([^<]+)</td>", body)
            if first is None:
                continue
            # the first words only: the cells of one row are printed side by side, line by line
            words = re.compile(rf"(?<!\w){re.escape(' '.join(norm(html.unescape(first.group(1))).split()[:3]))}(?!\w)")
            on = [k for k, text in enumerate(printed) if caption in text]
            assert on, f"{pdf.name}: caption {caption!r} not printed whole"
            assert any(words.search(printed[k], printed[k].index(caption)) for k in on), (
                f"{pdf.name}: {caption!r} is printed on page {on[0] + 1} and its table on the next")
            tables += 1
    assert tables > 20
