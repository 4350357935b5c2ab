"""SM4 for HJ 212-2025 encrypted data areas (HJ 212-2025 §6.4, Appendix A.2).

SM4 (GB/T 32907-2016), 16-byte key, ECB, no padding, over the characters between ``CP=&&`` and
the closing ``&&``, in 16-character blocks; a final block shorter than 16 stays plaintext; the
length field and the CRC are those of the plaintext (shared/reference/standards-2025-2026.md
§4.3, [3P; the standard's A.2 example reproduced]). The codec (``packet.parse_frame``) cuts the
region and calls the decryptor on the whole blocks; this module builds that decryptor from a
device's key with the ``cryptography`` package (OpenSSL's SM4).

Open point, kept as the reference notes have it: whether devices put the ciphertext on the
wire as raw bytes (what the length rule implies) or printed; raw bytes are implemented.
"""

from __future__ import annotations

import string
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from coact.engines.hj212.packet import split_encrypted_region

BLOCK_BYTES = 16

Sm4Transform = Callable[[bytes], bytes]


def parse_sm4_key(text: str) -> bytes:
    """The 16-byte key from how it is written down: 32 hex digits, or 16 characters used as
    their ASCII bytes (the standard's test key is "0000000000000000", 16 x 0x30).

    Raises ValueError naming what is wrong."""
    value = text.strip()
    if len(value) == 2 * BLOCK_BYTES and all(c in string.hexdigits for c in value):
        return bytes.fromhex(value)
    if len(value) == BLOCK_BYTES and value.isascii() and value.isprintable():
        return value.encode("ascii")
    raise ValueError(
        f"an SM4 key is 32 hex digits or 16 ASCII characters, got {len(value)} characters"
    )


def sm4_ecb_decryptor(key: bytes) -> Sm4Transform:
    """A function that decrypts whole 16-byte blocks with SM4-ECB under ``key`` (the codec's
    ``decrypt_cp`` hook)."""
    return _transform(key, decrypt=True)


def sm4_ecb_encryptor(key: bytes) -> Sm4Transform:
    """The inverse of ``sm4_ecb_decryptor`` (simulated devices and tests)."""
    return _transform(key, decrypt=False)


def _transform(key: bytes, *, decrypt: bool) -> Sm4Transform:
    if len(key) != BLOCK_BYTES:
        raise ValueError(f"an SM4 key has 16 bytes, got {len(key)}")
    cipher = Cipher(algorithms.SM4(key), modes.ECB())

    def run(data: bytes) -> bytes:
        if len(data) % BLOCK_BYTES:
            raise ValueError(f"SM4-ECB without padding needs whole blocks, got {len(data)} bytes")
        context = cipher.decryptor() if decrypt else cipher.encryptor()
        return context.update(data) + context.finalize()

    return run


def encrypt_data_area(segment: bytes, key: bytes) -> bytes:
    """A plaintext data segment with its CP region encrypted as an HJ 212-2025 device sends it:
    the whole 16-byte blocks after ``CP=&&`` encrypted, the shorter tail and ``&&`` plain."""
    parts = split_encrypted_region(segment)
    if parts is None:
        raise ValueError("the data segment has no CP=&&...&& region to encrypt")
    head, blocks, tail = parts
    return head + (sm4_ecb_encryptor(key)(blocks) if blocks else b"") + tail
