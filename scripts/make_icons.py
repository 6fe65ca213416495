"""Draw the site's icon set from static/icons/favicon.svg's design with Pillow.

    .venv/bin/python scripts/make_icons.py

Writes favicon.ico (16, 32, 48 px), apple-touch-icon.png (180 px) and
icon-192.png / icon-512.png (for the web app manifest) into static/icons/.
Pillow draws the same two waves on the brand blue as the SVG, which modern
browsers use directly."""

import math
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
BLUE, WHITE, LIGHT = (11, 79, 138), (255, 255, 255), (159, 208, 255)


def wave(draw, scale, y, colour):
    points = []
    for step in range(0, 45):
        x = 10 + step
        # Two arcs like the SVG's cubic curves: down then up.
        points.append((x * scale, (y + 4 * math.sin((x - 10) / 36 * 2 * math.pi)) * scale))
    draw.line(points, fill=colour, width=max(1, round(5 * scale)), joint="curve")


def icon(size, radius=True):
    scale = size / 64
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (0, 0, size - 1, size - 1), radius=round(12 * scale) if radius else 0, fill=BLUE
    )
    wave(draw, scale, 24, LIGHT)
    wave(draw, scale, 38, WHITE)
    return image


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    icon(256).save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    icon(180, radius=False).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    for size in (192, 512):
        icon(size).save(OUT / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
