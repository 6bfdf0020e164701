"""Map layers: one module per layer, all registered in :data:`layers.registry.registry`.

The built-in layers are registered here, in drawing order (bottom up), so the whole list is in one
place. A new layer is one module with a Layer class, and one line in ``BUILT_IN`` (or a
``register(...)`` call from an extension's own package).
"""

from layers.cells import CellsLayer
from layers.communities import CommunitiesLayer
from layers.registry import Label, Layer, LayerQuery, LayerRegistry, empty_collection, register, registry
from layers.townships import TownshipsLayer
from layers.zones import ZonesLayer

BUILT_IN = (TownshipsLayer(), CommunitiesLayer(), ZonesLayer(), CellsLayer())

for _layer in BUILT_IN:
    register(_layer)

__all__ = ["BUILT_IN", "Label", "Layer", "LayerQuery", "LayerRegistry", "empty_collection", "register", "registry"]
