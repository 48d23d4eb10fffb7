"""What intake announces to the layers above it; they connect their receivers at start-up (intake imports none)."""

from django.dispatch import Signal

# A change's diff was pulled and stored (files, AI evidence, revision), inside the pull's transaction, with the
# change's row locked. Arguments: change, files (the ChangeFiles), codeowners (the CODEOWNERS text at the base, or
# None). The policy app evaluates the change on it.
diff_stored = Signal()

# A review given on the git host arrived for the change's current head. Arguments: change, reviewer, verdict, at,
# host_review_id (the host's id of the review, so a second delivery of it is recognised). The reviews app records it;
# a refusal is raised as a ServiceError (the delivery is then ignored with its message), a review already on record
# as AlreadyRecorded.
host_review_received = Signal()

# A review was withdrawn on the git host (a dismissed GitHub review, a GitLab unapproval). Arguments: change,
# host_review_id, at, reviewer (who gave it, where the host says; else None). The reviews app marks the reviews
# dismissed and answers with the list of reviews dismissed now.
host_review_dismissed = Signal()
