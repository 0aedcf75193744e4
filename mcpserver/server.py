"""The MCP server of one CNI project: tools that check, run and inspect it offline, and two resources.

Contract (what an assistant may rely on):

* **Tools**: `check`, `list_flows`, `list_payloads`, `create_payload`, `run_flow`, `list_executions`,
  `get_execution`, `replay_execution`, `get_state`, `set_state`, `explain_check`; and, only when logged in to
  Prismatic (stored or environment tokens: the server never asks for a password), the cloud tools `me`,
  `import_integration` and `test_in_prismatic` (as `cnikit me`, `import`, `test`). Each takes JSON arguments
  (the SDK derives the schema from the signature) and returns one JSON document.
* **Resources**: `cnikit://definition` (the built integration's flows, config pages, config variables and
  connections — names and types only, never values) and `cnikit://checks` (the checks catalogue, docs/checks.md).
* **Confinement**: every path a tool takes (a file to check, a payload file) must lie inside the project folder;
  payloads are otherwise named (a file of the flow's payload folder) or given inline (`body`).
* **Side effects** are declared with MCP tool annotations: only the `get`/`list`/`check`/`explain` tools are
  read-only; `set_state` overwrites stored state (destructive); `run_flow` and `replay_execution` record executions
  and, with `http="live"`, call the outside world (open-world).
* **Errors** are tool errors (`isError`) with one line that names the fix; the server never crashes on bad input.
  Secrets never leave: executions are the session's masked views, state levels hold what the flows stored.
* **Size**: a large value (a step output, a result, a response) is cut to `MAX_VALUE_CHARS` of JSON with a note
  saying how to read it whole (`get_execution` with `full=true`).

`build_server(root)` returns the server (tests drive it in-process through the SDK's `Client`); `cnikit mcp` runs it
over stdio. The session is opened lazily and kept warm: the first run builds, the next ones reuse the worker.
"""

from __future__ import annotations

import base64
import functools
import inspect
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import ValidationError

from emulator.session import Session, SessionError

if TYPE_CHECKING:
    from cnikit.analysis import Analyzer

MAX_VALUE_CHARS = 4000  # per value: an assistant reads results, it does not need a megabyte of step output
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
RUNS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)
CLOUD_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True)
CLOUD_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
OVERWRITES = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False)

F = TypeVar("F", bound=Callable[..., Any])


class Server(MCPServer):
    """The SDK's server, with arguments that fail the tool's schema reported on one line (the SDK prints pydantic's
    multi-line report)."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        """Call a tool; a schema violation becomes `invalid arguments for TOOL: field: problem; …`."""
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as error:
            if not isinstance(error.__cause__, ValidationError):
                raise
            problems = "; ".join(
                f"{'.'.join(str(part) for part in problem['loc']) or 'arguments'}: {problem['msg']}"
                for problem in error.__cause__.errors()
            )
            raise ToolError(f"invalid arguments for {name}: {problems}") from error.__cause__


class Refused(Exception):
    """Bad input from the assistant: its message is the one line the tool error says."""


def one_line(error: BaseException) -> str:
    """The one-line message of any error a tool may meet."""
    if isinstance(error, SessionError):
        text = error.message + ("; nothing was run or recorded" if error.refused else "")
    else:
        text = str(error).strip() or type(error).__name__
        from cnikit.platform.errors import PlatformError

        if not isinstance(error, Refused | ValueError | FileExistsError | PlatformError):  # else: say its kind
            text = f"{type(error).__name__}: {text}"
    return text.splitlines()[0] if text else type(error).__name__


def _tool_errors(function: F) -> F:
    """Every failure of a tool becomes a one-line tool error (never a crashed server, never a traceback)."""
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def awaited(*args: Any, **kwargs: Any) -> Any:
            try:
                return await function(*args, **kwargs)
            except Exception as error:
                raise ToolError(one_line(error)) from None

        return awaited  # type: ignore[return-value]

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception as error:
            raise ToolError(one_line(error)) from None

    return wrapper  # type: ignore[return-value]


def logged_in(root: Path) -> bool:
    """Whether tokens for the configured Prismatic stack exist (only stored tokens are looked at: no network)."""
    from cnikit.platform.auth import Session as PlatformSession
    from cnikit.settings import SettingsError, load_settings

    try:
        return PlatformSession(load_settings(root), None).is_logged_in()  # type: ignore[arg-type]
    except SettingsError:
        return False


def capped(value: Any, what: str) -> Any:
    """`value` when its JSON is short; else a preview and a note saying how to read it whole."""
    text = json.dumps(value, default=str)
    if len(text) <= MAX_VALUE_CHARS:
        return value
    return {
        "truncated": True,
        "preview": text[:MAX_VALUE_CHARS],
        "note": f"{what} is {len(text)} characters of JSON; get_execution with full=true returns it whole",
    }


def strict_json(text: str, what: str) -> Any:
    """JSON text parsed strictly: NaN, Infinity and trailing garbage are refused (the platform stores JSON)."""

    def refuse(constant: str) -> Any:
        raise Refused(f"{what} must be strict JSON: {constant} is not a JSON value (use a number or null)")

    try:
        return json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as error:
        raise Refused(f"{what} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None


class Project:
    """The project the server serves: its root, its warm session (opened on first use) and the confinement rule."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._session: Session | None = None
        self._analyzer: Analyzer | None = None

    @property
    def session(self) -> Session:
        """The warm session (built and loaded on the first tool that needs it)."""
        if self._session is None:
            self._session = Session(self.root)
        return self._session

    @property
    def analyzer(self) -> Analyzer:
        """The project's analyser, kept: it re-reads only the files that changed since the last check."""
        if self._analyzer is None:
            from cnikit.analysis import Analyzer

            self._analyzer = Analyzer()
        return self._analyzer

    def close(self) -> None:
        """Stop the session's workers and close its store."""
        if self._session is not None:
            self._session.close()
            self._session = None

    def inside(self, path: str, what: str) -> Path:
        """`path` (absolute, or relative to the project) when it lies inside the project folder."""
        given = Path(path).expanduser()
        resolved = (given if given.is_absolute() else self.root / given).resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise Refused(f"{what} {path!r} is outside the project folder {self.root}; tools act only inside it")
        return resolved

    def relative(self, path: Path) -> str:
        """A path as the assistant should write it: relative to the project when inside it."""
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)


