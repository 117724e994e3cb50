"""What a published page must not contain: notebook debris, and code outside the technical appendix.

A report page is written for a commissioner. [`page_debris`][foundation_eval.reporting.debris.page_debris]
reads a page as its reader would (the text of its elements and the alt text of its images, not its
markup, styles or embedded images) and lists every trace of the notebook it came from:

- object representations: ``<... at 0x...>``, ``PosixPath(...)``, ``Text(...)``, IPython or
  matplotlib objects, a printed DataFrame or Series (``[3 rows x 2 columns]``, ``dtype: int64``),
  a traceback, preformatted (printed) output;
- cell magics (``%%``);
- a missing value printed as a value: an element whose whole text is ``None``, ``nan``, ``NaN``,
  ``NaT`` or ``<NA>``, ``nan``/``NaN``/``NaT`` anywhere, or ``None`` beside a number sign, bracket,
  ``=`` or ``:``;
- a heading repeated under the same parent heading, or under itself (a notebook's markdown heading
  above the section's own), counting two headings numbered alike as one;
- code outside the technical appendix (the ``<section class="fe-technical-appendix">`` the page makes
  of the part headed "Technical appendix", see
  [`TECHNICAL_APPENDIX`][foundation_eval.reporting.export.TECHNICAL_APPENDIX]): ``<code>`` elements,
  backticked names, the package's name, ``report.``-style attribute chains of the notebook, dotted
  calls (``frames.cohort.table_one(``), snake_case calls (``fit_study(``), empty calls (``plot()``)
  and table headings that are code names (``any_da``);
- table headings and captions in title case (``People Listed By District``), where labels are in
  sentence case.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

from foundation_eval.reporting.export import APPENDIX_CLASS

__all__ = ["page_debris"]

# object representations and printed values: debris anywhere on a page, the appendix included
_REPRS = [
    (re.compile(r"<[A-Za-z_][\w.]*(?: [^<>]*)? at 0x[0-9a-fA-F]+>"), "an object's repr"),
    (re.compile(r"\b(?:Posix|Windows|Pure)?Path\("), "a path's repr"),
    (re.compile(r"\b(?:Text|Table|Figure|Section|EstimateView|CellRef|Page|Snapshot|Dataset|Timestamp|Series|"
                r"DataFrame|Index|array|datetime|date)\("), "an object's repr"),
    (re.compile(r"\bnp\.(?:float|int)\d*\("), "a numpy scalar's repr"),
    (re.compile(r"<(?:IPython|matplotlib|pandas|Figure size|Axes)\b"), "an object's repr"),
    (re.compile(r"\[\d+ rows x \d+ columns\]|\bdtype: \w+|\bName: \w+, dtype"), "a printed DataFrame or Series"),
    (re.compile(r"Traceback \(most recent call last\)"), "a traceback"),
    (re.compile(r"%%"), "a cell magic"),
]
_MISSING_WORD = re.compile(r"(?<![\w-])(?:nan|NaN|NaT|<NA>)(?![\w-])")
_MISSING_NONE = re.compile(r"[(=:\[]\s*None\b|\bNone\s*[%)\]]")
_MISSING_WHOLE = {"None", "nan", "NaN", "NaT", "<NA>", "inf", "-inf"}
# code: allowed only inside the technical appendix
_CODE = [
    (re.compile(r"`[^`\s][^`]*`"), "a backticked code name"),
    (re.compile(r"\bfoundation_eval\b"), "the package's name"),
    (re.compile(r"\b(?:report|page|snap|self)\.[A-Za-z_]"), "a notebook's attribute chain"),
    (re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\("), "a dotted call"),
    (re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\("), "a function call"),
    (re.compile(r"\b[A-Za-z_]\w*\(\)"), "a function call"),
]
_CODE_HEADING = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_SKIP = {"style", "script", "head", "title"}
_LEAF = {"td", "th", "li", "p", "span", "dd", "dt", "figcaption", "caption"}


class _Reader(HTMLParser):
    """The text of a page, element by element, and whether each piece is in the technical appendix."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, bool, bool]] = []  # (tag, in appendix, skipped)
        self.texts: list[tuple[str, bool]] = []  # (text, in appendix)
        self.elements: list[tuple[str, str, bool]] = []  # (tag, whole text, in appendix) of leaf-like elements
        self.headings: list[tuple[int, str, bool]] = []  # (level, text, in appendix)
        self.tags: list[tuple[str, bool]] = []  # (tag, in appendix) of every element opened
        self._buffers: list[list[str]] = []  # text collected for each open leaf or heading

    def _state(self) -> tuple[bool, bool]:
        return (self.open[-1][1], self.open[-1][2]) if self.open else (False, False)

    def handle_starttag(self, tag, attrs):
        appendix, skipped = self._state()
        attrs = dict(attrs)
        appendix = appendix or (tag == "section" and APPENDIX_CLASS in (attrs.get("class") or "").split())
        self.tags.append((tag, appendix))
        if tag == "img" and attrs.get("alt"):
            self.texts.append((attrs["alt"], appendix))
        if tag in _VOID:
            return
        self.open.append((tag, appendix, skipped or tag in _SKIP))
        self._buffers.append([])

    def handle_endtag(self, tag):
        if tag in _VOID or not any(t == tag for t, _, _ in self.open):
            return
        while self.open:
            t, appendix, skipped = self.open.pop()
            text = " ".join("".join(self._buffers.pop()).split())
            if self._buffers:  # the parent's text includes its children's
                self._buffers[-1].append(" " + text + " ")
            if not skipped:
                if t in _LEAF:
                    self.elements.append((t, text, appendix))
                if re.fullmatch(r"h[1-6]", t):
                    self.headings.append((int(t[1]), text, appendix))
            if t == tag:
                break

    def handle_data(self, data):
        appendix, skipped = self._state()
        if skipped:
            return
        self.texts.append((data, appendix))
        if self._buffers:
            self._buffers[-1].append(data)


