"""Safe loading of media bytes: sniffing, limits, decoding, orientation (``load``), and video
containers recognised without decoding (``containers``)."""

from __future__ import annotations

from deepscreen.media.load import MediaLimits, load_media, read_media_file, sniff_mime

__all__ = ["MediaLimits", "load_media", "read_media_file", "sniff_mime"]
