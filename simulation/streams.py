"""Random number streams for common random numbers (CRN).

Two kinds of stream, both seeded from ``numpy.random.SeedSequence`` by
(base seed, replication, a stable hash of the stream's name) so that adding a
stream in one scenario never shifts another's:

* :class:`BlockStream` - one numpy generator per activity that does not depend
  on policy (arrival times, the attributes of new people, the initial
  census), drawn in blocks because numpy's block draws are the same sequence
  as scalar draws and several times cheaper per value.

* :func:`person_stream_seed` and :func:`next_uniforms` - each *person* owns
  a counter-based stream (SplitMix64, Steele, Lea & Flood 2014, the generator
  numpy and Java use to seed others). Person *k*'s *n*-th draw is the same in
  every scenario, so two scenarios differ only for the people a policy
  actually touches; with one shared stream per activity, the first person
  whose path changed would shift every later draw for everyone and the
  paired difference would carry the noise of the whole county. numpy has no
  per-entity stream cheap enough for 75,000 people (a Generator costs about
  15 microseconds to create and 2 KB of state each; this costs one Python int).
"""

from __future__ import annotations

import hashlib

import numpy as np

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
TWO_POW_MINUS_32 = 2.0**-32


def name_hash(name: str) -> int:
    """A stable 64-bit hash of a stream name (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def stream_key(seed: int, replication: int, name: str) -> int:
    """The 64-bit key of stream ``name`` in ``replication`` of a run seeded ``seed``."""
    state = np.random.SeedSequence([seed & M64, replication, name_hash(name)]).generate_state(2, np.uint64)
    return (int(state[0]) << 1 ^ int(state[1])) & M64


class StreamRegistry:
    """Hands out streams by name and refuses two names with the same hash."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication
        self._hashes: dict[int, str] = {}

    def key(self, name: str) -> int:
        h = name_hash(name)
        other = self._hashes.setdefault(h, name)
        if other != name:  # pragma: no cover - astronomically unlikely
            raise RuntimeError(f"stream names '{name}' and '{other}' collide")
        return stream_key(self.seed, self.replication, name)

    def block(self, name: str, block_size: int = 4096) -> "BlockStream":
        return BlockStream(self.key(name), block_size)


class BlockStream:
    """Uniform (0, 1) numbers from one numpy generator, drawn in blocks."""

    __slots__ = ("_gen", "_buf", "_i", "_n")

    def __init__(self, key: int, block_size: int = 4096):
        self._gen = np.random.Generator(np.random.PCG64(key))
        self._n = block_size
        self._buf: list[float] = []
        self._i = 0

    def uniform(self) -> float:
        """One uniform in [0, 1)."""
        i = self._i
        if i >= len(self._buf):
            self._buf = self._gen.random(self._n).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]

    def matrix(self, rows: int, cols: int):
        """A rows x cols numpy array of uniforms, drawn after any buffered ones are discarded.

        Used where many values are needed at once (the initial census)."""
        self._buf = []
        self._i = 0
        return self._gen.random((rows, cols))



def person_stream_seed(key: int, pid: int) -> int:
    """Initial SplitMix64 state of person ``pid`` in the stream with ``key``."""
    z = (key ^ ((pid + 1) * GOLDEN)) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def next_uniforms(state: int) -> tuple[int, float, float]:
    """Advance a SplitMix64 state; return (new state, u1, u2), both uniform in (0, 1).

    The 64-bit output is split into two 32-bit halves: one for *when* the next
    event happens and one for *which* event, so each step costs one mix.
    """
    s = (state + GOLDEN) & M64
    z = ((s ^ (s >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    z ^= z >> 31
    return s, ((z >> 32) + 0.5) * TWO_POW_MINUS_32, ((z & 0xFFFFFFFF) + 0.5) * TWO_POW_MINUS_32


C1 = np.uint64(0xBF58476D1CE4E5B9)
C2 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * C1
    z = (z ^ (z >> np.uint64(27))) * C2
    return z ^ (z >> np.uint64(31))


class FirstDraws:
    """The first draw of every person's stream for one purpose, in blocks of people.

    Person ``pid``'s stream keyed ``key`` starts at ``person_stream_seed(key, pid)``;
    its first draw is the same SplitMix64 step as :func:`next_uniforms`, done here
    with numpy for 4,096 people at a time (numpy's uint64 arithmetic wraps like the
    scalar version), because nearly every clock a person ever has starts with a
    first draw and most never need a second.
    """

    BLOCK = 4096

    def __init__(self, key: int):
        self.key = np.uint64(key)
        self.blocks: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def block(self, b: int) -> tuple[np.ndarray, np.ndarray]:
        pids = np.arange(b * self.BLOCK, (b + 1) * self.BLOCK, dtype=np.uint64)
        golden = np.uint64(GOLDEN)
        seed = _mix(self.key ^ ((pids + np.uint64(1)) * golden))
        state = seed + golden
        z = _mix(state)
        expo = -np.log(((z >> np.uint64(32)).astype(np.float64) + 0.5) * TWO_POW_MINUS_32)
        found = self.blocks[b] = (state, expo)
        return found

    def many(self, pids: list[int]) -> tuple[list[int], list[float]]:
        """First draws for many people at once (the census)."""
        idx = np.asarray(pids, dtype=np.int64)
        blocks, offsets = np.divmod(idx, self.BLOCK)
        states = np.empty(len(idx), dtype=np.uint64)
        expo = np.empty(len(idx), dtype=np.float64)
        for b in np.unique(blocks).tolist():
            sel = blocks == b
            block = self.blocks.get(b) or self.block(b)
            states[sel] = block[0][offsets[sel]]
            expo[sel] = block[1][offsets[sel]]
        return states.tolist(), expo.tolist()

    def first(self, pid: int) -> tuple[int, float]:
        """(stream state after the first draw, the unit exponential it gives)."""
        b, i = divmod(pid, self.BLOCK)
        block = self.blocks.get(b) or self.block(b)
        return block[0].item(i), block[1].item(i)
