"""People, their roles, consent, login and one-time links and codes."""
