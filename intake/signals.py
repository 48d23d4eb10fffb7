"""What intake announces to the layers above it; they connect their receivers at start-up (intake imports none)."""

from django.dispatch import Signal

# A change's diff was pulled and stored (files, AI evidence, revision), inside the pull's transaction, with the
# change's row locked. Arguments: change, files (the ChangeFiles), codeowners (the CODEOWNERS text at the base, or
# None). The policy app evaluates the change on it.
diff_stored = Signal()

# A review given on the git host arrived for the change's current head. Arguments: change, reviewer, verdict, at.
# The reviews app records it; a refusal is raised as a ServiceError (the delivery is then ignored with its message).
host_review_received = Signal()
