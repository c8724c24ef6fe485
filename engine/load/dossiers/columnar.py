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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


def is_arrow(column: Any) -> bool:
    """True for a column read by Arrow (the strict read), False for a pandas column of the tolerant read."""
    import pyarrow as pa
    return isinstance(column, pa.ChunkedArray)


@dataclass
class RepeatGroups:
    """Rows whose id another row shares (ascending), a group code for each, and each group's first row."""

    rows: np.ndarray
    codes: np.ndarray
    first: np.ndarray

    def __getitem__(self, index: Any) -> Any:
        """Group codes of the given rows, each one of `rows`."""
        import numpy as np
        return self.codes[np.searchsorted(self.rows, index)]


BLOCK = 1 << 16
"""Rows per block when a whole column is worked through in pieces, so temporaries stay small and reused."""


def code_dtype(distinct: int) -> Any:
    """The smallest signed integer type that holds a code per distinct value and -1."""
    import numpy as np
    return np.int16 if distinct < 2**15 else np.int32


def spread(per_unique: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """per_unique[codes] for every row, block by block (a whole-column gather would widen the codes first)."""
    import numpy as np
    out = np.empty(len(codes), dtype=per_unique.dtype)
    for at in range(0, len(codes), BLOCK):
        np.take(per_unique, codes[at:at + BLOCK], out=out[at:at + BLOCK])
    return out


class ChunkCodes:
    """Per-row codes of a dictionary column as Arrow read it: each chunk's indices into its own dictionary.

    Each chunk's dictionary (a few hundred values) is translated once into the column's distinct
    values; the rows themselves are never rewritten. A per-distinct-value table reaches the rows
    through a per-chunk table of a few hundred entries, one gather per chunk, so spreading a
    table costs one pass over the rows and coding the column costs none. Arrow's index buffers are
    used in place: no second copy of the column is made.
    """

    def __init__(self, indices: list[np.ndarray], translations: list[np.ndarray], dtype: Any):
        import numpy as np
        self.indices = indices
        self.translations = translations
        self.dtype = np.dtype(dtype)
        self.starts = np.concatenate([[0], np.cumsum([len(part) for part in indices], dtype=np.int64)]).astype(np.int64)

    def __len__(self) -> int:
        return int(self.starts[-1])

    def spread(self, per_unique: np.ndarray, into: np.ndarray | None = None) -> np.ndarray:
        """per_unique[code] for every row; with `into`, OR-ed into it in place (bits of several columns, one array)."""
        import numpy as np
        if into is None:
            out = np.empty(len(self), dtype=per_unique.dtype)
            for at, indices, translation in zip(self.starts.tolist(), self.indices, self.translations):
                np.take(per_unique[translation], indices, out=out[at:at + len(indices)], mode="clip")
            return out
        scratch = np.empty(max((len(part) for part in self.indices), default=0), dtype=into.dtype)
        for at, indices, translation in zip(self.starts.tolist(), self.indices, self.translations):
            size = len(indices)
            np.take(per_unique[translation].astype(into.dtype, copy=False), indices, out=scratch[:size], mode="clip")
            np.bitwise_or(into[at:at + size], scratch[:size], out=into[at:at + size])
        return into

    def __getitem__(self, index: Any) -> Any:
        """The codes of the given rows: one row (an int) or an array of rows."""
        import numpy as np
        rows = np.asarray(index, dtype=np.int64)
        if rows.ndim == 0:
            chunk = int(np.searchsorted(self.starts, rows, side="right")) - 1
            return self.translations[chunk][self.indices[chunk][int(rows) - int(self.starts[chunk])]]
        order = None if len(rows) < 2 or bool((rows[1:] >= rows[:-1]).all()) else np.argsort(rows, kind="stable")
        ordered = rows if order is None else rows[order]
        bounds = np.searchsorted(ordered, self.starts).tolist()
        codes = np.empty(len(rows), dtype=self.dtype)
        for chunk in range(len(self.indices)):
            low, high = bounds[chunk], bounds[chunk + 1]
            if low < high:
                local = ordered[low:high] - self.starts[chunk]
                codes[low:high] = self.translations[chunk][self.indices[chunk][local]]
        if order is not None:
            codes[order] = codes.copy()
        return codes

    def tolist(self) -> list[int]:
        import numpy as np
        return self[np.arange(len(self))].tolist()


def dictionary_codes(chunks: pa.ChunkedArray) -> tuple[ChunkCodes, list[str]]:
    """Per-row codes into the distinct values, one code per distinct value across all chunks.

    The strict read gives these columns dictionary-encoded chunk by chunk. The chunks'
    dictionaries are matched against the distinct values once (see ChunkCodes); no cell becomes
    a Python string and no row is rewritten.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    if not pa.types.is_dictionary(chunks.type):
        chunks = pc.dictionary_encode(chunks)
    parts = [chunk for chunk in chunks.chunks if len(chunk)]
    if not parts:
        return ChunkCodes([], [], np.int16), []
    dictionaries = pa.concat_arrays([chunk.dictionary for chunk in parts])
    distinct = pc.unique(dictionaries)
    dtype = code_dtype(len(distinct))
    translation = pc.index_in(dictionaries, value_set=distinct).to_numpy(zero_copy_only=False).astype(dtype)
    widths = np.cumsum([0] + [len(chunk.dictionary) for chunk in parts]).tolist()
    indices = [chunk.indices.to_numpy(zero_copy_only=False) for chunk in parts]
    translations = [translation[widths[i]:widths[i + 1]] for i in range(len(parts))]
    return ChunkCodes(indices, translations, dtype), distinct.to_pylist()


_MULTIPLIER = 0x9E3779B97F4A7C15

# Bytes str.strip() removes from ASCII text: \t \n \v \f \r, the four separators \x1c-\x1f, space.
_ASCII_SPACE = bytes(sorted({*range(9, 14), *range(0x1C, 0x21)}))


def _buffers(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets as int64, data bytes) of one string array, without copying the data."""
    import numpy as np
    import pyarrow as pa
    large = pa.types.is_large_string(array.type)
    width = 8 if large else 4
    _, offsets_buffer, data_buffer = array.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64 if large else np.int32, count=len(array) + 1,
                            offset=array.offset * width).astype(np.int64, copy=False)
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets, data


