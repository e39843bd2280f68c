"""Greetings, thanks and questions about the bot itself: a real reply, not "Det vet jag inte".

A message is small talk only when *all* of it is: "hej" is a greeting, "hej,
vem kallar till SIP?" is a question with a greeting in front (the segmenter
drops the greeting). The kinds are checked from the most specific ("är du en
människa?" must be told that this is an automated service, as the EU AI Act's
article 50 requires) to the least ("ok").
"""

from __future__ import annotations

import re

from bot.text.normalize import fold
from bot.understanding.segment import is_question

HUMAN, SIMPLER, UNCLEAR, ABOUT, HELP, THANKS, BYE, GREETING, OK = (
    "human", "simpler", "unclear", "about", "help", "thanks", "bye", "greeting", "ok")

_KINDS: tuple[tuple[str, str], ...] = (
    (HUMAN, (r"(ar|e) (du|ni|detta|det har|det) (en |ett )?(riktig |verklig )?(manniska|robot|bot|ai|dator|maskin|"
             r"program|person|chatbot|chattbot|levande)( som (svarar|skriver))?( eller (en |ett )?\w+)?|"
             r"(manniska|person) eller (en |ett )?(dator|robot|maskin|bot|ai|program)|"
             r"(is this|is it) (a )?(human|bot|robot|real person|person|machine|ai)( or (a )?\w+)?|"
             r"pratar jag med (en )?(manniska|robot|bot|ai|nagon|person)|"
             r"(ar|e) du (riktig|verklig|pa riktigt|automatisk)|"
             r"are you (a )?(human|robot|bot|real|real person|person|ai|machine|computer)|"
             r"am i (talking|chatting|speaking) (to|with) (a )?(human|bot|robot|person|real person|machine)")),
    (SIMPLER, (r"(kan du |snalla )?(forklara|saga|sag|skriva|skriv|beratta)( det| detta)?( lite)? (enklare|lattare|"
               r"pa enklare satt|pa lattare svenska|pa latt svenska|med enklare ord)|enklare|lattare svenska|"
               r"pa latt svenska|"
               r"(explain|say) (it |that )?(more )?(simpler|simply|more simply|in simple words|in plain words)|"
               r"simpler|in simple words|plain (english|words)")),
    (UNCLEAR, (r"(jag )?(forstar|fattar|begriper) (inte|ingenting|inget|noll)( alls| vad du menar| vad du skriver)?|"
               r"vad menar du|va|vad|hmm+|(i )?(do not|dont|don t) (understand|get it)|i am confused|"
               r"what do you mean|"
               r"obegripligt|konstigt svar|fel svar|det var inte det jag fragade|that is not what i asked")),
    (ABOUT, (r"vad (kan|gor|ar) du( for nagot| for en)?( hjalpa (mig |till )?med)?|vem ar du|"
             r"vad ar (du|detta|det har)|"
             r"(pratar|talar|kan|forstar) du (engelska|svenska|arabiska|persiska|somaliska|turkiska|polska|tigrinja|"
             r"dari|andra sprak)|do you (speak|understand) \w+|what (can|do) you help (me )?with|"
             r"what do you know( about)?|"
             r"hur (fungerar|funkar) (du|det har|detta)|vad (kan|ska) jag fraga( dig)?( om)?|vad vet du( om)?|"
             r"what (can|do) you do|who are you|what are you|how do you work|what can i ask( you)?")),
    (HELP, r"hjalp|help|hjalp mig|jag behover hjalp|i need help|\?+|meny|menu|start|borja"),
    (THANKS, (r"(tack|tackar|tusen tack|stort tack|thanks|thank you|thx|tack tack)"
              r"( sa (mycket|jatte mycket|hemskt mycket))?"
              r"( for (hjalpen|svaret|det|allt|informationen))?( (du|ni))?|(very )?much appreciated|"
              r"thank you (so|very) much|thanks a lot|"
              r"(det var|det ar|bra|super|toppen|perfekt)( (bra|snallt|hjalpsamt))? tack")),
    (BYE, (r"(hej ?da|hejdå|ha det( sa)? bra|ha en (fin|bra|trevlig) (dag|kvall|helg)|vi ses|vi hors|adjo|bye|goodbye|"
           r"bye bye|see you|have a (nice|good) (day|evening|weekend))( (du|ni|pa dig))?")),
    (GREETING, (r"(hej+|hejsan|hallo+|halla|tja|tjena|tjenare|god (morgon|dag|kvall|eftermiddag)|hi|hello|hey|"
                r"good (morning|afternoon|evening)|salam|salaam|assalamu alaikum|merhaba|czesc|dzien dobry)"
                r"( (du|ni|dar|allihopa|rehabbot|bot|there))?( hur mar du| how are you)?|hur mar du|hur ar laget|"
                r"how are you")),
    (OK, (r"ok|okej|okey|okay|oki|bra|fint|jaha|aha|ja|nej|kanon|toppen|super|perfekt|great|fine|good|nice|alright|"
          r"uppfattat|fattar|forstar|jag forstar|i see|got it")),
)
_PATTERNS = tuple((kind, re.compile(rf"^(?:{pattern})$")) for kind, pattern in _KINDS)
_GLUE = re.compile(r"\b(och|and|du|ni|snalla|please|bara|igen|again|rehabbot|bot)\b")


def small_talk(message: str) -> str | None:
    """The kind of small talk `message` is, or None when it asks or tells something else."""
    folded = fold(message)
    folded = re.sub(r"[^\w\s?]|_", " ", folded)  # emoji and punctuation, except a lone "?"
    folded = " ".join(folded.split())
    if not folded:
        return None
    if len(folded.split()) > 12:  # a long message is about something, whatever it starts with
        return None
    for kind, pattern in _PATTERNS:
        if pattern.match(folded.strip(" ?") or folded):
            return kind
    # Two at once: "hej! vad kan du?", "tack och hej då": the second says more than the greeting.
    lead = _LEAD.match(folded)
    if lead and lead.end() < len(folded):
        rest = small_talk(folded[lead.end():])
        if rest is not None:
            return rest
    # "Tack för hjälpen, ha en fin dag!": every part small talk; the first one names it.
    parts = [p for p in re.split(r"[,.!;]+", fold(message)) if p.strip()]
    if len(parts) > 1:
        kinds = [small_talk(p) for p in parts]
        if all(kinds):
            return kinds[0]
    # "tack, det var precis vad jag behövde veta": thanks and a remark, no question.
    if _THANKS_FIRST.match(folded) and "?" not in message and len(folded.split()) <= 10:
        rest = _THANKS_FIRST.sub("", folded)
        if not is_question(rest) and not re.search(r"\b(men|but|fast|dock|however)\b", rest):
            return THANKS
    return None


_THANKS_FIRST = re.compile(r"^(tack|tackar|tusen tack|stort tack|thanks|thank you)( sa mycket)?\b\s*")


_LEAD = re.compile(r"^(hej+|hejsan|hallo+|halla|tja|tjena|hi|hello|hey|god (morgon|dag|kvall)|tack|ok|okej)"
                   r"( och| and)?\s+")


_GREETING_WORD = re.compile(r"\b(hej+|hejsan|hallo+|halla|tja|tjena|god (morgon|dag|kvall)|hi|hello|hey|salam|salaam|"
                            r"merhaba|czesc|dzien dobry|mvh|tack|thanks)\b")


def greets(message: str) -> bool:
    """Whether a message holds a greeting or sign-off word anywhere ("Hej! Jag heter Amina.")."""
    return bool(_GREETING_WORD.search(fold(message)))
