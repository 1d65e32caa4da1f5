"""The embedded offline provider: an OpenAI-compatible images server that draws with Pillow."""