def _words(data: np.ndarray) -> np.ndarray:
    """The little-endian 64-bit word starting at every byte of `data` that has eight bytes from it (a view)."""
    import numpy as np
    return np.ndarray(shape=(max(len(data) - 7, 0),), dtype="<u8", buffer=data, strides=(1,))


def _mix(hashes: np.ndarray, word: np.ndarray, spare: np.ndarray | None = None) -> np.ndarray:
    """One word mixed into the hashes in place (`spare`: a scratch array of the same size, if at hand)."""
    import numpy as np
    hashes ^= word
    hashes *= np.uint64(_MULTIPLIER)
    hashes ^= np.right_shift(hashes, np.uint64(29), out=spare)
    return hashes


def _edge_spaces(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Whether the first or last byte of each text is an ASCII space; every such byte is at most 0x20."""
    import numpy as np
    low = first <= 0x20
    low |= last <= 0x20
    rows = np.flatnonzero(low)
    if len(rows):
        space = np.zeros(256, dtype=bool)
        space[list(_ASCII_SPACE)] = True
        low[rows] = space[first[rows]] | space[last[rows]]
    return low


def text_hashes(array: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: a 64-bit hash of the text's bytes, its length in bytes, and whether an end byte is ASCII space.

    The hash mixes the text's length and its 8-byte words, the last one taken as the final eight
    bytes (overlapping the one before) or, for a text under eight bytes, zero-padded. Equal texts
    have equal hashes; unequal texts almost never do, and every match is compared as text before
    it counts. When every text has the same length (ids usually do) the words are strided views,
    read without gathering.
    """
    import numpy as np
    offsets, data = _buffers(array)
    count = len(offsets) - 1
    start, length = offsets[:-1], offsets[1:] - offsets[:-1]
    size = int(length[0]) if count and length.min() == length.max() else -1
    if size >= 0:
        hashes = np.full(count, size * _MULTIPLIER % 2**64, dtype=np.uint64)
    else:
        hashes = length.astype(np.uint64) * np.uint64(_MULTIPLIER)
    if size >= 8:
        spare = np.empty(count, dtype=np.uint64)
        for at in [*range(0, size - 8, 8), size - 8]:
            view = np.ndarray(shape=(count,), dtype="<u8", buffer=data, offset=int(start[0]) + at, strides=(size,))
            _mix(hashes, view, spare)
    else:
        words = _words(data)
        for step in range(int(-(-length.max() // 8)) if count else 0):
            rows = np.flatnonzero(length > 8 * step)
            left = length[rows] - 8 * step
            last = left <= 8
            at = start[rows] + np.where(last & (length[rows] >= 8), length[rows] - 8, 8 * step)
            word = np.zeros(len(rows), dtype=np.uint64)
            readable = at < len(words)
            word[readable] = words[at[readable]]
            for i in np.flatnonzero(~readable):
                word[i] = int.from_bytes(data[at[i]:at[i] + 8].tobytes().ljust(8, b"\0"), "little")
            short = length[rows] < 8
            if short.any():
                word[short] &= (np.uint64(1) << (length[rows][short] * 8).astype(np.uint64)) - np.uint64(1)
            hashes[rows] = _mix(hashes[rows], word)
    if size >= 0:
        edge = np.zeros(count, dtype=bool)
        if size:
            first, last = (np.ndarray(shape=(count,), dtype=np.uint8, buffer=data, offset=int(start[0]) + at,
                                      strides=(size,)) for at in (0, size - 1))
            edge = _edge_spaces(first, last)
        return hashes, length, edge
    filled = np.flatnonzero(length > 0)
    edge = np.zeros(count, dtype=bool)
    edge[filled] = _edge_spaces(data[start[filled]], data[start[filled] + length[filled] - 1])
    return hashes, length, edge


class ArrowIdColumn:
    """The dossier id column read by Arrow: NFC and trimmed like every cell, without a Python string per row.

    Each row keeps a 32-bit hash of its normalised id; the rows whose id is empty are kept as row numbers. Repeats are found
    among equal hashes and confirmed as text; after that only the texts of repeated ids are kept
    (see `duplicates`), so the Arrow strings and the hashes can be freed.
    """

    def __init__(self, header: str, chunks: pa.ChunkedArray):
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc
        self.header = header
        self.array: pa.ChunkedArray | None = chunks
        sizes = np.array([len(chunk) for chunk in chunks.chunks], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        total = int(self.starts[-1])
        hashes = np.empty(total, dtype=np.uint32)
        empty_parts = []
        odd_parts = []
        for chunk, at in zip(chunks.chunks, self.starts.tolist()):
            if not len(chunk):
                continue
            chunk_hashes, chunk_length, edge = text_hashes(chunk)
            hashes[at:at + len(chunk)] = chunk_hashes
            if not chunk_length.all():
                empty_parts.append(np.flatnonzero(chunk_length == 0) + at)
            offsets, data = _buffers(chunk)
            if data[offsets[0]:offsets[-1]].max(initial=0) >= 0x80:  # Arrow's per-row check only where needed
                edge |= ~pc.string_is_ascii(chunk).to_numpy(zero_copy_only=False)
            odd_parts.append(np.flatnonzero(edge) + at)
        odd = np.concatenate(odd_parts) if odd_parts else np.zeros(0, dtype=np.int64)
        self.fixed: dict[int, str] = {}
        if len(odd):
            normalize = unicodedata.normalize
            texts = [normalize("NFC", text).strip() for text in self._raw(odd)]
            self.fixed = dict(zip(odd.tolist(), texts))
            fixed_hashes, fixed_length, _ = text_hashes(pa.array(texts, type=pa.large_string()))
            hashes[odd] = fixed_hashes
            empty_parts.append(odd[fixed_length == 0])
        self.hashes = hashes
        self.empty = np.unique(np.concatenate(empty_parts)) if empty_parts else np.zeros(0, dtype=np.int64)
        self.kept: dict[int, str] = {}

    def empty_rows(self) -> np.ndarray:
        """Rows whose id is empty once trimmed, ascending (few: kept as rows, not as a mask over every row)."""
        return self.empty

    def _raw(self, rows: np.ndarray) -> list[str]:
        """The cells of the given rows (few) as read, taken chunk by chunk without joining the chunks."""
        import numpy as np
        import pyarrow as pa
        assert self.array is not None, "the id texts were freed after the repeats were found"
        order = None if len(rows) < 2 or bool((rows[1:] >= rows[:-1]).all()) else np.argsort(rows, kind="stable")
        ordered = rows if order is None else rows[order]
        bounds = np.searchsorted(ordered, self.starts).tolist()
        texts: list[str] = []
        for chunk_index in range(len(self.starts) - 1):
            low, high = bounds[chunk_index], bounds[chunk_index + 1]
            if low < high:
                local = pa.array(ordered[low:high] - self.starts[chunk_index], type=pa.int64())
                texts += self.array.chunk(chunk_index).take(local).to_pylist()
        if order is None:
            return texts
        unsorted: list[str] = [""] * len(rows)
        for position, text in zip(order.tolist(), texts):
            unsorted[position] = text
        return unsorted

    def texts_of(self, rows: np.ndarray) -> list[str]:
        """The normalised texts of the given rows (few)."""
        return [self.fixed.get(row, text) for row, text in zip(rows.tolist(), self._raw(rows))]

    def text(self, row: int) -> str:
        import numpy as np
        if row in self.kept:
            return self.kept[row]
        return self.texts_of(np.array([row], dtype=np.int64))[0]

    def duplicates(self, valid: np.ndarray | None = None) -> tuple[np.ndarray, RepeatGroups]:
        """Among the `valid` rows (None: every row with an id): repeat of an earlier row's id per row, and the
        groups of rows sharing an id.

        Only rows whose hash occurs twice are compared, as text, so a hash collision never makes a
        repeat. The texts of the repeated ids are kept and the Arrow strings freed.
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc
        hashes = self.hashes
        repeat = np.zeros(len(hashes), dtype=bool)
        groups = RepeatGroups(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64))
        # Hashes are sorted over every row (no compacted copy of the valid ones): a hash shared with a row
        # that is not valid only makes a candidate more, which the text comparison settles. Neighbours are
        # compared block by block so that no mask over every row is made.
        ordered = np.sort(hashes)
        last = len(ordered) - 1
        twice = np.unique(np.concatenate(
            [np.zeros(0, dtype=ordered.dtype)]
            + [ordered[at + 1:min(at + BLOCK, last) + 1][ordered[at + 1:min(at + BLOCK, last) + 1]
                                                          == ordered[at:min(at + BLOCK, last)]]
               for at in range(0, max(last, 0), BLOCK)]))
        del ordered
        if len(twice):
            bits = (1 << 22) - 1
            table = np.zeros(1 << 22, dtype=bool)
            table[twice & np.uint32(bits)] = True
            likely = np.concatenate([np.flatnonzero(table[hashes[at:at + BLOCK] & np.uint32(bits)]) + at
                                     for at in range(0, len(hashes), BLOCK)])
            likely = likely[valid[likely]] if valid is not None else likely[~np.isin(likely, self.empty)]
            candidates = likely[np.isin(hashes[likely], twice)]
            # Equal texts get one code, in the order they first appear (Arrow's hashing of the candidates'
            # texts, not a Python loop): a row repeats when its text appeared before it.
            texts = self.texts_of(candidates)
            code = pc.dictionary_encode(pa.array(texts, type=pa.large_string())).indices.to_numpy(zero_copy_only=False)
            _, first_index, counts = np.unique(code, return_index=True, return_counts=True)
            repeat[candidates[first_index[code] != np.arange(len(code))]] = True
            shared_code = counts >= 2
            shared = shared_code[code]
            kept_rows = candidates[shared]
            self.kept = dict(zip(kept_rows.tolist(), [text for text, keep in zip(texts, shared.tolist()) if keep]))
            groups = RepeatGroups(kept_rows, (np.cumsum(shared_code) - 1)[code[shared]].astype(np.int32),
                                  candidates[first_index[shared_code]])
        self.array = self.hashes = None
        return repeat, groups
