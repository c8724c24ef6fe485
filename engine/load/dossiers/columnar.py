"""Columns of an export read by Arrow: codes per row without turning millions of cells into Python strings.

A province's export reaches five million rows. Read by pyarrow, each cell stays in Arrow's
buffers; the low-cardinality columns (unit, dates, status, yes/no) are dictionary-encoded by
Arrow, and the dossier ids, nearly all distinct, are hashed in numpy straight from the string
buffers. Only the rows whose id hash repeats are compared as text, so a repeated id is found
exactly, and only ids that are not plain ASCII or carry spaces at an end go through Python to
be normalised the way every other cell is.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


def is_arrow(series: Any) -> bool:
    """True for a pandas column backed by Arrow (read by the fast path)."""
    import pandas as pd
    return isinstance(series.dtype, pd.ArrowDtype)


def arrow_chunks(series: Any) -> pa.ChunkedArray:
    """The Arrow data under a pandas column, without a copy."""
    import pyarrow as pa
    data = series.array.__arrow_array__()
    return data if isinstance(data, pa.ChunkedArray) else pa.chunked_array([data])


def dictionary_codes(series: Any) -> tuple[np.ndarray, list[str]]:
    """Per-row codes into the distinct values (first-seen order), as pd.factorize gives them."""
    import numpy as np
    import pyarrow.compute as pc
    chunks = arrow_chunks(series)
    if chunks.num_chunks == 0:
        return np.zeros(0, dtype=np.int64), []
    encoded = pc.dictionary_encode(chunks).unify_dictionaries().combine_chunks()
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


_MULTIPLIER = 0x9E3779B97F4A7C15

# Bytes str.strip() removes from ASCII text: \t \n \v \f \r, the four separators \x1c-\x1f, space.
_ASCII_SPACE = bytes(sorted({*range(9, 14), *range(0x1C, 0x21)}))


def _buffers(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets as int64 from 0, data bytes followed by eight zero bytes) of one string array."""
    import numpy as np
    import pyarrow as pa
    large = pa.types.is_large_string(array.type)
    width = 8 if large else 4
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if large else np.int32, count=len(array) + 1,
                            offset=array.offset * width).astype(np.int64)
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    data = np.concatenate([data[offsets[0]:offsets[-1]], np.zeros(8, dtype=np.uint8)])
    return offsets - offsets[0], data


def text_hashes(array: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: a 64-bit hash of the text's bytes, its length in bytes, and its first and last bytes as one mask.

    Equal texts have equal hashes; unequal texts almost never do, and every match is compared as
    text before it counts. The returned mask flags rows whose first or last byte is ASCII space.
    """
    import numpy as np
    offsets, data = _buffers(array)
    count = len(offsets) - 1
    start, length = offsets[:-1], np.diff(offsets)
    words = np.ndarray(shape=(max(len(data) - 7, 0),), dtype="<u8", buffer=data, strides=(1,))
    multiplier = np.uint64(_MULTIPLIER)
    hashes = length.astype(np.uint64) * multiplier
    rows = np.flatnonzero(length > 0)
    step = 0
    while len(rows):
        every = len(rows) == count
        at = start + 8 * step if every else start[rows] + 8 * step
        left = length - 8 * step if every else length[rows] - 8 * step
        word = words[at]
        short = left < 8
        if short.any():
            bits = (np.minimum(left[short], 8) * 8).astype(np.uint64)
            word[short] &= (np.uint64(1) << bits) - np.uint64(1)
        mixed = (hashes if every else hashes[rows]) ^ word
        mixed *= multiplier
        mixed ^= mixed >> np.uint64(29)
        if every:
            hashes = mixed
        else:
            hashes[rows] = mixed
        step += 1
        rows = rows[length[rows] > 8 * step] if not every else np.flatnonzero(length > 8 * step)
    space = np.zeros(256, dtype=bool)
    space[list(_ASCII_SPACE)] = True
    filled = length > 0
    edge = np.zeros(count, dtype=bool)
    edge[filled] = space[data[start[filled]]] | space[data[start[filled] + length[filled] - 1]]
    return hashes, length, edge


class ArrowIdColumn:
    """The dossier id column read by Arrow: NFC and trimmed like every cell, without a Python string per row."""

    def __init__(self, header: str, series: Any):
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc
        self.header = header
        chunks = arrow_chunks(series)
        array = chunks.combine_chunks() if chunks.num_chunks else pa.array([], type=pa.large_string())
        hashes, length, edge = text_hashes(array)
        plain = pc.string_is_ascii(array).to_numpy(zero_copy_only=False) if len(array) else np.zeros(0, bool)
        odd = np.flatnonzero(~plain | edge)
        self.fixed: dict[int, str] = {}
        if len(odd):
            normalize = unicodedata.normalize
            texts = [normalize("NFC", text).strip() for text in array.take(pa.array(odd)).to_pylist()]
            self.fixed = dict(zip(odd.tolist(), texts))
            fixed_hashes, fixed_length, _ = text_hashes(pa.array(texts, type=pa.large_string()))
            hashes[odd] = fixed_hashes
            length[odd] = fixed_length
        self.array = array
        self.hashes = hashes
        self.length = length

    def empty(self) -> np.ndarray:
        return self.length == 0

    def texts_of(self, rows: np.ndarray) -> list[str]:
        import pyarrow as pa
        texts = self.array.take(pa.array(rows, type=pa.int64())).to_pylist()
        return [self.fixed.get(row, text) for row, text in zip(rows.tolist(), texts)]

    def text(self, row: int) -> str:
        import numpy as np
        return self.texts_of(np.array([row], dtype=np.int64))[0]

    def duplicates(self, present: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per row: id missing, repeat of an earlier row's id, and a group code per repeated id."""
        import numpy as np
        total = len(self.length)
        missing = present & (self.length == 0)
        rows = np.flatnonzero(present & ~missing)
        repeat = np.zeros(total, dtype=bool)
        group = np.full(total, -1, dtype=np.int64)
        hashes = self.hashes[rows]
        ordered = np.sort(hashes)
        twice = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
        if not len(twice):
            return missing, repeat, group
        bits = np.uint64((1 << 22) - 1)
        table = np.zeros(1 << 22, dtype=bool)
        table[twice & bits] = True
        likely = rows[table[hashes & bits]]
        candidates = likely[np.isin(self.hashes[likely], twice)]
        first_of: dict[str, int] = {}
        seen_twice: set[str] = set()
        texts = self.texts_of(candidates)
        for row, text in zip(candidates.tolist(), texts):
            if first_of.setdefault(text, row) != row:
                repeat[row] = True
                seen_twice.add(text)
        codes: dict[str, int] = {}
        for row, text in zip(candidates.tolist(), texts):
            if text in seen_twice:
                group[row] = codes.setdefault(text, len(codes))
        return missing, repeat, group