def build_server(root: Path) -> tuple[MCPServer, Project]:
    """The MCP server of the project at `root`, and the project (close it when the server stops)."""
    project = Project(root)
    server = Server(
        "cnikit",
        instructions=(
            "cnikit checks and runs this Prismatic code-native integration offline. Loop: edit src/ → check → "
            "run_flow on a payload → read the logs and step outputs → fix → run again. explain_check says why a "
            "CNI code matters and how to fix it."
        ),
    )

    def tool(annotations: ToolAnnotations) -> Callable[[F], F]:
        def register(function: F) -> F:
            server.tool(annotations=annotations)(_tool_errors(function))
            return function

        return register

    @tool(READ_ONLY)
    def check(file: str | None = None) -> dict[str, Any]:
        """Check the project for CNI problems without building it (milliseconds). Returns diagnostics with code,
        severity, file (relative to the project), 0-based range, message and, when one exists, the fix (the edits
        that apply it). `file`: report on that file only (relative to the project). Call explain_check with a code
        to learn why it matters."""
        from cnikit.analysis import check_project

        only = project.inside(file, "file") if file else None
        if only is not None and not only.is_file():
            raise Refused(f"no file {file!r} in the project")
        found = check_project(project.root, analyzer=project.analyzer)
        found = [d for d in found if only is None or d.span.file.resolve() == only]
        errors = sum(d.severity == "error" for d in found)
        return {
            "diagnostics": [_diagnostic(project, d) for d in found],
            "summary": f"{errors} error(s), {len(found) - errors} other finding(s)",
        }

    @tool(READ_ONLY)
    def list_flows() -> dict[str, list[dict[str, Any]]]:
        """The integration's flows (builds the project when needed): name, stable key, trigger kind, whether
        synchronous or scheduled, and their payload files."""
        return {"flows": [view.to_json() for view in project.session.flows()]}

    @tool(READ_ONLY)
    def list_payloads(flow: str | None = None) -> dict[str, list[str]]:
        """Payload names per flow stable key (files `.spectral/flows/<stableKey>/payloads/<name>.json`); `flow`
        (name or stable key) lists one flow's. Pass a name as `payload` to run_flow."""
        from cnikit.payloads import list_payloads as payload_files

        files = payload_files(project.root)
        if flow is not None:
            chosen = project.session.find_flow(flow)
            key = chosen.stable_key or chosen.key
            files = {key: files.get(key, [])}
        return {key: [path.stem for path in paths] for key, paths in files.items()}

    @tool(WRITES)
    def create_payload(
        flow: str, name: str, body: str, content_type: str = "application/json", overwrite: bool = False
    ) -> dict[str, Any]:
        """Save a payload for a flow as `.spectral/flows/<stableKey>/payloads/<name>.json`, in the official
        extension's format. `body`: the request body as text (strict JSON when content_type is
        application/json). Refuses an existing name unless `overwrite`."""
        from cnikit.payloads import Payload
        from cnikit.payloads import create_payload as write_payload

        chosen = project.session.find_flow(flow)
        data = strict_json(body, "body") if content_type.split(";")[0].strip() == "application/json" else body
        payload = Payload(data=data, contentType=content_type)
        path = write_payload(project.root, chosen.stable_key or chosen.key, name, payload, overwrite=overwrite)
        return {"created": project.relative(path), "flow": chosen.name, "payload": name}

    @tool(RUNS)
    def run_flow(
        flow: str,
        payload: str | None = None,
        body: str | dict[str, Any] | list[Any] | None = None,
        content_type: str | None = None,
        sync: bool | None = None,
        http: Literal["live", "record", "replay"] = "live",
    ) -> dict[str, Any]:
        """Run a flow offline in the emulator (builds first when the source changed) and record the execution.
        `payload`: a payload name of the flow (list_payloads) or a payload file inside the project; or `body`: the
        request body inline (a JSON object or array, or text with its content_type). `http`: live (default:
        outbound HTTP reaches the real services), record (live, and save the exchanges as the flow's cassette) or
        replay (answer outbound HTTP from that cassette). Returns the outcome, execution number (for
        get_execution), result, response, step outputs (large ones cut, with a note) and logs. A flow that throws
        is a failed outcome, not a tool error."""
        if payload is not None and body is not None:
            raise Refused("pass either payload (a name) or body (inline), not both")
        session = project.session
        if isinstance(body, dict | list):
            body = json.dumps(body)
        ref = body if body is not None else payload
        if payload is not None and ("/" in payload or "\\" in payload):
            ref = str(project.inside(payload, "payload file"))
        options: dict[str, Any] = {"http": http, "sync": sync}
        if body is not None and body.lstrip()[:1] not in ("{", "["):
            # Other text (XML, CSV, a form) is read as a payload name by the session's rule: send it as `-` does.
            stream = io.BytesIO(body.encode())
            outcome = session.run(flow, "-", content_type=content_type or "text/plain", stdin=stream, **options)
        else:
            outcome = session.run(flow, ref, content_type=content_type, **options)
        return _execution(session.detail(outcome.execution_id).to_json(), full=False)

    @tool(READ_ONLY)
    def list_executions(
        flow: str | None = None, status: Literal["running", "succeeded", "failed"] | None = None, limit: int = 20
    ) -> dict[str, list[dict[str, Any]]]:
        """Recorded executions, newest first: number (seq), flow, status, error, timings. `flow`: a flow name."""
        if not 1 <= limit <= 200:
            raise Refused("limit must be between 1 and 200")
        fields = ("seq", "flow", "status", "error", "errorStep", "startedAt", "durationMs", "httpMode", "replayOf")
        views = (view.to_json() for view in project.session.views(flow=flow, status=status, limit=limit))
        return {"executions": [{key: view[key] for key in fields} for view in views]}

    @tool(READ_ONLY)
    def get_execution(execution: str, full: bool = False) -> dict[str, Any]:
        """One recorded execution by number (list_executions' seq) or id: status, error, request (credentials
        masked), result, response, step outputs and logs. `full`: do not cut large values."""
        return _execution(project.session.detail(execution).to_json(), full=full)

    @tool(RUNS)
    def replay_execution(execution: str) -> dict[str, Any]:
        """Run a recorded execution again with the same request (and its cassette, when it recorded one),
        recorded as a new execution linked to the original. Returns the new execution like run_flow."""
        session = project.session
        outcome = session.replay(execution)
        return _execution(session.detail(outcome.execution_id).to_json(), full=False)

    @tool(READ_ONLY)
    def get_state(level: Literal["flow", "cross-flow", "integration"] | None = None) -> dict[str, list[dict[str, Any]]]:
        """The stored persisted state (what flows saved with context.instanceState, crossFlowState and
        integrationState), one entry per level and flow. `level` keeps one level."""
        from emulator.session import LEVEL_NAMES

        wanted = LEVEL_NAMES[level] if level else None
        levels = project.session.export_state()["levels"]
        return {
            "levels": [
                {**entry, "value": capped(entry["value"], "this state level")}
                for entry in levels
                if wanted is None or entry["level"] == wanted
            ]
        }

    @tool(OVERWRITES)
    def set_state(
        level: Literal["flow", "cross-flow", "integration"], key: str, value: str, flow: str | None = None
    ) -> dict[str, Any]:
        """Set one key of a persisted state level, as the next run will see it. `value`: strict JSON text
        (`"null"` deletes the key; NaN and Infinity are refused). Flow state belongs to one flow: pass `flow`.
        Returns the level as stored."""
        parsed = strict_json(value, "value")
        if not key:
            raise Refused("key must not be empty")
        if level == "flow" and not flow:
            raise Refused("flow state belongs to one flow: pass flow (a flow name or stable key)")
        stored = project.session.set_state(level, key, parsed, flow=flow)
        return {"level": level, "flow": flow, "value": capped(stored, "this state level")}

    @tool(READ_ONLY)
    def explain_check(code: str) -> dict[str, Any]:
        """The catalogue entry of a CNI code (e.g. CNI701): severity, summary, why it matters and whether check
        offers a fix."""
        from cnikit.analysis.checks import load_checks

        registry = load_checks()
        wanted = code.strip().upper()
        if wanted not in registry:
            near = sorted(c for c in registry if c[:5] == wanted[:5])[:5] or sorted(registry)[:3]
            raise Refused(f"no check {code!r}; codes look like {', '.join(near)} (see resource cnikit://checks)")
        info, function = registry[wanted]
        row = _catalogue_row(wanted)
        return {
            "code": wanted,
            "severity": str(info.severity),
            "summary": info.summary,
            "why": " ".join((function.__doc__ or info.summary).split()),
            "fix": bool(row and row[3] == "yes"),
            "needsBuild": info.built,
            "spectralMessage": row[4] if row and row[4] else None,
        }

    if logged_in(project.root):  # cloud tools only when logged in: the server never asks for a password

        @tool(CLOUD_READ)
        async def me() -> dict[str, Any]:
            """The Prismatic user cnikit is logged in as (cnikit login): name, email, organization, tenant, stack
            URL and where the tokens come from."""
            from cnikit.platform.client import PrismaticClient

            async with PrismaticClient.from_settings(project.root) as client:
                user = await client.me()
                return {
                    "name": user.name,
                    "email": user.email,
                    "organization": user.organization,
                    "tenantId": user.tenantId,
                    "url": client.url,
                    "authentication": client.session.source,
                }

        @tool(CLOUD_WRITE)
        async def import_integration() -> dict[str, Any]:
            """Build the project with its own build script and import it into Prismatic with the prism CLI (as
            `cnikit import`): uploads it, writes .spectral/prism.json. Returns the integration id and the last lines of
            the output. Needs prism on PATH and the project's dependencies installed."""
            from cnikit.platform.client import PrismaticClient

            said: list[str] = []
            async with PrismaticClient.from_settings(project.root) as client:
                integration_id = await client.import_integration(project.root, on_output=said.append)
            return {"integrationId": integration_id, "output": said[-20:]}

        @tool(CLOUD_WRITE)
        async def test_in_prismatic(flow: str, payload: str | None = None) -> dict[str, Any]:
            """Run a flow of the imported integration in Prismatic (as `cnikit test`) and wait for it to end: its
            status, error, log lines and step names. `payload`: a payload file name of the flow (see
            list_payloads); without it the flow gets an empty JSON body. Import first (import_integration)."""
            from cnikit.platform.client import PrismaticClient
            from cnikit.platform.cloudtest import Finished, LogEvent, StepEvent, read_integration_id, run_test

            integration_id = read_integration_id(project.root)
            if integration_id is None:
                raise Refused("the project has not been imported yet (no .spectral/prism.json): import_integration")
            body = None
            if payload:
                local = project.session.find_flow(flow)  # payload files live under the flow's stable key
                body = project.session.payload(local.stable_key or local.key, payload)
            logs: list[str] = []
            steps: list[str] = []
            async with PrismaticClient.from_settings(project.root) as client:
                chosen, execution_id = await run_test(client, integration_id, flow, body)
                ended: Finished | None = None
                async for event in client.follow(chosen.id, execution_id):
                    if isinstance(event, LogEvent):
                        logs.append(f"{event.line.severity} {event.line.message}")
                    elif isinstance(event, StepEvent):
                        steps.append(event.step.label)
                    elif isinstance(event, Finished):
                        ended = event
            execution = ended.execution if ended else None
            return {
                "executionId": execution_id,
                "flow": chosen.name,
                "status": "timed out"
                if ended is None or ended.timed_out or execution is None
                else ("failed" if execution.failed else "succeeded"),
                "error": execution.error if execution else None,
                "steps": steps,
                "logs": logs[-50:],
            }

    @server.resource("cnikit://definition", name="definition", mime_type="application/json")
    def definition() -> str:
        """The built integration: flows, config pages, config variables and connections (names and types only)."""
        try:
            return json.dumps(_definition_summary(project.session), indent=2)
        except SessionError as error:
            return json.dumps({"error": error.message})

    @server.resource("cnikit://checks", name="checks", mime_type="text/markdown")
    def checks_catalogue() -> str:
        """The catalogue of cnikit's checks: every CNI code, its severity, summary, and whether it offers a fix."""
        return _checks_md().read_text(encoding="utf-8")

    return server, project


