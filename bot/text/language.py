"""Which language a text is written in, as far as matching needs to know.

Matching needs one decision: are these words Swedish (stem them as Swedish),
English (stem them as English, so that "lives" never meets the Swedish "liv"),
or another language the lexical layer cannot read. Function words decide it:
they are frequent, short and distinctive, so a handful of them is enough even
in a short message, and Swedish names inside an English sentence ("I got a
letter from Försäkringskassan") do not tip it. A text in another script
(Arabic, Ge'ez, …) is `OTHER` whatever Latin names it contains.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

SWEDISH, ENGLISH, OTHER = "sv", "en", "other"

_WORD = re.compile(r"[^\W\d_]+")

# Distinctive function words, folded (å/ä/ö → a/o). Words both languages share in folded
# form ("i", "a", "an", "for", "men", "hen") are left out: they prove nothing.
_SV = frozenset([
    "jag", "du", "vi", "ni", "de", "dem", "mig", "dig", "oss", "sig", "min", "mitt", "mina", "din", "ditt", "dina",
    "hans", "hennes", "deras", "och", "eller", "att", "som", "det", "den", "detta", "dessa", "har", "hade", "kan",
    "ska", "skall", "skulle", "maste", "vill", "ar", "var", "varit", "blir", "blev", "inte", "ocksa", "nagon", "nagot",
    "nagra", "ingen", "inget", "vad", "vem", "vilka", "vilken", "vilket", "hur", "nar", "varfor", "vart", "varifran",
    "efter", "innan", "utan", "mot", "hos", "vid", "genom", "mellan", "pa", "fran", "med", "av", "till", "om", "sa",
    "da", "nu", "har", "dar", "bara", "mycket", "lite", "mer", "alla", "allt", "hej", "tack", "snalla", "kommer",
    "behover", "finns", "fa", "far", "fick", "gor", "gora", "gjorde", "ge", "ger", "ta", "tar", "sjuk", "sjukskriven",
    "pengar", "hjalp",
])
_EN = frozenset([
    "the", "and", "or", "that", "this", "these", "those", "what", "who", "whom", "which", "where", "when", "why", "how",
    "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "have", "has", "had", "can", "could",
    "should", "would", "will", "shall", "not", "no", "yes", "my", "your", "his", "her", "its", "our", "their", "me",
    "him", "us", "them", "you", "they", "we", "she", "he", "it", "with", "from", "about", "into", "over", "after",
    "before", "without", "because", "if", "then", "than", "there", "here", "get", "got", "help", "please", "thanks",
    "thank", "hello", "hi", "want", "need", "know", "tell", "give", "any", "some", "sick", "money", "doctor", "work",
    "job", "benefit",
])
# Frequent words of the Latin-script languages the bot's users also write (Somali, Turkish,
# Polish), folded: the core ones tell "not Swedish, not English" apart for stemming; `_COMMON`
# (below) adds more of each language for telling which one it is.
_SOMALI_CORE = frozenset([
    "waxaan", "waa", "iyo", "aan", "ku", "ka", "oo", "baan", "miyaa", "sidee", "maxaan", "xaggee", "waxa", "kuma",
    "haddii", "ayaa", "ayuu", "waxay", "ma", "maxay", "qof", "lacag", "caawimaad", "dhakhtar", "shaqo",
    "xanuunsan"
])
_TURKISH_CORE = frozenset([
    "ve", "bir", "bu", "ne", "nasil", "icin", "degil", "yok", "ben", "benim", "cok", "ama", "nerede", "kim",
    "neden", "yardim", "para", "doktor", "hasta"
])
_POLISH_CORE = frozenset([
    "nie", "jest", "sie", "jak", "czy", "mam", "jestem", "ze", "dla", "gdzie", "kto", "mnie", "moja", "moj",
    "pieniadze", "pomoc", "lekarz", "chory"
])
_OTHER_LATIN = _SOMALI_CORE | _TURKISH_CORE | _POLISH_CORE
_EN_ONLY = _EN - _SV
_SV_ONLY = _SV - _EN
_OTHER_ONLY = _OTHER_LATIN - _SV - _EN


@lru_cache(maxsize=8192)
def identify(text: str) -> str:
    """`SWEDISH`, `ENGLISH` or `OTHER` for a question or a knowledge text.

    Latin-script text with no telling word counts as Swedish: the knowledge base's
    own vocabulary (names, abbreviations) is Swedish."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return SWEDISH
    latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
    if latin < 0.7 * len(letters):  # Arabic, Persian, Ge'ez …, with or without Swedish names
        return OTHER
    words = [_fold(w) for w in _WORD.findall(text)]
    english = sum(1 for w in words if w in _EN_ONLY)
    swedish = sum(1 for w in words if w in _SV_ONLY)
    other = sum(1 for w in words if w in _OTHER_ONLY)
    if other > max(english, swedish):
        return OTHER
    if english > swedish and english >= 1:
        return ENGLISH
    return SWEDISH


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# -- the language a person writes in ----------------------------------------------------------
#
# Which of the bot's eight languages a message is written in, for answering in it. Scripts
# decide first: Ge'ez is Tigrinya (the bot serves no Amharic), Arabic script is Arabic or
# Persian by the letters only Persian has. Latin script goes to lingua-language-detector
# (it ships its models; low-accuracy mode: 15 MB, and good on messages of a few words)
# after the Swedish names people keep in any language ("Försäkringskassan", "soc",
# "läkarintyg", every word with å/ä/ö) are taken out, so "jak mam dostać pieniądze z soc"
# is Polish, not Swedish.

