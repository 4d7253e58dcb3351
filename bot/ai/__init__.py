"""The AI investigator's engine: one client for an OpenAI-compatible Chat Completions API,
the read-only tools a model may call, how text reaches the model (delimited, labelled as
untrusted, sensitive values withheld) and the loop that runs a task within its deadline
and budgets. The use cases that start tasks and show their results are ``bot.app.ai_*``.
"""
