"""Publication formats: self-contained HTML pages, PDF and screenshots through headless Chromium,
XLSX workbooks of tables.

A page is the executed notebook's outputs (nbconvert's ``basic`` template: body only, inputs left out)
inside the package's own page template with one inline stylesheet (``templates/style.css``), so a page
loads nothing from anywhere else.

PDFs are optional. Chromium is installed by the project's setup (``make install`` on Debian: the
``chromium`` package); set ``FOUNDATION_EVAL_CHROMIUM`` to use another Chromium or Chrome binary, or to
``none`` to act as if no browser were installed. The browser runs headless with a throw-away profile
and is driven over the DevTools protocol on a pipe, so no network port is opened. The examples of the
browser functions start Chromium (about a second each) and need it installed.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["find_browser", "html_to_pdf", "html_to_pdfs", "PdfPrinter", "screenshot", "screenshots", "dump_dom",
           "write_workbook", "BrowserError", "stylesheet", "page_html", "notebook_page", "inspect_page", "PageCheck",
           "NO_BROWSER_HINT", "PRINTABLE_WIDTH_PX"]

TEMPLATES = Path(__file__).with_name("templates")
NO_BROWSER_HINT = ("PDF copies need headless Chromium or Chrome: install it (Debian/Ubuntu: `apt-get install "
                   "chromium`; elsewhere Google Chrome) or point FOUNDATION_EVAL_CHROMIUM at its binary, then "
                   "render again (or pass --no-pdf to skip PDFs without this warning)")
"""What to do without a browser: said once by a render that could not print PDFs (in its warning and
in the `BrowserError` it raises when PDFs were required)."""
PRINTABLE_WIDTH_PX = int((210 - 2 * 12) / 25.4 * 96)
r"""Printable width of an A4 page in CSS pixels: 210 mm less the stylesheet's 12 mm left and right
margins, at 96 pixels per inch, $\lfloor 186 / 25.4 \times 96 \rfloor = 702$. A page whose content is
no wider than this prints without being cut or shrunk."""


def stylesheet() -> str:
    """The one stylesheet of the report pages (screen and print).

    Read from the package's ``templates/style.css``; [`page_html`][foundation_eval.reporting.export.page_html]
    inlines it into every page. Its ``@page`` rule sets A4 paper and the print margins.

    Returns
    -------
    str
        The CSS text.

    Examples
    --------
    >>> css = stylesheet()
    >>> "@page { size: A4;" in css
    True
    """
    return (TEMPLATES / "style.css").read_text(encoding="utf-8")


_JINJA = None


def page_html(body: str, title: str, lang: str = "en") -> str:
    r"""A complete, self-contained page: ``body`` (HTML) inside the page template with the stylesheet inline.

    The page template (``templates/page.html.j2``) adds the doctype, the character set, a viewport
    rule, a ``generator`` tag naming the package version and the title, and puts ``body`` inside one
    ``<main class="fe-page">``. Nothing is loaded from anywhere else.

    Parameters
    ----------
    body : str
        The page's content as HTML, inserted as it is (not escaped: it must already be safe HTML).
    title : str
        The page title (the browser tab), escaped here.
    lang : str, default "en"
        The page's language code (``<html lang>``), read by screen readers.

    Returns
    -------
    str
        The whole HTML document.

    Examples
    --------
    >>> page = page_html("<h1>Data quality</h1>", "Data quality & completeness")
    >>> page.startswith("<!DOCTYPE html>")
    True
    >>> "<title>Data quality &amp; completeness</title>" in page
    True
    >>> '<main class="fe-page">\n<h1>Data quality</h1>\n</main>' in page
    True
    """
    global _JINJA
    if _JINJA is None:
        import jinja2

        _JINJA = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False,
                                    keep_trailing_newline=True)
    from foundation_eval import __version__

    return _JINJA.get_template("page.html.j2").render(body=body, title=html.escape(title), lang=lang,
                                                      css=stylesheet(), version=__version__)


_EXPORTER = None


def notebook_page(nb, title: str) -> str:
    r"""An executed notebook as a report page: outputs only (no code, no prompts), in the page template.

    Uses nbconvert's ``basic`` template, which writes the cells' HTML and nothing else: no require.js,
    MathJax or JupyterLab stylesheet from a CDN. Code cells without output and warnings the kernel
    printed (stderr) are left out, and so are ``<style>`` blocks in outputs: every rule a page needs is
    in ``templates/style.css``, its one stylesheet. The notebook passed in is not changed.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (as papermill or ``nbformat.read`` returns it).
    title : str
        The page title.

    Returns
    -------
    str
        The whole HTML page, as [`page_html`][foundation_eval.reporting.export.page_html] builds it.

    Examples
    --------
    A markdown cell, a cell that printed, one whose only output is a warning and one without output:
    the page keeps the heading and the printed value, and neither code nor the warning.

    >>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
    >>> nb = new_notebook(cells=[
    ...     new_markdown_cell("# Summary"),
    ...     new_code_cell("print(1 + 1)", outputs=[new_output("stream", name="stdout", text="2\n")]),
    ...     new_code_cell("import old", outputs=[new_output("stream", name="stderr", text="DeprecationWarning\n")]),
    ...     new_code_cell("x = 1")])
    >>> page = notebook_page(nb, "Demo")
    >>> ">Summary<" in page, "<pre>2\n</pre>" in page
    (True, True)
    >>> "print(1 + 1)" in page, "DeprecationWarning" in page
    (False, False)
    """
    global _EXPORTER
    if _EXPORTER is None:  # one exporter per process: building its Jinja environment costs more than using it
        from nbconvert import HTMLExporter

        _EXPORTER = HTMLExporter(template_name="basic")
        _EXPORTER.exclude_input = True
        _EXPORTER.exclude_input_prompt = True
        _EXPORTER.exclude_output_prompt = True
        _EXPORTER.anchor_link_text = ""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:  # warnings a kernel printed are not part of a report
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or c.outputs]
    body, _ = _EXPORTER.from_notebook_node(nb)
    return page_html(_STYLE_BLOCK.sub("", body), title)


# a page has one stylesheet, the template's: style blocks that outputs carry are dropped
_STYLE_BLOCK = re.compile(r"<style[^>]*>.*?</style>", re.S | re.I)

_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
    "--disable-dev-shm-usage",
]


class BrowserError(RuntimeError):
    """Headless Chromium is missing or failed.

    Raised by [`html_to_pdf`][foundation_eval.reporting.export.html_to_pdf] and the other browser
    functions when no browser is found or it fails, and by
    [`render`][foundation_eval.reporting.render.render] when PDFs were required (``pdf=True``) and could
    not be made.

    Parameters
    ----------
    message : str
        What went wrong, and what to do about it.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"FOUNDATION_EVAL_CHROMIUM": "none"}):
    ...     dump_dom("page.html")
    Traceback (most recent call last):
    ...
    foundation_eval.reporting.export.BrowserError: headless Chromium was not found: ...
    """


class _BrowserGone(BrowserError):
    """The browser closed its end of the protocol pipe or stopped answering: the session is over."""


def find_browser() -> str | None:
    """Path of a Chromium or Chrome binary, or None (also when ``FOUNDATION_EVAL_CHROMIUM=none``).

    The environment variable ``FOUNDATION_EVAL_CHROMIUM`` comes first: ``none``, ``off`` or ``0``
    means no browser; a path that exists is used as it is. Otherwise the first of ``chromium``,
    ``chromium-browser``, ``google-chrome`` and ``chrome`` found on the ``PATH`` is used.

    Returns
    -------
    str or None
        The binary's path, or None when there is no browser.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"FOUNDATION_EVAL_CHROMIUM": "none"}):
    ...     find_browser() is None
    True

    A path in the variable is taken as it is when the file exists (it is not checked to be a browser):

    >>> import sys
    >>> with mock.patch.dict(os.environ, {"FOUNDATION_EVAL_CHROMIUM": sys.executable}):
    ...     find_browser() == sys.executable
    True
    """
    env = os.environ.get("FOUNDATION_EVAL_CHROMIUM")
    if env and env.strip().lower() in ("none", "off", "0"):
        return None
    if env and Path(env).exists():
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    browser = find_browser()
    if browser is None:
        raise BrowserError("headless Chromium was not found: run `make install` (installs Debian's chromium) or set "
                           "FOUNDATION_EVAL_CHROMIUM")
    with tempfile.TemporaryDirectory(prefix="fe-chromium-") as profile:
        cmd = [browser, *_FLAGS, f"--user-data-dir={profile}", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return proc


class _DevTools:
    """One headless Chromium driven over the DevTools protocol on a pipe (no network port is opened).

    Starting Chromium costs about a second; a render prints every report through one session.
    """

    def __init__(self, timeout: float = 60.0):
        browser = find_browser()
        if browser is None:
            raise BrowserError("headless Chromium was not found: run `make install` (installs Debian's chromium) "
                               "or set FOUNDATION_EVAL_CHROMIUM")
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="fe-chromium-")
        child_in, self._out = os.pipe()
        self._in, child_out = os.pipe()

        def wire():  # the protocol's pipe is the browser's fd 3 (commands) and fd 4 (replies)
            import fcntl

            a, b = fcntl.fcntl(child_in, fcntl.F_DUPFD, 10), fcntl.fcntl(child_out, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen([browser, *_FLAGS, f"--user-data-dir={self._profile}", "--remote-debugging-pipe"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=wire, pass_fds=(3, 4))
        os.close(child_in)
        os.close(child_out)
        self._buf = b""
        self._next = 0
        self._events: list[dict] = []

    def __enter__(self) -> _DevTools:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for fd in (self._out, self._in):
            if fd >= 0:
                os.close(fd)
        self._out = self._in = -1  # closing the pipe tells Chromium to quit; never close a reused number
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    def _read(self) -> dict:
        import json
        import select

        while b"\0" not in self._buf:
            ready, _, _ = select.select([self._in], [], [], self.timeout)
            chunk = os.read(self._in, 1 << 20) if ready else b""
            if not chunk:
                raise _BrowserGone("Chromium stopped answering" if ready
                                   else f"Chromium did not answer in {self.timeout:.0f} s")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        import json

        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        try:
            os.write(self._out, json.dumps(msg).encode() + b"\0")
        except BrokenPipeError as exc:
            raise _BrowserGone("Chromium stopped answering (it closed its pipe)") from exc
        while True:
            reply = self._read()
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self._events.append(reply)

    def wait_event(self, method: str, session: str) -> dict:
        while True:
            for k, ev in enumerate(self._events):
                if ev.get("method") == method and ev.get("sessionId") == session:
                    return self._events.pop(k)
            self._events.append(self._read())

    def _open(self, html_path: Path, viewport: tuple[int, int] | None = None, media: str | None = None,
              network: bool = False) -> tuple[str, str, list[str]]:
        """Open a page in a new tab and wait for it to load: (target, session, URLs it requested)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        if viewport:
            self.call("Emulation.setDeviceMetricsOverride", {"width": viewport[0], "height": viewport[1],
                                                             "deviceScaleFactor": 1, "mobile": False}, session)
        if media:
            self.call("Emulation.setEmulatedMedia", {"media": media}, session)
        if network:
            self.call("Network.enable", session=session)
        self.call("Page.enable", session=session)
        self.call("Page.navigate", {"url": html_path.as_uri()}, session)
        self.wait_event("Page.loadEventFired", session)
        requests = [ev["params"]["request"]["url"] for ev in self._events
                    if ev.get("method") == "Network.requestWillBeSent" and ev.get("sessionId") == session]
        return target, session, requests

    def _page(self, html_path: Path, method: str, params: dict, viewport: tuple[int, int] | None = None) -> bytes:
        """Open a page in a new tab, wait for it to load, and return ``method``'s decoded data."""
        import base64

        target = None
        try:
            target, session, _ = self._open(html_path, viewport)
            data = self.call(method, params, session)["data"]
        finally:
            if target is not None:
                self.call("Target.closeTarget", {"targetId": target})
            self._events.clear()
        return base64.b64decode(data)

    def inspect(self, html_path: Path, expression: str | None, viewport: tuple[int, int] | None,
                media: str | None) -> tuple[list[str], object]:
        target = None
        try:
            target, session, requests = self._open(html_path, viewport, media, network=True)
            value = None
            if expression:
                reply = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
                if "exceptionDetails" in reply:
                    raise BrowserError(f"{expression[:60]}...: {reply['exceptionDetails'].get('text')}")
                value = reply["result"].get("value")
            # requests the page made after it loaded (late images, fonts) arrive as events meanwhile
            requests += [ev["params"]["request"]["url"] for ev in self._events
                         if ev.get("method") == "Network.requestWillBeSent" and ev.get("sessionId") == session
                         and ev["params"]["request"]["url"] not in requests]
        finally:
            if target is not None:
                self.call("Target.closeTarget", {"targetId": target})
            self._events.clear()
        return requests, value

    def print_pdf(self, html_path: Path, pdf_path: Path) -> Path:
        # A4 from the stylesheet's @page rule (paper size and margins here are the fallback), backgrounds,
        # no browser header or footer
        pdf_path.write_bytes(self._page(html_path, "Page.printToPDF", {
            "paperWidth": 8.27, "paperHeight": 11.69, "marginTop": 0.47, "marginBottom": 0.55,
            "marginLeft": 0.47, "marginRight": 0.47, "printBackground": True, "displayHeaderFooter": False,
            "preferCSSPageSize": True}))
        return pdf_path

    def screenshot(self, html_path: Path, png_path: Path, width: int, height: int) -> Path:
        png_path.write_bytes(self._page(html_path, "Page.captureScreenshot", {"format": "png"}, (width, height)))
        return png_path


