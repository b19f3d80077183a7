"""inboxd: Intercom Conversations API 2.10 over a real database."""
