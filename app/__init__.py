"""The application layer: the wiring of PaperBot's parts and the use cases every surface calls."""
