"""三会一课 (meetings) screen: the meeting list, the meeting form and its attendance table."""
