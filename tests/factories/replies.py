"""What people put around an SMS answer (capitals, kisses, thanks, emoji, curly quotes): the reply reader's
tests dress every reply in each of these, and none may change what it means."""

from __future__ import annotations

from collections.abc import Callable

# What people put around an answer. None of it may change what the answer means.
DRESSINGS: tuple[Callable[[str], str], ...] = (
    lambda t: t,
    str.upper,
    str.capitalize,
    str.title,
    lambda t: f"  {t}  ",
    lambda t: f"{t}.",
    lambda t: f"{t}!",
    lambda t: f"{t}!!",
    lambda t: f"{t}...",
    lambda t: f"{t} x",
    lambda t: f"{t} xx",
    lambda t: f"{t} thanks",
    lambda t: f"{t}, thanks",
    lambda t: f"{t} thank you",
    lambda t: f"{t}. Thanks x",
    lambda t: f"{t} \U0001f60a",
    lambda t: f"{t} \U0001f44d",
    lambda t: f"{t} :)",
    lambda t: f"Hi, {t}",
    lambda t: f"\u201c{t}\u201d",
    lambda t: t.replace("'", "\u2019"),
    lambda t: t.replace(" ", "  "),
)
