"""End-to-end tests: real OpenAI clients against the reference proxy on localhost."""