def _execution(detail: dict[str, Any], *, full: bool) -> dict[str, Any]:
    """An execution detail for an assistant: the fields it acts on, large values cut unless `full`."""

    def keep(value: Any, what: str) -> Any:
        return value if full else capped(value, what)

    return {
        "execution": detail["seq"],
        "id": detail["id"],
        "flow": detail["flow"],
        "status": detail["status"],
        "error": detail["error"],
        "errorStep": detail["errorStep"],
        "durationMs": detail["durationMs"],
        "httpMode": detail["httpMode"],
        "replayOf": detail["replayOf"],
        "request": keep(_readable(detail["request"]), "the request"),
        "result": keep(detail["result"], "the result"),
        "response": keep(detail["response"], "the response"),
        "steps": [
            {"name": s["name"], "status": s["status"], "error": s["error"], "output": keep(s["output"], "this output")}
            for s in detail["steps"]
        ],
        "logs": [f"{line['severity']}: {line['message']}" for line in detail["logs"]],
    }


def _readable(request: dict[str, Any] | None) -> dict[str, Any] | None:
    """The request with its body as text when it is UTF-8 (the view keeps it base64, as the platform does)."""
    if not request or not isinstance(request.get("body"), str):
        return request
    try:
        return {**request, "body": base64.b64decode(request["body"], validate=True).decode("utf-8")}
    except (ValueError, UnicodeDecodeError):
        return request


