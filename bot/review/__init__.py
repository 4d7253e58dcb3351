"""The periodic review: what a quarter of incidents says, in numbers, charts and a log.

``load`` reads the facts with one query per kind of fact (SQL aggregates, no loop
per incident), ``figures`` turns them into the review's numbers with pandas,
``charts`` draws them, and ``render`` writes HTML, Markdown or CSV.
"""
