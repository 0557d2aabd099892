"""The verdict-row keys that DESIGN.md promises to scripts; tests check rows against this copy."""

CONTRACT_KEYS = frozenset(
    {
        "path",
        "duration_s",
        "verdict",
        "p_ai",
        "explanation",
        "error",
        "title",
        "artist",
        "isrc",
        "source",
        "platform",
        "position",
        "playlist",
    }
)
