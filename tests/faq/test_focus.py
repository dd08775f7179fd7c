"""The question inside a long message (faq.focus), and what it changes for the matcher."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from faq.focus import focus, is_courtesy, sentences
from faq.knowledge import load_knowledge
from faq.matcher import Matcher


def test_a_short_message_is_its_own_question() -> None:
    assert focus("which visa will I get?") is None
    assert focus("شو نوع الفيزا؟") is None


def test_the_sentence_with_the_question_mark_is_the_question() -> None:
    message = (
        "Good evening. I am a pharmacist from Homs and I have lived in Irbid with my wife and "
        "our three daughters since 2014. My cousin told me about the programme last week. "
        "How long does the whole procedure take? Thank you very much."
    )
    assert focus(message) == "How long does the whole procedure take?"


def test_a_formal_letter_without_a_question_mark_is_read_from_its_cue() -> None:
    letter = (
        "Madame, Monsieur,\n\nNous sommes une entreprise de menuiserie installée près de Namur et "
        "comptons trente salariés. Nous souhaiterions savoir quels frais restent à la charge de "
        "l'employeur.\n\nJe vous prie d'agréer, Madame, Monsieur, mes salutations distinguées.\n\n"
        "Paul Lambert"
    )
    assert focus(letter) == "souhaiterions savoir quels frais restent a la charge de employeur"


def test_a_levantine_message_keeps_the_question_after_the_greetings() -> None:
    message = (
        "السلام عليكم ورحمة الله. أنا ممرضة من حمص وساكنة بالزرقاء مع جوزي وولادي من عشر سنين. "
        "قديش بتاخد المعاملة لحتى سافر؟ يعطيكم العافية"
    )
    assert focus(message) == "قديش بتاخد المعاملة لحتى سافر؟"


def test_greetings_thanks_and_sign_offs_are_courtesy_and_questions_are_not() -> None:
    for line in ("Dear DT4E team,", "Kind regards, Sophie", "Merci d'avance", "يعطيكم العافية", "Bonjour"):
        assert is_courtesy(line), line
    for line in ("Do I pay for the visa?", "quels frais pour l'employeur", "وين بدي سكن؟"):
        assert not is_courtesy(line), line


def test_personal_context_does_not_push_a_clear_question_under_the_threshold() -> None:
    matcher = Matcher(load_knowledge())
    question = "Which type of visa or permit will I get to work there?"
    alone = matcher.match(question)
    assert alone.faq_id == "visa-type"
    long = matcher.match(
        "Hello, I am a nurse in Irbid, married with two kids, and I have worked in a private "
        "hospital for nine years. A company in Belgium interviewed me last month and I am "
        f"waiting for their answer. {question} Thanks a lot and God bless you."
    )
    assert long.faq_id == "visa-type"
    assert long.score >= alone.score - 5


@given(st.text(max_size=400))
def test_any_text_gives_a_focus_drawn_from_it_or_none(text: str) -> None:
    found = focus(text)
    assert found is None or found.strip()
    assert all(s.strip() for s in sentences(text))


def test_a_greeting_or_a_sign_off_run_into_a_sentence_with_a_comma_are_cut_off() -> None:
    letter = (
        "Dear DT4E team, we are drawing up next year's staffing plan and need the overall "
        "timeline from the vacancy to the first working day. Best regards, Talent Acquisition Lead"
    )
    assert focus(letter) == (
        "we are drawing up next year's staffing plan and need the overall timeline from the "
        "vacancy to the first working day."
    )
    lettre = (
        "Madame, Monsieur, pourriez-vous nous préciser qui dépose la demande de permis unique ? "
        "Dans l'attente de votre retour, veuillez agréer nos salutations distinguées."
    )
    assert focus(lettre) == "pourriez-vous nous préciser qui dépose la demande de permis unique ?"


def test_a_very_short_question_keeps_the_sentence_it_leans_on() -> None:
    message = (
        "Bonjour. Je suis infirmier à Tripoli. Ma femme et mes enfants restent ici pour le moment. "
        "Comment ça se passe ? Merci d'avance"
    )
    assert focus(message) == "Ma femme et mes enfants restent ici pour le moment. Comment ça se passe ?"
