"""The web portal: staff of institutions without a system of their own sign in, read their
inbox and answer referrals, through the same use cases as the HTTP API."""
