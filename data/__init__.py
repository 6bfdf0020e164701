"""The demo city of 同安区, the hand-written sources (divisions, enforcement items) and the jurisdiction-folder writer."""
