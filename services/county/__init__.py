"""The county desk: the same app opened on a county database (received townships' packages)."""
