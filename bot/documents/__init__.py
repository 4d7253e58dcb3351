"""Documents made from the timeline: the post-mortem, its charts, the template environment."""
