"""Geography of the jurisdiction: coordinate systems, unit grid cells, patrol zones, partitions, boundary import.

Pure functions over GeoDataFrames and arrays; no web framework, cache or database here.
"""
