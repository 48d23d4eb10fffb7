"""The review conversation: the change's timeline, whose turn it is, and what changed since a senior's review."""
