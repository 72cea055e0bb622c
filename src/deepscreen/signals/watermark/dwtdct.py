"""A NumPy codec for invisible-watermark 0.2.0's ``dwtDct`` scheme, with no OpenCV or torch.
Decoding is bit-identical to the reference package's decoder. Encoding exists to make test carriers.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pywt

SCALE = 36
"""The reference embeds into U with step 36: ``|v| mod 36`` is 9 for a 0 bit and 27 for a 1 bit."""
BLOCK = 4
MIN_PIXELS = 256 * 256
"""The reference refuses images with fewer pixels (``rows * cols < 256 * 256``)."""

# The constants of OpenCV's COLOR_BGR2YUV and COLOR_YUV2BGR (color_yuv.simd.hpp, BT.601).
# uint8 uses 14-bit fixed point; float32 uses float coefficients with chroma offset 0.5, not
# 128; its order of fused multiply-adds is that of OpenCV's AVX2 build (x86-64 wheels), whose
# SIMD loop takes 8 pixels at a time and leaves the last ``width % 8`` of each row to scalar code.
_SHIFT = 14
_B2Y, _G2Y, _R2Y, _B2U, _R2V = 1868, 9617, 4899, 8061, 14369
_U2B, _U2G, _V2G, _V2R = 33292, -6472, -9519, 18678
_F = np.float32
_B2YF, _G2YF, _R2YF, _B2UF, _R2VF = _F(0.114), _F(0.587), _F(0.299), _F(0.492), _F(0.877)
_U2BF, _U2GF, _V2GF, _V2RF = _F(2.032), _F(-0.395), _F(-0.581), _F(1.140)
_LANES = 8
_FLOAT_LIMIT = 1e6  # keeps float32 intermediates finite
_HAAR = pywt.Wavelet("haar").dec_lo[0]  # 1/sqrt(2) as pywt stores it

Image = npt.NDArray[Any]
"""An H×W×3 (or ...×3) array of uint8 or float32 pixels; the dtype selects OpenCV's arithmetic."""
Bits = npt.NDArray[np.uint8]
Bools = npt.NDArray[np.bool_]


def message_bits(message: bytes | str) -> Bits:
    """Bits of a message: bytes MSB first (the reference's ``'bytes'``), or a '0'/'1' string."""
    if isinstance(message, str):
        if not message or set(message) - {"0", "1"}:
            raise ValueError(f"bit string must hold only '0' and '1', got {message!r}")
        return np.array([int(c) for c in message], dtype=np.uint8)
    return np.unpackbits(np.frombuffer(message, dtype=np.uint8))


def encode(bgr: npt.ArrayLike, bits: Sequence[int] | npt.ArrayLike) -> Image:
    """Embed ``bits`` the way ``WatermarkEncoder.encode(bgr, 'dwtDct')`` does, bug for bug.

    uint8 input gives uint8 output; any float input is taken as float32 (as OpenCV needs) and
    gives float32 output, which callers round and clip like diffusers does.
    """
    image = _as_image(bgr).copy()
    wm = np.asarray(bits, dtype=np.int64).ravel() % 2
    if wm.size == 0:
        raise ValueError("cannot embed an empty message")
    rows, cols = image.shape[:2]
    yuv = bgr_to_yuv(image)
    r4, c4 = rows // BLOCK * BLOCK, cols // BLOCK * BLOCK
    ll, (horizontal, vertical, diagonal) = pywt.dwt2(yuv[:r4, :c4, 1], "haar")
    _embed_blocks(ll, wm)
    # The reference passes (V, H, D) to idwt2, swapping the detail bands: kept for fidelity.
    yuv[:r4, :c4, 1] = pywt.idwt2((ll, (vertical, horizontal, diagonal)), "haar")
    return yuv_to_bgr(yuv)


def decode(bgr: npt.ArrayLike, n_bits: int) -> Bits:
    """The ``n_bits`` bits ``WatermarkDecoder('bits', n_bits).decode(bgr, 'dwtDct')`` returns."""
    return bits_from_blocks(block_bits(bgr), n_bits)


