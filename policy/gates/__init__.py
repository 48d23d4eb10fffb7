"""Automated gates run on each revision before a senior sees it (pure: facts about files in, outcomes out).

A gate looks at the files of one revision and answers pass, warn or fail with a message and details. The built-in
gates check size, secrets in added lines, migrations, infrastructure as code, lock files changed without their
manifest, and source changed without tests. Organisations add their own through `load_gate`.
"""

from policy.gates.base import (
    STATUSES,
    FileFacts,
    Gate,
    GateConfig,
    GateOutcome,
    Status,
    added_lines_from_patch,
    facts_from_file_diff,
    matches_any,
)
from policy.gates.builtin import (
    BUILTIN_GATES,
    InfrastructureGate,
    LockfilesGate,
    MigrationsGate,
    SecretsGate,
    SizeGate,
    TestsGate,
)
from policy.gates.running import load_gate, overall, run_gates

__all__ = [
    "BUILTIN_GATES",
    "STATUSES",
    "FileFacts",
    "Gate",
    "GateConfig",
    "GateOutcome",
    "InfrastructureGate",
    "LockfilesGate",
    "MigrationsGate",
    "SecretsGate",
    "SizeGate",
    "Status",
    "TestsGate",
    "added_lines_from_patch",
    "facts_from_file_diff",
    "load_gate",
    "matches_any",
    "overall",
    "run_gates",
]
