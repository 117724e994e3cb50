"""A report page is what its notebook showed, nothing else; the debris check; how notebooks are executed
and parameterised. (Every page of a render is checked in test_render_publication.py.)"""
from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from foundation_eval.reporting.debris import page_debris
from foundation_eval.reporting.export import (
    APPENDIX_CLASS,
    PAGE_MIME,
    notebook_page,
    page_body,
    shown_items,
)


def _shown(markup: str):
    return new_output("display_data", data={PAGE_MIME: markup, "text/html": markup})


def _html_object(markup: str):
    """What show displays until it marks its outputs: an IPython HTML object."""
    return new_output("display_data", data={"text/html": markup, "text/plain": "<IPython.core.display.HTML object>"})


def _debris_notebook(*shown):
    """A notebook with every kind of debris today's pages carried, around the items it shows."""
    frame_html = "<table class='dataframe'><tr><th>n</th></tr><tr><td>nan</td></tr></table>"
    return new_notebook(cells=[
        new_code_cell("district = 'SOU'", metadata={"tags": ["parameters"]}),
        new_markdown_cell("## Engagement\n\nChange the parameters below; counted by `first_engagement_frame`."),
        new_code_cell("show(report.header())", outputs=[shown[0]]),
        new_code_cell("import warnings", outputs=[new_output("stream", name="stderr", text="DeprecationWarning: x\n")]),
        new_code_cell("print(report)", outputs=[new_output("stream", name="stdout",
                                                           text="<DistrictReport object at 0x7f3a>\n")]),
        new_code_cell("frame", outputs=[new_output("execute_result", execution_count=4,
                                                   data={"text/html": frame_html, "text/plain": "   n\n0  NaN"})]),
        new_code_cell("display(frame)", outputs=[new_output("display_data", data={"text/html": frame_html,
                                                                                  "text/plain": "   n\n0  NaN"})]),
        new_code_cell("fig", outputs=[new_output("display_data", data={"image/png": "iVBORw0KGgo=",
                                                                       "text/plain": "<Figure size 640x480 with 1 Axes>"})]),
        new_code_cell("show(*engagement.items)", outputs=list(shown[1:])),
        new_code_cell("report.page.write_workbook(workbook_path)", outputs=[new_output(
            "execute_result", execution_count=9,
            data={"text/plain": "PosixPath('/tmp/foundation-eval-x/pilot-vs-rollout.xlsx')"})]),
    ])


ITEMS = ["<h1>Project Foundation: Southampton</h1>", "<h2>Engagement</h2><p>Most people were visited.</p>",
         "<table class='fe-table'><caption>People listed</caption><tr><td class='fe-num fe-count'>75</td></tr></table>"]


def test_a_page_is_only_what_the_notebook_showed_in_order():
    nb = _debris_notebook(*(_shown(i) for i in ITEMS))
    assert shown_items(nb) == ITEMS
    page = notebook_page(nb, "Southampton")
    body = page.split('<main class="fe-page">', 1)[1].split("</main>", 1)[0]
    assert body.strip() == "\n".join(ITEMS)
    assert page_debris(page) == []


def test_html_displayed_without_the_mark_never_reaches_the_page():
    nb = _debris_notebook(*(_html_object(i) for i in ITEMS))
    assert shown_items(nb) == []
    nb.cells[2].outputs = [_shown(ITEMS[0])]
    assert shown_items(nb) == ITEMS[:1]


def _run(tmp_path, name: str, *sources: str):
    import nbformat
    import papermill as pm

    src = tmp_path / f"{name}.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# A heading the page must not carry"),
                                       *(new_code_cell(code) for code in sources)],
                                metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                         "language": "python"}}), src)
    return pm.execute_notebook(str(src), str(tmp_path / f"{name}.out.ipynb"), kernel_name="python3",
                               progress_bar=False)


SECTION = ("from foundation_eval.reporting.publication import Section, Text, show\n"
           "section = Section('Engagement', (Text('<p>Most people were visited.</p>'),))\n")
DEBRIS = "print('printed')\nfrom pathlib import Path\nPath('/tmp/x.xlsx')"


def test_the_page_is_built_from_what_show_displayed_in_a_real_kernel(tmp_path):
    # show marks its outputs with PAGE_MIME (text/html beside it for JupyterLab): only they count, an HTML
    # object displayed otherwise, printed text and a cell's last value do not
    other = "from IPython.display import HTML, display\ndisplay(HTML('<p>not shown</p>'))"
    nb = _run(tmp_path, "today", SECTION + "show(section, None)\n" + other, DEBRIS)
    assert shown_items(nb) == ["<h2>Engagement</h2><p>Most people were visited.</p>"]
    assert page_debris(notebook_page(nb, "Demo")) == []


def test_the_technical_appendix_runs_from_its_heading_to_the_next_of_its_level():
    body = page_body(["<h2>Methods</h2><p>Counts are rounded.</p>",
                      "<h2>Technical appendix</h2><p>Counted by <code>table_one()</code>.</p>",
                      "<h3>Estimates</h3><p>foundation_eval.evaluation.registry</p>",
                      "<h2>Provenance</h2><p>Version 0.1.</p>"])
    inside = body.split(f'<section class="{APPENDIX_CLASS}">', 1)[1].split("</section>", 1)[0]
    assert "Technical appendix" in inside and "registry" in inside and "Provenance" not in inside
    assert "Methods" not in inside
    assert page_debris(body) == []
    # the same code outside the appendix is debris
    assert page_debris(body.replace(APPENDIX_CLASS, "fe-other"))


