"""The headless commands ``trace`` and ``serve``, and what they share."""
