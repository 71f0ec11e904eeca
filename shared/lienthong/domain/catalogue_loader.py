"""Read catalogue YAML files, and report every problem with its file and line.

Hand-written files are block YAML. Generated files are written as JSON, which is YAML too,
and read with the json module: building Python objects from YAML nodes costs about 3 ms per
procedure, too slow for a 1,800-procedure city catalogue at service start. Only a file that
has problems is composed again into YAML nodes, whose marks turn a path such as
`procedures[3].workflow.steps[1].after[0]` into a line number.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.abc import Traversable
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from lienthong.domain.catalogue import Catalogue, catalogue_issues
from lienthong.domain.errors import CatalogueError, Issue, PathItem
from lienthong.domain.procedure import Procedure
from lienthong.domain.procedure_checks import procedure_issues

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

FORMAT_VERSION = 1
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class SourceFile:
    """One catalogue file and the procedures read from it."""

    name: str
    text: str
    procedures: list[Procedure] = field(default_factory=list)
    entry_index: list[int] = field(default_factory=list)  # index under `procedures:`
    issues: list[Issue] = field(default_factory=list)
    failed_codes: set[str] = field(default_factory=set)  # codes of entries that failed


@dataclass(frozen=True)
class CatalogueReport:
    """The outcome of checking a catalogue directory: a catalogue, or the issues."""

    catalogue: Catalogue | None
    issues: tuple[Issue, ...]
    files: int
    versions: int

    @property
    def ok(self) -> bool:
        return not self.issues


def shipped_catalogue_dir() -> Traversable:
    """The catalogue shipped in the `lienthong` package."""
    return files("lienthong").joinpath("data", "catalogue")


@functools.cache
def default_catalogue(directory: Path | None = None) -> Catalogue:
    """The catalogue in `directory` (the `catalogue_dir` setting, a city's own catalogue),
    else the shipped one; loaded once per process."""
    return load_catalogue(directory if directory is not None else shipped_catalogue_dir())


def load_catalogue(source: Path | Traversable) -> Catalogue:
    """Load and validate every `*.yaml` file under `source`; raise `CatalogueError` if any issue."""
    report = check_catalogue(source)
    if report.catalogue is None:
        raise CatalogueError(report.issues)
    return report.catalogue


def check_catalogue(source: Path | Traversable) -> CatalogueReport:
    """Validate a directory of catalogue files; never raises on bad data."""
    sources = [_read(name, item) for name, item in catalogue_files(source)]
    issues = [issue for src in sources for issue in src.issues]
    everything = [(src, i) for src in sources for i in range(len(src.procedures))]
    procedures = [src.procedures[i] for src, i in everything]
    failed = {code for src in sources for code in src.failed_codes}
    for position, issue in catalogue_issues(procedures, failed):
        src, i = everything[position]
        issues.append(_locate(src, issue.under("procedures", src.entry_index[i])))
    issues.sort(key=lambda it: (it.file or "", it.line or 0))
    catalogue = Catalogue(procedures) if not issues else None
    return CatalogueReport(catalogue, tuple(issues), len(sources), len(procedures))


def catalogue_files(source: Path | Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    """YAML files under `source`, recursively, sorted by their relative name."""
    found: list[tuple[str, Traversable]] = []
    for item in sorted(source.iterdir(), key=lambda entry: entry.name):
        name = f"{prefix}{item.name}"
        if item.is_dir():
            found += catalogue_files(item, f"{name}/")
        elif item.name.endswith(YAML_SUFFIXES):
            found.append((name, item))
    return found


def _read(name: str, item: Traversable) -> SourceFile:
    src = SourceFile(name=name, text=item.read_text(encoding="utf-8"))
    try:
        data = parse_yaml(src.text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        src.issues.append(Issue(f"YAML syntax error: {exc}", (), name, line))
        return src
    entries = _entries(src, data)
    for index, entry in enumerate(entries):
        _validate_entry(src, index, entry)
    return src


def parse_yaml(text: str) -> Any:
    """YAML text to data, through the json module when the text is plain JSON."""
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass  # YAML flow style that is not strict JSON: let the YAML parser read it
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader


def _entries(src: SourceFile, data: Any) -> list[Any]:
    if not isinstance(data, dict) or not isinstance(data.get("procedures"), list):
        src.issues.append(_locate(src, Issue("a catalogue file is a mapping with `procedures:`")))
        return []
    extra = sorted(set(data) - {"format", "procedures"})
    for key in extra:
        src.issues.append(_locate(src, Issue(f"unknown top-level key {key!r}", (key,))))
    if data.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        message = f"unsupported format {data.get('format')!r} (expected {FORMAT_VERSION})"
        src.issues.append(_locate(src, Issue(message, ("format",))))
    return list(data["procedures"])


def _validate_entry(src: SourceFile, index: int, entry: Any) -> None:
    prefix: tuple[PathItem, ...] = ("procedures", index)
    if isinstance(entry, dict):
        aliases = entry.get("aliases")
        codes = [entry.get("code"), *(aliases if isinstance(aliases, list) else [])]
        src.failed_codes |= {str(code) for code in codes if code}
    try:
        procedure = Procedure.model_validate(entry, context={"defer_checks": True})
    except ValidationError as exc:
        for error in exc.errors():
            path = (*prefix, *(item for item in error["loc"] if isinstance(item, str | int)))
            message = error["msg"].removeprefix("Value error, ")
            src.issues.append(_locate(src, Issue(message, path)))
        return
    problems = procedure_issues(procedure)
    for problem in problems:
        src.issues.append(_locate(src, problem.under(*prefix)))
    if not problems:
        src.procedures.append(procedure)
        src.entry_index.append(index)
        src.failed_codes -= {procedure.code, *procedure.aliases}


def _locate(src: SourceFile, issue: Issue) -> Issue:
    return issue.located(src.name, line_of(src.text, issue.path))


@functools.lru_cache(maxsize=64)
def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=SafeLoader)
    except yaml.YAMLError:
        return None


def line_of(text: str, path: Sequence[PathItem]) -> int | None:
    """1-based line of the deepest node of `path` that exists in the YAML text."""
    node = _compose(text)
    if node is None:
        return None
    mark = node.start_mark
    for item in path:
        if isinstance(node, yaml.MappingNode):
            match = next((pair for pair in node.value if pair[0].value == str(item)), None)
            if match is None:
                break
            mark, node = match[0].start_mark, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(item, int):
            if not 0 <= item < len(node.value):
                break
            node = node.value[item]
            mark = node.start_mark
        else:
            break
    return int(mark.line) + 1


def procedure_to_data(procedure: Procedure) -> dict[str, Any]:
    """Plain data for YAML: defaults and empty optional fields left out."""
    data: dict[str, Any] = procedure.model_dump(
        mode="json", exclude_none=True, exclude_defaults=True
    )
    return data


FileStyle = Literal["json", "block"]


def dump_catalogue_file(procedures: Iterable[Procedure], style: FileStyle = "block") -> str:
    """A catalogue file: block YAML for people, or JSON (valid YAML) for fast loading."""
    document = {"format": FORMAT_VERSION, "procedures": [procedure_to_data(p) for p in procedures]}
    if style == "json":
        return json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    text: str = yaml.dump(document, Dumper=SafeDumper, allow_unicode=True, sort_keys=False)
    return text


def write_catalogue(
    directory: Path,
    procedures: Sequence[Procedure],
    per_file: int = 100,
    style: FileStyle = "json",
) -> list[Path]:
    """Write procedures into `catalogue-0001.yaml`, … with `per_file` versions per file."""
    if per_file < 1:
        raise ValueError("per_file must be at least 1")
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for start in range(0, len(procedures), per_file):
        path = directory / f"catalogue-{start // per_file + 1:04d}.yaml"
        chunk = procedures[start : start + per_file]
        path.write_text(dump_catalogue_file(chunk, style), encoding="utf-8")
        written.append(path)
    return written
