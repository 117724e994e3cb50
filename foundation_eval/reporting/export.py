"""Publication formats: PDF and screenshots through headless Chromium, XLSX workbooks of tables.

Chromium is installed by the project's setup (``make install`` on Debian: the ``chromium`` package);
set ``FOUNDATION_EVAL_CHROMIUM`` to use another Chromium or Chrome binary.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

__all__ = ["find_browser", "html_to_pdf", "html_to_pdfs", "PdfPrinter", "screenshot", "screenshots", "dump_dom", "write_workbook", "BrowserError"]

_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
    "--disable-dev-shm-usage",
]


class BrowserError(RuntimeError):
    """Headless Chromium is missing or failed."""


class _BrowserGone(BrowserError):
    """The browser closed its end of the protocol pipe or stopped answering: the session is over."""


def find_browser() -> str | None:
    """Path of a Chromium or Chrome binary, or None."""
    env = os.environ.get("FOUNDATION_EVAL_CHROMIUM")
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

    def _page(self, html_path: Path, method: str, params: dict, viewport: tuple[int, int] | None = None) -> bytes:
        """Open a page in a new tab, wait for it to load, and return ``method``'s decoded data."""
        import base64

        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        try:
            session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            if viewport:
                self.call("Emulation.setDeviceMetricsOverride", {"width": viewport[0], "height": viewport[1],
                                                                 "deviceScaleFactor": 1, "mobile": False}, session)
            self.call("Page.enable", session=session)
            self.call("Page.navigate", {"url": html_path.as_uri()}, session)
            self.wait_event("Page.loadEventFired", session)
            data = self.call(method, params, session)["data"]
        finally:
            self.call("Target.closeTarget", {"targetId": target})
            self._events.clear()
        return base64.b64decode(data)

    def print_pdf(self, html_path: Path, pdf_path: Path) -> Path:
        # A4 with 1 cm margins, backgrounds, no browser header or footer
        pdf_path.write_bytes(self._page(html_path, "Page.printToPDF", {
            "paperWidth": 8.27, "paperHeight": 11.69, "marginTop": 0.4, "marginBottom": 0.4,
            "marginLeft": 0.4, "marginRight": 0.4, "printBackground": True, "displayHeaderFooter": False}))
        return pdf_path

    def screenshot(self, html_path: Path, png_path: Path, width: int, height: int) -> Path:
        png_path.write_bytes(self._page(html_path, "Page.captureScreenshot", {"format": "png"}, (width, height)))
        return png_path


class PdfPrinter:
    """Prints pages to PDF through one headless Chromium, started on first use (a context manager).

    ``print`` returns None on success or the error; once the browser is lost every later page gets
    that error rather than a new attempt.
    """

    def __init__(self):
        self._session: _DevTools | None = None
        self._broken: str | None = None

    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def print(self, html_path: str | Path, pdf_path: str | Path | None = None) -> str | None:
        html_path = Path(html_path).resolve()
        pdf_path = Path(pdf_path).resolve() if pdf_path else html_path.with_suffix(".pdf")
        if self._broken:
            return self._broken
        try:
            if self._session is None:
                self._session = _DevTools()
            self._session.print_pdf(html_path, pdf_path)
            if pdf_path.stat().st_size == 0:
                raise BrowserError(f"Chromium wrote an empty {pdf_path.name}")
        except (BrowserError, OSError, KeyError) as exc:
            if self._session is None or isinstance(exc, _BrowserGone) or self._session.proc.poll() is not None:
                self._broken = f"Chromium is not available: {exc}"
                self.close()
            return str(exc)
        return None


def html_to_pdfs(pages: list[tuple[str | Path, str | Path]]) -> dict[str, str]:
    """Print many HTML pages to PDF through one browser session; returns ``{html name: error}`` for any that failed."""
    failed: dict[str, str] = {}
    with PdfPrinter() as printer:
        for html_path, pdf_path in pages:
            err = printer.print(html_path, pdf_path)
            if err:
                failed[Path(html_path).name] = err
    return failed


def html_to_pdf(html_path: str | Path, pdf_path: str | Path) -> Path:
    """Print an HTML page to PDF (A4, backgrounds, no browser header or footer)."""
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path).resolve()
    err = html_to_pdfs([(html_path, pdf_path)])
    if err:
        raise BrowserError(f"Chromium did not write {pdf_path.name}: {err[html_path.name][-500:]}")
    return pdf_path


def screenshots(pages: list[tuple[str | Path, str | Path]], width: int = 1280, height: int = 2400) -> list[Path]:
    """PNGs of the top of several pages, for review, through one browser session."""
    with _DevTools() as session:
        return [session.screenshot(Path(h).resolve(), Path(p).resolve(), width, height) for h, p in pages]


def screenshot(html_path: str | Path, png_path: str | Path, width: int = 1280, height: int = 2400) -> Path:
    """PNG of the top of a page, for review."""
    return screenshots([(html_path, png_path)], width, height)[0]


def dump_dom(html_path: str | Path) -> tuple[str, str]:
    """The page's DOM after it has loaded and run its scripts, and the browser's console log."""
    html_path = Path(html_path).resolve()
    proc = _run(["--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0", "--dump-dom", html_path.as_uri()])
    console = "\n".join(line for line in proc.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line)
    return proc.stdout, console


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def write_workbook(tables: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """One sheet per published table (already disclosure-controlled), with a contents sheet."""
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
