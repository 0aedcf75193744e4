"""The config wizard: the integration's config pages in order, one widget per data type, Back / Next / Save with a
preview of what will be written. Saving writes the local instance (`.spectral/local/instance.json`, secrets in the
keyring). A validation error never loses input: fields keep what was typed and say what is expected."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, LoadingIndicator, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from tui.widgets.config_fields import ConfigField, data_source_field, field_for
from tui.widgets.key_bar import KeyBar
from tui.widgets.navbar import NavBar
from tui.wizard_form import FieldSpec, PageSpec, html_to_markdown

if TYPE_CHECKING:
    from tui.app import CnikitApp
    from tui.workspace import WizardData


class DataSourceSlot(Vertical):
    """Where a data-source variable goes: a loading line, then the field (or the data source's error, inline)."""

    DEFAULT_CSS = """
    DataSourceSlot { height: auto; }
    DataSourceSlot > .slot-status { color: $text-muted; height: auto; }
    DataSourceSlot > .slot-status.-error { color: $error; }
    """

    def __init__(self, spec: FieldSpec, value: Any) -> None:
        super().__init__(classes="data-source-slot")
        self.spec = spec
        self.value = value
        self.loaded = False

    def compose(self) -> ComposeResult:
        """Show a loading line until the data source answers and the field replaces it."""
        yield Static(
            f"{self.spec.key}: options come from the data source {self.spec.data_source!r}…", classes="slot-status"
        )

    @property
    def field(self) -> ConfigField | None:
        """The field, once the data source answered."""
        fields = self.query(ConfigField)
        return fields.first() if fields else None

    async def show_result(self, result: Any) -> None:
        """Replace the loading line (and any previous field) by the field built from the data source's result."""
        previous = self.field
        if previous is not None:
            self.value = previous.get_value()  # a reload keeps what the user chose
        await self.remove_children()
        await self.mount(Static(f"Options from data source {self.spec.data_source!r}.", classes="slot-status"))
        await self.mount(data_source_field(self.spec, self.value, result))
        self.loaded = True

    async def show_error(self, message: str) -> None:
        """Show why the data source failed, inline; the rest of the page stays usable."""
        previous = self.field
        if previous is not None:
            self.value = previous.get_value()
        await self.remove_children()
        status = Static(
            f"{self.spec.key}: the data source {self.spec.data_source!r} failed: {message}\n"
            "Fix the inputs it depends on (e.g. the connection on the first page), then press Ctrl+R.",
            classes="slot-status -error",
            markup=False,
        )
        await self.mount(status)
        # Fall back to a plain field so a value can still be entered (a picklist without options becomes text).
        spec = self.spec
        if spec.data_type == "picklist" and not spec.pick_list:
            spec = replace(spec, data_type="string")
        await self.mount(field_for(spec, self.value))
        self.loaded = True


class WizardScreen(Screen[None]):
    """Pages on the left, the current page on the right, Back / Next / Save at the bottom."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+b", "back", "Back", id="wizard.back"),
        Binding("ctrl+n", "next", "Next", id="wizard.next"),
        Binding("ctrl+s", "save", "Save", id="wizard.save"),
        Binding("ctrl+r", "reload_data_sources", "Reload options", id="wizard.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pages: list[PageSpec] = []
        self.page_index = 0
        self.data: WizardData | None = None

    @property
    def cnikit(self) -> CnikitApp:
        """The app, typed."""
        return cast("CnikitApp", self.app)

    def compose(self) -> ComposeResult:
        """Lay out the page list, the current page (a loading indicator first), the status line and Back / Next /
        Save."""
        yield NavBar("wizard", "local instance")
        with Horizontal(id="wizard-body"):
            with Vertical(id="wizard-pages"):
                yield Static("Pages", classes="pane-title")
                yield OptionList(id="page-list")
            with Vertical(id="wizard-page"):
                yield LoadingIndicator(id="wizard-loading")
                yield ContentSwitcher(id="page-switcher")
        yield Static("Building the integration to read its config pages…", id="wizard-status")
        with Horizontal(id="wizard-buttons"):
            yield Button("Back", id="wizard-back", compact=True)
            yield Button("Next", id="wizard-next", compact=True, variant="primary")
            yield Button("Save", id="wizard-save", compact=True, variant="success")
        yield KeyBar()

    def on_mount(self) -> None:
        """Start building the integration and reading the local instance (in a thread) as the wizard appears."""
        self.load()

    @work(exclusive=True, group="wizard-load")
    async def load(self) -> None:
        """Build the integration and read the local instance (slow: in a thread)."""
        try:
            data = await asyncio.to_thread(self.cnikit.workspace.wizard_data)
        except Exception as error:
            self._failed(str(error))
            return
        await self._loaded(data)

    def _failed(self, message: str) -> None:
        self.query_one("#wizard-loading").display = False
        self.status(f"Could not read the config pages: {message}", error=True)

    async def _loaded(self, data: WizardData) -> None:
        self.data = data
        self.pages = data.pages
        self.query_one("#wizard-loading").display = False
        switcher = self.query_one(ContentSwitcher)
        page_list = self.query_one("#page-list", OptionList)
        for index, page in enumerate(self.pages):
            page_list.add_option(Option(f"{index + 1}. {page.name}", id=f"page-{index}"))
            await switcher.mount(self._page_widget(index, page, data))
        if not self.pages:
            self.status("This integration has no config pages: there is nothing to configure.")
            return
        await self.show_page(0)

    def _page_widget(self, index: int, page: PageSpec, data: WizardData) -> VerticalScroll:
        children: list[Any] = [Static(Content.styled(page.name, "bold $accent"), classes="page-title")]
        if page.tagline:
            children.append(Static(page.tagline, classes="field-description", markup=False))
        for element in page.elements:
            if element.field is None:
                children.append(Markdown(html_to_markdown(element.html), classes="helper-text"))
                continue
            spec = element.field
            value = data.values.get(spec.key)
            if spec.data_source:
                children.append(DataSourceSlot(spec, value))
            else:
                children.append(field_for(spec, value, redirect_uri=data.redirect_uri))
        page_widget = VerticalScroll(*children, id=f"page-{index}", classes="wizard-page")
        page_widget.display = False  # the switcher shows one page at a time
        return page_widget

    # -- navigation ----------------------------------------------------------------------------------------------------
    async def show_page(self, index: int) -> None:
        """Show page `index` and fetch its data-source options."""
        self.page_index = index
        self.query_one(ContentSwitcher).current = f"page-{index}"
        self.query_one("#page-list", OptionList).highlighted = index
        last = index == len(self.pages) - 1
        self.query_one("#wizard-back", Button).disabled = index == 0
        self.query_one("#wizard-next", Button).disabled = last
        self.status(f"Page {index + 1} of {len(self.pages)}: {self.pages[index].name}")
        self.run_data_sources(index)
        fields = self.page_fields(index)
        if fields:
            first = fields[0].query("Input, Switch, Select, TextArea, SelectionList")
            if first:
                first.first().focus()

    def page_fields(self, index: int) -> list[ConfigField]:
        """The fields of one page (data-source fields once loaded)."""
        page = self.query_one(f"#page-{index}", VerticalScroll)
        return list(page.query(ConfigField).results(ConfigField))

    def all_fields(self) -> list[ConfigField]:
        """Every field of every page."""
        return [field for index in range(len(self.pages)) for field in self.page_fields(index)]

    def check_page(self, index: int) -> list[tuple[ConfigField, str]]:
        """Validate one page; errors are shown inline next to their fields."""
        problems = []
        for field in self.page_fields(index):
            error = field.check()
            if error:
                problems.append((field, error))
        return problems

    async def action_next(self) -> None:
        """Next page, when this one is valid."""
        if not self.pages or self.page_index >= len(self.pages) - 1:
            return
        problems = self.check_page(self.page_index)
        if problems:
            self._report(problems)
            return
        await self.show_page(self.page_index + 1)

    async def action_back(self) -> None:
        """Previous page (no validation: going back never loses anything)."""
        if self.page_index > 0:
            await self.show_page(self.page_index - 1)

    @on(Button.Pressed, "#wizard-next")
    async def _next_pressed(self) -> None:
        await self.action_next()

    @on(Button.Pressed, "#wizard-back")
    async def _back_pressed(self) -> None:
        await self.action_back()

    @on(Button.Pressed, "#wizard-save")
    async def _save_pressed(self) -> None:
        await self.action_save()

    @on(OptionList.OptionSelected, "#page-list")
    async def _page_chosen(self, event: OptionList.OptionSelected) -> None:
        target = event.option_index
        # Forward jumps pass through validation of the pages in between, like Next.
        for index in range(self.page_index, target):
            problems = self.check_page(index)
            if problems:
                await self.show_page(index)
                self._report(problems)
                return
        await self.show_page(target)

    def _report(self, problems: list[tuple[ConfigField, str]]) -> None:
        field, error = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        self.status(f"{error}{more}", error=True)
        focusable = field.query("Input, Switch, Select, TextArea, SelectionList")
        if focusable:
            focusable.first().focus()
        field.scroll_visible()

    def status(self, message: str, *, error: bool = False) -> None:
        """The line above the buttons."""
        line = self.query_one("#wizard-status", Static)
        line.update(Content.styled(message, "$error" if error else "$text-muted"))

    # -- data sources --------------------------------------------------------------------------------------------------
    def run_data_sources(self, index: int, *, force: bool = False) -> None:
        """Run the data sources of page `index` (those not loaded yet, or all when `force`)."""
        page = self.query_one(f"#page-{index}", VerticalScroll)
        for slot in page.query(DataSourceSlot).results(DataSourceSlot):
            if force or not slot.loaded:
                self.fetch_options(slot)

    def action_reload_data_sources(self) -> None:
        """Run the current page's data sources again (after fixing a connection, say)."""
        if self.pages:
            self.run_data_sources(self.page_index, force=True)

    @work(group="data-sources")
    async def fetch_options(self, slot: DataSourceSlot) -> None:
        """Run one data source through the emulator (in a thread) with the values entered so far."""
        values = self.current_values()
        try:
            result = await asyncio.to_thread(self.cnikit.workspace.run_data_source, slot.spec, values)
        except Exception as error:
            await slot.show_error(str(error))
            return
        await slot.show_result(result)

    def current_values(self) -> dict[str, Any]:
        """What every field holds now, by config variable key."""
        return {field.spec.key: field.get_value() for field in self.all_fields()}

    # -- saving --------------------------------------------------------------------------------------------------------
    async def action_save(self) -> None:
        """Validate every page; show the first problem, or a preview of what will be written, then save."""
        if self.data is None:
            return
        for index in range(len(self.pages)):
            problems = self.check_page(index)
            if problems:
                await self.show_page(index)
                self._report(problems)
                return
        values = self.current_values()
        from tui.screens.save_preview import SavePreviewScreen

        preview = self.cnikit.workspace.instance_preview(self.pages, values)
        self.app.push_screen(SavePreviewScreen(preview), lambda ok: self._confirmed(ok, values))

    def _confirmed(self, ok: bool | None, values: dict[str, Any]) -> None:
        if not ok:
            self.status("Not saved: nothing was written.")
            return
        try:
            path = self.cnikit.workspace.save_instance(self.pages, values)
        except Exception as error:
            self.status(f"Could not save: {error}", error=True)
            self.notify(str(error), title="Not saved", severity="error")
            return
        self.status(f"Saved to {path}.")
        self.notify(f"Saved to {path}.", title="Local instance configured")
