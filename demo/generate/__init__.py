"""A synthetic organisation's year of history, written in bulk for benchmarks (`manage.py generate_org`)."""
