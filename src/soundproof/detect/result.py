"""The per-track verdict: the stable, user-facing contract of DESIGN.md.

Scripts parse these rows, so fields are only ever added, never renamed or removed.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

VerdictLabel = Literal["ai", "human", "uncertain", "error"]


#: Revision of the rows a Detector gives for an unchanged model file: the features it
#: measures, the explanation it picks, when it abstains. Remembered scan results are keyed
#: by model version *and* this revision, so an upgrade that changes rows without a new
#: model does not serve old ones. Bump it with any such change. 2: the explanation names
#: the band that pushed p_ai up most (1: the largest t statistic).
RESULT_REVISION = 2


class CombExplanation(BaseModel):
    """Why the detector decided what it did, in terms a person can check on a spectrum."""

    summary: str = Field(
        description="One sentence in words, e.g. 'spectral peaks every 1102.5 Hz'."
    )
    spacing_hz: float | None = Field(
        None, description="Spacing of the comb the verdict rests on (see the model card)."
    )
    upsampling_factor: int | None = Field(
        None, description="Product of strides implied by the spacing at the track's rate."
    )
    pitch_ratio: float | None = Field(
        None, description="Speed/pitch factor between the spacing and rate/factor (1.0 = none)."
    )
    strength_db: float | None = Field(None, description="Mean height of the comb peaks in dB.")
    band: str | None = Field(None, description="Band of that comb, e.g. '5-16 kHz'.")
    harmonics: int | None = Field(None, description="Number of comb teeth inside that band.")
    sample_rate: int | None = None
    bandwidth_hz: float | None = Field(None, description="Highest frequency with real content.")
    reason: str | None = Field(None, description="Why the detector abstained, when it did.")


class TrackResult(BaseModel):
    """One row of `soundproof scan --format jsonl`."""

    path: str
    duration_s: float | None = None
    verdict: VerdictLabel
    p_ai: float | None = None
    explanation: CombExplanation | None = None
    error: str | None = None
    title: str | None = None
    artist: str | None = None
    isrc: str | None = None
    source: str | None = None
    platform: str | None = Field(
        None, description="Format of the playlist in `source`: m3u, pls, xspf, spotify, ..."
    )
    position: int | None = Field(None, description="1-based index of the entry in `source`.")
    playlist: str | None = Field(
        None, description="Name of the playlist inside `source`, where it has one (Apple)."
    )
    model_version: str | None = None
    analysed_s: float | None = Field(None, description="Seconds of audio actually analysed.")
    content_hash: str | None = Field(
        None, description="SHA-256 of the file's bytes (hex): the track's identity in caches."
    )
    log_index: int | None = Field(
        None, description="Index of this verdict's leaf in the provenance ledger (scan --sign)."
    )
    attestation: str | None = Field(
        None,
        description=(
            "The verdict signed by the ledger key: a compact JWS (alg Ed25519) that "
            "`soundproof ledger verify-attestation` checks offline (scan --sign)."
        ),
    )
    from_cache: bool = Field(
        False, exclude=True, description="Not part of the row: the verdict was remembered."
    )

    #: The fields that depend only on the audio and the model, which a cache may keep.
    ANALYSIS_FIELDS: ClassVar[tuple[str, ...]] = (
        "duration_s",
        "verdict",
        "p_ai",
        "explanation",
        "error",
        "model_version",
        "analysed_s",
    )

    #: Where the track was listed (playlist metadata), copied from its source into the row.
    METADATA_FIELDS: ClassVar[tuple[str, ...]] = (
        "title",
        "artist",
        "isrc",
        "source",
        "platform",
        "position",
        "playlist",
    )

    def analysis(self) -> dict[str, Any]:
        """The part of the row that a results cache stores (JSON-able)."""
        return self.model_dump(mode="json", include=set(self.ANALYSIS_FIELDS))

    def to_json_dict(self) -> dict[str, Any]:
        """The JSONL row: every contract field present, nulls included."""
        return self.model_dump(mode="json")
