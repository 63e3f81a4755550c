"""sesame: adapt extractive question answering to a new document collection with no labelled data."""

__version__ = "0.1.0"