def block_bits(bgr: npt.ArrayLike) -> Bools:
    """The bit each 4×4 block of U's Haar LL band carries, in raster order (message-independent).

    Block *k* votes for message bit *k mod n*; see :func:`bits_from_blocks`.
    """
    image = _as_image(bgr)
    if image.dtype == np.uint8:
        return _fast_block_bits(image, (False,))[0]
    return _exact_block_bits(image)


def block_bits_pair(image: npt.ArrayLike) -> tuple[Bools, Bools]:
    """:func:`block_bits` of ``image`` and of ``image[..., ::-1]``, sharing work when uint8."""
    pixels = _as_image(image)
    if pixels.dtype == np.uint8:
        as_given, flipped = _fast_block_bits(pixels, (False, True))
        return as_given, flipped
    return _exact_block_bits(pixels), _exact_block_bits(pixels[..., ::-1])


def bits_from_blocks(blocks: Bools, n_bits: int) -> Bits:
    """Average block votes per bit position and threshold as the reference does (mean·255 > 127).

    A position with no block (image too small for the message) decodes as 0, as in the reference.
    """
    if n_bits <= 0:
        raise ValueError(f"n_bits must be positive, got {n_bits!r}")
    rounds, extra = divmod(blocks.size, n_bits)
    ones = blocks[: rounds * n_bits].reshape(rounds, n_bits).sum(axis=0, dtype=np.int64)
    ones[:extra] += blocks[rounds * n_bits :]
    count = np.full(n_bits, rounds, dtype=np.int64)
    count[:extra] += 1
    # ones / count is exactly the reference's np.mean of the 0/1 votes (an exact integer sum).
    mean: npt.NDArray[np.float64] = np.divide(ones, count, out=np.zeros(n_bits), where=count > 0)
    return (mean * 255 > 127).astype(np.uint8)


def bgr_to_yuv(bgr: Image) -> Image:
    """OpenCV's ``cvtColor(bgr, COLOR_BGR2YUV)`` for uint8 and float32, bit for bit."""
    if bgr.dtype == np.uint8:
        b, g, r = (bgr[..., i].astype(np.int32) for i in range(3))
        y = _descale(b * _B2Y + g * _G2Y + r * _R2Y)
        u = _descale((b - y) * _B2U + (128 << _SHIFT))
        v = _descale((r - y) * _R2V + (128 << _SHIFT))
        return np.stack([y, u, v], axis=-1).clip(0, 255).astype(np.uint8)
    b, g, r = (bgr[..., i] for i in range(3))
    y = _luma_f32(b, g, r)
    return np.stack([y, _fma(b - y, _B2UF, _F(0.5)), _fma(r - y, _R2VF, _F(0.5))], axis=-1)


def yuv_to_bgr(yuv: Image) -> Image:
    """OpenCV's ``cvtColor(yuv, COLOR_YUV2BGR)`` for uint8 and float32, bit for bit."""
    if yuv.dtype == np.uint8:
        y, u, v = (yuv[..., i].astype(np.int32) for i in range(3))
        u, v = u - 128, v - 128
        b = y + _descale(u * _U2B)
        g = y + _descale(u * _U2G + v * _V2G)
        r = y + _descale(v * _V2R)
        return np.stack([b, g, r], axis=-1).clip(0, 255).astype(np.uint8)
    y, uf, vf = yuv[..., 0], yuv[..., 1] - _F(0.5), yuv[..., 2] - _F(0.5)
    g = _fma(vf, _V2GF, _fma(uf, _U2GF, y))
    return np.stack([_fma(uf, _U2BF, y), g, _fma(vf, _V2RF, y)], axis=-1)


def _u_channel(bgr: Image) -> Image:
    """Only the U plane of :func:`bgr_to_yuv` (the one channel the scheme uses)."""
    if bgr.dtype == np.uint8:
        b = bgr[..., 0].astype(np.int32)
        y = _descale(b * _B2Y + bgr[..., 1] * np.int32(_G2Y) + bgr[..., 2] * np.int32(_R2Y))
        # (b - y) * 0.492 + 128 stays within [2, 254]: no clipping needed before the cast.
        return _descale((b - y) * _B2U + (128 << _SHIFT)).astype(np.uint8)
    b = bgr[..., 0]
    return _fma(b - _luma_f32(b, bgr[..., 1], bgr[..., 2]), _B2UF, _F(0.5))


