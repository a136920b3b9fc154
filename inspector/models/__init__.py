"""Qt item models: thin, bounded wrappers over engine events, fed in batches."""
