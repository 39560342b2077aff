"""Audit: verify the hash-chained archive, replay the past, identify with a recorded purpose,
and erase a subject by crypto-shredding."""
