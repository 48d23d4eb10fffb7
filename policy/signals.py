"""What the policy app announces to the layers above it (they connect their receivers at start-up)."""

from django.dispatch import Signal

# A change was evaluated against the policy and saved (a new diff, a declaration, a gate result, a policy edit),
# inside the caller's transaction. Argument: change. The assignment app assigns a senior when one is needed.
change_evaluated = Signal()
