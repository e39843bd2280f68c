"""Turning free Swedish (or English) text into comparable terms.

People type "forsakringskassan", "Försäkringskassan!" and "FÖRSÄKRINGSKASSAN"
for the same thing, so everything is compared after Unicode NFKC, case folding
and folding å/ä/ö (and other Latin diacritics) to their base letters. Both the
knowledge base and the question go through the same steps, which is what makes
the folding safe: "öl" and "ol" collide, but on both sides alike.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import threading
import types
import unicodedata
from functools import lru_cache
from typing import Any

# Letters-only or digits-only runs: "sgi0" → "sgi", "0"; "SIP-möte" → "sip", "mote".
_TOKEN = re.compile(r"[^\W\d_]+|\d+")

# Question words, fillers and function words (Swedish and English, folded). They carry
# little meaning in a question, so they weigh little instead of nothing: "vem" versus
# "vad" still tips a close call.
STOPWORDS = frozenset([
    "vad", "vem", "vilka", "vilken", "vilket", "var", "varfor", "hur", "nar", "vart", "vems", "varifran", "ar", "ar",
    "vara", "varit", "blir", "bli", "blev", "har", "hade", "ha", "kan", "kunna", "kunde", "ska", "skall", "skulle",
    "maste", "far", "fa", "fick", "bor", "borde", "vill", "ville", "gor", "gora", "gjorde", "galler", "finns", "fanns",
    "betyder", "innebar", "jag", "du", "han", "hon", "den", "det", "vi", "ni", "de", "man", "mig", "dig", "honom",
    "henne", "oss", "er", "dem", "sig", "min", "mitt", "mina", "din", "ditt", "dina", "sin", "sitt", "sina", "hans",
    "hennes", "deras", "var", "vart", "vara", "ert", "era", "nagon", "nagot", "nagra", "en", "ett", "och", "eller",
    "men", "om", "att", "som", "i", "pa", "till", "for", "fran", "med", "av", "at", "utan", "under", "over", "efter",
    "infor", "mot", "hos", "vid", "genom", "mellan", "sa", "da", "nu", "har", "dar", "inte", "ej", "ju", "val", "bara",
    "ocksa", "aven", "sjalv", "sjalva", "alla", "allt", "hela", "mycket", "lite", "mer", "mest", "nagonting", "ingen",
    "inget", "inga", "denna", "detta", "dessa", "sadan", "sadant", "sadana", "annan", "annat", "andra", "the", "a",
    "an", "of", "to", "in", "on", "for", "and", "or", "is", "are", "was", "be", "been", "do", "does", "did", "can",
    "could", "should", "would", "will", "what", "who", "whom", "which", "where", "when", "why", "how", "i", "me", "my",
    "you", "your", "he", "she", "it", "we", "they", "them", "their", "this", "that", "these", "those", "with", "from",
    "by", "at", "as", "not", "no", "about", "into", "get", "got", "have", "has", "had", "am", "any", "there", "here",
    "tack", "hej", "snalla", "undrar", "fraga", "typ", "liksom", "ba", "eg", "alltsa", "sta", "star", "ga", "gar", "ta",
    "tar", "ge", "ger", "komma", "kommer", "behover", "behova", "hander", "handa", "sker", "menas", "gors", "fungerar",
    "funkar", "hjalpa", "hjalper", "hjalp", "forran", "innan", "annu", "redan",
    # Fillers of spoken Swedish and English: "vem kallar till sip egentligen" asks who calls.
    "egentligen", "ens", "assa", "overhuvudtaget", "verkligen", "faktiskt", "kanske", "nan", "nat", "nanting",
    "nagonstans", "san", "sant", "sana", "okej", "ok", "hallo", "hejsan", "tjena", "mvh", "actually",
    "really", "just", "even", "please", "hi", "hello", "thanks", "thank",
])

# Snowball stemmer objects keep state between calls, so one shared object is a data race
# between the event loop and the reload thread: each thread gets its own.
_STEMMERS = threading.local()
_ALGORITHMS = {"sv": "swedish", "en": "english"}
_OWN_VOCABULARY = frozenset({"ar", "fa", "so", "ti", "tr", "pl"})  # bot.kb.translations.LANGUAGES
_PRIVATE = "bot.text._snowball"


def _snowball_class(algorithm: str) -> Any:
    """The stemmer class of one language, imported alone: `import snowballstemmer` imports all
    39 languages' modules (a tenth of what `rehabbot ask` spent importing). Its modules are
    loaded as the submodules of a package of ours whose path is snowballstemmer's directory,
    so that the package's __init__ never runs; anything unexpected falls back to it."""
    try:
        if _PRIVATE not in sys.modules:
            spec = importlib.util.find_spec("snowballstemmer")  # finds it without importing it
            if spec is None or not spec.submodule_search_locations:
                raise ImportError("snowballstemmer is not installed as a package")
            package = types.ModuleType(_PRIVATE)
            package.__path__ = list(spec.submodule_search_locations)
            sys.modules[_PRIVATE] = package
        module = importlib.import_module(f"{_PRIVATE}.{algorithm}_stemmer")
        return getattr(module, f"{algorithm.capitalize()}Stemmer")
    except (ImportError, AttributeError):
        import snowballstemmer
        return lambda: snowballstemmer.stemmer(algorithm)


