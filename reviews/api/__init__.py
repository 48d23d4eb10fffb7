"""The reviews app's REST API under /api/v1/: changes, verdicts, the queue, engineers and CI check results."""
