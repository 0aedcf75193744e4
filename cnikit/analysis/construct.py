"""Fast construction of the model's pydantic objects from values the analyser already knows are valid.

`Model.model_construct` skips validation but still costs several microseconds per object; a big project builds
thousands of values and spans. `construct` sets the fields directly (defaults filled in for fields not given),
giving an object equal to what `model_construct` would build.
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_new = object.__new__
_set = object.__setattr__
_IMMUTABLE = (str, int, float, bool, bytes, tuple, frozenset, type(None))


class _Spec:
    """Per model class: its field names and how to fill in the ones not given."""

    def __init__(self, cls: type[BaseModel]) -> None:
        self.names = frozenset(cls.model_fields)
        self.shared: dict[str, Any] = {}  # immutable defaults, shared between instances
        self.copied: dict[str, Any] = {}  # mutable defaults, copied per instance
        self.factories: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            if info.default_factory is not None:
                self.factories[name] = info.default_factory
            elif isinstance(info.default, _IMMUTABLE):
                self.shared[name] = info.default
            else:
                self.copied[name] = info.default


_specs: dict[type, _Spec] = {}


def construct(cls: type[M], **fields: Any) -> M:
    """An instance of `cls` with `fields` set as given (no validation), like `cls.model_construct(**fields)`."""
    spec = _specs.get(cls)
    if spec is None:
        spec = _specs[cls] = _Spec(cls)
    fields_set = set(fields)
    if len(fields) != len(spec.names):
        for name in spec.names - fields_set:
            if name in spec.shared:
                fields[name] = spec.shared[name]
            elif name in spec.factories:
                fields[name] = spec.factories[name]()
            else:
                fields[name] = copy.copy(spec.copied[name])
    instance = _new(cls)
    _set(instance, "__dict__", fields)
    _set(instance, "__pydantic_fields_set__", fields_set)
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance
