"""Model shape type groups."""

from __future__ import annotations

__all__ = ["FLOAT_TYPES", "INT_TYPES", "SCALAR_TYPES"]

INT_TYPES = frozenset({"integer", "long", "short", "byte", "bigInteger"})
FLOAT_TYPES = frozenset({"float", "double", "bigDecimal"})
SCALAR_TYPES = INT_TYPES | FLOAT_TYPES | {"string", "boolean", "blob", "timestamp"}
