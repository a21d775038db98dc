"""Normalisation keeps offsets into the original text (traditional, full width, contractions)."""

from scripts_library.normalize import normalize, stem


def _pieces(text: str) -> list[str]:
    n = normalize(text)
    return [text[a:b] for a, b in zip(n.starts, n.ends, strict=True)]


def test_traditional_full_width_and_punctuation_fold_with_offsets():
    text = "喂，這不關我的事！您打１２３４電話吧。"
    n = normalize(text)
    assert "".join(n.tokens) == "这不关我事你打#电话吧"  # 的 and 了 are dropped
    assert _pieces(text)[-4:] == ["１２３４", "電", "話", "吧"]
    assert n.clauses[0] != n.clauses[-1]  # punctuation separates clauses


def test_english_words_contractions_and_masks():
    n = normalize("I'm swamped, can't help it; my ID is ****!")
    assert n.tokens == ["i", "am", "swamp", "can", "not", "help", "it", "my", "id", "is", "#"]
    assert _pieces("I'm swamped, can't help it; my ID is ****!")[0] == "I'm"


def test_placeholders_numbers_and_fillers():
    assert normalize("并在{hours}小时内").tokens == ["并", "在", "#", "小", "时", "内"]
    assert normalize("我是新手啦").tokens == ["我", "是", "新", "手"]
    assert normalize("没事了吧").tokens == ["没", "事", "吧"]  # 吧 is kept: «没事了吧» is a brush-off


def test_stemmer_is_consistent():
    assert stem("lines") == stem("line") and stem("transferred") == stem("transfer")
    assert stem("calling") == stem("call")
