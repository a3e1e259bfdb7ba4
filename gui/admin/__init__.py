"""Administration: users, sign-in and idle lock, audit log, recycle bin."""
