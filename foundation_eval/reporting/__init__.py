"""Reports: what readers see, and the one gate every published number passes through.

The top layer of the library. It reads a render's snapshot
([`open_snapshot`][foundation_eval.evaluation.snapshot.open_snapshot]) and publishes it; it never
fits a model of its own (the headline estimates come from the snapshot, so every page and
`results.json` give one value).

| module | what it holds |
| --- | --- |
| `publication` | [`Page`][foundation_eval.reporting.publication.Page], the single gate: tables, figures, sentences and estimates under the disclosure [`Rule`][foundation_eval.reporting.disclosure.Rule] |
| `disclosure` | the disclosure [`Rule`][foundation_eval.reporting.disclosure.Rule] and every operation applying it: suppression of small counts ([`protect`][foundation_eval.reporting.disclosure.protect]), shown as `[c]`; shares and rates from published counts; the chart gate ([`curve_steps`][foundation_eval.reporting.disclosure.curve_steps]) |
| `audit` | the intruder audit of a page ([`audit`][foundation_eval.reporting.audit.audit]): what everything it publishes, taken together, gives away |
| `formats` | how every number reads (percent, points, ratio, rate, index, money) |
| `workbook` | the XLSX workbook of a report's published tables |
| `figures` | a matplotlib figure as a self-contained `<figure>` with alt text |
| `district_report`, `overview_report`, `evaluation_report`, `ppit_report`, `quality_report` | the content of each report, built on one `Page` |
| `evaluation_designs`, `evaluation_robustness`, `evaluation_appraisal` | the sections of the pilot-versus-rollout report by concept (the designs; robustness and the matched comparison; value for money, power and threats), which `EvaluationReport` is built on |
| `ppit_prediction`, `ppit_measurement` | the sections of the risk-tool validity report by concept (how well it predicts; how it measures), which `PpitValidityReport` is built on |
| `ppit_tables`, `ppit_text` | safe score bands and fixed text of the risk-tool validity report |
| `debris` | the check that a page carries no notebook debris (object reprs, code names outside the technical appendix, headings printed twice) |
| `render`, `export` | batch rendering of the notebooks; HTML pages, PDFs and workbooks |

Disclosure control follows the Government Statistical Service guidance (GSS/GSR, *Disclosure control
guidance for tables produced from administrative sources*, 2014): every published count is rounded
to base 5 and counts from 1 to 9 are withheld, with secondary suppression, by default (each
programme file sets its own threshold and base).
"""
