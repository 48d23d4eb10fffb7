"""HTML views of the reviews app, one module per area (reviews/urls.py names each view by its module)."""