def _diagnostic(project: Project, d: Any) -> dict[str, Any]:
    span = d.span
    fix = None
    if d.fix is not None:
        fix = {
            "title": d.fix.title,
            "edits": [
                {"range": _range(e.span), "file": project.relative(e.span.file), "newText": e.new_text}
                for e in d.fix.edits
            ],
        }
    return {
        "code": d.code,
        "severity": str(d.severity),
        "file": project.relative(span.file),
        "range": _range(span),
        "message": d.message,
        "fix": fix,
    }


def _range(span: Any) -> dict[str, Any]:
    return {"start": {"line": span.line, "col": span.col}, "end": {"line": span.end_line, "col": span.end_col}}


def _definition_summary(session: Session) -> dict[str, Any]:
    definition = session.definition
    variables = {var.key: var for var in definition.required_config_vars}
    return {
        "name": definition.name,
        "description": definition.description,
        "flows": [
            {"name": f.name, "stableKey": f.stable_key, "trigger": f.trigger_kind, "synchronous": f.is_synchronous}
            for f in definition.flows
        ],
        "configPages": [
            {"name": page.name, "elements": [e.value for e in page.elements if e.type == "configVar"]}
            for page in definition.config_pages
        ],
        "configVars": [
            {"key": v.key, "dataType": v.data_type, "connection": v.connection_key is not None}
            for v in variables.values()
            if v.connection_key is None
        ],
        "connections": [
            {"key": v.key, "connection": v.connection_key, "inputs": [i.key for i in v.connection_inputs]}
            for v in variables.values()
            if v.connection_key is not None
        ],
    }


def _checks_md() -> Path:
    return Path(__file__).resolve().parents[1] / "docs" / "checks.md"


@functools.cache
def _catalogue() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    path = _checks_md()
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].startswith("CNI"):
            rows[cells[0]] = cells
    return rows


def _catalogue_row(code: str) -> list[str] | None:
    return _catalogue().get(code)
