"""The model of a CNI project as the analyser sees it, before anything is built.

Two layers:

* **JS values** (`JsValue`): what an expression in the source resolves to statically — strings, numbers,
  objects, arrays, functions, calls of helpers, `process.env.X`, or `JsUnknown` when it cannot be resolved.
  Every value carries the span of the expression it came from, so a check can point at the exact range of,
  say, a `defaultValue`.
* **Integration nodes** (`Integration`, `Flow`, `ConfigPage`, `ConfigVar` …): the CNI concepts, each holding
  the object literal it was written as (`obj`) plus the few typed fields every face needs.

Rule for checks: a value that is `JsUnknown`, or an object/array whose `complete` is False, may hide anything.
Never report a problem that an unknown value could make go away — a false alarm is worse than a missed one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Span(BaseModel):
    """A range in a source file. Lines and columns are 0-based; columns count characters (code points)."""

    model_config = ConfigDict(frozen=True)

    file: Path
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line + 1}:{self.col + 1}"


class _Js(BaseModel):
    span: Span | None = None


class JsString(_Js):
    """A string literal, a plain template literal, or a constant that resolves to one."""

    kind: Literal["string"] = "string"
    value: str


class JsNumber(_Js):
    """A numeric literal (or a constant that resolves to one); JavaScript numbers are all floats."""

    kind: Literal["number"] = "number"
    value: float

    @property
    def is_integer(self) -> bool:
        """True when the number has no fractional part."""
        return float(self.value).is_integer()


class JsBoolean(_Js):
    """`true` or `false`, or a constant that resolves to one."""

    kind: Literal["boolean"] = "boolean"
    value: bool


class JsNull(_Js):
    """The `null` literal."""

    kind: Literal["null"] = "null"


class JsUndefined(_Js):
    """`undefined`, as written or as a constant that resolves to it."""

    kind: Literal["undefined"] = "undefined"


class JsArray(_Js):
    """An array literal. `complete` is False when a spread or element could not be resolved."""

    kind: Literal["array"] = "array"
    items: list[JsValue] = Field(default_factory=list)
    complete: bool = True


class JsProperty(BaseModel):
    """One `key: value` of an object literal (shorthand `{ key }` included)."""

    key: str
    key_span: Span | None = None
    value: JsValue


class JsObject(_Js):
    """An object literal. `complete` is False when a spread or computed key could not be resolved."""

    kind: Literal["object"] = "object"
    props: dict[str, JsProperty] = Field(default_factory=dict)
    complete: bool = True

    def get(self, key: str) -> JsValue | None:
        """The value of `key`, or None when the object has no such property."""
        prop = self.props.get(key)
        return prop.value if prop else None

    def str_value(self, key: str) -> str | None:
        """The value of `key` when it is a known string, else None."""
        value = self.get(key)
        return value.value if isinstance(value, JsString) else None

    def key_span(self, key: str) -> Span | None:
        """The span of the property's key (falls back to the object's span)."""
        prop = self.props.get(key)
        return (prop.key_span or prop.value.span) if prop else self.span


class JsFunction(_Js):
    """A function or arrow function (its body is not evaluated)."""

    kind: Literal["function"] = "function"
    name: str | None = None
    params: list[str] = Field(default_factory=list)
    is_async: bool = False


class JsCall(_Js):
    """A call whose callee is known by name: a spectral helper not otherwise modelled, a manifest wrapper …

    `callee` is the name as imported (`slackOauth2`, `OAuth2Type.AuthorizationCode` is a member, not a call);
    `source` is the module it was imported from (`./manifests/slack/connections/oauth2`), None when local.
    """

    kind: Literal["call"] = "call"
    callee: str
    source: str | None = None
    args: list[JsValue] = Field(default_factory=list)


class JsMember(_Js):
    """A member expression that was not resolved further, such as `OAuth2Type.AuthorizationCode`."""

    kind: Literal["member"] = "member"
    path: str
    source: str | None = None


class JsEnv(_Js):
    """`process.env.NAME`: known only at build time."""

    kind: Literal["env"] = "env"
    name: str


class JsUnknown(_Js):
    """Anything the analyser could not resolve statically; `reason` says why (shown in hovers and logs)."""

    kind: Literal["unknown"] = "unknown"
    reason: str = ""


JsValue = Annotated[
    JsString
    | JsNumber
    | JsBoolean
    | JsNull
    | JsUndefined
    | JsArray
    | JsObject
    | JsFunction
    | JsCall
    | JsMember
    | JsEnv
    | JsUnknown,
    Field(discriminator="kind"),
]

JsArray.model_rebuild()
JsProperty.model_rebuild()
JsObject.model_rebuild()
JsCall.model_rebuild()


def is_known(value: JsValue | None) -> bool:
    """False for unknown values and for incomplete objects or arrays."""
    if value is None or isinstance(value, JsUnknown):
        return False
    if isinstance(value, JsObject | JsArray):
        return value.complete
    return True


ConfigVarHelper = Literal[
    "configVar",
    "connectionConfigVar",
    "dataSourceConfigVar",
    "customerActivatedConnection",
    "organizationActivatedConnection",
    "wrapper",  # a component-manifest wrapper such as slackOauth2("key", {...})
    "literal",  # an untyped object literal `{ dataType: "schedule", stableKey: "…" }`
    "unknown",  # an element whose value could not be resolved
]


class ConfigVar(BaseModel):
    """One config variable: an element of a config page, or an entry of `scopedConfigVars`."""

    name: str
    name_span: Span | None = None
    helper: ConfigVarHelper
    # The wrapper's callee (`slackOauth2`) and import source when helper == "wrapper".
    wrapper: JsCall | None = None
    # The definition object (the helper's argument; for wrappers, the options argument), when resolved.
    obj: JsObject | None = None
    # For a call of one of the project's functions (a generated manifest wrapper) that the analyser could expand
    # into a component reference: the object it returns, `{ stableKey, dataType, connection: { component, key,
    # values } }` or `{ stableKey, dataSource: {...} }` — what spectral sees. None otherwise.
    reference: JsObject | None = None
    stable_key: str | None = None
    # dataType, dataSourceType for data sources, "connection" for connections; None when unknown.
    data_type: str | None = None
    page: str | None = None  # title of the page it sits on; None for scoped config vars
    page_index: int | None = None  # 0-based position of its page within its group
    user_level: bool = False  # on a `userLevelConfigPages` page
    scoped: bool = False  # an entry of `scopedConfigVars`
    span: Span | None = None  # the whole value expression

    @property
    def is_connection(self) -> bool:
        """True for connections of every kind (inline, referenced, activated)."""
        return self.data_type == "connection"

    @property
    def is_data_source(self) -> bool:
        """True for inline and referenced data-source config variables."""
        return self.helper == "dataSourceConfigVar" or any(
            obj is not None and "dataSource" in obj.props for obj in (self.obj, self.reference)
        )


class HtmlElement(BaseModel):
    """A string element of a config page: raw HTML helper text."""

    key: str
    key_span: Span | None = None
    html: str | None  # None when the string could not be resolved
    span: Span | None = None


class ConfigPage(BaseModel):
    """One config wizard page. `title` is the key of the page in the pages object."""

    title: str
    title_span: Span | None = None
    index: int  # 0-based position within its group (configPages or userLevelConfigPages)
    user_level: bool = False
    obj: JsObject | None = None  # the configPage({...}) argument
    config_vars: list[ConfigVar] = Field(default_factory=list)
    html_elements: list[HtmlElement] = Field(default_factory=list)
    complete: bool = True  # False when `elements` (or the page itself) was not fully resolved
    span: Span | None = None


class Flow(BaseModel):
    """One `flow({...})`."""

    name: str | None  # None when the name is not a known string
    stable_key: str | None
    obj: JsObject
    span: Span | None = None
    name_span: Span | None = None
    stable_key_span: Span | None = None

    @property
    def key(self) -> str | None:
        """spectral's flow function key (`"List Items"` → `listItems`), used for `<key>_onExecution`."""
        return flow_function_key(self.name) if self.name is not None else None


