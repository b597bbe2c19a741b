"""`GET /integrations`: our connectors in the shape of Codat's platform API, with capabilities."""
