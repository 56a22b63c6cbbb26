"""Everything the user sees: the REPL, forms, and Rich rendering of results and events."""
