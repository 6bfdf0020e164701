"""Pieces several pages share: header, translated text, the jurisdiction map, the side panel."""