@dataclass(frozen=True)
class PageCheck:
    """What a page did in the browser: every URL it requested (the page itself first) and a value.

    Returned by [`inspect_page`][foundation_eval.reporting.export.inspect_page].

    Attributes
    ----------
    page : str
        The page's ``file://`` URL.
    requests : tuple of str
        Every URL the page requested while it loaded and while the expression ran, the page first.
    value : object
        What the JavaScript expression returned (None without one).

    Examples
    --------
    >>> check = PageCheck("file:///reports/index.html",
    ...                   ("file:///reports/index.html", "data:image/png;base64,iVBORw0KGgo=",
    ...                    "https://cdn.example.org/require.js"))
    >>> check.outside_requests
    ('https://cdn.example.org/require.js',)
    """

    page: str
    requests: tuple[str, ...]
    value: object = None

    @property
    def outside_requests(self) -> tuple[str, ...]:
        """Requests other than the page itself and inline ``data:`` URLs: none for a self-contained page."""
        return tuple(u for u in self.requests if not u.startswith("data:") and u != self.page)


def inspect_page(pages: list[str | Path], expression: str | None = None, width: int | None = None,
                 media: str | None = None, height: int = 1200) -> list[PageCheck]:
    """Load pages in headless Chromium, recording every request, and evaluate JavaScript in each.

    Each page opens in a new tab of one browser session; every request it makes is recorded through
    the DevTools ``Network`` domain, so a page that fetches anything from elsewhere shows it in
    [`PageCheck.outside_requests`][foundation_eval.reporting.export.PageCheck.outside_requests].

    Parameters
    ----------
    pages : list of str or Path
        HTML files to load.
    expression : str, optional
        A JavaScript expression evaluated in each page once it has loaded; its value (returned by
        value, so it must be JSON-like) goes in ``PageCheck.value``.
    width : int, optional
        Viewport width in CSS pixels (default: the headless browser's window, about 800 wide);
        [`PRINTABLE_WIDTH_PX`][foundation_eval.reporting.export.PRINTABLE_WIDTH_PX] is the printable
        width of A4.
    media : str, optional
        ``"print"`` to emulate print media (the stylesheet's print rules), ``"screen"``, or None.
    height : int, default 1200
        Viewport height in CSS pixels, used with ``width``.

    Returns
    -------
    list of PageCheck
        One per page, in order.

    Raises
    ------
    BrowserError
        When no browser is found, it stops answering, or the expression throws.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> tmp = tempfile.TemporaryDirectory()
    >>> page = Path(tmp.name) / "page.html"
    >>> _ = page.write_text(page_html("<h1>Hello</h1><p>One paragraph.</p>", "Hello"), encoding="utf-8")
    >>> check, = inspect_page([page], "document.querySelector('h1').textContent",
    ...                        width=PRINTABLE_WIDTH_PX, media="print")
    >>> check.value, check.outside_requests
    ('Hello', ())
    >>> tmp.cleanup()
    """
    out = []
    with _DevTools() as session:
        for page in pages:
            path = Path(page).resolve()
            requests, value = session.inspect(path, expression, (width, height) if width else None, media)
            out.append(PageCheck(path.as_uri(), tuple(requests), value))
    return out


