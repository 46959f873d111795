"""Answers to "why here?" and "why not there?": force a pair (or ban the current one), re-solve, compare.

``explain(run, project, park)`` reloads the run's scenario (refusing if any input changed since the
run), then solves a variant: with ``park`` the project is locked there; without it, the project's
current park is forbidden (or, for an unplaced project, the project is made mandatory). It reports
the change of objective and headline KPIs, the projects that moved, and the capacities that bind in
the parks concerned, in plain words (中文 and English).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from layers import InputError, Problem
from optimize import SolverError, SolverOptions, pair_indices, solve
from optimize.diagnose import amount, diagnose

from .check import (
    COUNT,
    DAMAGED,
    MAPPING,
    NUMBER,
    NUMBER_OR_NULL,
    STEPS_OR_NULL,
    TEXT,
    RunKey,
    lookup_key,
    read_manifest,
    read_plan,
    read_run_json,
)
from .eligibility import RESOURCES, SCORE_TERMS, assess, rule_counts
from .plan import build_problem
from .region import load_region
from .scenario import load_scenario

# what explain reads from a run's manifest.json
EXPLAINED_MANIFEST = (
    RunKey("scenario_file", *TEXT),
    RunKey("inputs", "a mapping of file: sha256",
           lambda v: isinstance(v, dict) and all(isinstance(h, str) for h in v.values())),
    RunKey("solution", *MAPPING),
    RunKey("solution.solver", "cbc or highs", lambda v: v in ("cbc", "highs")),
    RunKey("solution.time_limit", *NUMBER_OR_NULL), RunKey("solution.gap_limit", *NUMBER),
    RunKey("solution.steps", *STEPS_OR_NULL, required=False),
    RunKey("solution.threads", *COUNT),
)


@dataclass(frozen=True)
class Explanation:
    lines: list[str]
    objective_before: float
    objective_after: float | None


def _run_objective(run: Path, problem, plan: dict[str, str]) -> float:
    """The objective of the run's plan; a plan that is not the one the run found (assignments.csv edited:
    a row deleted, a project moved) is a damaged run folder, not a question to answer (exit code 2)."""
    path = run / "assignments.csv"
    try:
        pairs = pair_indices(problem, plan)
    except SolverError as exc:
        raise InputError([Problem(str(path), "", "park_id", str(exc), DAMAGED)]) from None
    objective = problem.objective_of(pairs)
    reported = lookup_key(read_run_json(run / "summary.json", (RunKey("solution.objective", *NUMBER_OR_NULL),)),
                          "solution.objective")
    if reported is None or abs(float(reported) - objective) > 1e-6 * max(1.0, abs(objective)) + 0.01:
        raise InputError([Problem(str(path), "", "", f"its plan scores {objective:,.1f}, but summary.json says the "
                                  f"run's plan scored {reported}", DAMAGED)])
    return objective


def explain(run: Path, project: str, park: str | None = None, *, time_limit: float | None = None,
            steps: int | None = None) -> Explanation:
    """Force ``project`` into ``park`` (or out of its current park) and explain the consequences.

    The re-solve has the run's budget: its time limit, or its steps for a reproducible run; ``time_limit`` or
    ``steps`` replaces it."""
    run = Path(run)
    manifest = read_manifest(run, EXPLAINED_MANIFEST)
    region = load_region(load_scenario(manifest["scenario_file"]))
    changed = sorted(f for f, digest in manifest["inputs"].items() if region.inputs.get(f) != digest)
    if changed:
        raise InputError([Problem(f, "", "", "changed since the run was made", "re-run the scenario first, then ask "
                                  "again") for f in changed])
    if project not in set(region.projects["project_id"]):
        raise InputError([Problem(str(run), "", "--project", f"no project {project!r} in this run", "check the ID")])
    if park is not None and park not in set(region.parks["park_id"]):
        raise InputError([Problem(str(run), "", "--park", f"no park {park!r} in this run", "check the ID")])

    eligibility = assess(region)
    problem = build_problem(region, eligibility)
    plan = read_plan(run)
    base_objective = _run_objective(run, problem, plan)
    current = plan.get(project)
    name = region.projects.set_index("project_id").at[project, "name"]
    lines = [f"project {project} ({name}): now {'in ' + current if current else 'not placed'} · 当前"
             f"{'位于 ' + current if current else '未落地'}"]

    if park is not None:
        removed = eligibility.removed[(eligibility.removed["project_id"] == project)
                                      & (eligibility.removed["park_id"] == park)]
        if len(removed):
            lines.append(f"{project} cannot go to {park} at all (不符合入园条件):")
            lines += [f"  - {r.rule}: {r.reason}" for r in removed.itertuples(index=False)]
            return Explanation(lines, base_objective, None)
        if park == current:
            lines.append(f"{project} is already in {park} (已位于 {park}); ask with another --park, or without --park to "
                         "ban it there")
            return Explanation(lines, base_objective, base_objective)
    else:
        if current is None and not any(problem.items[i] == project for i in problem.pair_item):
            lines.append(f"{project} has no eligible park (无符合条件的园区); see unplaced.csv for the rules that removed "
                         "each park")
            return Explanation(lines, base_objective, None)

    variant = _variant(problem, project, park, current)
    i = variant.items.index(project)
    if park is None and current is not None and variant.mandatory[i] and not (variant.pair_item == i).any():
        reasons = eligibility.reasons_for(project)
        others = reasons[reasons["park_id"] != current]
        fixed = others.loc[others["rule"] == "fixed", "reason"]
        lines.append(f"{project} must be placed and no park but {current} may take it, so it cannot be banned there "
                     f"(只能位于 {current}): the other parks are ruled out ({rule_counts(others)})"
                     + (f" — {fixed.iat[0]}" if len(fixed) else ""))
        return Explanation(lines, base_objective, None)
    if steps is None and time_limit is None:
        steps = manifest["solution"].get("steps")
    elif steps is not None and (manifest["solution"]["solver"] != "highs" or manifest["solution"]["threads"] != 1):
        raise InputError([Problem(str(run), "", "--steps", f"a reproducible re-solve needs a run made with highs on one "
                                  f"thread; this one used {manifest['solution']['solver']} on "
                                  f"{manifest['solution']['threads']}", "use --time-limit instead")])
    options = SolverOptions(solver=manifest["solution"]["solver"],
                            time_limit=time_limit or manifest["solution"]["time_limit"],
                            gap=manifest["solution"]["gap_limit"], threads=manifest["solution"]["threads"], steps=steps)
    # a tiny bonus for every pair of the run's plan: among equally good answers, prefer the one that moves
    # the fewest other projects, so the report shows the effect of the question, not a reshuffle
    in_plan = np.array([plan.get(variant.items[i]) == variant.bins[b]
                        for i, b in zip(variant.pair_item.tolist(), variant.pair_bin.tolist(), strict=True)])
    scale = max(1.0, float(np.abs(variant.pair_score).max(initial=0.0)))  # (the variant may have no pair left)
    steady = replace(variant, pair_score=variant.pair_score + in_plan * 1e-6 * scale)
    start, start_park, evicted = _repaired_start(steady, plan, project, park)
    found = solve(steady, options, start=start)
    result = replace(found, objective=variant.objective_of(found.chosen_pairs) if found.has_plan else None)
    what = (f"forcing {project} into {park} (强制落地 {park})" if park else
            f"banning {project} from {current} (禁止落地 {current})" if current else
            f"forcing {project} to be placed (强制落地)")
    if start is None:
        where = f"park {park}" if park else "any one park"
        binding = _still_binding(variant, plan, project, park) if park else []
        why = (f"with every project that may move evicted from it, still: {'; '.join(binding)}" if binding else
               "a limit across parks binds, e.g. max_parks_per_chain, a county cap or a benefit floor")
        lines.append(f"simplest change 最小调整: none by evicting projects from {where} alone ({why}); the re-solve "
                     "starts afresh")
    else:
        simplest = variant.objective_of(start)
        move = f"{project} into {start_park}" if start_park else f"{project} left out"
        out = (", evicting " + ", ".join(f"{e} (from {plan[e]})" for e in evicted)) if evicted else ", nothing else moved"
        lines.append(f"simplest change 最小调整: {move}{out}: objective {base_objective:,.1f} → {simplest:,.1f} "
                     f"({simplest - base_objective:+,.1f})")
    if not result.has_plan:
        alone = _too_large(variant, project, park, region) if park else []
        if alone:
            lines.append(f"{what}: no feasible plan (无可行方案) — {project} alone does not fit in {park}: "
                         + "; ".join(alone))
        else:
            lines.append(f"{what}: no feasible plan — the committed projects and this choice cannot all fit (无可行方案)")
            lines += [f"  - {line}" for line in diagnose(variant, options).lines(items="committed or forced projects")]
        return Explanation(lines, base_objective, None)
    after = dict(result.assignment)
    delta = result.objective - base_objective
    lines.append(f"{what}: objective {base_objective:,.1f} → {result.objective:,.1f} ({delta:+,.1f}; "
                 f"{'proven' if result.status.value == 'optimal' else 'not proven optimal, gap ' + _pct(result.gap)})")
    slack = (result.bound - result.objective) if result.bound is not None and result.status.value != "optimal" else 0.0
    lines.append(f"目标值变化 {delta:+,.1f}" + ("（新方案不更差）" if delta >= 0 else "（原方案更优）" if -delta >= slack
                                          else "（原方案得分更高，但差额小于未证明的间隙，不能断定）"))
    if delta < 0 and -delta < slack:
        lines.append(f"note: the difference ({-delta:,.1f}) is smaller than what the re-solve leaves unproven "
                     f"({slack:,.1f}): a longer solve could narrow it · 差额小于未证明的间隙，仅供参考")
    if delta > 1e-6 * max(1.0, abs(base_objective)):
        budget = ("its steps; re-run with more --steps" if manifest["solution"].get("steps") is not None
                  else "the time limit; re-run with a longer --time-limit")
        lines.append(f"note: the variant scores higher, so the run's plan was not optimal (it stopped at {budget}) · "
                     "原方案未达最优，可延长求解时间")
    lines += _kpi_changes(region, plan, after)
    lines.append(f"  {project}: {current or 'not placed'} → {after.get(project) or 'not placed'}")
    moved = sorted(p for p in set(plan) | set(after) if plan.get(p) != after.get(p) and p != project)
    for p in moved[:15]:
        lines.append(f"  - {p}: {plan.get(p) or 'not placed'} → {after.get(p) or 'not placed'}")
    if len(moved) > 15:
        lines.append(f"  … and {len(moved) - 15} more projects moved (另有 {len(moved) - 15} 个项目调整)")
    target = park or after.get(project)
    lines += _scores_side_by_side(eligibility, project, current, target)
    for p, role in ((target, f"{project} goes here in the variant · 新方案所在园区"),
                    (current, f"{project}'s park in the run · 原方案所在园区")):
        if p:
            lines.append(f"park {p} ({role}), in the variant's plan · 新方案中:")
            lines += _binding(problem, variant, result.chosen_pairs, p, region)
    return Explanation(lines, base_objective, result.objective)


def _scores_side_by_side(eligibility, project: str, current: str | None, other: str | None) -> list[str]:
    """The project's score and its terms in its run's park and in the other park, and where each ranks among
    the project's eligible parks: the plainest answer to "why here?" (the rest is what the parks have room
    for)."""
    pairs = eligibility.pairs[eligibility.pairs["project_id"] == project].set_index("park_id")
    parks = [p for p in dict.fromkeys((current, other)) if p is not None and p in pairs.index]
    if not parks:
        return []
    order = pairs["score"].sort_values(ascending=False, kind="stable")
    rank = {p: int((order > pairs.at[p, "score"] + 1e-9).sum()) + 1 for p in parks}
    label = {p: f"{p}{' (run)' if p == current else ''}" for p in parks}
    width = max(12, *(len(label[p]) + 2 for p in parks))
    best = [str(p) for p in order.index[order >= order.iat[0] - 1e-9]]
    out = [f"score 得分 of {project} (objective points a year: the scenario's weights × output, tax, jobs, plus "
           f"bonuses; supplier links come on top): eligible in {len(pairs)} park{'s' if len(pairs) > 1 else ''}, "
           f"best {order.iat[0]:,.1f} in "
           + ", ".join(best[:4]) + (f" and {len(best) - 4} more" if len(best) > 4 else ""),
           f"  {'':16}" + "".join(f"{label[p]:>{width}}" for p in parks)]
    for term in (*SCORE_TERMS, "score"):
        values = [float(pairs.at[p, term]) for p in parks]
        if term != "score" and not any(values):
            continue
        out.append(f"  {term:16}" + "".join(f"{v:>{width},.1f}" for v in values))
    out.append(f"  {'rank 排名':14}" + "".join(f"{f'{rank[p]} of {len(pairs)}':>{width}}" for p in parks))
    return out


def _variant(problem, project: str, park: str | None, current: str | None):
    """The problem with the project locked to ``park``, or banned from ``current``, or made mandatory."""
    i = problem.items.index(project)
    keep = np.ones(problem.n_pairs, dtype=bool)
    mine = problem.pair_item == i
    if park is not None:
        keep &= ~mine | (problem.pair_bin == problem.bins.index(park))
    elif current is not None:
        keep &= ~(mine & (problem.pair_bin == problem.bins.index(current)))
    mandatory = problem.mandatory.copy()
    if park is not None or current is None:
        mandatory[i] = True
    index = np.flatnonzero(keep)
    position = {int(k): n for n, k in enumerate(index)}
    classes = problem.classes and replace(problem.classes, pair_class=problem.classes.pair_class[index])
    side = [replace(r, pairs=np.array([position[int(k)] for k in r.pairs if int(k) in position], dtype=np.int64),
                    coef=r.coef[[int(k) in position for k in r.pairs]]) for r in problem.side_rows]
    return replace(problem, pair_item=problem.pair_item[index], pair_bin=problem.pair_bin[index],
                   pair_score=problem.pair_score[index], pair_use={r: u[index] for r, u in problem.pair_use.items()},
                   mandatory=mandatory, classes=classes, side_rows=tuple(side))


def _still_binding(variant, plan: dict[str, str], project: str, park: str) -> list[str]:
    """What the run's plan breaks with ``project`` forced into ``park`` and every optional project evicted from
    that park (its committed and locked ones stay): the limits no eviction can free."""
    lookup = variant.pair_of()
    if (project, park) not in lookup:
        return []
    must = dict(zip(variant.items, variant.mandatory.tolist(), strict=True))
    others = [(p, b) for p, b in plan.items() if p != project and (p, b) in lookup]
    staying = sorted(p for p, b in others if b == park and must[p])
    kept = [lookup[(p, b)] for p, b in others if b != park or must[p]]
    found = variant.violations([*kept, lookup[(project, park)]])[:3]
    return found + ([f"{park} keeps {', '.join(staying)}, which must stay"] if staying and found else [])


def _repaired_start(variant, plan: dict[str, str], project: str, park: str | None
                    ) -> tuple[list[int] | None, str | None, list[str]]:
    """The run's plan made feasible for the variant by changing one park only: the project moved into ``park``
    (or, when it must be placed and no park is given, into whichever of its eligible parks gives the best plan)
    or dropped, and the fewest-cost evictions from that park (:func:`_evict`).

    Returns the plan (``None`` when no repair within the park fits), the project's park in it and the evicted
    projects. Starting from it, the solver and the neighbourhood search look for the best plan *near* the
    run's one, so the comparison shows the effect of the change rather than solver noise; and the repair
    itself is the simplest answer to "what would it take?".
    """
    keep = {p: b for p, b in plan.items() if p != project}
    lookup = variant.pair_of()
    base = [lookup[(p, b)] for p, b in keep.items() if (p, b) in lookup]
    i = variant.items.index(project)
    if park is not None:
        targets = [park]
    elif variant.mandatory[i]:  # placed somewhere: try every park it may go to
        targets = [variant.bins[b] for b in sorted(set(variant.pair_bin[variant.pair_item == i].tolist()))]
    else:
        return (None if variant.violations(base) else sorted(base)), None, []
    best: tuple[float, list[int], str, list[str]] | None = None
    for target_park in targets:
        found = _evict(variant, base, lookup[(project, target_park)])
        if found is not None and (best is None or found[0] > best[0] + 1e-9):
            best = (found[0], found[1], target_park, found[2])
    if best is None:
        return None, None, []
    return best[1], best[2], best[3]


# evictions tried exhaustively up to this many projects (when the park holds at most EXHAUSTIVE_POOL of them)
EXHAUSTIVE_EVICTIONS = 3
EXHAUSTIVE_POOL = 20


def _evict(variant, base: list[int], pair: int) -> tuple[float, list[int], list[str]] | None:
    """The best plan from ``base`` with ``pair`` added and projects evicted from its park only: every set of up to
    ``EXHAUSTIVE_EVICTIONS`` of the park's optional projects, and the greedy one (lowest scorers out until it fits,
    then those that fit again back, best first). Returns (objective, plan, evicted project IDs) or ``None``."""
    target = int(variant.pair_bin[pair])
    project = int(variant.pair_item[pair])
    chosen = [*base, pair]
    pool = sorted((k for k in base if variant.pair_bin[k] == target and not variant.mandatory[variant.pair_item[k]]
                   and variant.pair_item[k] != project), key=lambda k: (variant.pair_score[k], k))
    candidates: list[list[int]] = [[]]
    largest = EXHAUSTIVE_EVICTIONS if len(pool) <= EXHAUSTIVE_POOL else 2
    for size in range(1, min(largest, len(pool)) + 1):
        candidates += [list(c) for c in itertools.combinations(pool, size)]
    greedy, rest = [], list(chosen)
    for k in pool:  # the greedy repair, for parks where more than a few must go
        if not variant.violations(rest):
            break
        rest.remove(k)
        greedy.append(k)
    if not variant.violations(rest):
        for k in sorted(greedy, key=lambda k: (-variant.pair_score[k], k)):
            if not variant.violations([*rest, k]):
                rest.append(k)
        candidates.append([k for k in greedy if k not in rest])
    best: tuple[float, list[int], list[str]] | None = None
    for out in candidates:
        gone = set(out)
        plan = [k for k in chosen if k not in gone]
        if variant.violations(plan):
            continue
        value = variant.objective_of(plan)
        if best is None or value > best[0] + 1e-9:
            best = (value, sorted(plan), [variant.items[variant.pair_item[k]] for k in out])
    return best


def _too_large(variant, project: str, park: str, region) -> list[str]:
    """The capacities that ``project`` in ``park`` overflows on its own, in plain words: a county cap (the
    eligibility rules check each park's own quotas for a project alone, not the caps across parks)."""
    pair = variant.pair_of().get((project, park))
    if pair is None:
        return []
    b = variant.bins.index(park)
    county = region.parks.set_index("park_id").at[park, "county"]
    out = []
    for row in variant.capacities:
        use = float(variant.pair_use[row.resource][pair]) if b in row.bins else 0.0
        if use <= row.capacity + 1e-6 * max(1.0, abs(row.capacity)):
            continue
        unit = RESOURCES[row.resource][2] if row.resource in RESOURCES else ""
        whose = (f"county {county}'s {row.resource} cap (counties.csv, model.county_caps)"
                 if row.name == f"{row.resource}[{county}]" else row.label or row.name)
        out.append(f"{project} needs {amount(use)} {unit} of {row.resource}, more than {whose}: "
                   f"{amount(row.capacity)} {unit}")
    return out


def _kpi_changes(region, before: dict[str, str], after: dict[str, str]) -> list[str]:
    projects = region.projects.set_index("project_id")
    out = []
    for column, label in (("output", "output 产值 (万元/yr)"), ("tax", "tax 税收 (万元/yr)"), ("land_ha", "land 用地 (ha)")):
        b = float(projects.loc[list(before), column].sum()) if before else 0.0
        a = float(projects.loc[list(after), column].sum()) if after else 0.0
        out.append(f"  {label}: {b:,.1f} → {a:,.1f} ({a - b:+,.1f})")
    out.append(f"  placed 落地项目: {len(before)} → {len(after)}")
    return out


def _binding(problem, variant, chosen, park: str, region) -> list[str]:
    """The capacities of ``park`` that are full in the new plan, in plain words."""
    b = variant.bins.index(park)
    out = []
    for row in variant.capacities:
        if row.bins != (b,):
            continue
        used = sum(variant.pair_use[row.resource][k] for k in chosen if variant.pair_bin[k] == b)
        unit = RESOURCES[row.resource][2] if row.resource in RESOURCES else ""
        zh = {"land": "用地", "energy": "能耗", "emission": "排放"}.get(row.resource, row.resource)
        if used >= 0.995 * row.capacity:
            out.append(f"binding 约束: park {park} {row.resource} is full ({amount(used)} of {amount(row.capacity)} {unit}) "
                       f"— 园区{park}的{zh}指标已用尽")
        else:
            out.append(f"  park {park} {row.resource}: {amount(used)} of {amount(row.capacity)} {unit} used · {zh}")
    if variant.classes is not None and variant.classes.per_bin_limit is not None:
        open_here = {c for c, bb in variant.opened(chosen) if bb == b}
        if len(open_here) >= variant.classes.per_bin_limit[b]:
            out.append(f"binding 约束: park {park} hosts its maximum of {int(variant.classes.per_bin_limit[b])} chains "
                       f"({', '.join(sorted(variant.classes.names[c] for c in open_here))}) — 专而精上限")
    return out


def _pct(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.2%}"
