# %% [markdown]
# # Walkthrough: siting the Henan demo projects
#
# A percent-format notebook (open it in Jupyter with jupytext, or run it as a script). It loads the bundled demo
# scenario, looks at why pairs are ruled out, solves, reads the KPIs, and compares a scenario with it. The test
# suite runs it.

# %%
import os
import tempfile
from pathlib import Path

import siting

scenario = siting.DEMO_SCENARIO
region, eligibility = siting.prepare(scenario)
print("\n".join(region.summary_lines()))

# %% [markdown]
# ## Why not? Every removed (project, park) pair has a rule and a reason

# %%
print(eligibility.removed.groupby("rule").size().sort_values(ascending=False))
example = eligibility.removed.iloc[0]
print(f"{example.project_id} cannot go to {example.park_id}: {example.reason}")

# %% [markdown]
# ## Solve, write a run folder, and check it independently

# %%
out = Path(os.environ.get("SITING_NOTEBOOK_OUT") or tempfile.mkdtemp()) / "walkthrough-run"
result = siting.execute(scenario, out=out, time_limit=float(os.environ.get("SITING_NOTEBOOK_TIME_LIMIT", 10)))
solution = result.summary["solution"]
print(f"{solution['status']}: objective {solution['objective']:,.0f}, bound {solution['bound']:,.0f}, "
      f"gap {solution['gap']:.2%}; greedy {solution['greedy_objective']:,.0f}")
assert siting.check_run(result.folder) == []

# %% [markdown]
# ## Headline KPIs

# %%
kpis = result.summary["kpis"]
for key in ("placed_projects", "output", "tax", "output_per_mu", "local_supply_rate", "structural_similarity_mean"):
    print(f"{key:28s} {kpis[key]}")

# %% [markdown]
# ## What if every park's energy quota drops 10 %?
#
# `energy-minus-10.yaml` extends the baseline with `energy_quota: x0.9`. Started from the baseline's plan
# (`baseline=`), the scenario's plan changes where the tighter quota makes it; `compare_runs` says how.

# %%
from siting.compare import compare_runs

tight = siting.execute(scenario.parent / "energy-minus-10.yaml", out=out.parent / "walkthrough-energy-minus-10",
                       time_limit=float(os.environ.get("SITING_NOTEBOOK_TIME_LIMIT", 10)), baseline=result.folder)
assert siting.check_run(tight.folder) == []
comparison = compare_runs(result.folder, tight.folder)
print("\n".join(comparison.lines[:24]))
print(comparison.projects["change"].value_counts())
assert tight.summary["kpis"]["energy_used_tce"] <= 0.9 * kpis["energy_quota_tce"] + 1e-6