class PdfPrinter:
    """Prints pages to PDF through one headless Chromium, started on first use (a context manager).

    Starting Chromium costs about a second, so a render prints every report through one printer.
    ``print`` returns None on success or the error as text, and never raises for a page that fails;
    once the browser is lost every later page gets that error rather than a new attempt. Leaving the
    ``with`` block (or ``close``) stops the browser.

    Parameters
    ----------
    None
        The printer takes no arguments; the browser starts at the first ``print``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> tmp = tempfile.TemporaryDirectory()
    >>> pages = [Path(tmp.name) / f"{name}.html" for name in ("first", "second")]
    >>> for page in pages:
    ...     _ = page.write_text(page_html(f"<h1>{page.stem}</h1>", page.stem), encoding="utf-8")
    >>> with PdfPrinter() as printer:
    ...     errors = [printer.print(page) for page in pages]
    >>> errors
    [None, None]
    >>> [page.with_suffix(".pdf").read_bytes()[:5] for page in pages]
    [b'%PDF-', b'%PDF-']
    >>> tmp.cleanup()
    """

    def __init__(self):
        self._session: _DevTools | None = None
        self._broken: str | None = None

    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the browser, if one was started (safe to call more than once)."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def print(self, html_path: str | Path, pdf_path: str | Path | None = None) -> str | None:
        """Print one HTML page to PDF (A4, backgrounds, no browser header or footer).

        Paper size and margins come from the stylesheet's ``@page`` rule.

        Parameters
        ----------
        html_path : str or Path
            The page to print.
        pdf_path : str or Path, optional
            Where to write the PDF (default: beside the page, with the suffix ``.pdf``).

        Returns
        -------
        str or None
            None when the PDF was written, otherwise what went wrong (also when no browser could be
            started, or an earlier page lost it).
        """
        html_path = Path(html_path).resolve()
        pdf_path = Path(pdf_path).resolve() if pdf_path else html_path.with_suffix(".pdf")
        if self._broken:
            return self._broken
        if self._session is None:
            try:
                self._session = _DevTools()
            except Exception as exc:  # noqa: BLE001 - e.g. a platform without the DevTools pipe (Windows)
                self._broken = f"Chromium is not available: {type(exc).__name__}: {exc}"
                return self._broken
        try:
            self._session.print_pdf(html_path, pdf_path)
            if pdf_path.stat().st_size == 0:
                raise BrowserError(f"Chromium wrote an empty {pdf_path.name}")
        except (BrowserError, OSError, KeyError) as exc:
            if isinstance(exc, _BrowserGone) or self._session.proc.poll() is not None:
                self._broken = f"Chromium is not available: {exc}"
                self.close()
            return str(exc)
        return None


