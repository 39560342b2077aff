"""The platform: its floor (platform/, bus/), the one composition root (bootstrap.py), the use
cases on top of the projections (audit/, disclosure/, operations/) and its faces (api/, demo/,
bench/, cli/)."""
