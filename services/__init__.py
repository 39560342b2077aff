"""The platform the other parts stand on: settings, the bus port and its engines, the CLI."""