def html_to_pdfs(pages: list[tuple[str | Path, str | Path]]) -> dict[str, str]:
    """Print many HTML pages to PDF through one browser session.

    A page that fails does not stop the others; see
    [`PdfPrinter`][foundation_eval.reporting.export.PdfPrinter].

    Parameters
    ----------
    pages : list of (str or Path, str or Path)
        ``(html_path, pdf_path)`` pairs.

    Returns
    -------
    dict of str to str
        ``{html file name: error}`` for every page that was not printed; empty when all were. Without
        a browser every page is listed.

    Examples
    --------
    Printing works as in the example of [`PdfPrinter`][foundation_eval.reporting.export.PdfPrinter]
    (an empty result); without a browser nothing is raised and every page is listed with the reason:

    >>> import os
    >>> import tempfile
    >>> from pathlib import Path
    >>> from unittest import mock
    >>> tmp = tempfile.TemporaryDirectory()
    >>> pairs = []
    >>> for name in ("first", "second"):
    ...     page = Path(tmp.name) / f"{name}.html"
    ...     _ = page.write_text(page_html(f"<h1>{name}</h1>", name), encoding="utf-8")
    ...     pairs.append((page, Path(tmp.name) / f"{name}.pdf"))
    >>> with mock.patch.dict(os.environ, {"FOUNDATION_EVAL_CHROMIUM": "none"}):
    ...     failed = html_to_pdfs(pairs)
    >>> sorted(failed)
    ['first.html', 'second.html']
    >>> print(failed["first.html"])
    Chromium is not available: BrowserError: headless Chromium was not found: ...
    >>> list(Path(tmp.name).glob("*.pdf"))
    []
    >>> tmp.cleanup()
    """
    failed: dict[str, str] = {}
    with PdfPrinter() as printer:
        for html_path, pdf_path in pages:
            err = printer.print(html_path, pdf_path)
            if err:
                failed[Path(html_path).name] = err
    return failed


