"""Reads of the insights app: the dashboards' sections as plain values, and the change lists behind them."""
