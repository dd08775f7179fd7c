"""The question inside a long message (faq.focus), and what it changes for the matcher."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from faq.focus import body, focus, is_courtesy, sentences
from faq.knowledge import load_knowledge
from faq.matcher import Matcher


def test_a_short_message_is_its_own_question() -> None:
    assert focus("which visa will I get?") is None
    assert focus("شو نوع الفيزا؟") is None


def test_the_body_of_a_letter_is_without_its_greeting_sign_off_and_signature() -> None:
    letter = (
        "Dear DT4E team,\n\nWe run a bakery in Ghent with twelve staff. Which costs would we pay "
        "if we hired through the programme?\n\nKind regards,\nAnn Peeters\nOwner"
    )
    assert body(letter) == (
        "We run a bakery in Ghent with twelve staff. "
        "Which costs would we pay if we hired through the programme?"
    )
    assert body("which visa will I get?") == "which visa will I get?"


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


def test_a_request_that_points_back_keeps_the_sentence_it_points_to() -> None:
    """ "Could you provide an overview?" says what is asked only with the sentence before it."""
    letter = (
        "Dear Madam or Sir,\n\nOur compliance team is reviewing suppliers and programmes. It needs "
        "the list of the organisations the programme works with. Could you provide an overview?\n\n"
        "Kind regards,\nAnna Peeters"
    )
    assert focus(letter) == (
        "It needs the list of the organisations the programme works with. Could you provide an overview?"
    )


def test_an_indirect_question_is_read_from_whether() -> None:
    letter = (
        "Hello,\n\nWe are a bakery in Leuven and have chosen a pastry chef who lives in Zarqa. Our "
        "director asked whether we have to find a place for her to live when she arrives. Rents "
        "are high here.\n\nThanks in advance,\nEls Claes\nHR and Payroll"
    )
    assert focus(letter) == "asked whether we have to find a place for her to live when she arrives"


def test_a_signature_of_several_lines_after_a_sign_off_is_no_part_of_the_question() -> None:
    parts = sentences("We would like to know the costs.\n\nBest regards,\nJan Peeters\nHR Manager\nAcme NV")
    assert focus("Dear team,\n\n" + "\n".join(parts)) == "we would like to know the costs"


def test_a_signature_of_four_lines_with_a_telephone_is_no_part_of_the_body() -> None:
    letter = (
        "Dear team,\n\nWe would like to know what the hiring costs are for a company like ours.\n\n"
        "Kind regards,\nJan Peeters\nHR Manager\nAcme NV, Ghent\n+32 9 123 45 67"
    )
    assert body(letter) == "We would like to know what the hiring costs are for a company like ours."