def html_to_pdf(html_path: str | Path, pdf_path: str | Path) -> Path:
    """Print an HTML page to PDF (A4, backgrounds, no browser header or footer).

    Starts a browser for this page alone; to print several, use
    [`html_to_pdfs`][foundation_eval.reporting.export.html_to_pdfs] or
    [`PdfPrinter`][foundation_eval.reporting.export.PdfPrinter].

    Parameters
    ----------
    html_path : str or Path
        The page to print.
    pdf_path : str or Path
        Where to write the PDF.

    Returns
    -------
    Path
        The absolute path of the PDF.

    Raises
    ------
    BrowserError
        When no browser is found or it did not write the PDF.

    Examples
    --------
    The PDF is A4: 210 x 297 mm, 595 x 842 points.

    >>> import tempfile
    >>> from pathlib import Path
    >>> tmp = tempfile.TemporaryDirectory()
    >>> page = Path(tmp.name) / "page.html"
    >>> _ = page.write_text(page_html("<h1>Hello</h1><p>One paragraph.</p>", "Hello"), encoding="utf-8")
    >>> pdf = html_to_pdf(page, Path(tmp.name) / "page.pdf")
    >>> pdf.read_bytes()[:5]
    b'%PDF-'
    >>> from pypdf import PdfReader
    >>> box = PdfReader(pdf).pages[0].mediabox
    >>> round(float(box.width)), round(float(box.height))
    (595, 842)
    >>> tmp.cleanup()
    """
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path).resolve()
    err = html_to_pdfs([(html_path, pdf_path)])
    if err:
        raise BrowserError(f"Chromium did not write {pdf_path.name}: {err[html_path.name][-500:]}")
    return pdf_path


