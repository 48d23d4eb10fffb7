"""Whose turn it is, and telling people: the attention set's store, the inbox, e-mail and chat."""
