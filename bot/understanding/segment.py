"""Finding the question inside a message as people really write it.

A staff member writes "har en klient 45 år, sjukskriven sen 2 år, ingen sgi.
vem ska kalla till sip?"; an individual writes "Hej jag heter Amina
850101-1234, jag är sjukskriven sedan tre år … vad ska jag göra?". Matched
as one bag of words, the greeting, the name, the number and the story dilute
the question until nothing is confident. So a message is split into
sentences, and each sentence is one of:

- **filler**: greetings, sign-offs, self-introductions, thanks, personal
  data (removed by the same redaction as the question log): no weight at all;
- **question**: an interrogative, a question mark, "vad gör jag", "vem kan
  hjälpa", "kan jag …", an imperative such as "förklara": what is asked;
- **context**: the situation described ("sjukskriven sedan tre år", "ingen
  SGI", "min klient"): it can choose between candidates but must not dilute
  the question, so the matcher weighs it less and ignores its unknown words.

When no sentence asks anything, the whole message is the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.text.normalize import fold
from bot.text.redact import redact

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+|(?<=\?)(?=\S)")
_COMMA = re.compile(r",\s*|\s+-\s+|\s+–\s+")
SHORT = 16  # words (without filler); a message this short is not split into question and context
_LONG_SENTENCE = 22  # words; a run-on sentence longer than this is split at its commas too
_PLACEHOLDER = re.compile(r"\[(personnummer|samordningsnummer|telefon|e-post|nummer|namn|adress|kontonummer|"
                          r"diarienummer)\]")

# Sentence openings (folded) that make a question even without a question mark.
_QUESTION_START = re.compile(
    r"^(vad|vem|vems|vilka|vilken|vilket|hur|vart|varfor|nar|"
    r"(kan|far|maste|ska|skall|bor|behover|finns|galler|stammer|ar|har|blir|betyder|innebar|racker|hjalper|"
    r"var|tar|ger|gor|betalar|ansvarar) (jag|du|man|vi|ni|hen|han|hon|de|det|den|dom|klienten|min|mitt|mina|"
    r"nagon|nagot|man|fk|af|soc|socialtjansten|varden|forsakringskassan|arbetsformedlingen|sip)|"
    r"what|who|whom|which|where|when|why|how|can|could|do|does|did|is|are|should|must|will|would|may|"
    r"forklara|beratta|beskriv|hjalp mig|tell me|explain|please explain)\b")
# Question phrases anywhere in a sentence (folded).
_QUESTION_PHRASE = re.compile(
    r"\b(vad (ska|skall|kan|bor|maste) (jag|vi|man|hen|han|hon)|vad gor (jag|vi|man)|vem (kan|ska|ansvarar)|"
    r"vart (ska|kan|vander)|hur (gor|ska|kan|far|ansoker)|kan (jag|man|vi|hen|ni|du)|far (jag|man|hen)|"
    r"maste (jag|man|hen)|jag undrar|undrar (om|vad|hur|vem|var)|jag vill veta|vill veta|"
    r"hjalp mig|nagon som vet|what (do|should|can) i|who (can|should|pays|decides)|how (do|can|should) i|"
    r"can i|do i have to|i want to know|i wonder)\b")
# Whole sentences that carry nothing: greetings, sign-offs, thanks, "I have a question".
_FILLER = re.compile(
    r"^(hej+|hejsan|hallo|halla|tja|tjena|god (morgon|dag|kvall|eftermiddag)|hi|hello|hey|dear \w+|"
    r"mvh|med vanlig(a)? halsning(ar)?|halsningar|vanligen|tack( sa mycket| pa forhand| for hjalpen)?|"
    r"tusen tack|thanks( in advance)?|thank you|best regards|regards|kind regards|"
    r"jag har en fraga|har en fraga|en fraga|fraga|i have a question|snalla|please|"
    r"jag heter \S+( \S+)?|mitt namn ar \S+( \S+)?|my name is \S+( \S+)?|"
    r"(mvh|med vanlig(a)? halsning(ar)?|halsningar|vanligen|best regards|regards|/) \S+( \S+)?|"
    r"jag ar \d+ ar( gammal)?|i am \d+( years old)?)$")
# Fillers at the start of a sentence: "hej jag heter X", "hej,"
_LEADING_FILLER = re.compile(
    r"^((hej+|hejsan|hallo|halla|hi|hello|hey|god (morgon|dag|kvall))\b[\s,!]*)+")
_INTRODUCTION = re.compile(r"\b(jag heter|mitt namn ar|my name is|i am called)\s+\[?\w+\]?(\s+[A-ZÅÄÖ]\w+)?",
                           re.IGNORECASE)


@dataclass
class Segments:
    """A message taken apart: what is asked, and the situation around it."""

    question: str  # the sentences that ask; the whole message when none does
    context: str = ""  # the situation described, without filler
    questions: list[str] = field(default_factory=list)  # each asking sentence, in order
    asks: bool = False  # whether any sentence asks something (else `question` is the whole message)
    filler_only: bool = False  # nothing but greetings, thanks, names or numbers

    @property
    def words(self) -> int:
        return len(self.question.split())


def split_sentences(text: str) -> list[str]:
    """Sentences, with run-on sentences split at their commas as well."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(text):
        sentence = piece.strip()
        if not sentence:
            continue
        if len(sentence.split()) > _LONG_SENTENCE:
            out.extend(part.strip() for part in _COMMA.split(sentence) if part.strip())
        else:
            out.append(sentence)
    return out


