"""Normalisation makes the ways people type a word compare equal."""

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
