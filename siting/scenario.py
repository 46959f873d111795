"""Scenario files: which region and tables, weights, switches, overrides and solver settings.

A scenario is a YAML file. It may ``extends:`` another scenario (a path relative to itself); the
child's keys win, mappings are merged key by key, and paths are resolved relative to the file that
names them. See the README for every key.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pyproj import CRS
from pyproj.exceptions import CRSError

from layers import Problems

DEFAULT_WEIGHTS = {
    "output": 0.1,  # score per 万元 of annual output
    "tax": 1.0,  # score per 万元 of annual tax
    "jobs": 0.0,  # score per job
    "leading_chain": 0.15,  # share of a project's value added when its chain leads the park
    "hub_access": 0.05,  # share added for a project that needs a hub, scaled by how close the hub is
    "belt": 0.05,  # share added when the park lies on a belt whose themes include the project's chain
    "affinity": 0.1,  # score per 万元 of annual supplier-link value whose two ends are sited near each other
    "chain_open": 0.0,  # score cost of each (chain, park) the plan opens
}
DEFAULTS: dict[str, Any] = {
    "name": None,
    "title": "",
    "description": "",
    "region": ".",
    "layers": {"parks": None, "hubs": None, "corridors": None, "exclusions": None, "roads": None, "rasters": {}},
    "tables": {"projects": None, "links": None, "pair_adjustments": None, "counties": None},
    "chains": {},
    "crs": {"work": "auto", "output": "EPSG:4490"},
    "travel": {"circuity": 1.3, "speed_kmh": 60.0, "speeds_kmh": {}, "access_speed_kmh": 30.0, "snap_warn_m": 2000.0},
    "weights": dict(DEFAULT_WEIGHTS),
    "eligibility": {"hub_access": True, "standard_land": True},
    "model": {"links": True, "max_chains": True, "max_parks_per_chain": None, "county_caps": True},
    "benefit_sharing": {"host_share": 0.5, "floor": None},
    "overrides": {},
    "locks": [],
    "forbids": [],
    "solver": {"name": "cbc", "time_limit": 60.0, "gap": 1e-4, "threads": 1, "steps": None},
}
PATH_KEYS = {("layers", "parks"), ("layers", "hubs"), ("layers", "corridors"), ("layers", "exclusions"), ("layers", "roads"),
             ("tables", "projects"), ("tables", "links"), ("tables", "pair_adjustments"), ("tables", "counties")}
REQUIRED_PATHS = (("layers", "parks"), ("layers", "hubs"), ("tables", "projects"))


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario: settings merged over the defaults, every path absolute."""

    path: Path
    name: str
    settings: Mapping[str, Any]
    files: tuple[Path, ...] = field(default=())  # the scenario file and every file it extends
    origins: Mapping[str, Path] = field(default_factory=dict)  # key → the file that wrote it (blame_files)

    def __getitem__(self, key: str) -> Any:
        return self.settings[key]

    def layer_path(self, group: str, key: str) -> Path | None:
        value = self.settings[group].get(key)
        return Path(value) if value else None

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for f in self.files:
            digest.update(f.read_bytes())
        return digest.hexdigest()


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (``extends:``) and check a scenario file.

    Raises
    ------
    layers.InputError
        With every problem found: missing files, unknown keys, wrong types.
    """
    problems = Problems()
    scenario = read_scenario(path, problems)
    problems.raise_if_any()
    assert scenario is not None  # no problem means the file was read
    return scenario


def read_scenario(path: str | Path, problems: Problems) -> Scenario | None:
    """Read, merge (``extends:``) and check a scenario file, adding every problem found to ``problems``.

    Returns
    -------
    Scenario or None
        ``None`` when the file (or one it extends) could not be read as a scenario at all. Otherwise the
        scenario, even with problems in its values, so that the inputs it names can be checked in the same
        run; each problem names the key (``field``) it is about, e.g. ``crs.work`` or ``weights.tax``.
    """
    path = Path(path).resolve()
    before = len(problems.items)
    origins: dict[str, Path] = {}
    merged, files = _load_chain(path, problems, seen=(), origins=origins)
    if len(problems.items) > before:
        return None
    settings = _merge(copy.deepcopy(DEFAULTS), merged)
    checked = _check(settings, path, problems)
    blame_files(problems, path, origins, since=before)
    if not checked:
        return None  # a section that should be a mapping is not one: its values were never checked
    name = str(settings["name"] or path.stem)
    settings["name"] = name
    return Scenario(path=path, name=name, settings=settings, files=tuple(files), origins=origins)


def blame_files(problems: Problems, path: Path, origins: Mapping[str, Path], since: int = 0) -> None:
    """Problems reported against the scenario file ``path`` about a key that a file it extends wrote name that file
    instead (``origins``: key → file, e.g. ``weights.tax``; a longer key falls back to its section)."""
    for n in range(since, len(problems.items)):
        p = problems.items[n]
        if p.source != str(path):
            continue
        key = p.field if p.field in origins or "." in p.field else p.where.partition(" ")[0]  # "locks entry 2": locks
        while key and key not in origins:
            key = key.rpartition(".")[0]
        if key and origins[key] != path:
            problems.items[n] = replace(p, source=str(origins[key]))


def _load_chain(path: Path, problems: Problems, seen: tuple[Path, ...], origins: dict[str, Path]
                ) -> tuple[dict, list[Path]]:
    """The file's settings merged over those of the files it extends; ``origins`` gets, for each key (and each
    key of a section, e.g. ``solver.steps``), the file that wrote it last (a file over the one it extends)."""
    if path in seen:
        problems.add(str(path), "", "extends", "scenarios extend each other in a cycle: "
                     + " → ".join(p.name for p in (*seen, path)), "remove one of the 'extends' keys")
        return {}, []
    if path.is_dir():
        problems.add(str(path), "", "", "is a folder, not a scenario file", "give the path of the scenario's .yaml file")
        return {}, []
    if not path.is_file():
        problems.add(str(path), "", "", "scenario file not found", "check the path")
        return {}, []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        problems.add(str(path), "", "", "is not UTF-8 text",
                     "save it as UTF-8 (in Notepad: Save as… → Encoding UTF-8), or convert it from GBK")
        return {}, []
    except OSError as exc:  # e.g. no permission to read it
        problems.unreadable(path, exc)
        return {}, []
    if not text.strip():
        problems.add(str(path), "", "", "the scenario file is empty", "write the scenario's keys (see the README)")
        return {}, []
    loader = None
    try:
        loader = _StrictLoader(text)  # (its reader refuses control characters at once)
        data = loader.get_single_data() or {}
    except yaml.YAMLError as exc:
        problems.add(str(path), "", "", f"not valid YAML: {exc}", _yaml_fix(text, exc))
        return {}, []
    finally:
        if loader is not None:
            loader.dispose()
    if loader.duplicates:  # every key written twice, not only the first
        for key, mark in loader.duplicates:
            problems.add(str(path), f"line {mark.line + 1}", str(key), f"key {key!r} appears twice in one mapping "
                         "(YAML would keep the last silently)", "keep one of them")
        return {}, []
    if not isinstance(data, dict):
        problems.add(str(path), "", "", "a scenario must be a mapping of keys to values", "see the README")
        return {}, []
    if "overrides" in data:
        data["overrides"] = _signs_kept(data["overrides"])
    _resolve_paths(data, path.parent)
    files = [path]
    parent = data.pop("extends", None)
    own = [*(str(k) for k in data), *(f"{k}.{sub}" for k, v in data.items() if isinstance(v, dict) for sub in v)]
    if parent is not None and not isinstance(parent, str):
        problems.add(str(path), "", "extends", f"expected the path of one scenario file, got {parent!r}",
                     "e.g. extends: baseline.yaml")
    elif parent:
        target = (path.parent / parent).resolve()
        if not target.is_file() and not target.is_dir():
            problems.add(str(path), "", "extends", f"the scenario it extends, {target}, was not found",
                         "check the path (relative to this file)")
            return data, files
        base, base_files = _load_chain(target, problems, (*seen, path), origins)
        data = _merge(base, data)
        files += base_files
    origins.update(dict.fromkeys(own, path))  # after the files it extends: its own keys win
    return data, files


def _yaml_fix(text: str, exc: yaml.YAMLError) -> str:
    """What to do about a YAML error, for the usual causes: tabs, a full-width colon, a control character."""
    if "\t" in text and "'\\t'" in str(exc):
        return "indent with spaces, not tabs"
    if isinstance(exc, yaml.reader.ReaderError):
        return ("remove the control character; a file of NUL characters is not text, and one in UTF-16 must be "
                "saved as UTF-8 (in Notepad: Save as… → Encoding UTF-8)")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    near = text.splitlines()[max(0, mark.line - 1): mark.line + 1] if mark is not None else []
    if any("：" in line for line in near):  # (the error is reported at the line after a 'key：value')
        return "fix the YAML syntax: a key and its value are separated by an ASCII colon and a space ('key: value'), not '：'"
    return "fix the YAML syntax"


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that notes every key written twice in one mapping (PyYAML would keep the last silently) in
    ``duplicates``, and reads numbers as YAML 1.2 does: ``010`` is ten (YAML 1.1: eight) and ``5:00`` is text
    (YAML 1.1: 300)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[object, yaml.Mark]] = []


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9][0-9_]*|0x[0-9a-fA-F]+|0o[0-7]+)$"), list("-+0123456789"))
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), list("-+0123456789."))


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            loader.duplicates.append((key, key_node.start_mark))
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


class _PlusInt(int):
    """A number written with a '+' sign, which YAML drops (``+200`` is 200): an override needs it ("add 200")."""

    text = ""


class _PlusFloat(float):
    text = ""


def _signed(kind: type, construct: Callable[[yaml.SafeLoader, yaml.ScalarNode], object]):
    def constructor(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> object:
        value = construct(loader, node)
        if not str(node.value).strip().startswith("+") or not isinstance(value, int | float):
            return value
        signed = kind(value)
        signed.text = str(node.value).strip()
        return signed
    return constructor


def _yaml12_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """An integer as YAML 1.2 reads it: decimal (a leading 0 changes nothing), 0x hexadecimal, 0o octal."""
    text = str(loader.construct_scalar(node)).replace("_", "")
    sign, digits = (-1 if text.startswith("-") else 1), text.lstrip("+-")
    base = 16 if digits.startswith("0x") else 8 if digits.startswith("0o") else 10
    return sign * int(digits[2:] if base != 10 else digits, base)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _signed(_PlusInt, _yaml12_int))
_StrictLoader.add_constructor("tag:yaml.org,2002:float", _signed(_PlusFloat, yaml.SafeLoader.construct_yaml_float))


def _signs_kept(overrides: object) -> object:
    """Overrides with a number written as ``+N`` read as the text ``"+N"`` (add N), as if it had been quoted."""
    if not isinstance(overrides, dict):
        return overrides
    return {key: value.text if isinstance(value, _PlusInt | _PlusFloat) else value for key, value in overrides.items()}


def _resolve_paths(data: dict, folder: Path) -> None:
    """Make every path in ``data`` absolute, relative to ``folder`` (the file's own folder)."""
    region = folder / str(data["region"]) if data.get("region") else None
    if region is not None:
        data["region"] = str(region.resolve())
    base = region or folder
    for group, key in PATH_KEYS:
        section = data.get(group)
        if isinstance(section, dict) and section.get(key):
            section[key] = str((base / str(section[key])).resolve())
    rasters = (data.get("layers") or {}).get("rasters") if isinstance(data.get("layers"), dict) else None
    if isinstance(rasters, dict):
        for name, value in list(rasters.items()):
            entry = dict(value) if isinstance(value, dict) else {"file": value}
            if entry.get("file"):
                entry["file"] = str((base / str(entry["file"])).resolve())
            rasters[name] = {"suitable_below": None, "weight": 0.0, **entry}


def _merge(base: dict, child: Mapping) -> dict:
    out = dict(base)
    for key, value in child.items():
        if key == "solver" and isinstance(value, Mapping) and isinstance(out.get(key), dict) \
                and "time_limit" in value and "steps" not in value:
            # a file that sets a time limit and no steps asks for a timed solve: an inherited steps would
            # silently win over it (the nearest file's budget counts)
            out[key] = _merge({k: v for k, v in out[key].items() if k != "steps"}, value)
        elif isinstance(value, Mapping) and isinstance(out.get(key), dict) and key != "overrides":
            out[key] = _merge(out[key], value)
        elif isinstance(value, Mapping) and key == "overrides":
            out[key] = {**(out.get(key) or {}), **value}
        else:
            out[key] = value
    return out


def _whole(value: object) -> bool:
    """A whole number ≥ 1 (not ``true``, which YAML reads as 1)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _check(settings: dict, path: Path, problems: Problems) -> bool:
    """Add every problem of the merged settings to ``problems``; ``False`` when a section that should be a
    mapping is not one (the other sections are still checked, as if that one had its defaults)."""
    src = str(path)
    for key in settings:
        if key not in DEFAULTS:
            problems.add(src, "", key, "unknown key", f"use one of: {', '.join(sorted(DEFAULTS))}")
    shape_ok = True
    for group in ("layers", "tables", "crs", "travel", "weights", "eligibility", "model", "benefit_sharing", "solver"):
        section = settings[group]
        if not isinstance(section, dict):
            problems.add(src, "", group, "expected a mapping", f"write '{group}:' followed by indented keys")
            shape_ok = False
            settings = {**settings, group: copy.deepcopy(DEFAULTS[group])}  # a local view: the rest is still checked
            continue
        for key in section:
            if key not in DEFAULTS[group]:
                problems.add(src, "", f"{group}.{key}", "unknown key",
                             f"use one of: {', '.join(sorted(DEFAULTS[group]))}")
    for key in ("overrides", "chains"):
        if not isinstance(settings[key], dict):
            problems.add(src, "", key, "expected a mapping", f"write '{key}:' followed by indented keys")
            shape_ok = False
            settings = {**settings, key: copy.deepcopy(DEFAULTS[key])}
    for key in ("name", "title", "description", "region"):
        if settings[key] is not None and not isinstance(settings[key], (str, int, float)):
            problems.add(src, "", key, f"expected text, got {settings[key]!r}", "write plain text")
    for group in ("eligibility", "model"):
        for key, value in settings[group].items():
            if key in DEFAULTS[group] and isinstance(DEFAULTS[group][key], bool) and not isinstance(value, bool):
                problems.add(src, "", f"{group}.{key}", f"expected true or false, got {value!r}",
                             "write true or false without quotes")
    for key in ("work", "output"):
        value = settings["crs"].get(key)
        if value in (None, "auto") and key == "work":
            continue
        try:
            CRS.from_user_input(value)
        except CRSError as exc:
            problems.add(src, "", f"crs.{key}", f"not a coordinate reference system: {value!r} ({exc})",
                         "use an EPSG code such as EPSG:4547 (work) or EPSG:4490 (output)")
    threads = settings["solver"].get("threads")
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        problems.add(src, "", "solver.threads", f"expected a whole number ≥ 1, got {threads!r}", "e.g. threads: 1")
    for group, key in REQUIRED_PATHS:
        if not settings["layers" if group == "layers" else "tables"].get(key):
            problems.add(src, "", f"{group}.{key}", "required input is not named", f"add '{group}: {{{key}: FILE}}'")
    for group, key in sorted(PATH_KEYS):
        value = settings[group].get(key) if isinstance(settings[group], dict) else None
        if value and not Path(value).exists():
            slash = "\\" in str(value) and Path(str(value).replace("\\", "/")).exists()
            problems.add(value, "", "", f"file named by {group}.{key} in the scenario does not exist",
                         f"write '/' instead of '\\' in the path in {path.name}" if slash else
                         f"check the path in {path.name} (relative to the region folder)")
    rasters = settings["layers"].get("rasters") or {}
    if not isinstance(rasters, dict):
        problems.add(src, "", "layers.rasters", "expected a mapping of name: file.tif", "e.g. rasters: {slope: slope.tif}")
    else:
        for name, entry in rasters.items():
            unknown = sorted(set(entry) - {"file", "suitable_below", "weight"})
            if unknown or not entry.get("file"):
                problems.add(src, "", f"layers.rasters.{name}", f"expected a file or {{file, suitable_below, weight}}, "
                             f"got {entry!r}", "e.g. slope: {file: slope.tif, suitable_below: 8, weight: 0.05}")
            elif not Path(entry["file"]).exists():
                problems.add(entry["file"], "", "", f"raster '{name}' named in the scenario does not exist",
                             "check the path")
            for key in ("suitable_below", "weight"):
                value = entry.get(key)
                if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
                    problems.add(src, "", f"layers.rasters.{name}.{key}", f"expected a number, got {value!r}",
                                 "write a plain number")
            if entry.get("weight") and entry.get("suitable_below") is None:
                problems.add(src, "", f"layers.rasters.{name}.weight", "a weight needs suitable_below (the weight "
                             "multiplies the share of the park below it)", "add suitable_below, e.g. 8 (degrees)")
    for group in ("travel", "weights"):
        for key, value in (settings[group] or {}).items() if isinstance(settings[group], dict) else ():
            if (group, key) == ("travel", "speeds_kmh"):
                if not isinstance(value, dict) or not all(isinstance(v, (int, float)) and v > 0 for v in value.values()):
                    problems.add(src, "", "travel.speeds_kmh", f"expected highway class: km/h (> 0), got {value!r}",
                                 "e.g. speeds_kmh: {motorway: 100, primary: 60}")
                continue
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                problems.add(src, "", f"{group}.{key}", f"expected a number ≥ 0, got {value!r}", "write a plain number")
    travel = settings["travel"]
    if isinstance(travel, dict) and isinstance(travel.get("speed_kmh"), (int, float)) and travel["speed_kmh"] <= 0:
        problems.add(src, "", "travel.speed_kmh", "must be positive", "e.g. speed_kmh: 60")
    sharing = settings["benefit_sharing"]
    if isinstance(sharing, dict):
        for key in ("host_share", "floor"):
            value = sharing.get(key)
            if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1):
                problems.add(src, "", f"benefit_sharing.{key}", f"expected a share between 0 and 1, got {value!r}",
                             f"e.g. {key}: {0.6 if key == 'host_share' else 0.3}")
    model = settings["model"]
    if isinstance(model, dict):
        cap = model.get("max_parks_per_chain")
        if cap is not None and not _whole(cap) and not (isinstance(cap, dict) and all(_whole(v) for v in cap.values())):
            problems.add(src, "", "model.max_parks_per_chain", f"expected a whole number ≥ 1 or a mapping chain: "
                         f"number, got {cap!r}", "e.g. max_parks_per_chain: {nev: 3}; null (or leave it out) for no limit")
    solver = settings["solver"]
    if isinstance(solver, dict):
        if solver.get("name") not in ("cbc", "highs"):
            problems.add(src, "", "solver.name", f"unknown solver {solver.get('name')!r}", "use cbc or highs")
        limit = solver.get("time_limit")
        if limit is not None and (not isinstance(limit, (int, float)) or isinstance(limit, bool) or limit <= 0):
            problems.add(src, "", "solver.time_limit", "expected positive seconds", "e.g. time_limit: 60")
        gap = solver.get("gap")
        if not isinstance(gap, (int, float)) or isinstance(gap, bool) or not 0 <= gap < 1:
            problems.add(src, "", "solver.gap", "expected a relative gap in [0, 1)", "e.g. gap: 0.0001")
        steps = solver.get("steps")
        if steps is not None:
            if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
                problems.add(src, "", "solver.steps", f"expected a whole number of search steps ≥ 0, got {steps!r}",
                             "e.g. steps: 200, or leave it out to solve within time_limit")
            # the solver and threads it needs are checked with the command line's overrides (run.solver_options)
    for key in ("locks", "forbids"):
        entries = settings[key]
        if not isinstance(entries, list):
            problems.add(src, "", key, "expected a list of {project: ID, park: ID}", f"e.g. {key}: [{{project: X001, park: P03}}]")
            continue
        seen: dict[str, object] = {}
        for n, entry in enumerate(entries, 1):
            if not (isinstance(entry, dict) and set(entry) == {"project", "park"}):
                problems.add(src, f"{key} entry {n}", key, f"expected {{project: ID, park: ID}}, got {entry!r}",
                             "name exactly one project and one park")
                continue
            if key == "locks" and entry["project"] in seen:
                problems.add(src, f"locks entry {n}", "locks", f"project {entry['project']} is locked twice "
                             f"({seen[entry['project']]} and {entry['park']})", "keep one lock per project")
            seen[entry["project"]] = entry["park"]
    return shape_ok
