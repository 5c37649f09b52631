"""People: users, sign-in, sessions, API tokens."""
