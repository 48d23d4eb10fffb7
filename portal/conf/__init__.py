"""Settings by topic, each imported by portal/settings.py (which stays under the module size limit)."""
