"""Type names shared by services and selectors."""

from __future__ import annotations

from typing import TypeAlias

# A primary key as it arrives from a URL, a form or a JSON body: an int, or a string
# that should hold one. Services convert it with ``int()`` and answer "not found" for
# anything else; they never take the model object under this name.
Id: TypeAlias = int | str
