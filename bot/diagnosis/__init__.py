"""Did the data change? Drift statistics over two tables (pandas, scipy), no Slack, no I/O
besides ``sources``, which fetches the tables."""
