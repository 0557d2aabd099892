"""Find audio and feed it to the analyses at scale (DESIGN.md's ``scan/`` layer).

:func:`scan` is the Python twin of ``soundproof scan``: paths (files, directories,
playlists; see :mod:`soundproof.scan.playlists`) in, one
:class:`~soundproof.detect.result.TrackResult` per track out, on every core.
"""

from soundproof.scan.runner import default_workers, scan
from soundproof.scan.sources import AUDIO_EXTENSIONS, Source, is_audio_name, iter_sources

__all__ = ["AUDIO_EXTENSIONS", "Source", "default_workers", "is_audio_name", "iter_sources", "scan"]
