"""Cut the course's East Asia map out of Natural Earth (run by hand, offline).

Input: ``countries-50m.json`` from the npm package ``world-atlas`` 2.0.2
(Natural Earth 4.1.0 Admin 0 countries, 1:50m, as TopoJSON; Natural Earth is
in the public domain). Get it with ``npm pack world-atlas@2.0.2`` and unpack
the tarball. Output: ``data/east_asia_map.geojson``, the countries that reach
into the map's box, each ring clipped to the box (a margin beyond the area
the map shows, so clipped edges never show) and rounded to 0.01 degree.

    python data/notes/clip_natural_earth.py package/countries-50m.json data/east_asia_map.geojson

Only the standard library is used, so the extract can be remade anywhere.
"""

from __future__ import annotations

import json
import sys

# lon_min, lat_min, lon_max, lat_max: the 00 map shows 112-147 E, 24-45 N.
BOX = (106.0, 18.0, 153.0, 51.0)


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs (quantised, delta-encoded) as lists of (lon, lat)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list, indexes: list[int]) -> list[tuple[float, float]]:
    """Join the arcs of one ring; a negative index means the arc reversed (~i)."""
    out: list[tuple[float, float]] = []
    for i in indexes:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(points[1:] if out else points)
    return out


def clip(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sutherland-Hodgman clipping of a closed ring to BOX."""
    x0, y0, x1, y1 = BOX
    edges = [
        (lambda p: p[0] >= x0, lambda a, b: _cut_x(a, b, x0)),
        (lambda p: p[0] <= x1, lambda a, b: _cut_x(a, b, x1)),
        (lambda p: p[1] >= y0, lambda a, b: _cut_y(a, b, y0)),
        (lambda p: p[1] <= y1, lambda a, b: _cut_y(a, b, y1)),
    ]
    for inside, cut in edges:
        if not points:
            break
        result = []
        prev = points[-1]
        for cur in points:
            if inside(cur):
                if not inside(prev):
                    result.append(cut(prev, cur))
                result.append(cur)
            elif inside(prev):
                result.append(cut(prev, cur))
            prev = cur
        points = result
    return points


def _cut_x(a, b, x):
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _cut_y(a, b, y):
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def main(src: str, dst: str) -> None:
    topology = json.load(open(src, encoding="utf-8"))
    arcs = decode_arcs(topology)
    features = []
    for geom in topology["objects"]["countries"]["geometries"]:
        polys = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        kept = []
        for poly in polys:
            rings = []
            for r in poly:
                clipped = clip(ring(arcs, r))
                rounded = [[round(x, 2), round(y, 2)] for x, y in clipped]
                deduped = [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]
                if len(deduped) >= 3:
                    deduped.append(deduped[0])
                    rings.append(deduped)
            if rings and len(rings[0]) >= 4:
                kept.append(rings)
        if kept:
            features.append({
                "type": "Feature",
                "id": geom.get("id"),
                "properties": {"name": geom["properties"]["name"]},
                "geometry": {"type": "MultiPolygon", "coordinates": kept},
            })
    features.sort(key=lambda f: f["properties"]["name"])
    out = {"type": "FeatureCollection", "bbox": list(BOX), "features": features}
    with open(dst, "w", encoding="utf-8") as handle:
        json.dump(out, handle, separators=(",", ":"))
        handle.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
