"""Text normalisation with an offset map back to the original text.

Chinese has no spaces and agents paraphrase, so matching works on *tokens*: one token per
Chinese character, one per English word (lower-cased, lightly stemmed, contractions
expanded), and ``#`` for any number or masked value (``1234``, ``****``, ``××``, ``xxx``).
Every token remembers the character span it came from in the ORIGINAL text, so a match on
tokens ``[a, b)`` is reported as ``starts[a]``..``ends[b - 1]`` of what the agent typed.

Steps: traditional → simplified (OpenCC ``t2s``), NFKC (full/half width), lower case, drop
punctuation (kept as clause boundaries), drop Chinese modal particles (啊, 呀, 啦, 喂…)
and English fillers (a, the, um, just…), fold 您→你 and 她/它→他.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")

#: modal particles, fillers and the structural 的/了, which paraphrases add and drop freely
#: («我新来的» / «我是新来», «我工号» / «我的工号»); 吧 and 呢 stay: «没事了吧» is a brush-off,
#: «没事了» is «it is fixed now»
ZH_FILLERS = frozenset("啊呀啦嘛哦喔吖喂嗯呃哇哈的了")
#: polite and gendered forms folded so «您打××电话吧» and «你打别的电话» compare equal
ZH_FOLD = {"您": "你", "她": "他", "它": "他", "妳": "你"}
EN_DROP = frozenset({"a", "an", "the", "um", "uh", "er", "erm", "oh", "well", "just", "so", "hey"})
#: placeholders that stand for a number: they normalise to ``#`` like the digits they become
NUMERIC_PLACEHOLDERS = frozenset({"hours", "agent_id", "position", "wait_minutes", "amount", "date", "due_date"})
NUMBER = "#"

_MASK_CHARS = frozenset("*×#")
_APOSTROPHES = "'\u2019"
_PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")
_N_T = {"can": "can", "won": "will", "shan": "shall", "ain": "is"}
_PRONOUN_IS = frozenset({"it", "that", "there", "what", "he", "she", "who", "here", "where", "how", "this"})
_SUFFIX = {"m": "am", "re": "are", "ve": "have", "ll": "will", "d": "would"}


def is_cjk(ch: str) -> bool:
    """True for a CJK ideograph (the BMP blocks and the supplementary ones)."""
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3134F


@dataclass(slots=True)
class NormText:
    """Tokens of a text plus, per token, its original ``[start, end)`` and clause number."""

    tokens: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    clauses: list[int] = field(default_factory=list)

    def add(self, token: str, start: int, end: int, clause: int) -> None:
        self.tokens.append(token)
        self.starts.append(start)
        self.ends.append(end)
        self.clauses.append(clause)

    def __len__(self) -> int:
        return len(self.tokens)

    def span(self, a: int, b: int) -> tuple[int, int]:
        """Original character offsets of tokens ``[a, b)``."""
        return self.starts[a], self.ends[b - 1]


def to_simplified(text: str) -> str:
    """OpenCC ``t2s`` that keeps one character per character (so offsets stay valid)."""
    out = _T2S.convert(text)
    if len(out) == len(text):
        return out
    chars = []
    for c in text:
        s = _T2S.convert(c)
        chars.append(s if len(s) == 1 else c)
    return "".join(chars)


def _fold_width(text: str) -> list[tuple[str, int]]:
    """NFKC + lower case per character, each output char tagged with its source index."""
    if text.isascii():
        return [(c, i) for i, c in enumerate(text.lower())]
    out: list[tuple[str, int]] = []
    for i, c in enumerate(text):
        for d in unicodedata.normalize("NFKC", c).lower():
            out.append((d, i))
    return out


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A deliberately tiny English stemmer: the same on both sides is all matching needs."""
    w = word
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    for suf in ("ing", "ed"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            w = w[: -len(suf)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]
            break
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def expand_word(word: str) -> list[str]:
    """Split contractions: «can't» → can not, «I'm» → i am, «it's» → it is, «Tom's» → tom."""
    for ap in _APOSTROPHES:
        word = word.replace(ap, "'")
    if "'" not in word:
        return ["can", "not"] if word == "cannot" else [word]
    head, _, tail = word.partition("'")
    if tail == "t" and head.endswith("n"):
        return [_N_T.get(head, head[:-1]), "not"]
    if tail in _SUFFIX:
        return [head, _SUFFIX[tail]]
    if tail == "s":
        return [head, "is"] if head in _PRONOUN_IS else [head]
    return [p for p in (head, tail) if p]


_Chars = list[tuple[str, int]]


def _cjk(chars: _Chars, i: int, out: NormText, clause: int) -> int:
    ch, src = chars[i]
    # 不了 is «cannot» (转接不了), not the particle 了
    if ch not in ZH_FILLERS or (ch == "了" and out.tokens and out.tokens[-1] == "不"):
        out.add(ZH_FOLD.get(ch, ch), src, src + 1, clause)
    return i + 1


def _placeholder(chars: _Chars, i: int, out: NormText, clause: int) -> int:
    """A ``{name}`` at ``i`` (``#`` for a numeric one); ``i`` itself when there is none."""
    m = _PLACEHOLDER_RE.match("".join(c for c, _ in chars[i : i + 20]))
    if m is None:
        return i
    width = m.end()
    if m.group(1) in NUMERIC_PLACEHOLDERS:
        out.add(NUMBER, chars[i][1], chars[i + width - 1][1] + 1, clause)
    return i + width


def _number(chars: _Chars, i: int, out: NormText, clause: int) -> int:
    j = i
    while j < len(chars) and (chars[j][0].isdigit() or chars[j][0] in _MASK_CHARS):
        j += 1
    out.add(NUMBER, chars[i][1], chars[j - 1][1] + 1, clause)
    return j


def _word_end(chars: _Chars, i: int) -> int:
    """End of the (Latin) word starting at ``i``: letters and inner apostrophes, no CJK."""
    j, n = i, len(chars)
    while j < n and not is_cjk(chars[j][0]) and (
            chars[j][0].isalpha() or (chars[j][0] in _APOSTROPHES and j + 1 < n and chars[j + 1][0].isalpha())):
        j += 1
    return j


def _word(chars: _Chars, i: int, out: NormText, clause: int) -> int:
    j = _word_end(chars, i)
    word = "".join(c for c, _ in chars[i:j])
    src, end = chars[i][1], chars[j - 1][1] + 1
    if len(word) >= 2 and set(word) == {"x"}:
        out.add(NUMBER, src, end, clause)
    else:
        for part in expand_word(word):
            if part and part not in EN_DROP:
                out.add(stem(part), src, end, clause)
    return j


def normalize(text: str) -> NormText:
    """Tokenise ``text`` for matching (see the module docstring)."""
    chars = _fold_width(to_simplified(text))
    out = NormText()
    clause = 0
    i = 0
    while i < len(chars):
        ch = chars[i][0]
        if is_cjk(ch):
            i = _cjk(chars, i, out, clause)
        elif ch == "{" and (j := _placeholder(chars, i, out, clause)) > i:
            i = j
        elif ch.isdigit() or ch in _MASK_CHARS:
            i = _number(chars, i, out, clause)
        elif ch.isalpha():
            i = _word(chars, i, out, clause)
        else:
            if not ch.isspace() or ch in "\r\n":
                clause += 1
            i += 1
    return out


def placeholders_in(text: str) -> list[str]:
    """Names of the ``{placeholders}`` used in ``text``."""
    return _PLACEHOLDER_RE.findall(text)
