"""imagegen-tui: generate images through OpenAI-compatible image APIs from the terminal."""

__version__ = "0.2.0"
