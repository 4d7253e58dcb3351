"""The public status page: the components customers know (``components``), the words
their states and an incident's public status take (``states``), what was published and
how it is checked (``publishing``), the page's data (``reading``: now, the 90-day bars,
the Atlassian Statuspage summary), its web pages (``pages``) and Atlassian Statuspage's
API (``atlassian``)."""
