"""The words `inboxd seed` writes bodies with: a vocabulary in rank order and its Zipf weights.

Real message text is Zipf-distributed: a few words are in most messages, a few dozen in one message
out of ten, and thousands are rare. That skew is what decides search plans (docs/search.md;
observation 8), so seeded bodies have it: the word of rank ``r`` is drawn with weight ``1 / r``.
The first few hundred ranks are words of support conversations; the tail is made of pronounceable
invented words, generated from a fixed seed so that every database gets the same vocabulary (the
benchmark names its words by rank: :data:`VOCABULARY` ``[20]`` is in about 10 % of bodies).
"""

from __future__ import annotations

import itertools
import random

_COMMON_TEXT = """
the i to a and my is it you for in of not can this we have on with but be me that do are was please
help account your get when thanks hi hello just from an at or if so no there what how need our all
will would been has any one they time as out know again still about up working order want now issue
problem payment invoice refund login password email app team support error page update new plan
subscription billing card charge cancel access data export import report feature request question
use using could should only after before since today yesterday week month customer user users settings
trial upgrade downgrade price pricing discount shipping delivery tracking package return exchange size
colour product item items cart checkout coupon code link reset verify verification phone number address
name change delete remove add create file upload download sync integration api key token webhook
calendar mobile android iphone browser chrome safari windows mac crash slow broken blank screen button
click loading timeout failed declined missing wrong duplicate double charged receipt tax vat company
contract seat seats license admin permission role invite sso saml security privacy gdpr notification
notifications message messages chat reply response urgent asap soon tomorrow monday friday morning
afternoon minutes hours days back same different another other also really very much many more some
because which where who why see try tried trying work works doesn don t s ll ve m re didn won isn
anyone someone something everything nothing thing things way day last first next yet already able
unable keep keeps stuck sent send sending received receive got getting go going look looking find
found show shows shown set setup install installed version latest old store shop website
site domain server database backup restore migrate migration dashboard analytics chart campaign
template form field fields list search filter sort manager owner member members group project
task tasks schedule meeting demo call contact details info information documentation docs guide
example screenshot attached attachment video pdf csv excel spreadsheet google microsoft outlook gmail
apple stripe paypal bank transfer wire monthly annual yearly renewal renew expired expire expires
"""

_ONSETS: tuple[str, ...] = (
    "b",
    "br",
    "c",
    "ch",
    "d",
    "dr",
    "f",
    "g",
    "gl",
    "h",
    "j",
    "k",
    "l",
    "m",
    "n",
    "p",
    "pl",
    "qu",
)
_ONSETS += ("r", "s", "sk", "st", "t", "tr", "v", "w", "z")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "io", "ou")
_CODAS = ("", "", "", "n", "r", "s", "l", "m", "x", "nd", "st", "rk")


def _invented(count: int, taken: set[str]) -> list[str]:
    rng = random.Random("inboxd-seed-vocabulary")  # fixed: the vocabulary never depends on --seed
    words: list[str] = []
    while len(words) < count:
        syllables = rng.choice((2, 2, 3, 3, 4))
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(syllables)) + rng.choice(_CODAS)
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


VOCABULARY_SIZE = 5000
_common = list(dict.fromkeys(_COMMON_TEXT.split()))
VOCABULARY: tuple[str, ...] = tuple(_common + _invented(VOCABULARY_SIZE - len(_common), set(_common)))
# Cumulative Zipf weights (exponent 1) for random.choices(cum_weights=...): a bisect per word.
CUMULATIVE_WEIGHTS: tuple[float, ...] = tuple(
    itertools.accumulate(1.0 / rank for rank in range(1, VOCABULARY_SIZE + 1))
)


def sentence(rng: random.Random, low: int, high: int) -> str:
    """One sentence of ``low`` to ``high`` Zipf-drawn words, capitalised, with a full stop."""
    words = rng.choices(VOCABULARY, cum_weights=CUMULATIVE_WEIGHTS, k=rng.randint(low, high))
    text = " ".join(words)
    return text[:1].upper() + text[1:] + rng.choice((".", ".", ".", "?", "!"))


def body(rng: random.Random) -> str:
    """A message body as the Messenger sends it: one to three HTML paragraphs."""
    paragraphs = rng.choice((1, 1, 1, 2, 2, 3))
    return "".join(f"<p>{sentence(rng, 3, 16)}</p>" for _ in range(paragraphs))
