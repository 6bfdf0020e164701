"""Jurisdiction: townships, communities, patrol zones, unit grid cells, roads and places.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.ddl import create_spatial_index, drop_spatial_index
from store.types import Geometry

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = ("townships", "communities", "zones", "cells", "roads", "places")


def _bbox() -> list[sa.Column]:
    return [sa.Column(name, sa.Float) for name in ("min_lon", "min_lat", "max_lon", "max_lat")]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "townships",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(9), nullable=False, unique=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("name_en", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("area_km2", sa.Float, nullable=False),
        sa.Column("geom", Geometry("GEOMETRY"), nullable=False),
        *_bbox(),
    )
    op.create_table(
        "communities",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(12), nullable=False, unique=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("official_name", sa.String, nullable=False),
        sa.Column("name_en", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("township_code", sa.String(9), sa.ForeignKey("townships.code"), nullable=False),
        sa.Column("area_km2", sa.Float, nullable=False),
        sa.Column("geom", Geometry("GEOMETRY"), nullable=False),
        *_bbox(),
    )
    op.create_index("ix_communities_township_code", "communities", ["township_code"])
    op.create_table(
        "zones",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(11), nullable=False, unique=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("name_en", sa.String, nullable=False),
        sa.Column("township_code", sa.String(9), sa.ForeignKey("townships.code"), nullable=False),
        sa.Column("cell_count", sa.Integer, nullable=False),
        sa.Column("area_km2", sa.Float, nullable=False),
        sa.Column("geom", Geometry("GEOMETRY"), nullable=False),
        *_bbox(),
    )
    op.create_index("ix_zones_township_code", "zones", ["township_code"])
    op.create_table(
        "cells",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(15), nullable=False, unique=True),
        sa.Column("community_code", sa.String(12), sa.ForeignKey("communities.code"), nullable=False),
        sa.Column("township_code", sa.String(9), sa.ForeignKey("townships.code"), nullable=False),
        sa.Column("zone_code", sa.String(11), sa.ForeignKey("zones.code")),
        sa.Column("col", sa.Integer, nullable=False),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("area_m2", sa.Float, nullable=False),
        sa.Column("geom", Geometry("GEOMETRY"), nullable=False),
        *_bbox(),
    )
    op.create_index("ix_cells_community_code", "cells", ["community_code"])
    op.create_index("ix_cells_township_code", "cells", ["township_code"])
    op.create_index("ix_cells_zone_code", "cells", ["zone_code"])
    op.create_index("ix_cells_col_row", "cells", ["col", "row"])
    op.create_table(
        "roads",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ref", sa.String, nullable=False, unique=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("township_code", sa.String(9), sa.ForeignKey("townships.code")),
        sa.Column("number_from", sa.Integer),
        sa.Column("number_to", sa.Integer),
        sa.Column("geom", Geometry("LINESTRING"), nullable=False),
        *_bbox(),
    )
    op.create_index("ix_roads_name", "roads", ["name"])
    op.create_index("ix_roads_township_code", "roads", ["township_code"])
    op.create_table(
        "places",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ref", sa.String, nullable=False, unique=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("category", sa.String),
        sa.Column("address", sa.String),
        sa.Column("township_code", sa.String(9), sa.ForeignKey("townships.code")),
        sa.Column("community_code", sa.String(12), sa.ForeignKey("communities.code")),
        sa.Column("geom", Geometry("POINT"), nullable=False),
        *_bbox(),
    )
    op.create_index("ix_places_name", "places", ["name"])
    op.create_index("ix_places_township_code", "places", ["township_code"])
    for table in TABLES:
        create_spatial_index(op, table)


def downgrade() -> None:
    for table in reversed(TABLES):
        drop_spatial_index(op, table)
        op.drop_table(table)
