"""The analyser: reads a project's sources (or editor buffers), keeps parse trees per file, builds the model."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cnikit.analysis.construct import construct
from cnikit.analysis.integration import build_integration, is_integration_call, unwrap
from cnikit.analysis.module import ModuleInfo, build_module
from cnikit.analysis.parser import ParsedFile, parse, skip_reason
from cnikit.analysis.references import FileReferences, scan
from cnikit.analysis.resolver import MAX_VALUE_DEPTH, CachedValue, Resolver
from cnikit.model import (
    ConfigVarRef,
    FlowInvocation,
    JsCall,
    JsMember,
    JsObject,
    JsString,
    JsUnknown,
    ProjectModel,
    SourceNote,
    Span,
)

log = logging.getLogger(__name__)

SOURCE_SUFFIXES = (".ts", ".tsx")
# Tried in this order for `./name` (TypeScript's own order, then folder index files).
_IMPORT_SUFFIXES = (".ts", ".tsx", "/index.ts", "/index.tsx")
_SKIPPED_DIRS = {"node_modules", "dist", ".git", ".spectral"}

# How "no-entry" notes begin, so the CNI0xx checks can tell the cases apart.
NO_ENTRY_FILE = "No src/index.ts:"
NOT_AN_INTEGRATION = "No integration:"
UNRESOLVED_INTEGRATION = "Integration not resolved:"


@dataclass
class _Entry:
    """One file as last read: its content hash and everything derived from the content alone."""

    digest: bytes
    parsed: ParsedFile | None
    module: ModuleInfo | None
    references: FileReferences | None
    skipped: str | None  # why it was not parsed


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _start_span(path: Path) -> Span:
    return construct(Span, file=path, line=0, col=0, end_line=0, end_col=0)


class _Run:
    """One analysis: the files read so far, and the resolver's view of them (`Sources`)."""

    def __init__(self, analyzer: Analyzer, overlays: Mapping[Path, str]) -> None:
        self.analyzer = analyzer
        self.overlays = overlays
        self.entries: dict[Path, _Entry | None] = {}

    def entry(self, path: Path) -> _Entry | None:
        if path in self.entries:
            return self.entries[path]
        entry = self.analyzer._load(path, self.overlays)
        self.entries[path] = entry
        return entry

    def module(self, path: Path) -> tuple[ParsedFile, ModuleInfo] | None:
        entry = self.entry(path)
        if entry is None or entry.parsed is None or entry.module is None:
            return None
        return entry.parsed, entry.module

    def digest(self, path: Path) -> bytes | None:
        entry = self.entry(path)
        return entry.digest if entry is not None else None

    def exists(self, path: Path) -> bool:
        return path in self.overlays or path.is_file()

    def resolve(self, importer: Path, specifier: str) -> Path | None:
        cache_key = (importer.parent, specifier)
        cached = self.analyzer._resolved.get(cache_key)
        if cached is not None and self.exists(cached):
            return cached
        base = (importer.parent / specifier).resolve() if specifier.startswith(".") else Path(specifier)
        candidates: list[Path] = []
        if base.suffix in SOURCE_SUFFIXES:
            candidates.append(base)
        elif base.suffix in (".js", ".jsx", ".mjs", ".cjs"):
            # ESM-style `./flows.js` names the TypeScript file flows.ts.
            candidates.append(base.with_suffix(".ts"))
            candidates.append(base.with_suffix(".tsx"))
        candidates.extend(Path(str(base) + suffix) for suffix in _IMPORT_SUFFIXES)
        for candidate in candidates:
            if self.exists(candidate):
                self.analyzer._resolved[cache_key] = candidate
                return candidate
        return None

    def exists_any(self, importer: Path, specifier: str) -> bool:
        """True when the specifier names some file (a TypeScript file, or an asset such as `./docs.md`)."""
        if self.resolve(importer, specifier) is not None:
            return True
        base = (importer.parent / specifier).resolve()
        return base.exists() or any(Path(str(base) + ext).exists() for ext in (".js", ".json", ".d.ts"))


