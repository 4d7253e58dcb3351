"""Local stand-ins for Jira Cloud, GitHub and Confluence Cloud, each enforcing the rules
of the vendor's documented API that the bot meets (auth, required fields, limits, error
bodies) and sending webhooks signed as the vendor signs them."""