class ComponentManifest(BaseModel):
    """An entry of `componentManifests({...})`: the registry key and what it resolved to."""

    key: str
    key_span: Span | None = None
    value: JsValue
    # The manifest's own `key` and `public`, when known: generated wrappers find their registry entry by these.
    component_key: str | None = None
    public: bool | None = None
    # Names of actions, triggers, dataSources, connections when the manifest object was resolved.
    actions: list[str] | None = None
    triggers: list[str] | None = None
    data_sources: list[str] | None = None
    connections: list[str] | None = None


class Integration(BaseModel):
    """The `export default integration({...})` of `src/index.ts`."""

    obj: JsObject
    span: Span | None = None
    name: str | None = None
    flows: list[Flow] = Field(default_factory=list)
    flows_complete: bool = True
    config_pages: list[ConfigPage] = Field(default_factory=list)
    config_pages_complete: bool = True
    user_level_config_pages: list[ConfigPage] = Field(default_factory=list)
    user_level_config_pages_complete: bool = True
    scoped_config_vars: list[ConfigVar] = Field(default_factory=list)
    scoped_config_vars_complete: bool = True
    component_registry: list[ComponentManifest] | None = None  # None when not given
    component_registry_complete: bool = True

    def all_config_vars(self) -> list[ConfigVar]:
        """Every config variable: pages, then user-level pages, then scoped ones."""
        pages = [*self.config_pages, *self.user_level_config_pages]
        return [var for page in pages for var in page.config_vars] + list(self.scoped_config_vars)

    @property
    def config_vars_complete(self) -> bool:
        """True when every page and every list of config variables was fully resolved."""
        pages = [*self.config_pages, *self.user_level_config_pages]
        return (
            self.config_pages_complete
            and self.user_level_config_pages_complete
            and self.scoped_config_vars_complete
            and all(page.complete for page in pages)
        )

    def flow_named(self, name: str) -> Flow | None:
        """The flow with this name, if the analyser found one."""
        return next((flow for flow in self.flows if flow.name == name), None)


