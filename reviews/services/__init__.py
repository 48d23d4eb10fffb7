"""Writes of the reviews app (sign-off, comments, files viewed, API tokens), one module each."""
