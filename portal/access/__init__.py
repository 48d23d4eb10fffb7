"""Who may do what: the portal's roles and permissions, in one place (see rules.py)."""
