"""Organisation set-up: townships, branches, committee, party groups, the first-start path."""