def screenshots(pages: list[tuple[str | Path, str | Path]], width: int = 1280, height: int = 2400) -> list[Path]:
    """PNGs of the top of several pages, for review, through one browser session.

    Each image is the viewport of ``width`` x ``height`` CSS pixels at the top of the page, as on a
    screen (screen media, one image pixel per CSS pixel).

    Parameters
    ----------
    pages : list of (str or Path, str or Path)
        ``(html_path, png_path)`` pairs.
    width : int, default 1280
        Viewport width in CSS pixels.
    height : int, default 2400
        Viewport height in CSS pixels: how much of the page is captured.

    Returns
    -------
    list of Path
        The absolute paths of the PNGs, in order.

    Raises
    ------
    BrowserError
        When no browser is found or it stops answering.

    Examples
    --------
    >>> import struct
    >>> import tempfile
    >>> from pathlib import Path
    >>> tmp = tempfile.TemporaryDirectory()
    >>> pairs = []
    >>> for name in ("first", "second"):
    ...     page = Path(tmp.name) / f"{name}.html"
    ...     _ = page.write_text(page_html(f"<h1>{name}</h1>", name), encoding="utf-8")
    ...     pairs.append((page, Path(tmp.name) / f"{name}.png"))
    >>> pngs = screenshots(pairs, width=640, height=480)
    >>> [struct.unpack(">II", png.read_bytes()[16:24]) for png in pngs]  # PNG width and height
    [(640, 480), (640, 480)]
    >>> tmp.cleanup()
    """
    with _DevTools() as session:
        return [session.screenshot(Path(h).resolve(), Path(p).resolve(), width, height) for h, p in pages]


