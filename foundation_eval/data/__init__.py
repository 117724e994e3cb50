"""Loading and validating an extract, preparing one from a force's exports, and the synthetic force.

The data layer sits above `config` and `schemas` and below the analysis frames:

- [`load`][foundation_eval.data.load]: read an extract folder (CSV, Parquet or Excel, one file per
  table), check it against the data contract and the programme, and return a read-only
  [`Dataset`][foundation_eval.data.load.Dataset]; every broken rule is reported at once in a
  [`ValidationError`][foundation_eval.data.load.ValidationError].
- [`prepare`][foundation_eval.data.prepare]: turn a force's own exports into such an extract, guided by
  a mapping file, replacing identifiers by keyed pseudonyms.
- [`pseudonym`][foundation_eval.data.pseudonym]: the keyed pseudonyms (HMAC-SHA256) and their key.
- [`synth`][foundation_eval.data.synth]: a synthetic force with known true effects, the demo and the
  yardstick of every estimator; its named scenarios are in [`scenarios`][foundation_eval.data.scenarios]
  and the computation of its true values in [`truth`][foundation_eval.data.truth].

This package re-exports the names of `load`.

Examples
--------
>>> import tempfile
>>> from foundation_eval.data import load_dataset, validate_folder
>>> from foundation_eval.data.synth import generate, write
>>> with tempfile.TemporaryDirectory() as tmp:
...     folder = write(generate("hiow", seed=1, scale=0.02, truth_replicates=2), tmp)
...     problems = validate_folder(folder, "hiow")
...     ds = load_dataset(folder, "hiow")
>>> problems, len(ds.people)
([], 175)
"""
from foundation_eval.data.load import (
    Dataset,
    Failure,
    ValidationError,
    load_dataset,
    validate_folder,
    write_tables,
)

__all__ = ["Dataset", "Failure", "ValidationError", "load_dataset", "validate_folder", "write_tables"]
