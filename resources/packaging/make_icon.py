"""Draws the app icon (resources/icons/app.png and the multi-size app.ico for Windows) from the shipped font.

Run once when the design changes: .venv/bin/python resources/packaging/make_icon.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

RESOURCES = Path(__file__).resolve().parent.parent
RED = (200, 16, 46, 255)
GOLD = (255, 214, 102, 255)
SIZE = 256


def draw(size: int = SIZE) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 6, fill=RED)
    font = ImageFont.truetype(str(RESOURCES / "fonts" / "wqy-microhei.ttc"), int(size * 0.72))
    pen.text((size / 2, size / 2), "台", font=font, fill=GOLD, anchor="mm")
    return image


def main() -> None:
    out = RESOURCES / "icons"
    out.mkdir(exist_ok=True)
    image = draw()
    image.save(out / "app.png", optimize=True)
    image.save(
        out / "app.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]
    )


if __name__ == "__main__":
    main()
