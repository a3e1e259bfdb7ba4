"""Domain logic (no Qt). Functions take a SQLAlchemy session and plain values."""
