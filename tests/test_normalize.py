"""Normalisation makes the ways people type a word compare equal."""

import subprocess
import sys

from bot.text.normalize import fold, is_stopword, plain, stem, tokens


def test_case_diacritics_and_unicode_forms_fold_away():
    assert fold("FÖRSÄKRINGSKASSAN") == fold("forsakringskassan") == "forsakringskassan"
    assert fold("Ａｒｂｅｔｓförmedlingen") == "arbetsformedlingen"  # full-width letters (NFKC)
    assert fold("A\u030a") == "a"  # a + combining ring


def test_tokens_split_letters_digits_and_punctuation():
    assert tokens("Vem kallar till SIP-möte?") == ["vem", "kallar", "till", "sip", "mote"]
    assert tokens("vad är sgi0") == ["vad", "ar", "sgi", "0"]
    assert tokens("🙂🙂") == []


def test_swedish_stemming_joins_inflections():
    assert stem("aktivitetsplatsen") == stem("aktivitetsplatser")
    assert stem("kallar") == stem("kalla")
    assert stem("sip") == "sip"  # short words are kept as typed


def test_question_words_are_stopwords_but_content_is_not():
    assert all(is_stopword(w) for w in tokens("Vad är det som gäller för mig"))
    assert not is_stopword("sjukpenning")


def test_plain_is_a_canonical_phrase_form():
    assert plain("  Vem kallar till SIP?! ") == plain("vem KALLAR till sip") == "vem kallar till sip"


def test_stemming_from_many_threads_gives_each_word_its_own_stem():
    # Snowball stemmer objects keep state between calls: shared by the event loop, the reload
    # thread and the semantic build, one object gave wrong stems (another thread's word) and
    # IndexErrors. Each thread has its own; the cache is bypassed to stem for real.
    import random
    from concurrent.futures import ThreadPoolExecutor

    from bot.text.normalize import stem
    uncached = stem.__wrapped__
    rng = random.Random(7)
    words = ["".join(rng.choice("abcdefghijklmnoprstuvy") for _ in range(rng.randint(4, 14))) + suffix
             for suffix in ("arna", "erna", "ande", "heten", "ning", "ade", "or", "") for _ in range(5000)]
    expected = [uncached(w) for w in words]

    def run(part: int) -> list[str]:
        return [uncached(w) for w in words[part::4]]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, range(4)))
    for part, got in enumerate(results):
        assert got == expected[part::4]


def test_only_the_swedish_and_english_stemmers_are_imported_and_they_stem_as_snowballstemmer():
    """The two stemmers are loaded alone (not all 39 languages): same stems as the package's."""
    code = ("import sys; from bot.text.normalize import stem; stem('forsakringskassans'); stem('lives', 'en'); "
            "print(sorted(m for m in sys.modules if 'snowball' in m))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "snowballstemmer" not in loaded and "swedish_stemmer" in loaded and "english_stemmer" in loaded
    import snowballstemmer

    from bot.kb import load_knowledge_base
    from bot.settings import shipped_kb_dir
    kb = load_knowledge_base(shipped_kb_dir())
    words = {w for e in kb.entries for q in (e.display_title, *e.questions, e.answer.staff or "") for w in tokens(q)}
    for lang, algorithm in (("sv", "swedish"), ("en", "english")):
        reference = snowballstemmer.stemmer(algorithm)
        for word in sorted(words):
            if len(word) > 3 and not word.isdigit():
                assert stem(word, lang) == reference.stemWord(word), (lang, word)
