"""The writes of notifications: turns, notifying, delivery, preferences and the beat's scans."""