@pytest.mark.parametrize("fragment, what", [
    ("<p>PosixPath('/tmp/x/pilot-vs-rollout.xlsx')</p>", "a path's repr"),
    ("<p>&lt;foundation_eval.reporting.publication.Text object at 0x7f01a2&gt;</p>", "an object's repr"),
    ("<p>Text(markup='&lt;p&gt;hello&lt;/p&gt;')</p>", "an object's repr"),
    ("<p>&lt;IPython.core.display.HTML object&gt;</p>", "an object's repr"),
    ("<p>[12 rows x 4 columns]</p>", "a printed DataFrame or Series"),
    ("<p>Name: share, dtype: float64</p>", "a printed DataFrame or Series"),
    ("<pre>Most people were seen\n</pre>", "printed output"),
    ("<p>The programme cut reoffending by 22%%.</p>", "a cell magic"),
    ("<table><tr><td>None</td></tr></table>", "a missing value"),
    ("<p>The share was nan among the rest.</p>", "a missing value"),
    ("<p>Estimate 0.8 (None to 1.2).</p>", "a missing value"),
    ("<p>harm_threshold=None</p>", "a missing value"),
    ("<h2>Engagement</h2><p>Most.</p><h2>Engagement</h2>", "a heading repeated"),
    ("<h2>5. Simpler comparisons</h2><h2>5. What simpler comparisons would have said</h2>", "a heading repeated"),
    ("<h2>Engagement</h2><h3>Engagement</h3>", "a heading repeated"),
    ("<p>Counted by <code>table_one</code>.</p>", "code outside the technical appendix"),
    ("<p>Counted by `table_one`.</p>", "a backticked code name"),
    ("<p>From foundation_eval.frames.cohort.</p>", "the package's name"),
    ("<p>See report.ev.verdict for the verdict.</p>", "a notebook's attribute chain"),
    ("<p>Each district's share, from cohort.table_one(frame).</p>", "a dotted call"),
    ("<p>Refit with fit_ppit_study(snap).</p>", "a function call"),
    ("<p>Call plot() to draw it.</p>", "a function call"),
    ("<table><tr><th>any_da</th></tr></table>", "a code name as a table heading"),
    ("<table><caption>People Listed By District</caption><tr><th>Went Live Date</th></tr></table>",
     "a table label in title case"),
    ('<img src="data:image/png;base64,iVBO" alt="Curve drawn by km.plot()">', "a dotted call"),
])
def test_debris_is_found(fragment, what):
    found = page_debris(fragment)
    assert any(line.startswith(what) for line in found), found


def test_a_report_s_ordinary_prose_and_tables_are_not_debris():
    page = """<h1>Project Foundation: Southampton</h1><p class='fe-sub'>District report. 2019-01 to 2024-12</p>
    <div class='fe-summary'><h2>Summary</h2><p>None of the 12 districts stands out. 75 people (62%) were
    listed; the rate fell by 0.8 (95% interval -1.2 to -0.4) per 100 person-months (Callaway and
    Sant'Anna, 2021; Farrington et al. 2002, level 4), i.e. about 1 in 5.</p></div>
    <h2>Engagement</h2><h3>Women</h3><p>Most.</p><h2>Referrals</h2><h3>Women</h3><p>Some.</p>
    <table class='fe-table'><caption>People listed, by district</caption><thead><tr><th scope='col'>District</th>
    <th scope='col'>People listed</th><th scope='col'>Share (%)</th></tr></thead><tbody>
    <tr><td>Southampton</td><td class='fe-num fe-count'>1,445</td><td class='fe-num'>62%</td></tr>
    <tr><td>Eastleigh</td><td class='fe-num fe-count'>[c]</td><td class='fe-num'></td></tr></tbody></table>
    <p class='fe-note'>[c]: not published under the disclosure rule (see Disclosure control).</p>
    <figure class="fe-figure"><img src="data:image/png;base64,iVBO" alt="Bar chart: 75 people listed in
    Southampton"><figcaption>People listed (rounded to 5)</figcaption></figure>"""
    assert page_debris(page) == []


def test_the_snapshot_goes_to_the_name_the_notebook_declares():
    from pathlib import Path

    from foundation_eval.reporting.render import _notebook_parameters

    job = {"snapshot_dir": "/tmp/snap", "programme": "hiow", "district": "SOU"}
    book, results = Path("/w/r.xlsx"), Path("/w/r.results.json")
    new = _notebook_parameters(job, {"snapshot_dir", "programme", "district", "workbook_path"}, book, results)
    assert new == {"snapshot_dir": "/tmp/snap", "programme": "hiow", "district": "SOU",
                   "workbook_path": "/w/r.xlsx"}
    # data_dir means an extract, to the command line and render() only: a notebook never gets one
    other = _notebook_parameters(job, {"snapshot_dir", "programme", "district", "results_path"}, book, results)
    assert "data_dir" not in other and other["results_path"] == "/w/r.results.json"
    assert job == {"snapshot_dir": "/tmp/snap", "programme": "hiow", "district": "SOU"}  # not changed


def test_notebooks_run_on_a_registered_engine_and_papermill_is_left_as_it_is():
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import papermill_engines

    from foundation_eval.reporting import render

    before = PapermillNotebookClient.execute
    name = render._engine()
    assert name == render._ENGINE and papermill_engines.get_engine(name).__name__ == "LentKernelEngine"
    assert PapermillNotebookClient.execute is before
    assert papermill_engines.get_engine(None).__name__ == "NBClientEngine"  # papermill's default is untouched


def test_export_has_no_second_workbook_writer():
    from foundation_eval.reporting import export

    assert not hasattr(export, "write_workbook")
