"""The Textual interface. Nothing in the core imports this package."""
