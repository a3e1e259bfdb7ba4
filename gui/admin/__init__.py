"""Administration: sign-in and idle lock, users, audit log, recycle bin, backup and restore, security settings."""