ARABIC, PERSIAN, SOMALI, TIGRINYA, TURKISH, POLISH = "ar", "fa", "so", "ti", "tr", "pl"
_PERSIAN_LETTERS = frozenset("پچژگیک")  # Persian forms; Arabic writes ي and ك
_ARABIC_LETTERS = frozenset("ةيكىأإؤئ")
# Swedish names and words people keep when they write another language.
_SWEDISH_NAMES = frozenset([
    "fk", "af", "soc", "socialen", "socialtjansten", "forsakringskassan", "arbetsformedlingen", "sip", "sgi", "lss",
    "vc", "vardcentralen", "vardcentral", "jobbtorg", "finsam", "finsamteam", "aktivitetsplatsen", "lakarintyg",
    "sjukskriven", "sjukpenning", "forsorjningsstod", "bistand", "handlaggare", "socialsekreterare", "stadsdel",
    "kommun", "kommunen", "region", "rehabkoordinator", "bankid", "mina", "sidor", "stockholm", "sverige",
])


_SWEDISH_LETTERS = frozenset("åäö")
_OWN_LETTERS = {TURKISH: set("şğı"), POLISH: set("łąężźćńś")}
# Frequent words people write in each (folded), beyond the function words above.
_COMMON = {
    SOMALI: _SOMALI_CORE | frozenset([
        "ahay", "hayo", "haysto", "sameeyaa", "sidaan", "iga", "ii", "igu", "kala", "wax", "aniga", "waan", "jiro",
        "karaa", "doonayaa", "haa", "maya"
    ]),
    TURKISH: _TURKISH_CORE | frozenset([
        "var", "mi", "mu", "miyim", "merhaba", "istiyorum", "yapmaliyim", "lazim", "gerekiyor", "bana", "sen",
        "siz", "de", "da", "hic", "param", "hastayim", "calisamiyorum", "nereye", "kime", "tesekkurler", "evet"
    ]),
    POLISH: _POLISH_CORE | frozenset([
        "chora", "co", "to", "na", "do", "w", "z", "i", "mi", "prosze", "dzien", "dobry", "dziekuje", "pracy",
        "zasilek", "robic", "wiem", "moge", "musze", "chce", "tak", "juz", "bo", "ale", "od", "po", "bez"
    ]),
}


@lru_cache(maxsize=4096)  # a message has few distinct letters; the index reads ~10^6 of them
def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return "geez" if "ETHIOPIC" in name else "arabic" if "ARABIC" in name else "latin" if "LATIN" in name else "other"


