"""Project commands: list and select projects, list flows, create a flow payload, open the config wizard and the
execution results in the terminal UI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from cnikit import payloads
from cnikit.model import JsBoolean, ProjectModel
from server.projects import CommandError, ProjectState

if TYPE_CHECKING:
    from server.server import CnikitLanguageServer


class NoArgs(BaseModel):
    """Commands that take no argument (anything given is ignored)."""

    model_config = ConfigDict(extra="ignore")


class ProjectArgs(BaseModel):
    """Arguments naming a project (the active one when omitted)."""

    model_config = ConfigDict(extra="ignore")

    project: str | None = None


class SelectArgs(BaseModel):
    """`cnikit.server.selectIntegration`."""

    model_config = ConfigDict(extra="ignore")

    project: str


class CreatePayloadArgs(ProjectArgs):
    """`cnikit.server.createFlowPayload`; without a name the first free of `payload`, `payload-2`, … is used."""

    stableKey: str
    name: str | None = None
    overwrite: bool = False


def model_of(ls: CnikitLanguageServer, state: ProjectState) -> ProjectModel:
    """The project's model, analysing it first when it has not been yet."""
    if state.model is None:
        from server.diagnostics import analyze_now

        analyze_now(ls, state)
    if state.model is None:
        raise CommandError(f"{state.root} could not be analysed (see the server log)")
    return state.model


def integration_id(root: Path) -> str | None:
    """The integration id the last import recorded (`.spectral/prism.json`), if any."""
    from cnikit.platform.cloudtest import read_integration_id

    return read_integration_id(root)


def list_projects_impl(ls: CnikitLanguageServer) -> list[dict[str, Any]]:
    """Every project of the workspace, which one is active, and its imported integration id."""
    for state in ls.projects.states.values():
        if state.model is None:
            model_of(ls, state)  # the integration's name comes from the analysis
    return [
        {
            "project": str(state.root),
            "name": state.name,
            "active": state.root == ls.projects.active,
            "integrationId": integration_id(state.root),
        }
        for state in sorted(ls.projects.states.values(), key=lambda state: state.root)
    ]


def select_integration_impl(ls: CnikitLanguageServer, args: SelectArgs) -> dict[str, Any]:
    """Make a project the active one (the target of commands that name none) and tell the status bar."""
    state = ls.projects.resolve(args.project)
    ls.projects.active = state.root
    from server.platform_commands import send_status

    send_status(ls)
    return {"project": str(state.root), "name": state.name}


def list_flows_impl(model: ProjectModel) -> list[dict[str, Any]]:
    """The flows of a project with their payload files, as `emulator.views.FlowView`s (from the source: no
    build, so the endpoint fields are null)."""
    from emulator.views import FlowView
    from server.navigation import is_scheduled

    integration = model.integration
    if integration is None:
        return []
    files = payloads.list_payloads(model.root)
    result: list[dict[str, Any]] = []
    for flow in integration.flows:
        synchronous = flow.obj.get("isSynchronous")
        view = FlowView(
            name=flow.name or flow.stable_key or "(unnamed flow)",  # a computed name is unknown here
            stable_key=flow.stable_key,
            synchronous=isinstance(synchronous, JsBoolean) and synchronous.value,
            has_schedule=is_scheduled(flow),
            payloads=[str(path) for path in files.get(flow.stable_key or "", [])],
        )
        result.append(view.to_json())
    return result


def free_payload_name(root: Path, stable_key: str) -> str:
    """The first of `payload`, `payload-2`, `payload-3` … that has no file yet."""
    folder = payloads.payloads_dir(root, stable_key)
    name, number = "payload", 1
    while (folder / f"{name}.json").exists():
        number += 1
        name = f"payload-{number}"
    return name


def create_flow_payload_impl(model: ProjectModel, args: CreatePayloadArgs) -> dict[str, Any]:
    """Write a new payload file (official format and place) for a flow of the project."""
    integration = model.integration
    known = {flow.stable_key for flow in integration.flows} if integration else set()
    if integration is not None and integration.flows_complete and args.stableKey not in known:
        listed = ", ".join(sorted(key for key in known if key)) or "none"
        raise CommandError(f'No flow has the stable key "{args.stableKey}" (flows: {listed})')
    name = args.name or free_payload_name(model.root, args.stableKey)
    path = payloads.create_payload(model.root, args.stableKey, name, overwrite=args.overwrite)
    return {"path": str(path)}


def tui_command(ls: CnikitLanguageServer, screen: str, root: Path) -> dict[str, Any]:
    """The terminal command that opens a TUI screen on a project (the client runs it in a terminal)."""
    executable = ls.settings.cnikit_path or "cnikit"
    return {"command": [executable, "tui", "--screen", screen, str(root)]}


def register(ls: CnikitLanguageServer) -> None:
    """Register the project commands."""

    def list_projects(ls: CnikitLanguageServer, args: NoArgs) -> Any:
        return list_projects_impl(ls)

    def list_flows(ls: CnikitLanguageServer, args: ProjectArgs) -> Any:
        return list_flows_impl(model_of(ls, ls.projects.resolve(args.project)))

    def create_flow_payload(ls: CnikitLanguageServer, args: CreatePayloadArgs) -> Any:
        state = ls.projects.resolve(args.project)
        result = create_flow_payload_impl(model_of(ls, state), args)
        from server.diagnostics import schedule

        schedule(ls, Path(result["path"]), delay=0)  # the new file is checked like the others
        return result

    def config_wizard(ls: CnikitLanguageServer, args: ProjectArgs) -> Any:
        return tui_command(ls, "wizard", ls.projects.resolve(args.project).root)

    def execution_results(ls: CnikitLanguageServer, args: ProjectArgs) -> Any:
        return tui_command(ls, "results", ls.projects.resolve(args.project).root)

    ls.register_command("cnikit.server.listProjects", NoArgs, list_projects)
    ls.register_command("cnikit.server.selectIntegration", SelectArgs, select_integration_impl)
    ls.register_command("cnikit.server.listFlows", ProjectArgs, list_flows)
    ls.register_command("cnikit.server.createFlowPayload", CreatePayloadArgs, create_flow_payload)
    ls.register_command("cnikit.server.configWizard", ProjectArgs, config_wizard)
    ls.register_command("cnikit.server.executionResults", ProjectArgs, execution_results)
