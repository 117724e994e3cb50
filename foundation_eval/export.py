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

__all__ = ["find_browser", "html_to_pdf", "screenshot", "dump_dom", "write_workbook", "BrowserError"]

_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
    "--disable-dev-shm-usage",
]


class BrowserError(RuntimeError):
    """Headless Chromium is missing or failed."""


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


def html_to_pdf(html_path: str | Path, pdf_path: str | Path) -> Path:
    """Print an HTML page to PDF (A4, backgrounds, no browser header or footer)."""
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path).resolve()
    proc = _run(["--no-pdf-header-footer", "--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000",
                 f"--print-to-pdf={pdf_path}", html_path.as_uri()])
    if not pdf_path.exists() or pdf_path.stat().st_size == 0:
        raise BrowserError(f"Chromium did not write {pdf_path.name}: {proc.stderr.strip()[-500:]}")
    return pdf_path


def screenshot(html_path: str | Path, png_path: str | Path, width: int = 1280, height: int = 2400) -> Path:
    """PNG of the top of a page, for review."""
    html_path, png_path = Path(html_path).resolve(), Path(png_path).resolve()
    proc = _run([f"--window-size={width},{height}", "--virtual-time-budget=5000", f"--screenshot={png_path}",
                 html_path.as_uri()])
    if not png_path.exists():
        raise BrowserError(f"Chromium did not write {png_path.name}: {proc.stderr.strip()[-500:]}")
    return png_path


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
