"""Shortcuts (Bolt's ``shortcut``): the message shortcut that pins to the timeline."""
