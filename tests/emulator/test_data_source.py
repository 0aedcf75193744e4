"""Data-source config variables run locally, the way the config wizard runs them: with the values entered so far."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from emulator.executor import DataSourceError, Executor, ExecutorError

ExecutorFor = Callable[..., Executor]


def connection(**fields: str) -> dict[str, object]:
    """A connection value as the wizard passes it (spectral's Connection shape)."""
    return {"key": "filesConnection", "configVarKey": "Files Connection", "fields": fields}


def test_a_picklist_data_source_answers_from_the_connection_entered_so_far(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-data-source")

    answer = executor.run_data_source(
        "Folder", {"Files Connection": connection(region="us", token="t0ken"), "Prefix": "ops"}
    )

    assert answer.result == [
        {"key": "ops-inbox", "label": "Inbox (us)"},
        {"key": "ops-archive", "label": "Archive (us)"},
    ]
    assert answer.supplemental_data == {"data": {"customer": "local-customer"}, "contentType": "application/json"}
    assert [(line.severity, line.message) for line in answer.logs] == [("info", "listing folders in us")]
    assert executor.store.list_executions() == []  # the wizard's look-ups are not executions


def test_values_not_entered_come_from_the_local_instance(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-data-source")

    answer = executor.run_data_source("Folder", {"Files Connection": connection(region="eu", token="x")})

    assert answer.result[0] == {"key": "team-inbox", "label": "Inbox (eu)"}  # Prefix: its default, seeded


def test_a_data_source_that_throws_raises_its_own_message_and_where(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-data-source")

    with pytest.raises(DataSourceError) as raised:
        executor.run_data_source("Region", {"Files Connection": connection(region="mars", token="x")})

    assert raised.value.message == 'The folder service has no region "mars"'
    frames = raised.value.stack.splitlines()[1:]
    assert frames and "src/index.ts:" in frames[0] and "checkRegion" in frames[0]
    # The worker is fine afterwards.
    ok = executor.run_data_source("Region", {"Files Connection": connection(region="us", token="x")})
    assert ok.result == "us"


def test_unknown_or_plain_variables_are_refused_clearly(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-data-source")

    with pytest.raises(
        ExecutorError, match=r"No config variable 'Foldr'; its data-source variables: Folder, Region, Hang, Late"
    ):
        executor.run_data_source("Foldr", {})
    with pytest.raises(ExecutorError, match=r"'Prefix' has no data source"):
        executor.run_data_source("Prefix", {})


def test_the_definition_carries_what_the_wizard_needs_from_the_bundle(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-data-source")
    definition = executor.definition
    assert definition is not None and definition.has_component_exports

    connection_var = definition.config_var("Files Connection")
    assert connection_var is not None
    region = connection_var.connection_input("region")
    assert region is not None
    assert (region.label, region.type, region.required, region.default) == ("Region", "string", True, "eu")
    assert (region.comments, region.placeholder, region.example) == ("Where the files live", "eu or us", "us")
    token = connection_var.connection_input("token")
    assert token is not None and token.secret
    folder = definition.config_var("Folder")
    assert folder is not None and folder.data_source_type == "picklist"


def test_an_error_escaping_the_data_source_fails_it_at_once(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-data-source")

    with pytest.raises(DataSourceError, match="the folder service hung up"):
        executor.run_data_source("Late", {}, timeout=60)  # not a timeout: the timer's error answers

    assert executor.run_data_source("Region", {"Files Connection": connection(region="us")}).result == "us"


def test_a_data_source_that_never_answers_times_out(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-data-source")
    executor.run_data_source("Region", {"Files Connection": connection(region="us")})  # warm

    with pytest.raises(DataSourceError, match=r"The data source of 'Hang' did not answer within 0.5 s"):
        executor.run_data_source("Hang", {}, timeout=0.5)
    # The stuck worker was stopped and replaced.
    assert executor.run_data_source("Region", {"Files Connection": connection(region="eu")}).result == "eu"
