"""Command line: ``foundation-eval synth | validate | prepare | render | dictionary``.

Exit codes: 0 success, 1 a report failed to render, 2 invalid input or usage.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from foundation_eval import __version__
from foundation_eval.config import DEFAULT_PROGRAMME, ConfigError, list_programmes

__all__ = ["main"]


def _scenarios(text: str) -> tuple[str, ...]:
    """``--scenario`` value: comma-separated scenario names, checked and expanded."""
    from foundation_eval.data.synth import expand_scenarios

    try:
        return expand_scenarios(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    from foundation_eval.data.synth import SCENARIOS

    p = argparse.ArgumentParser(
        prog="foundation-eval",
        description="Evaluation and analytics for domestic-abuse perpetrator programmes.",
    )
    p.add_argument("--version", action="version", version=f"foundation-eval {__version__}")
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    sub = p.add_subparsers(dest="command", required=True)
    progs = ", ".join(list_programmes())

    width = max(map(len, SCENARIOS))
    s = sub.add_parser("synth", help="generate a synthetic programme with known truth",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="scenarios (--scenario NAME[,NAME...]):\n" + "\n".join(
                           f"  {name:<{width}}  {text}" for name, text in SCENARIOS.items()))
    s.add_argument("--out", required=True, help="folder to write the CSV tables and truth.json into")
    s.add_argument("--seed", type=int, default=20210101, help="random seed (same seed, identical files)")
    s.add_argument("--programme", default=DEFAULT_PROGRAMME, help=f"programme id or TOML file (shipped: {progs})")
    s.add_argument("--scale", type=float, default=1.0, help="multiply the number of people (e.g. 0.2 for a small force)")
    s.add_argument("--scenario", type=_scenarios, default=None, metavar="NAME[,NAME...]",
                   help="switch on named scenarios (listed below), alone or combined; default: the programme's "
                        "[synthetic] scenarios, else none")

    v = sub.add_parser("validate", help="check an extract folder against the data contract")
    v.add_argument("folder", help="folder with one file per table")
    v.add_argument("--programme", default=DEFAULT_PROGRAMME, help=f"programme id or TOML file (shipped: {progs})")

    pr = sub.add_parser("prepare", help="turn a force's own exports into a pseudonymised, validated extract")
    pr.add_argument("--mapping", help="mapping file (TOML) from the exports to the data contract")
    pr.add_argument("--source", help="folder holding the exports named in the mapping")
    pr.add_argument("--out", help="extract folder to write (with --template: the mapping file to write)")
    pr.add_argument("--programme", default=None, help=f"programme id or TOML file (default: the mapping's, else "
                    f"{DEFAULT_PROGRAMME}; shipped: {progs})")
    pr.add_argument("--key-file", default=None, help="file holding the pseudonymisation key (default: as the mapping "
                    "says, else the environment variable FOUNDATION_EVAL_KEY)")
    pr.add_argument("--key-env", default=None, help="environment variable holding the key")
    pr.add_argument("--replace", action="store_true", help="replace an existing extract folder")
    pr.add_argument("--template", action="store_true", help="write a commented mapping file for the programme to "
                    "fill in (to --out, or standard output)")
    pr.add_argument("--new-key", metavar="FILE", default=None, help="write a new random key to FILE (readable by "
                    "you only) and stop; the key is not shown")

    r = sub.add_parser("render", help="render the reports (the synthetic force when no --data is given)")
    r.add_argument("--data", default=None, help="extract folder (default: generate the synthetic force)")
    r.add_argument("--out", default=None, help="output folder, replaced when the render completes (default: "
                   "reports/demo for the default programme, reports/<programme id> for another)")
    r.add_argument("--programme", default=DEFAULT_PROGRAMME, help=f"programme id or TOML file (shipped: {progs})")
    r.add_argument("--jobs", type=int, default=None, help="parallel reports (default: all cores)")
    r.add_argument("--seed", type=int, default=20210101, help="seed of the synthetic force when no --data")
    r.add_argument("--district", action="append", help="render only this district (repeatable)")
    pdf = r.add_mutually_exclusive_group()
    pdf.add_argument("--pdf", dest="pdf", action="store_true", default=None,
                     help="require the PDF copies: fail, writing nothing, if no browser can print them "
                          "(default: print them when headless Chromium or Chrome is found, else warn once)")
    pdf.add_argument("--no-pdf", dest="pdf", action="store_false", help="skip the PDF copies")
    r.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the report jobs on this Dask distributed scheduler (e.g. tcp://10.0.0.5:8786; "
                        "needs the dask extra, and workers that see the data and the output's parent folder)")
    r.add_argument("--screenshots", action="store_true", help="save a PNG of each page in OUT/screenshots for review")
    r.add_argument("--audit", choices=("fail", "record", "off"), default="fail",
                   help="the disclosure audit of every page, recorded in render.json: 'fail' (default) leaves out "
                        "a page whose audit fails, 'record' writes it anyway, 'off' skips the audit")

    d = sub.add_parser("dictionary", help="print the data dictionary (Markdown) generated from the schemas")
    d.add_argument("--out", default=None, help="write to this file instead of standard output")
    d.add_argument("--programme", default=None,
                   help=f"the contract as this programme uses it (its criteria, risk-tool items, pathways and extra "
                        f"columns); default: the shared schema files (shipped: {progs})")
    return p


def _synth(args) -> int:
    from foundation_eval.data.synth import generate, write

    result = generate(args.programme, seed=args.seed, scenarios=args.scenario, scale=args.scale)
    out = write(result, args.out)
    c = result.truth["counts"]
    names = result.params.scenarios
    print(f"wrote {len(result.tables)} tables and truth.json to {out} "
          f"({c['people']:,} people, {c['listed_people']:,} listed"
          f"{'; scenarios: ' + ', '.join(names) if names else ''})")
    return 0


def _validate(args) -> int:
    from foundation_eval.data.load import ValidationError, load_dataset

    try:
        ds = load_dataset(args.folder, args.programme)
    except ValidationError as exc:
        print(exc.report(), file=sys.stderr)
        return 2
    for w in ds.warnings:
        print(f"warning: {w}")
    rows = ", ".join(f"{k} {len(v):,}" for k, v in ds.tables.items())
    print(f"{args.folder}: valid ({rows})")
    return 0


def _prepare(args) -> int:
    from foundation_eval.data.prepare import PrepareError, mapping_template, prepare

    if args.new_key:
        import os

        from foundation_eval.data.pseudonym import new_key

        path = Path(args.new_key)
        if path.exists():
            print(f"foundation-eval: {path} exists; a key is never overwritten", file=sys.stderr)
            return 2
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(new_key() + "\n")
        print(f"wrote a new key to {path}; keep it with the force (not with the extract) and use it every month")
        return 0
    if args.template:
        text = mapping_template(args.programme or DEFAULT_PROGRAMME)
        if args.out:
            if Path(args.out).exists():
                print(f"foundation-eval: {args.out} exists; a mapping file is never overwritten", file=sys.stderr)
                return 2
            Path(args.out).write_text(text, encoding="utf-8")
            print(f"wrote a mapping template to {args.out}")
        else:
            print(text, end="")
        return 0
    missing = [o for o, v in (("--mapping", args.mapping), ("--source", args.source), ("--out", args.out)) if not v]
    if missing:
        print(f"foundation-eval prepare: {', '.join(missing)} required (or --template, --new-key)", file=sys.stderr)
        return 2
    try:
        done = prepare(args.mapping, args.source, args.out, args.programme, key_file=args.key_file,
                       key_env=args.key_env, replace=args.replace)
    except PrepareError as exc:
        print(exc.report(), file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return 2
    print(done.summary())
    return 0


def _render(args) -> int:
    from foundation_eval.data.load import ValidationError
    from foundation_eval.reporting.export import BrowserError
    from foundation_eval.reporting.render import render

    out = args.out
    if out is None:
        from foundation_eval.config import load_programme

        pid = load_programme(args.programme).id
        out = "reports/demo" if pid == DEFAULT_PROGRAMME else f"reports/{pid}"
    try:
        summary = render(args.data, out, args.programme, args.jobs, args.seed, args.district, pdf=args.pdf,
                         screenshots=args.screenshots, scheduler=args.scheduler, audit=args.audit)
    except ValidationError as exc:
        print(exc.report(), file=sys.stderr)
        print("nothing was rendered", file=sys.stderr)
        return 2
    except BrowserError as exc:
        print(f"foundation-eval: {exc}", file=sys.stderr)
        return 1
    for w in summary.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"rendered {len(summary.succeeded)} report(s) into {summary.out} in {summary.seconds:.0f} s; "
          f"open {summary.out / 'index.html'}")
    for name, err in summary.failed.items():
        print(f"FAILED {name}: {err.splitlines()[-1] if err else ''}", file=sys.stderr)
    return 0 if summary.ok else 1


def _dictionary(args) -> int:
    from foundation_eval.schemas import data_dictionary, programme_schemas

    if args.programme:
        from foundation_eval.config import load_programme

        text = data_dictionary(programme_schemas(load_programme(args.programme)))
    else:
        text = data_dictionary()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``foundation-eval`` command line and return its exit code.

    The commands: ``synth`` (write a synthetic programme with known truth), ``validate`` (check an
    extract folder against the data contract), ``prepare`` (turn a force's own exports into a
    pseudonymised, validated extract), ``render`` (render the reports) and ``dictionary`` (print the
    data dictionary); ``foundation-eval COMMAND --help`` lists each one's options. Invalid input is
    reported on standard error as the file, column, rule and example rows, without a traceback
    (``--debug`` shows it).

    Parameters
    ----------
    argv : list of str or None
        The arguments after the program name, e.g. ``["validate", "extract/"]``; ``None`` reads
        ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit code: 0 success, 1 a report failed to render (or an unexpected error), 2 invalid
        input, configuration or usage, 130 interrupted.

    Raises
    ------
    SystemExit
        From the argument parser: code 0 after ``--help`` or ``--version``, code 2 for unknown
        commands or options (with a usage message on standard error).

    Examples
    --------
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     try:
    ...         main(["--help"])
    ...     except SystemExit as exc:
    ...         code = exc.code
    >>> code, out.getvalue().startswith("usage: foundation-eval"), "dictionary" in out.getvalue()
    (0, True, True)

    Write a tiny synthetic force into a temporary folder, then validate it:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     main(["synth", "--out", tmp, "--seed", "1", "--scale", "0.02"])
    ...     main(["validate", tmp])
    wrote 9 tables and truth.json to ... (... people, ... listed)
    0
    /...: valid (districts ..., people ..., screening ..., ppit_assessments ..., ...)
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    handlers = {"synth": _synth, "validate": _validate, "prepare": _prepare, "render": _render,
                "dictionary": _dictionary}
    try:
        return handlers[args.command](args)
    except (ConfigError, KeyError, FileNotFoundError) as exc:
        if args.debug:
            raise
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"foundation-eval: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing was moved into place", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001
        if args.debug:
            raise
        print(f"foundation-eval: unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
