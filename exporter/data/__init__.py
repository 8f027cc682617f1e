"""Built-in coefficient tables (CSV) and the one-off generator that derives them; see README.md."""