class ConfigVarRef(BaseModel):
    """A use of a config variable in code: `context.configVars["X"]`, `configVars.X`, `{ configVar: "X" }` …"""

    name: str
    span: Span  # the name itself (inside the quotes for string keys)
    form: Literal["index", "member", "destructure", "configVar-property", "schedule"]


class FlowInvocation(BaseModel):
    """A call `context.invokeFlow("X", …)` with a literal flow name."""

    name: str
    span: Span  # the name itself, inside the quotes


class SourceNote(BaseModel):
    """Something the analyser met while reading a file: a syntax error, a skipped file, an unresolved import."""

    kind: Literal["syntax-error", "skipped", "unresolved-import", "no-entry"]
    message: str
    span: Span


class ProjectModel(BaseModel):
    """Everything the analyser knows about one CNI project."""

    root: Path
    entry: Path  # src/index.ts
    integration: Integration | None = None  # None when index.ts has no resolvable `export default integration(...)`
    config_var_refs: list[ConfigVarRef] = Field(default_factory=list)
    flow_invocations: list[FlowInvocation] = Field(default_factory=list)
    files: list[Path] = Field(default_factory=list)  # every source file read
    notes: list[SourceNote] = Field(default_factory=list)
    # Unsaved editor contents the model was built from (resolved paths). Checks that read other files of the
    # project, such as payload files, read these first so problems show while typing. Not serialised.
    overlays: dict[Path, str] = Field(default_factory=dict, exclude=True)


def flow_function_key(name: str) -> str:
    """spectral's `flowFunctionKey`: non-alphanumerics become spaces, then lower camel case.

    >>> flow_function_key("List Items")
    'listItems'
    """
    import re

    words = re.sub(r"[^0-9a-zA-Z]+", " ", name).strip().split(" ")
    words = [word for word in words if word]
    if not words:
        return ""
    first, *rest = words
    return first.lower() + "".join(word[:1].upper() + word[1:].lower() for word in rest)