def _stemmer(lang: str) -> Any:
    stemmer = getattr(_STEMMERS, lang, None)
    if stemmer is None:
        stemmer = _snowball_class(_ALGORITHMS[lang])()
        setattr(_STEMMERS, lang, stemmer)
    return stemmer


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """NFKC, case-folded, diacritics removed: "Försäkringskassan" → "forsakringskassan"."""
    if text.isascii():
        return text.lower()  # NFKC and NFD leave ASCII alone, and it has no diacritics
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped)


def tokens(text: str) -> list[str]:
    """Folded word tokens of `text`, in order."""
    return _TOKEN.findall(fold(text))


@lru_cache(maxsize=65536)
def stem(token: str, lang: str = "sv") -> str:
    """The Snowball stem of a folded token in `lang` ("sv" or "en"; digits and short words kept
    as they are). English words get the English stemmer: "lives" must not become the Swedish
    "liv". Any other language is left unstemmed."""
    if token.isdigit():
        return token
    if lang in _OWN_VOCABULARY:
        # The other languages keep their words apart: "kan" in Turkish (blood) is not the Swedish
        # "kan" (can), so a Turkish translation never answers a Swedish question by accident.
        return f"{lang}:{_light_stem(token, lang)}"
    if len(token) <= 3 or lang not in _ALGORITHMS:
        return token
    return _stemmer(lang).stemWord(token)


def is_stopword(token: str) -> bool:
    return token in STOPWORDS


# Light stemming for the languages without a Snowball stemmer here, as light stemmers in
# information retrieval do it: Arabic and Persian lose their common prefixes and suffixes
# (Larkey's "light10" for Arabic: و/ال/بال … and ها/ات/ون/ية …); Turkish, Polish and Somali,
# whose endings pile up, keep the first letters of a word (the classic "first five" for Turkish);
# Tigrinya's syllables carry their endings, so its first four.
_AR_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_AR_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ية", "ه", "ة", "ي")
_FA_PREFIXES = ("نمی", "می")
_FA_SUFFIXES = ("هایی", "های", "ها", "ترین", "تر", "مان", "تان", "شان", "ام", "ات", "اش", "ی")
_TRUNCATE = {"tr": 5, "pl": 6, "so": 5, "ti": 4}


def _light_stem(token: str, lang: str) -> str:
    if lang in ("ar", "fa"):
        prefixes, suffixes = (_AR_PREFIXES, _AR_SUFFIXES) if lang == "ar" else (_FA_PREFIXES, _FA_SUFFIXES)
        if lang == "ar" and token.startswith("و") and len(token) > 3:
            token = token[1:]
        for prefix in prefixes:
            if token.startswith(prefix) and len(token) - len(prefix) >= 2:
                token = token[len(prefix):]
                break
        for suffix in suffixes:
            if token.endswith(suffix) and len(token) - len(suffix) >= 2:
                token = token[: -len(suffix)]
                break
        return token
    size = _TRUNCATE.get(lang)
    return token[:size] if size else token


def plain(text: str) -> str:
    """A canonical form for comparing whole phrases: folded tokens joined by spaces."""
    return " ".join(tokens(text))


def as_number(text: str) -> int | None:
    """A number a person typed as a choice ("2"), or None: "²" and "①" count as digits for
    `str.isdigit` but not for `int`."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None
