"""Command line: ``siting validate | run | demo | check | explain | compare``. Thin: parse, call, report.

Exit codes: 0 done; 1 refused (e.g. the output folder exists, a check found violations, the solver
failed); 2 bad input or usage; 3 the committed projects cannot all be placed (with a diagnosis); 130 / 143
/ 129 stopped by Ctrl-C / SIGTERM / SIGHUP.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

EXIT_OK, EXIT_REFUSED, EXIT_INPUT, EXIT_INFEASIBLE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C


def _steps(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of steps, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {text!r}")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _gap(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a relative gap such as 0.001, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a relative gap in [0, 1), got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    common.add_argument("-q", "--quiet", action="store_true", help="only problems (and a run's folder)")
    solve = argparse.ArgumentParser(add_help=False)
    solve.add_argument("--out", type=Path, help="run folder to create (must not exist); default: a new folder "
                       "under --runs-dir")
    solve.add_argument("--runs-dir", type=Path, default=Path("outputs"), help="where new run folders go")
    solve.add_argument("--solver", choices=("cbc", "highs"), help="MILP solver (default: the scenario's, else cbc)")
    budget = solve.add_mutually_exclusive_group()
    budget.add_argument("--time-limit", type=_positive, metavar="S", help="solver time limit in seconds")
    budget.add_argument("--steps", type=_steps, metavar="N", help="a reproducible solve (highs): N search steps "
                        "instead of a time limit, the same plan on any machine")
    solve.add_argument("--gap", type=_gap, metavar="G", help="relative MIP gap at which to stop, e.g. 0.001")
    solve.add_argument("--baseline", type=Path, metavar="RUN", help="start from this run's plan (what the "
                       "scenario still allows), so the plan changes where the scenario makes it")

    parser = argparse.ArgumentParser(prog="siting", description="Cluster siting optimizer: assign candidate "
                                     "projects to industrial parks under land, energy and emission quotas.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", parents=[common], help="load and check a scenario and its inputs")
    p.add_argument("scenario", type=Path)
    p = sub.add_parser("run", parents=[common, solve], help="optimize a scenario and write a new run folder")
    p.add_argument("scenario", type=Path)
    sub.add_parser("demo", parents=[common, solve], help="run the bundled demo scenario")
    p = sub.add_parser("check", parents=[common], help="re-verify every constraint of a run from its outputs")
    p.add_argument("run", type=Path)
    p = sub.add_parser("explain", parents=[common], help="why here? force a project into a park (or ban its "
                       "current park), re-solve, and report what changes and what binds")
    p.add_argument("run", type=Path)
    p.add_argument("--project", required=True, help="project ID")
    p.add_argument("--park", help="park to force the project into; without it, its current park is banned")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--time-limit", type=_positive, metavar="S", help="solver time limit (default: the run's)")
    budget.add_argument("--steps", type=_steps, metavar="N", help="search steps of a reproducible re-solve "
                        "(default: the run's)")
    p = sub.add_parser("compare", parents=[common], help="how a second run differs from a first: scenario "
                       "changes, KPIs, projects moved, left out or newly placed, parks")
    p.add_argument("first", type=Path, help="run folder, e.g. the baseline")
    p.add_argument("second", type=Path, help="run folder, e.g. the scenario")
    p.add_argument("--csv", type=Path, help="also write every project's park in both runs to this new CSV file")
    p.add_argument("--html", type=Path, help="also write the comparison as a page for reviewers to this new file")
    p.add_argument("--map", type=Path, help="also write a map of what moved, was left out or came in (offline "
                   "HTML) to this new file")
    return parser


def end_children(signum: int = signal.SIGTERM) -> list[int]:
    """Send ``signum`` to this process's child processes (Linux: read from /proc; elsewhere nothing); their ids."""
    ended = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])  # the name in brackets may hold spaces
            if parent == os.getpid():
                os.kill(int(stat.parent.name), signum)
                ended.append(int(stat.parent.name))
    return ended


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = logging.ERROR if args.quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")

    def stop(signum, _frame):  # SIGTERM: unwind like Ctrl-C, so a run's staging folder is removed
        end_children()  # CBC runs as a child that PuLP would leave running to its own time limit
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    if hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) == signal.SIG_DFL:
        signal.signal(signal.SIGHUP, stop)  # the terminal closed: unwind too (a nohup'd run keeps ignoring it)
    writes = args.command in ("run", "demo", "compare")
    interrupted = "interrupted: nothing was written" if writes else "interrupted"
    try:  # the imports take seconds: Ctrl-C during them is no traceback either
        import siting  # after parsing, so that --help is quick
        from optimize import SolverError
    except KeyboardInterrupt:
        print(interrupted, file=sys.stderr)
        return EXIT_INTERRUPTED

    try:
        if args.command == "validate":
            return _validate(args.scenario, quiet=args.quiet)
        if args.command == "check":
            return _check(args.run, quiet=args.quiet)
        if args.command == "compare":
            return _compare(args.first, args.second, args.csv, args.html, args.map)
        if args.command == "explain":
            from siting.explain import explain

            print("\n".join(explain(args.run, args.project, args.park, time_limit=args.time_limit,
                                     steps=args.steps).lines))
            return EXIT_OK
        scenario = siting.DEMO_SCENARIO if args.command == "demo" else args.scenario
        return _run(scenario, args)
    except siting.InputError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_INPUT
    except siting.Infeasible as exc:
        print(exc.heading, file=sys.stderr)
        for line in exc.lines():
            print(f"  - {line}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except FileExistsError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except SolverError as exc:
        print(f"solver failed: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:  # Ctrl-C: the run's staging folder is already removed
        print(interrupted, file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        sys.stderr.close()
        return EXIT_OK


def _validate(scenario: Path, *, quiet: bool = False) -> int:
    import siting

    region, eligibility = siting.prepare(scenario)
    if quiet:  # -q: only problems (the exit code says the rest)
        return EXIT_OK
    for line in region.summary_lines():
        print(line)
    print(f"pairs      {len(eligibility.pairs):,} eligible (project, park) pairs; "
          f"{eligibility.removed[['project_id', 'park_id']].drop_duplicates().shape[0]:,} removed by the rules")
    print("OK: the scenario and its inputs are valid")
    return EXIT_OK


def _run(scenario: Path, args: argparse.Namespace) -> int:
    import siting
    from siting.plan import BASELINE_NOTES

    result = siting.execute(scenario, out=args.out, runs_dir=args.runs_dir, solver=args.solver,
                            time_limit=args.time_limit, gap=args.gap, steps=args.steps, baseline=args.baseline)
    sol, k = result.summary["solution"], result.summary["kpis"]
    gap = f"{sol['gap']:.4%}" if sol["gap"] is not None else "unknown"
    print(f"run folder   {result.folder}")
    if args.quiet:  # -q: only problems, and where the run went
        return EXIT_OK
    print(f"map          {result.folder / 'map.html'}")
    print(f"report       {result.folder / 'report.html'}")
    print(f"shapefiles   {result.folder / 'shp'}")
    print(f"geopackage   {result.folder / 'results.gpkg'}")
    print(f"status       {sol['status']} ({sol['solver']}), objective {sol['objective']:,.1f}, bound "
          f"{sol['bound']:,.1f}, gap {gap}; greedy plan {sol['greedy_objective']:,.1f}" if sol["bound"] is not None
          else f"status       {sol['status']} ({sol['solver']}), objective {sol['objective']:,.1f}, gap {gap}")
    if sol.get("steps") is not None:
        print(f"budget       {sol['steps']} search steps: reproducible, the same plan on any machine")
    elif sol["status"] == "optimal":
        print("budget       proven within the gap: the same plan on any machine")
    elif sol.get("time_limit") is not None:
        print(f"budget       stopped by the {sol['time_limit']:g} s time limit: a faster or busier machine may give "
              "another plan; --steps N (or solver.steps) gives a reproducible one")
    for note in sol["notes"]:
        if note.startswith(BASELINE_NOTES):
            print(f"baseline     {note}")
        elif note.startswith("no shadow prices"):
            print(f"prices       {note}")
    print(f"placed       {k['placed_projects']} of {k['candidate_projects']} projects "
          f"({k['placed_committed']} committed)")
    print(f"investment   {k['investment']:,.0f} 万元; output {k['output']:,.0f} 万元/yr; tax {k['tax']:,.0f} 万元/yr; "
          f"jobs {k['jobs']:,.0f}")
    print(f"per 亩        output {k['output_per_mu']:,.1f} 万元, tax {k['tax_per_mu']:,.2f} 万元; land used "
          f"{k['land_used_ha']:,.0f} of a {k['land_free_ha']:,.0f} ha quota, {k['land_left_ha']:,.0f} ha left")
    rate = k["local_supply_rate"]
    print(f"local supply {rate:.1%} of link value between placed projects" if rate is not None else
          "local supply no link value between placed projects")
    print(f"time         {result.seconds:.1f} s")
    return EXIT_OK


def _compare(first: Path, second: Path, csv: Path | None, html: Path | None, map_: Path | None) -> int:
    from siting.compare import OUTPUTS, check_outputs, compare_map, compare_runs, write_outputs

    files = {option: path for option, path in (("--csv", csv), ("--html", html), ("--map", map_)) if path is not None}
    check_outputs(files)
    comparison = compare_runs(first, second)
    fmap = compare_map(first, second, comparison) if map_ is not None else None  # may find damage: before writing
    print("\n".join(comparison.lines))
    write_outputs(files, comparison, fmap)
    for option, path in files.items():
        print(f"{OUTPUTS[option]}: {path}")
    return EXIT_OK


def _check(run: Path, *, quiet: bool = False) -> int:
    import siting

    scope: list[str] = []
    violations = siting.check_run(run, scope)
    if violations:
        print(f"{len(violations)} violation(s) in {run}:")
        for v in violations:
            print(f"  - {v}")
        return EXIT_REFUSED
    if quiet:
        return EXIT_OK
    print(f"OK: every constraint holds in {run}")
    print("checked, from the output files alone:")
    for line in scope:
        print(f"  - {line}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
