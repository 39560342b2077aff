"""The floor everything stands on: settings, SQL engines, the key vault, pseudonyms, signing,
log redaction and memory readings. It imports nothing of the application."""