class Analyzer:
    """Analyses CNI projects, reusing per-file work (parse tree, symbols, references) across runs.

    Entries are keyed by path and reused while the file's content hash is unchanged, so re-analysing after one
    file changed re-parses that one file. One Analyzer may serve several projects.
    """

    def __init__(self) -> None:
        self._cache: dict[Path, _Entry] = {}
        self._resolved: dict[tuple[Path, str], Path] = {}
        self._values: dict[tuple[Path, str], CachedValue] = {}  # declaration values, reused while their files stay
        self._file_sets: dict[Path, frozenset[Path]] = {}  # per project root: the source files seen last time
        self.parse_count = 0  # files parsed so far (tests and benchmarks watch it)
        self._lock = threading.Lock()

    def _load(self, path: Path, overlays: Mapping[Path, str]) -> _Entry | None:
        overlay = overlays.get(path)
        if overlay is not None:
            data = overlay.encode("utf-8")
        else:
            try:
                data = path.read_bytes()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                return None
            except OSError as error:  # it exists but cannot be read (permissions …): say so rather than ignore it
                return _Entry(b"", None, None, None, f"cannot be read ({error.strerror or error}); not analysed")
        digest = _digest(data)
        cached = self._cache.get(path)
        if cached is not None and cached.digest == digest:
            return cached
        reason = skip_reason(data)
        if reason is not None:
            entry = _Entry(digest, None, None, None, reason)
        else:
            parsed = parse(path, data)
            self.parse_count += 1
            try:
                entry = _Entry(digest, parsed, build_module(parsed), scan(parsed), None)
            except Exception as error:  # a bug of ours must not cost the user the rest of the analysis
                log.exception("analysing %s failed", path)
                entry = _Entry(digest, None, None, None, f"could not be analysed (internal error: {error!r})")
        self._cache[path] = entry
        return entry

    def analyze(self, root: Path, overlays: Mapping[Path, str] | None = None) -> ProjectModel:
        """The model of the project at `root`; `overlays` maps paths to unsaved editor contents."""
        with self._lock:  # the caches are shared: one analysis at a time (the language server may use threads)
            return self._analyze(root.resolve(), overlays or {})

    def _analyze(self, root: Path, overlays: Mapping[Path, str]) -> ProjectModel:
        norm_overlays = {Path(p).resolve(): text for p, text in overlays.items()}
        run = _Run(self, norm_overlays)
        sources = frozenset({*_source_files(root / "src"), *(p for p in norm_overlays if _is_under(p, root / "src"))})
        if self._file_sets.get(root) != sources:
            # A file appeared or went away: imports may now resolve elsewhere, so resolved paths and values go.
            self._file_sets[root] = sources
            self._resolved.clear()
            self._values.clear()
        entry_path = root / "src" / "index.ts"
        model = construct(
            ProjectModel,
            root=root,
            entry=entry_path,
            integration=None,
            config_var_refs=[],
            flow_invocations=[],
            files=[],
            notes=[],
            overlays=norm_overlays,  # checks that read other files (payloads) read unsaved buffers first
        )
        resolver = Resolver(run, self._values)
        if run.entry(entry_path) is None:
            model.notes.append(
                construct(
                    SourceNote,
                    kind="no-entry",
                    message=(
                        f"{NO_ENTRY_FILE} a code-native integration's entry point is src/index.ts, which must "
                        "`export default integration({...})` (from @prismatic-io/spectral)."
                    ),
                    span=_start_span(entry_path),
                )
            )
        else:
            try:
                self._resolve_integration(run, resolver, entry_path, model)
            except Exception as error:  # a bug of ours must not cost the user the other findings
                log.exception("resolving the integration of %s failed", root)
                model.integration = None
                model.notes.append(
                    construct(
                        SourceNote,
                        kind="no-entry",
                        message=f"{UNRESOLVED_INTEGRATION} the analyser failed on this project (internal error: "
                        f"{error!r}); checks of flows and config pages are skipped. Please report it.",
                        span=_start_span(entry_path),
                    )
                )
        # Every source file under src/ is read (references live anywhere), plus files imports reached outside it.
        for path in sorted(sources):
            run.entry(path)
        for path, entry in sorted(run.entries.items()):
            if entry is None:
                continue
            model.files.append(path)
            self._notes(run, path, entry, model)
            if entry.references is not None:
                model.config_var_refs.extend(entry.references.config_vars)
                model.flow_invocations.extend(entry.references.flows)
                if entry.references.pending:
                    self._pending_names(resolver, entry, model)
        first_cut_offs: dict[Path, Span] = {}
        for span in resolver.cut_offs:  # one note per file: a wide value may be cut off at many places
            first_cut_offs.setdefault(span.file, span)
        for span in first_cut_offs.values():
            where = f"{_display(span.file, root)}:{span.line + 1}:{span.col + 1}"
            message = (
                f"{UNRESOLVED_INTEGRATION} a value is nested more than {MAX_VALUE_DEPTH} levels at {where}; not "
                "followed (what lies deeper is treated as unknown; the rest of the project is still checked)."
            )
            model.notes.append(construct(SourceNote, kind="no-entry", message=message, span=span))
        # Forget files of this project that are gone (deleted, or an editor buffer closed without saving).
        for path in [p for p in self._cache if _is_under(p, root) and run.entries.get(p) is None]:
            del self._cache[path]
        return model

    def _resolve_integration(self, run: _Run, resolver: Resolver, entry_path: Path, model: ProjectModel) -> None:
        loaded = run.module(entry_path)
        if loaded is None:
            return  # skipped: the note says why
        parsed, info = loaded
        binding = info.exports.get("default")
        if binding is None:
            model.notes.append(
                construct(
                    SourceNote,
                    kind="no-entry",
                    message=f"{NOT_AN_INTEGRATION} src/index.ts has no default export; expected "
                    "`export default integration({...})` (from @prismatic-io/spectral).",
                    span=_start_span(entry_path),
                )
            )
            return
        value = resolver.export_value(entry_path, "default")
        if not is_integration_call(value):
            where = value.span or (parsed.span(binding.node) if binding.node is not None else _start_span(entry_path))
            if isinstance(value, JsUnknown | JsCall | JsMember):
                why = f" ({value.reason})" if isinstance(value, JsUnknown) and value.reason else ""
                message = f"{UNRESOLVED_INTEGRATION} The default export of src/index.ts is not a call of spectral's "
                message += f"`integration(...)` that can be followed statically{why}; checks of flows and config "
                message += "pages are skipped."
            else:
                message = f"{NOT_AN_INTEGRATION} The default export of src/index.ts is {_article(value.kind)}; "
                message += "expected `export default integration({...})` (from @prismatic-io/spectral)."
            model.notes.append(construct(SourceNote, kind="no-entry", message=message, span=where))
            return
        obj = unwrap(value, "integration")
        if not isinstance(obj, JsObject):
            reason = obj.reason if isinstance(obj, JsUnknown) else "no object argument"
            model.notes.append(
                construct(
                    SourceNote,
                    kind="no-entry",
                    message=f"{UNRESOLVED_INTEGRATION} The argument of `integration(...)` could not be resolved "
                    f"({reason}); checks of flows and config pages are skipped.",
                    span=value.span or _start_span(entry_path),
                )
            )
            return
        model.integration = build_integration(obj, value.span, resolver.expand)

    def _pending_names(self, resolver: Resolver, entry: _Entry, model: ProjectModel) -> None:
        """Config variables and flows named through module-level constants, when those resolve to strings."""
        assert entry.parsed is not None and entry.module is not None and entry.references is not None
        for pending in entry.references.pending:
            value = resolver.evaluate(entry.parsed, entry.module, pending.node)
            if not isinstance(value, JsString):
                continue
            if pending.kind == "flow":
                model.flow_invocations.append(construct(FlowInvocation, name=value.value, span=pending.span))
            else:
                model.config_var_refs.append(construct(ConfigVarRef, name=value.value, span=pending.span, form="index"))

    def _notes(self, run: _Run, path: Path, entry: _Entry, model: ProjectModel) -> None:
        if entry.skipped is not None:
            model.notes.append(
                construct(SourceNote, kind="skipped", message=f"{path.name}: {entry.skipped}", span=_start_span(path))
            )
            return
        assert entry.parsed is not None and entry.module is not None
        for problem in entry.parsed.syntax_problems():
            model.notes.append(construct(SourceNote, kind="syntax-error", message=problem.message, span=problem.span))
        for node in entry.module.relative_specifiers:
            specifier = entry.parsed.text(node)[1:-1]
            if not run.exists_any(path, specifier):
                model.notes.append(
                    construct(
                        SourceNote,
                        kind="unresolved-import",
                        message=f'Cannot find "{specifier}" imported by {path.name}: no such file.',
                        span=entry.parsed.span(node),
                    )
                )


def _display(path: Path, root: Path) -> str:
    """`path` relative to the project root when it lies inside it."""
    return str(path.relative_to(root)) if _is_under(path, root) else str(path)


def _is_under(path: Path, folder: Path) -> bool:
    return path.is_relative_to(folder)


def _source_files(folder: Path) -> Iterator[Path]:
    """Every .ts/.tsx file below `folder` (declaration files and dependency folders excluded)."""
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in _SKIPPED_DIRS]
        for filename in filenames:
            if filename.endswith(SOURCE_SUFFIXES) and not filename.endswith(".d.ts"):
                yield Path(dirpath, filename)


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"
