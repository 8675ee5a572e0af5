"""paperkg: turn research papers into a knowledge graph of methods, models, datasets, tasks and metrics."""
__version__ = "0.1.0"
