"""The cache of stale-able answers: fresh for `ttl`, stale after, bounded as least recently used."""

from __future__ import annotations

from base.ttlcache import TtlCache


def test_answers_are_fresh_for_ttl_then_stale() -> None:
    now = [0.0]
    cache: TtlCache[str, int] = TtlCache(5.0, clock=lambda: now[0])
    assert cache.get("a") is None
    cache.put("a", 1)
    assert cache.get("a") == (1, True)
    now[0] = 5.0
    assert cache.get("a") == (1, False)


def test_past_its_bound_it_forgets_the_least_recently_used_key_only() -> None:
    cache: TtlCache[str, int] = TtlCache(60.0, max_entries=3)
    for k, v in (("a", 1), ("b", 2), ("c", 3)):
        cache.put(k, v)
    assert cache.get("a") == (1, True)  # used: "b" is now the least recent
    cache.put("d", 4)
    assert cache.get("b") is None
    assert [cache.get(k) for k in "acd"] == [(1, True), (3, True), (4, True)]
    assert len(cache) == 3


def test_putting_a_known_key_again_refreshes_it_without_evicting_another() -> None:
    now = [0.0]
    cache: TtlCache[str, int] = TtlCache(5.0, max_entries=2, clock=lambda: now[0])
    cache.put("a", 1)
    cache.put("b", 2)
    now[0] = 10.0
    cache.put("a", 10)
    assert cache.get("b") == (2, False) and cache.get("a") == (10, True)
    cache.put("c", 3)  # "b" is the least recently used
    assert cache.get("b") is None and len(cache) == 2


def test_a_flood_of_new_keys_never_grows_it_past_its_bound() -> None:
    cache: TtlCache[int, None] = TtlCache(60.0, max_entries=100)
    for k in range(10_000):
        cache.put(k, None)
    assert len(cache) == 100 and cache.get(9_999) == (None, True) and cache.get(0) is None
