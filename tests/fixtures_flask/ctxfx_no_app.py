"""A module with neither an app nor a factory."""

VALUE = 1