def page_debris(page: str) -> list[str]:
    """Everything on a page that is notebook debris or code outside the technical appendix.

    See the module's description for what counts. The page's ``<style>`` and ``<script>`` elements
    and its markup are not read; the alt text of its images is.

    Parameters
    ----------
    page : str
        The page's HTML (a whole page or a fragment).

    Returns
    -------
    list of str
        One line per finding, ``"<what>: <the text>"``; empty for a clean page.

    Examples
    --------
    >>> page_debris("<h2>Summary</h2><p>75 people were listed.</p>"
    ...             '<section class="fe-technical-appendix"><h2>Technical appendix</h2>'
    ...             "<p>Counted by <code>foundation_eval.frames.cohort.table_one()</code>.</p></section>")
    []
    >>> for line in page_debris("<h2>Engagement</h2><h2>Engagement</h2><p>See `table_one`.</p>"
    ...                         "<table><tr><th>any_da</th><td>nan</td></tr></table>"
    ...                         "<p>PosixPath('/tmp/pilot-vs-rollout.xlsx')</p>"):
    ...     print(line)
    a backticked code name: See `table_one`.
    a missing value: nan
    a path's repr: PosixPath('/tmp/pilot-vs-rollout.xlsx')
    a code name as a table heading: any_da
    a heading repeated under the same parent: h2 'Engagement'
    """
    reader = _Reader()
    reader.feed(page)
    reader.close()
    found: list[str] = []
    for text, appendix in reader.texts:
        text = " ".join(text.split())
        for pattern, what in _REPRS:
            if pattern.search(text):
                found.append(f"{what}: {text[:160]}")
        if _MISSING_WORD.search(text) or _MISSING_NONE.search(text):
            found.append(f"a missing value: {text[:160]}")
        if not appendix:
            for pattern, what in _CODE:
                if pattern.search(text):
                    found.append(f"{what}: {text[:160]}")
                    break
    for tag, text, appendix in reader.elements:
        if text in _MISSING_WHOLE:
            found.append(f"a missing value: {text}")
        if tag == "th" and not appendix and _CODE_HEADING.match(text):
            found.append(f"a code name as a table heading: {text}")
        if tag in ("th", "caption") and _title_case(text):
            found.append(f"a table label in title case: {text}")
    found += [f"printed output: a <{tag}> element" for tag, _ in reader.tags if tag == "pre"]
    found += [f"code outside the technical appendix: a <{tag}> element" for tag, appendix in reader.tags
              if tag == "code" and not appendix]
    found += _repeated_headings(reader.headings)
    return list(dict.fromkeys(found))


def _title_case(label: str) -> bool:
    """A label with at least two capitalised words after its first and no lower-case word of three letters
    or more ("People Listed By District"; acronyms are not counted), where sentence case is wanted."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]*", label)[1:] if len(w) >= 3 and not w.isupper()]
    return len(words) >= 2 and all(w[0].isupper() for w in words)


def _repeated_headings(headings: list[tuple[int, str, bool]]) -> list[str]:
    """Headings repeated under the same parent heading, or repeating a heading they sit under.

    Case and spacing are ignored, and two headings numbered alike ("5. Simpler comparisons" and "5. What
    simpler comparisons would have said") count as one heading printed twice.
    """
    parents: dict[int, str] = {}
    seen: set[tuple] = set()
    out = []
    for level, text, _ in headings:
        number = re.match(r"\d+(?:\.\d+)*[.)]\s", text)
        name = number.group(0).strip() if number else text.lower()
        parents = {k: v for k, v in parents.items() if k < level}
        key = (tuple(sorted(parents.items())), level, name)
        if key in seen or name in parents.values():
            out.append(f"a heading repeated under the same parent: h{level} {text!r}")
        seen.add(key)
        parents[level] = name
    return out
