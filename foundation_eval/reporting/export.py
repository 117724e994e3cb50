"""Publication formats: self-contained HTML pages, and PDF and screenshots through headless Chromium.

A page is what the executed notebook *showed*: the items it displayed with
[`show`][foundation_eval.reporting.publication.show] (marked with `PAGE_MIME`), in order, inside the
package's own page template with one inline stylesheet (``templates/style.css``), so a page loads
nothing from anywhere else. Markdown cells, code, printed text, warnings and a cell's final value
never reach a page. Code names belong only in the page's technical appendix (`TECHNICAL_APPENDIX`),
which the page marks with `APPENDIX_CLASS`. The report's workbook is written by the notebook
([`Page.write_workbook`][foundation_eval.reporting.publication.Page.write_workbook], through the one
writer [`workbook.write_workbook`][foundation_eval.reporting.workbook.write_workbook]).

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

from foundation_eval.reporting.publication import PAGE_MIME

__all__ = ["find_browser", "html_to_pdf", "html_to_pdfs", "PdfPrinter", "screenshot", "screenshots", "dump_dom",
           "BrowserError", "stylesheet", "page_html", "notebook_page", "shown_items", "page_body", "inspect_page",
           "PageCheck", "PAGE_MIME", "TECHNICAL_APPENDIX", "APPENDIX_CLASS", "NO_BROWSER_HINT",
           "PRINTABLE_WIDTH_PX"]

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


TECHNICAL_APPENDIX = "Technical appendix"
"""The heading of a page's technical appendix, the one place where code names and function paths may
appear (for traceability). A shown item that begins with a heading of this text (any level), and the
items after it up to the next heading of the same or a higher level, are the appendix; the page wraps
them in ``<section class="fe-technical-appendix">`` (`APPENDIX_CLASS`), which the stylesheet sets apart
and [`page_debris`][foundation_eval.reporting.debris.page_debris] exempts from its check for code."""

APPENDIX_CLASS = "fe-technical-appendix"
"""The class of the ``<section>`` that holds a page's technical appendix (see `TECHNICAL_APPENDIX`)."""


def shown_items(nb) -> list[str]:
    r"""The HTML of every item a notebook published with [`show`][foundation_eval.reporting.publication.show].

    Only display outputs marked with `PAGE_MIME` count; markdown cells, printed or logged text,
    warnings, the value a cell ends with (``execute_result``), plain ``display`` calls and figures left
    open by matplotlib are never part of a page. A notebook none of whose outputs carry the mark (one
    run before `show` marked its outputs) is read by the IPython ``HTML`` objects it displayed, which
    only `show` makes in a report notebook.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook.

    Returns
    -------
    list of str
        One HTML fragment per item, in order.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
    >>> shown = new_output("display_data", data={PAGE_MIME: "<p>75 people were listed.</p>",
    ...                                          "text/html": "<p>75 people were listed.</p>"})
    >>> nb = new_notebook(cells=[
    ...     new_markdown_cell("## Change the parameters below"),
    ...     new_code_cell("show(report.summary())", outputs=[shown]),
    ...     new_code_cell("print('done')", outputs=[new_output("stream", name="stdout", text="done\n")]),
    ...     new_code_cell("report.page.write_workbook(path)", outputs=[new_output(
    ...         "execute_result", data={"text/plain": "PosixPath('/tmp/x.xlsx')"}, execution_count=3)])])
    >>> shown_items(nb)
    ['<p>75 people were listed.</p>']
    """
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if o.get("output_type") == "display_data"]
    return [_text(o["data"][PAGE_MIME]) for o in outputs if PAGE_MIME in o.get("data", {})]


def _text(value) -> str:
    """A notebook output's value as one string (nbformat may store it as a list of lines)."""
    return "".join(value) if isinstance(value, list) else str(value)


# a page has one stylesheet, the template's: style blocks that items carry (for JupyterLab) are dropped
_STYLE_BLOCK = re.compile(r"<style[^>]*>.*?</style>", re.S | re.I)
_LEADING_HEADING = re.compile(r"\s*<h([1-6])\b[^>]*>(.*?)</h\1>", re.S | re.I)


def _heading(item: str) -> tuple[int, str] | None:
    """The level and text of the heading an item begins with, or None."""
    m = _LEADING_HEADING.match(item)
    if m is None:
        return None
    return int(m.group(1)), html.unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip()


def page_body(items: list[str]) -> str:
    r"""A page's body from the items a notebook showed: style blocks dropped, the technical appendix marked.

    The appendix (see `TECHNICAL_APPENDIX`) is wrapped in ``<section class="fe-technical-appendix">``.

    Parameters
    ----------
    items : list of str
        HTML fragments, as [`shown_items`][foundation_eval.reporting.export.shown_items] returns them.

    Returns
    -------
    str
        The body's HTML, one item a line.

    Examples
    --------
    >>> print(page_body(["<style>p {}</style><h1>Report</h1>", "<h2>Summary</h2><p>Most were seen.</p>",
    ...                  "<h2>Technical appendix</h2><p>fit_study()</p>", "<p>foundation_eval.stats</p>",
    ...                  "<h2>Provenance</h2>"]))
    <h1>Report</h1>
    <h2>Summary</h2><p>Most were seen.</p>
    <section class="fe-technical-appendix"><h2>Technical appendix</h2><p>fit_study()</p>
    <p>foundation_eval.stats</p></section>
    <h2>Provenance</h2>
    """
    out, level = [], None  # level: the appendix heading's level while inside the appendix
    for item in (_STYLE_BLOCK.sub("", i) for i in items):
        head = _heading(item)
        if level is not None and head is not None and head[0] <= level:
            out[-1] += "</section>"
            level = None
        if level is None and head is not None and head[1].lower() == TECHNICAL_APPENDIX.lower():
            item, level = f'<section class="{APPENDIX_CLASS}">{item}', head[0]
        out.append(item)
    if level is not None:
        out[-1] += "</section>"
    return "\n".join(out)


def notebook_page(nb, title: str) -> str:
    r"""An executed notebook as a report page: what it showed, nothing else, in the page template.

    The body is [`page_body`][foundation_eval.reporting.export.page_body] of
    [`shown_items`][foundation_eval.reporting.export.shown_items]: the items
    [`show`][foundation_eval.reporting.publication.show] displayed, in order. Code, markdown cells,
    printed text, warnings and a cell's final value never reach the page, and neither do ``<style>``
    blocks (every rule a page needs is in ``templates/style.css``, its one stylesheet). The notebook
    passed in is not changed.

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
    A markdown heading, an item shown, a warning and a path left as a cell's value: the page keeps
    only the item.

    >>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
    >>> item = "<h2>Summary</h2><p>75 people were listed.</p>"
    >>> nb = new_notebook(cells=[
    ...     new_markdown_cell("## Summary"),
    ...     new_code_cell("show(report.summary())", outputs=[
    ...         new_output("display_data", data={PAGE_MIME: item, "text/html": item}),
    ...         new_output("stream", name="stderr", text="DeprecationWarning\n")]),
    ...     new_code_cell("report.page.write_workbook(path)", outputs=[new_output(
    ...         "execute_result", data={"text/plain": "PosixPath('/tmp/x.xlsx')"}, execution_count=2)])])
    >>> page = notebook_page(nb, "Demo")
    >>> page.count("<h2>Summary</h2>"), "75 people were listed" in page
    (1, True)
    >>> "DeprecationWarning" in page, "PosixPath" in page, "show(" in page
    (False, False, False)
    """
    return page_html(page_body(shown_items(nb)), title)


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
