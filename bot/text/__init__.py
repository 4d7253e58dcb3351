"""Text on its way to a reader: one module renders stored words for each surface."""
