"""Finding one's way: where each person lands, the header search, the overview for admins, and the error pages."""
