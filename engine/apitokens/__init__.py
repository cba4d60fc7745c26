"""API tokens: how a mobile app or another client authenticates to the JSON API (`Authorization: Bearer`)."""
