"""CRC32C (Castagnoli), the checksum Secret Manager puts on payloads (`data_crc32c`).

Pure Python with a lookup table: payloads are small (Secret Manager caps them at
64 KiB), and both the sandbox (serving) and gcp/secrets.py (verifying) need it
without an extra native package.
"""

from __future__ import annotations

_POLY = 0x82F63B78  # reversed Castagnoli polynomial


def _table() -> tuple[int, ...]:
    out = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        out.append(crc)
    return tuple(out)


_TABLE = _table()


def crc32c(data: bytes) -> int:
    """The CRC32C of `data` as an unsigned 32-bit int (crc32c(b"123456789") == 0xE3069283)."""
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF
