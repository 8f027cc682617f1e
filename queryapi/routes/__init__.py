"""HTTP handlers, one module per area; each exposes a `routes` table the app adds."""
