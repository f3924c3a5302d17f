"""Colour contrast (WCAG 2.1): a reseller's brand colour is the background of buttons with
white text and the colour of links on white, so it needs 4.5:1 against white."""

MIN_CONTRAST = 4.5


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_on_white(hex_colour: str) -> float:
    """(1.05) / (L + 0.05): '#ffffff' → 1.0, '#000000' → 21.0, '#0b5cad' → 6.7."""
    return 1.05 / (relative_luminance(hex_colour) + 0.05)