def _luma_f32(b: Image, g: Image, r: Image) -> Image:
    y = _fma(b, _B2YF, _fma(g, _G2YF, r * _R2YF))
    tail = b.shape[-1] // _LANES * _LANES
    if tail < b.shape[-1]:  # OpenCV's scalar tail, fused in another order by its compiler
        t = np.s_[..., tail:]
        y[t] = _fma(r[t], _R2YF, _fma(b[t], _B2YF, g[t] * _G2YF))
    return y


def _exact_block_bits(image: Image) -> Bools:
    """The reference's arithmetic on every block (float32 LL for float input, else float64)."""
    n_r, n_c = image.shape[0] // (2 * BLOCK), image.shape[1] // (2 * BLOCK)
    u = _u_channel(image[: 2 * BLOCK * n_r, : 2 * BLOCK * n_c])
    ll = _haar_ll(u.astype(np.float64) if u.dtype == np.uint8 else u)
    return _block_decisions(ll.reshape(n_r, BLOCK, n_c, BLOCK).swapaxes(1, 2))


def _fast_block_bits(image: Image, flips: tuple[bool, ...]) -> list[Bools]:
    """:func:`_exact_block_bits` for uint8, bit-identical but about ten times faster.

    U is integral here, so each LL coefficient is S/2 within 1e-13, S being the sum of a 2×2
    patch of U. The largest |coefficient| is then the largest S, and its bit is ``S mod 72 > 36``,
    except when ``S mod 72`` is 0 or 36, where the float error decides: those few blocks (~3%)
    are recomputed exactly.
    """
    n_r, n_c = image.shape[0] // (2 * BLOCK), image.shape[1] // (2 * BLOCK)
    crop = image[: 2 * BLOCK * n_r, : 2 * BLOCK * n_c]
    period = 2 * SCALE
    results = []
    for flip, sums in zip(flips, _u_patch_sums(crop, flips), strict=True):
        sums[0::BLOCK, 0::BLOCK] = -1.0  # the DC coefficient never carries the bit
        # Block maxima by strided maxima: much faster than max(axis=(1, 3)) on 4-long axes.
        cols = functools.reduce(np.maximum, (sums[:, i::BLOCK] for i in range(BLOCK)))
        peaks = functools.reduce(np.maximum, (cols[i::BLOCK] for i in range(BLOCK)))
        rest = peaks.ravel() % period
        bits = rest > SCALE
        critical = np.flatnonzero((rest == 0) | (rest == SCALE))
        if critical.size:
            pixels = crop.reshape(n_r, 2 * BLOCK, n_c, 2 * BLOCK, 3)[
                critical // n_c, :, critical % n_c
            ]
            u = _u_channel(pixels[..., ::-1] if flip else pixels).astype(np.float64)
            bits[critical] = _block_decisions(_haar_ll(u))
        results.append(bits)
    return results


