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
_field_names: dict[type, frozenset[str]] = {}


def construct(cls: type[M], **fields: Any) -> M:
    """An instance of `cls` with `fields` set as given (no validation), like `cls.model_construct(**fields)`."""
    names = _field_names.get(cls)
    if names is None:
        names = _field_names[cls] = frozenset(cls.model_fields)
    fields_set = set(fields)
    if len(fields_set) != len(names):
        for name in names - fields_set:
            info = cls.model_fields[name]
            if info.default_factory is not None:
                fields[name] = info.default_factory()  # type: ignore[call-arg]
            else:
                fields[name] = copy.copy(info.default)
    instance = _new(cls)
    _set(instance, "__dict__", fields)
    _set(instance, "__pydantic_fields_set__", fields_set)
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance
