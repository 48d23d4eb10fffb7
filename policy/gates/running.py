"""Running gates, the overall verdict, and loading an organisation's own gates (pure)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Sequence

from policy.gates.base import STATUSES, FileFacts, Gate, GateConfig, GateOutcome, Status
from policy.gates.builtin import BUILTIN_GATES

# --- running ---------------------------------------------------------------------------------------------------


def _gate_name(gate: object) -> str:
    name = getattr(gate, "name", None)
    return name if isinstance(name, str) and name else type(gate).__name__


def _crashed(name: str, message: str) -> GateOutcome:
    return GateOutcome(name, "fail", message[:1000])


def _checked(name: str, outcome: object) -> GateOutcome:
    if not isinstance(outcome, GateOutcome):
        return _crashed(name, f"gate crashed: returned {type(outcome).__name__}, not a GateOutcome")
    if outcome.status not in STATUSES:
        return _crashed(name, f"gate crashed: returned the status {str(outcome.status)[:50]!r}")
    details = outcome.details
    if isinstance(details, str) or not isinstance(details, Iterable):
        details = (str(details),)
    return GateOutcome(name, outcome.status, str(outcome.message)[:1000], tuple(str(d) for d in details))


def run_gates(files: Sequence[FileFacts], config: GateConfig, extra: Sequence[Gate] = ()) -> list[GateOutcome]:
    """Run the built-in gates then the extra ones, in order. A gate that raises or answers nonsense becomes a
    failed outcome; a gate whose name is already taken fails under a suffixed name instead of running."""
    files = tuple(files)
    outcomes: list[GateOutcome] = []
    seen: set[str] = set()
    for gate in (*BUILTIN_GATES, *extra):
        name = _gate_name(gate)
        if name in seen:
            outcomes.append(
                _crashed(f"{name} (duplicate)", f"another gate is already named {name!r}: give this one its own name")
            )
            continue
        seen.add(name)
        try:
            # Checking the answer may run the gate's own code too (a details generator, a __str__).
            outcomes.append(_checked(name, gate.run(files, config)))
        except Exception as exc:  # a broken gate must not stop the others
            outcomes.append(_crashed(name, f"gate crashed: {type(exc).__name__}: {str(exc)[:500]}"))
    return outcomes


def overall(outcomes: Iterable[GateOutcome]) -> Status:
    """The worst status among the outcomes: fail, then warn, else pass."""
    statuses = {o.status for o in outcomes}
    if "fail" in statuses:
        return "fail"
    if "warn" in statuses:
        return "warn"
    return "pass"


_DOTTED_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def load_gate(dotted_path: str) -> Gate:
    """Import and build a gate from "package.module:ClassName" or "package.module.ClassName".

    The path comes from the portal's administrators (importing runs the module's code): never from a repository or
    a webhook. Raises ValueError saying what is wrong.
    """
    if not isinstance(dotted_path, str):
        raise ValueError(f"gate path must be a string, not {type(dotted_path).__name__}")
    text = dotted_path.strip()
    if ":" in text:
        module_name, _, attr = text.partition(":")
    else:
        module_name, _, attr = text.rpartition(".")
    if not (_DOTTED_RE.fullmatch(module_name) and attr.isidentifier()):
        raise ValueError(f"gate path {dotted_path!r} is not 'package.module:ClassName' or 'package.module.ClassName'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"gate path {dotted_path!r}: cannot import {module_name!r}: {exc}") from exc
    try:
        target = getattr(module, attr)
    except AttributeError:
        raise ValueError(f"gate path {dotted_path!r}: module {module_name!r} has no {attr!r}") from None
    if isinstance(target, type):
        try:
            gate = target()
        except Exception as exc:
            raise ValueError(f"gate path {dotted_path!r}: {attr}() failed: {type(exc).__name__}: {exc}") from exc
    else:
        gate = target
    name = getattr(gate, "name", None)
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"gate {dotted_path!r} has no name: give the class a non-empty `name` string")
    if len(name) > 100:
        raise ValueError(f"gate {dotted_path!r}: name is longer than 100 characters")
    run: Callable[..., object] | None = getattr(gate, "run", None)
    if not callable(run):
        raise ValueError(f"gate {dotted_path!r} has no run(files, config) method")
    return gate
