"""The factory itself fails, e.g. on a missing setting."""


def create_app():
    raise KeyError("DATABASE_URL")
