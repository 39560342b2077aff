"""The api store's revisions, oldest first; each file names its ``down_revision``."""
