"""Numbers typed and shown by people: weights and biases must survive a round trip.

:func:`exact_number` writes the shortest text that reads back as the very same float
(Python's ``repr``, without a trailing ``.0``), so a field or dialog that shows a weight
and is confirmed without an edit gives back exactly the weight it showed: nothing is
rounded on the way, and the caller can tell "unchanged" by comparing floats.
:func:`parse_number` reads what a person typed (``1e-3``, ``-0.5``, ``.25``, ``1,5`` is
refused) and refuses what is not a finite number, with a message to show.
"""

from __future__ import annotations

import math


def exact_number(value: float) -> str:
    """The shortest text that parses back to exactly ``value``: 0.2739233746429086, 2,
    -1e-07."""
    text = repr(float(value))
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def parse_number(text: str) -> float:
    """The finite float in ``text``; ``ValueError`` with a message to show otherwise."""
    stripped = text.strip()
    try:
        value = float(stripped)
    except ValueError:
        raise ValueError(f"'{stripped}' is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"'{stripped}' is not a finite number")
    return value
