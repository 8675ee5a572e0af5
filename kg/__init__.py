"""paperkg: turn research papers into a knowledge graph of methods, models, datasets, tasks and metrics.

The Python API (kg.api) is here: kg.build, kg.open, kg.extract and the KnowledgeGraph they return.

>>> import kg
>>> graph = kg.open("out")
>>> graph.stats()["papers"], len(graph.related("BadChain", top=3))
(25, 3)
"""
import sys as _sys
import types as _types

from .api import KnowledgeGraph, build, demo_corpus, extract, open  # noqa: A004  (kg.open)

__version__ = "0.1.0"
__all__ = ["KnowledgeGraph", "build", "open", "extract", "demo_corpus", "__version__"]


class _Package(_types.ModuleType):
    """kg.build and kg.extract are both API functions and submodules (kg/build.py, kg/extract/).

    Importing a submodule sets it as an attribute of its package, which would replace the function;
    this keeps the functions. The modules stay importable as ever (`from kg.build import build_graph`,
    `import kg.extract.pipeline`: imports find them in sys.modules); only `import kg.build as m` and
    `from kg import build` bind the function (use importlib.import_module("kg.build") for the module).
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in ("build", "extract") and isinstance(value, _types.ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
