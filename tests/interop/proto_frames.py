"""Frames of sockit's proto wire format, written independently of sockit's own codec, for the
interop tests' Python peers (lib.sh puts this folder on PYTHONPATH). See docs/protocol.md."""
import struct

V2_MAGIC = bytes([0xC5, 0x53, 0x4B])


def crc32c(data, crc=0):
    """CRC32C (Castagnoli), bit by bit: slow, but nothing shared with the code under test."""
    crc ^= 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xffffffff


def v1(code, payload=b'', csum=None):
    """The chapter's frame: u8 code, u16 LE length, u8 reserved, u32 LE additive checksum."""
    return struct.pack('<BHBI', code, len(payload), 0, sum(payload) if csum is None else csum) + payload


def v2(code, rid, payload=b'', bad=False, length=None):
    """A v2 frame; `bad` flips a CRC bit, `length` overrides the length field."""
    h = V2_MAGIC + bytes([2, code, 0, 0, 0]) + struct.pack('<II', len(payload) if length is None else length, rid)
    c = crc32c(payload, crc32c(h)) ^ (1 if bad else 0)
    return h + struct.pack('<I', c) + payload