def screenshot(html_path: str | Path, png_path: str | Path, width: int = 1280, height: int = 2400) -> Path:
    r"""PNG of the top of a page, for review.

    One page through [`screenshots`][foundation_eval.reporting.export.screenshots].

    Parameters
    ----------
    html_path : str or Path
        The page.
    png_path : str or Path
        Where to write the PNG.
    width : int, default 1280
        Viewport width in CSS pixels.
    height : int, default 2400
        Viewport height in CSS pixels: how much of the page is captured.

    Returns
    -------
    Path
        The absolute path of the PNG.

    Raises
    ------
    BrowserError
        When no browser is found or it stops answering.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> tmp = tempfile.TemporaryDirectory()
    >>> page = Path(tmp.name) / "page.html"
    >>> _ = page.write_text(page_html("<h1>Hello</h1><p>One paragraph.</p>", "Hello"), encoding="utf-8")
    >>> png = screenshot(page, Path(tmp.name) / "page.png", width=400, height=300)
    >>> png.read_bytes()[:8]
    b'\x89PNG\r\n\x1a\n'
    >>> tmp.cleanup()
    """
    return screenshots([(html_path, png_path)], width, height)[0]


def dump_dom(html_path: str | Path) -> tuple[str, str]:
    """The page's DOM after it has loaded and run its scripts, and the browser's console log.

    Runs Chromium's ``--dump-dom`` with five seconds of virtual time for scripts; the tests use it to
    check that a page renders its figures and raises no script error.

    Parameters
    ----------
    html_path : str or Path
        The page.

    Returns
    -------
    dom : str
        The serialised DOM.
    console : str
        The browser's log lines that report console messages or uncaught errors, one per line (empty
        when there were none).

    Raises
    ------
    BrowserError
        When no browser is found.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> tmp = tempfile.TemporaryDirectory()
    >>> page = Path(tmp.name) / "page.html"
    >>> script = ('<p id="x"></p><script>document.getElementById("x").textContent = "made by a script";'
    ...           'console.log("hello from the page")</script>')
    >>> _ = page.write_text(page_html(script, "Script"), encoding="utf-8")
    >>> dom, console = dump_dom(page)
    >>> '<p id="x">made by a script</p>' in dom, "hello from the page" in console
    (True, True)
    >>> tmp.cleanup()
    """
    html_path = Path(html_path).resolve()
    proc = _run(["--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0", "--dump-dom", html_path.as_uri()])
    console = "\n".join(line for line in proc.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line)
    return proc.stdout, console


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def write_workbook(tables: dict[str, pd.DataFrame], path: str | Path) -> Path:
    r"""One sheet per published table (already disclosure-controlled), with a contents sheet.

    The first sheet, ``Contents``, lists each sheet's name beside its table's full title. Sheet names
    are the titles made safe for Excel: the characters ``[ ] : * ? / \`` become spaces, the name is cut
    to 28 characters, and a name already used (ignoring case) gets a number. Tables are written as
    they are, without an index: this function applies no disclosure control of its own. The report
    notebooks write their workbooks with
    [`Page.write_workbook`][foundation_eval.reporting.publication.Page.write_workbook] instead, which
    takes the page's published tables and keeps their number formats and notes.

    Parameters
    ----------
    tables : dict of str to DataFrame
        ``{title: table}``, in the order of the sheets.
    path : str or Path
        The ``.xlsx`` file to write (replaced if it exists).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> tmp = tempfile.TemporaryDirectory()
    >>> tables = {"Referrals: by month/year": pd.DataFrame({"month": ["2024-01"], "referrals": [20]}),
    ...           "Contacts by practitioner and month": pd.DataFrame({"month": ["2024-01"], "contacts": [140]}),
    ...           "Contacts by practitioner and month, pilot": pd.DataFrame({"month": ["2024-01"], "contacts": [60]})}
    >>> book = write_workbook(tables, Path(tmp.name) / "tables.xlsx")
    >>> pd.ExcelFile(book).sheet_names
    ['Contents', 'Referrals  by month year', 'Contacts by practitioner and', 'Contacts by practitioner 2']
    >>> pd.read_excel(book, sheet_name="Referrals  by month year").referrals.tolist()
    [20]
    >>> tmp.cleanup()
    """
    path = Path(path)
    names, used = {}, set()
    for title in tables:
        base = _SHEET_BAD.sub(" ", title)[:28].strip() or "table"
        name, k = base, 2
        while name.lower() in used:
            name, k = f"{base[:25]} {k}", k + 1
        used.add(name.lower())
        names[title] = name
    contents = pd.DataFrame({"sheet": list(names.values()), "table": list(names)})
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        contents.to_excel(xl, sheet_name="Contents", index=False)
        for title, frame in tables.items():
            frame.to_excel(xl, sheet_name=names[title], index=False)
    return path