def _u_patch_sums(crop: Image, flips: tuple[bool, ...]) -> Image:
    """Sums of 2×2 patches of the uint8 U plane, per channel order, computed exactly in float32.

    Every intermediate is an integer times 2^-14 below 2^10, so float32 holds it exactly; work
    goes in chunks of rows that stay in cache, which is what makes this fast.
    """
    rows, cols = crop.shape[:2]
    step = max(2, min(rows, (1 << 16) // max(cols, 1)) // 2 * 2)
    sums = np.empty((len(flips), rows // 2, cols // 2), np.float32)
    planes = np.empty((3, step, cols), np.float32)
    y, u, g = (np.empty((step, cols), np.float32) for _ in range(3))
    scale = _F(1 / (1 << _SHIFT))
    for top in range(0, rows, step):
        n = min(step, rows - top)
        p, yn, un, gn = planes[:, :n], y[:n], u[:n], g[:n]
        p[...] = crop[top : top + n].transpose(2, 0, 1)
        np.multiply(p[1], _F(_G2Y) * scale, out=gn)
        gn += _F(0.5)
        for index, flip in enumerate(flips):
            b, r = (p[2], p[0]) if flip else (p[0], p[2])
            np.multiply(b, _F(_B2Y) * scale, out=yn)
            yn += gn
            np.multiply(r, _F(_R2Y) * scale, out=un)
            yn += un
            np.floor(yn, out=yn)  # Y
            np.subtract(b, yn, out=un)
            un *= _F(_B2U) * scale
            un += _F(128.5)
            np.floor(un, out=un)  # U
            pairs = un[0::2] + un[1::2]
            np.add(pairs[:, 0::2], pairs[:, 1::2], out=sums[index, top // 2 : (top + n) // 2])
    return sums


def _haar_ll(u: Image) -> Image:
    """pywt's haar ``dwt2`` LL band over the last two axes, in its float order (rows first)."""
    h = u.dtype.type(_HAAR)
    half = h * u[..., 0::2, :] + h * u[..., 1::2, :]
    ll: Image = h * half[..., 0::2] + h * half[..., 1::2]
    return ll


def _block_decisions(blocks: Image) -> Bools:
    """The reference's per-block bit for blocks shaped (..., 4, 4), flattened in raster order."""
    flat = blocks.reshape(-1, BLOCK * BLOCK)
    peak = np.abs(flat[:, 1:]).argmax(axis=1) + 1  # largest non-DC coefficient, first on ties
    values = np.abs(flat[np.arange(flat.shape[0]), peak])
    decisions: Bools = (values % SCALE) > SCALE * 0.5
    return decisions


def _embed_blocks(ll: Image, wm: npt.NDArray[np.int64]) -> None:
    """Set each block's largest non-DC coefficient so that ``|v| mod 36`` is 9 or 27, in place."""
    n_r, n_c = ll.shape[0] // BLOCK, ll.shape[1] // BLOCK
    if n_r * n_c == 0:
        return
    area = ll[: n_r * BLOCK, : n_c * BLOCK]
    blocks = area.reshape(n_r, BLOCK, n_c, BLOCK).swapaxes(1, 2).reshape(n_r * n_c, -1)
    index = np.arange(blocks.shape[0])
    peak = np.abs(blocks[:, 1:]).argmax(axis=1) + 1
    value = blocks[index, peak]
    step = np.floor_divide(np.abs(value), SCALE) + 0.25 + 0.5 * wm[index % wm.size]
    blocks[index, peak] = np.where(value >= 0.0, step * SCALE, -(step * SCALE))
    area[...] = blocks.reshape(n_r, n_c, BLOCK, BLOCK).swapaxes(1, 2).reshape(area.shape)


def _as_image(bgr: npt.ArrayLike) -> Image:
    image = np.asarray(bgr)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an H×W×3 image, got shape {image.shape!r}")
    if image.shape[0] * image.shape[1] < MIN_PIXELS:
        raise ValueError(f"image {image.shape[1]}×{image.shape[0]} has fewer than 256×256 pixels")
    if image.dtype == np.uint8:
        return image
    if not np.issubdtype(image.dtype, np.floating):
        raise ValueError(f"expected uint8 or float pixels, got {image.dtype}")
    pixels = image.astype(np.float32, copy=False)
    if not np.isfinite(pixels).all() or np.abs(pixels).max() > _FLOAT_LIMIT:
        raise ValueError(f"float pixels must be finite and within ±{_FLOAT_LIMIT:g}")
    return pixels


def _descale(x: Image) -> Image:
    return (x + (1 << (_SHIFT - 1))) >> _SHIFT


def _fma(a: Image, b: np.float32, c: Image | np.float32) -> Image:
    """float32 fused multiply-add: the product of two float32 is exact in float64, so only the
    sum rounds twice (float64 then float32), which differs from one rounding about 1 time in 2^29.
    """
    product = a.astype(np.float64) * np.float64(b)
    return (product + np.asarray(c, np.float64)).astype(np.float32)
