"""The `povezimo` command line: one console, one set of common options, a module per command
group. `main` assembles them."""
