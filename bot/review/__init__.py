"""The periodic review: what a quarter of incidents says, in numbers, charts and a log.

``load`` reads the facts (one row per incident, from the summary each incident's
events leave on it, plus corrections and action items), ``figures`` turns them
into the review's numbers with pandas, ``charts`` draws them, and ``render``
writes HTML, Markdown or CSV.
"""