@lru_cache(maxsize=1)
def _latin_detector():
    from lingua import Language, LanguageDetectorBuilder
    return LanguageDetectorBuilder.from_languages(
        Language.SWEDISH, Language.ENGLISH, Language.SOMALI, Language.TURKISH, Language.POLISH,
    ).with_low_accuracy_mode().build()


@lru_cache(maxsize=8192)
def detect(text: str) -> str | None:
    """The language of a message among sv, en, ar, fa, so, ti, tr, pl, or None when it cannot
    be told (no letters, or only Swedish names and a word or two that prove nothing)."""
    if not any(ch.isalpha() for ch in text):
        return None
    words = _WORD.findall(text)
    rest = [w for w in words if _fold(w) not in _SWEDISH_NAMES and not set(w.lower()) & set("åäö")]
    if not rest:
        return SWEDISH  # only Swedish names and words
    letters = [ch for w in rest for ch in w]
    scripts = [_script(ch) for ch in letters]
    if scripts.count("geez") >= 0.3 * len(letters):
        return TIGRINYA
    if scripts.count("arabic") >= 0.3 * len(letters):
        persian = sum(1 for ch in letters if ch in _PERSIAN_LETTERS)
        arabic = sum(1 for ch in letters if ch in _ARABIC_LETTERS)
        return PERSIAN if persian > arabic else ARABIC
    folded = [_fold(w) for w in rest]
    english = sum(1 for w in folded if w in _EN_ONLY)
    swedish = sum(1 for w in folded if w in _SV_ONLY)
    if (english or swedish) and not any(set(folded) & words for words in _COMMON.values()):
        return ENGLISH if english > swedish else SWEDISH  # most messages: no need to ask lingua
    found = _latin_detector().compute_language_confidence_values(" ".join(rest))
    best = found[0] if found else None
    code = best.language.iso_code_639_1.name.lower() if best else SWEDISH
    # lingua names a language for anything ("xyzzy qwerty" is "Polish"): it takes a common word
    # of that language, or letters only it uses, to believe it.
    telling = bool(set(folded) & _COMMON.get(code, frozenset())) or \
        bool(set("".join(rest).lower()) & _OWN_LETTERS.get(code, set()))
    if code in (SOMALI, TURKISH, POLISH) and best is not None and best.value >= 0.7 and telling and \
            english + swedish < len(rest) / 2:
        return code
    if english or swedish:  # the function words know Swedish from English best
        return ENGLISH if english > swedish else SWEDISH
    return code if code in (SWEDISH, ENGLISH) and best is not None and best.value >= 0.6 else None


@lru_cache(maxsize=32768)  # the index reads each translated text twice (as a field, as a phrase)
def own_words(text: str) -> str:
    """A translation's own words, without the Swedish names it keeps ("Försäkringskassan",
    "soc", "SIP", any word with å/ä/ö, any abbreviation): indexed as the translation's, those
    would make a Swedish question match the translated entries more than the others."""
    kept = []
    latin_text: bool | None = None
    for word in text.split():
        letters = _WORD.findall(word)
        if not letters:
            continue
        w = letters[0]
        if _fold(w) in _SWEDISH_NAMES or not _SWEDISH_LETTERS.isdisjoint(w.lower()) or (w.isupper() and len(w) <= 5):
            continue
        if w.isascii() or all(_script(ch) == "latin" for ch in w):
            if latin_text is None:
                latin_text = _script_of_text(text) == "latin"
            if not latin_text:
                continue  # a Latin word inside Arabic, Persian or Tigrinya text is a name
        kept.append(word)
    return " ".join(kept)


@lru_cache(maxsize=4096)
def _script_of_text(text: str) -> str:
    counts = Counter(_script(ch) for ch in text if ch.isalpha())
    # On a tie the other script: "شو يعني FINSAM؟" is Arabic with a Swedish name in it. (A set's
    # order, as before, changes with Python's string hashing from one process to the next.)
    return max(counts, key=lambda script: (counts[script], script != "latin")) if counts else "latin"