def _clauses(sentence: str) -> list[str]:
    """A sentence that asks, split at its commas when some of its clauses only tell the
    situation ("har en klient 45 år, ingen sgi, vem ska göra vad?"); else the sentence."""
    parts = [p.strip() for p in _COMMA.split(sentence) if p.strip()]
    if len(parts) < 2 or not is_question(sentence):
        return [sentence]
    asking = [is_question(p.rstrip("?")) for p in parts]
    if not any(asking) or all(asking):
        return [sentence]
    # Each clause keeps the question mark only when it asks: the rest is the situation.
    return [p if ask else p.rstrip("?") for p, ask in zip(parts, asking)]


_CONJUNCTION = re.compile(r"^((och|men|sa|eller|samt|plus|and|but|so|or|also|ocksa)\b\s*)+")


def is_question(sentence: str) -> bool:
    folded = _CONJUNCTION.sub("", fold(sentence).strip())
    return sentence.rstrip().endswith("?") or bool(_QUESTION_START.match(folded) or _QUESTION_PHRASE.search(folded))


def _strip_filler(sentence: str) -> str:
    """The sentence without personal data, a leading greeting or a self-introduction."""
    text = _INTRODUCTION.sub(" ", redact(sentence, health=False).text)
    text = _PLACEHOLDER.sub(" ", text)
    folded = fold(text).strip(" ,.!?")
    lead = _LEADING_FILLER.match(folded)
    if lead:
        # Cut as many characters of the original as the folded greeting had (folding keeps length
        # for Latin letters, which is all a greeting is made of).
        text = text.lstrip()[len(lead.group(0)):]
    return " ".join(text.split()).strip(" ,")


def segment(message: str) -> Segments:
    """Take a message apart into its question(s) and context."""
    questions: list[str] = []
    context: list[str] = []
    for sentence in split_sentences(message):
        for clause in _clauses(sentence):
            cleaned = _strip_filler(clause)
            folded = fold(cleaned).strip(" ,.!?")
            if not folded or _FILLER.match(folded) or not re.search(r"[^\W\d_]", folded):
                continue
            (questions if is_question(cleaned) else context).append(cleaned)
    if not questions and not context:
        return Segments(question="", filler_only=True)
    if not questions:
        return Segments(question=" ".join(context), asks=False)
    if sum(len(part.split()) for part in questions + context) <= SHORT:
        # A short message is all question: its "context" clause is usually half of what is asked
        # ("Jag har jobbat lite, varför får jag inte sjukpenning?").
        return Segments(question=" ".join(context + questions), questions=questions, asks=True)
    return Segments(question=" ".join(questions), context=" ".join(context), questions=questions, asks=True)
