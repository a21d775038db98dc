"""The static word vectors beside the n-grams: the shipped table, what a text's vector is,
and that the learned layer's models carry (and cache) their weights."""

import dataclasses

import numpy as np
import pytest

from scripts_library.matcher import Matcher
from scripts_library.wordvec import WordVectors, shipped


def _cos(wv: WordVectors, a: str, b: str, loc: str) -> float:
    return float(wv.vector(a, loc) @ wv.vector(b, loc))


def test_the_table_ships_with_the_package_and_covers_both_locales():
    wv = shipped()
    assert wv is not None
    assert len(wv.rows["zh-CN"]) > 5000 and len(wv.rows["en"]) > 5000
    assert wv.vectors.shape[1] == wv.dims


def test_chinese_is_split_into_the_longest_known_words():
    wv = shipped()
    words = {row: w for w, row in wv.rows["zh-CN"].items()}
    assert [words[r] for r in wv.words("我们马上开始", "zh-CN")] == ["我们", "马上", "开始"]
    assert [words[r] for r in wv.words("我們馬上開始", "zh-CN")] == ["我们", "马上", "开始"]  # traditional script


def test_a_text_without_known_words_has_a_zero_vector_and_others_unit_length():
    wv = shipped()
    assert not wv.vector("12345 !!!", "en").any()
    v = wv.vector("I only started last week", "en")
    assert v.shape == (wv.size,) and wv.size == 2 * wv.dims  # the mean, then the maximum
    for half in (v[: wv.dims], v[wv.dims :]):
        assert abs(float(np.linalg.norm(half)) - 1.0) < 1e-5


def test_paraphrases_sharing_no_word_are_closer_than_unrelated_sentences():
    wv = shipped()
    assert _cos(wv, "I only started last week", "I'm new to this job", "en") > \
        _cos(wv, "I only started last week", "The weather is nice", "en")
    assert _cos(wv, "我是新来的", "我刚入职", "zh-CN") > _cos(wv, "我是新来的", "今天天气很好", "zh-CN")


@pytest.mark.timeout(300)  # trains once: about 20 s of CPU, far more on a busy machine
def test_the_models_use_the_vectors_and_cache_their_weights(library, tmp_path):
    cached = dataclasses.replace(library, root=str(tmp_path))
    first = Matcher(cached)
    again = Matcher(cached)  # read from the cache
    for role in ("agent", "caller"):
        for loc in ("zh-CN", "en"):
            a, b = getattr(first.learned, role)[loc], getattr(again.learned, role)[loc]
            assert a.dense is not None and a.dense.shape == (shipped().size, len(a.labels))
            assert np.array_equal(a.dense, b.dense)
