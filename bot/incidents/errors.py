"""Errors the domain raises when asked to do something that cannot be done."""


class InvalidInput(ValueError):
    """The request cannot be carried out as given; the message tells the user why."""
