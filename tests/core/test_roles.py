"""The user's role changes what the bot offers: the main menu, the related questions and the
"did you mean" suggestions, the ranking; and it changes only when the user answers the role
question."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.basics.buttons import read_in_place
from bot.basics.lang import Lang
from bot.core.commands import Menu, Topic
from bot.core.context import Context
from bot.core.dispatch import handle
from bot.core.events import QuestionUnanswered, ReplyCreated
from bot.core.features import TOPICS
from bot.core.features.answers import FaqButton
from bot.core.features.modules import ModuleButton
from bot.core.features.onboarding import RoleButton
from bot.core.inbound import UserRef
from bot.core.state import Awaiting, ConversationState, Role, Turn
from dialogs.library import DialogLibrary
from faq.assistant import FaqAssistant
from faq.matcher import Candidate, Match, Matcher
from tests.inputs import inbound

USER = UserRef("test", "1")
AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CHECK = "employer-obligations-check"
OTHER = {Role.TALENT: "employer", Role.EMPLOYER: "talent"}


def turn(
    context: Context, state: ConversationState, text: str | None = None, *, press: str | None = None
) -> Turn:
    return handle(state, inbound(USER, AT, text=text, press=press), context)


def as_role(role: Role | None, **more: object) -> ConversationState:
    return ConversationState(language=Lang.EN, role=role, **more)


def data(reply: ReplyCreated) -> list[list[str]]:
    return [[b.data for b in row] for row in reply.buttons]


def flat(reply: ReplyCreated) -> list[str]:
    return [b.data for row in reply.buttons for b in row]


def faq_ids(reply: ReplyCreated) -> list[str]:
    return [pressed.faq_id for row in reply.buttons for b in row if (pressed := FaqButton.unpack(b.data))]


def with_check_dialog(context: Context, present: bool) -> Context:
    """The context with or without the employers' guided check, whether or not it is shipped."""
    assert context.dialogs is not None
    dialogs = {k: v for k, v in context.dialogs.dialogs.items() if k != CHECK}
    if present:
        dialogs[CHECK] = context.dialogs.modules()[0].model_copy(update={"id": CHECK})
    return replace(context, dialogs=DialogLibrary(dialogs, labels=context.dialogs.labels))


# The main menu


@pytest.mark.parametrize("present", [True, False], ids=["check-dialog", "no-check-dialog"])
def test_each_role_has_its_own_main_menu(context: Context, present: bool) -> None:
    context = with_check_dialog(context, present)
    neutral, talent, employer = (
        data(turn(context, as_role(role), "/menu").replies[-1]) for role in (None, Role.TALENT, Role.EMPLOYER)
    )
    assert neutral == [["menu:ask"], ["menu:modules"], ["menu:language", "menu:help"]]
    assert talent == [
        ["menu:ask"],
        ["menu:modules"],
        ["faq:procedure-duration"],
        ["faq:fees"],
        ["faq:family-reunification"],
        ["menu:language", "menu:role", "menu:help"],
    ]
    assert employer == [
        ["menu:ask"],
        *([[ModuleButton(CHECK).pack()]] if present else []),
        ["faq:employer-costs"],
        ["faq:employer-obligations"],
        ["faq:procedure-duration"],
        ["faq:employer-support"],
        ["faq:employer-trainings"],
        ["menu:language", "menu:role", "menu:help"],
    ]


def test_the_menus_buttons_are_labelled_in_the_users_language(context: Context) -> None:
    context = with_check_dialog(context, True)
    [reply] = turn(context, ConversationState(language=Lang.FR, role=Role.EMPLOYER), "/menu").replies
    labels = [b.label for row in reply.buttons for b in row]
    assert "Vérifier mes obligations" in labels
    assert "Quels sont les coûts pour l'employeur\u202f?" in labels  # French typography
    assert "Changer de rôle" in labels


def test_a_menu_topic_opens_its_answer_or_its_dialog(context: Context) -> None:
    context = with_check_dialog(context, True)
    employer = as_role(Role.EMPLOYER)
    answered = turn(context, employer, press=FaqButton("employer-costs").pack())
    assert answered.state.last_faq_id == "employer-costs"
    opened = turn(context, employer, press=ModuleButton(CHECK).pack())
    assert opened.state.active_module == CHECK


def test_every_topic_is_in_the_knowledge_base_and_suits_its_role(context: Context) -> None:
    assert context.faq is not None
    for shown, topics in TOPICS.items():
        assert shown is not Menu.NEUTRAL, "the neutral menu stays the commands' own"
        for topic in topics:
            if topic.faq_id:
                assert topic.faq_id in context.faq, topic
                assert context.faq.audience(topic.faq_id) in ("both", shown.value), topic


def test_a_topic_opens_one_thing() -> None:
    with pytest.raises(ValueError, match="either"):
        Topic(1, faq_id="fees", dialog_id=CHECK, label="x")
    with pytest.raises(ValueError, match="either"):
        Topic(1)
    with pytest.raises(ValueError, match="label"):
        Topic(1, dialog_id=CHECK)


def test_commands_stay_usable_whatever_the_menu_shows(context: Context) -> None:
    """An employer's menu has no modules button; /modules still lists them."""
    employer = as_role(Role.EMPLOYER)
    assert "menu:modules" not in flat(turn(context, employer, "/menu").replies[-1])
    listed = flat(turn(context, employer, "/modules").replies[-1])
    assert any(ModuleButton.unpack(read_in_place(d)[0]) for d in listed)


def test_staff_keep_their_commands_whatever_their_role(context: Context) -> None:
    for role in (None, Role.TALENT, Role.EMPLOYER):
        help_text = turn(context, as_role(role, staff=True), "/help").replies[-1].text
        assert "/survey" in help_text, role
        assert "/results" in help_text, role


# Related questions, "did you mean" and the ranking


def test_related_questions_leave_out_the_other_roles_entries(context: Context) -> None:
    faq = context.faq
    assert faq is not None
    dropped = 0
    for faq_id in faq.knowledge.entries:
        related = faq.related(faq_id)
        for role in Role:
            [reply] = turn(context, as_role(role), press=FaqButton(faq_id).pack()).replies
            shown = faq_ids(reply)
            assert shown == [r for r in related if faq.audience(r) != OTHER[role]], (faq_id, role)
            dropped += len(related) - len(shown)
        [reply] = turn(context, as_role(None), press=FaqButton(faq_id).pack()).replies
        assert faq_ids(reply) == related, "no role: every related question"
    assert dropped, "the content has related questions written for one role only"


class Verdict(Matcher):
    """A matcher whose verdict is set by the test, and which remembers whom it was asked for."""

    def __init__(self, assistant: FaqAssistant, verdict: Match) -> None:
        super().__init__(assistant.knowledge)
        self.verdict = verdict
        self.audiences: list[str | None] = []

    def match(
        self,
        question: str,
        *,
        preferred: Lang | None = None,
        hint: Lang | None = None,
        audience: str | None = None,
    ) -> Match:
        self.audiences.append(audience)
        return self.verdict


def unsure(*suggestions: str) -> Match:
    return Match(None, 50, Lang.EN, tuple(Candidate(s, 50) for s in suggestions), suggestions)


@pytest.fixture(scope="module")
def assistant(context: Context) -> FaqAssistant:
    assert context.faq is not None
    return context.faq


def judged(context: Context, assistant: FaqAssistant, verdict: Match) -> tuple[Context, Verdict]:
    matcher = Verdict(assistant, verdict)
    return replace(context, faq=FaqAssistant(assistant.knowledge, matcher)), matcher


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, None),
        (Role.TALENT, "talent"),
        (Role.EMPLOYER, "employer"),
    ],
)
def test_the_ranking_is_asked_for_the_users_role(
    context: Context, assistant: FaqAssistant, role: Role | None, expected: str | None
) -> None:
    context, matcher = judged(context, assistant, unsure("family-travel"))
    turn(context, as_role(role), "who pays for the flight of my kids")
    assert matcher.audiences == [expected]


MIXED = ("family-reunification", "family-travel", "employer-costs")  # talent, both, employer


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        (None, list(MIXED)),
        (Role.TALENT, ["family-reunification", "family-travel"]),
        (Role.EMPLOYER, ["family-travel", "employer-costs"]),
    ],
)
def test_did_you_mean_offers_what_suits_the_role(
    context: Context, assistant: FaqAssistant, role: Role | None, offered: list[str]
) -> None:
    assert [assistant.audience(f) for f in MIXED] == ["talent", "both", "employer"]
    context, _ = judged(context, assistant, unsure(*MIXED))
    [reply] = turn(context, as_role(role), "family costs?").replies
    assert "Did you mean" in reply.text
    assert faq_ids(reply) == offered


def test_did_you_mean_with_nothing_for_the_role_is_an_honest_i_do_not_know(
    context: Context, assistant: FaqAssistant
) -> None:
    context, _ = judged(context, assistant, unsure("family-reunification"))
    done = turn(context, as_role(Role.EMPLOYER), "can the family come")
    [reply] = done.replies
    assert reply.text.startswith("Sorry, I do not know")
    assert data(reply) == [["menu:human", "menu:main"]]
    [unanswered] = [e for e in done.events if isinstance(e, QuestionUnanswered)]
    assert unanswered.candidates == ("family-reunification",)


# The role question: /start, /role, stale buttons, participants


def test_start_asks_the_role_again_after_the_language(context: Context) -> None:
    state = turn(context, as_role(Role.EMPLOYER), "/start").state
    done = turn(context, state, press="lang:fr")
    assert done.state.awaiting is Awaiting.ROLE
    assert "je vous réponds comme à un employeur" in done.replies[-1].text
    assert data(done.replies[-1]) == [["role:talent", "role:employer"]]
    chosen = turn(context, done.state, press=RoleButton(Role.TALENT).pack())
    assert (chosen.state.role, chosen.state.awaiting) == (Role.TALENT, None)
    assert "menu:modules" in flat(chosen.replies[-1])


def test_changing_the_language_later_does_not_ask_the_role(context: Context) -> None:
    state = turn(context, as_role(Role.EMPLOYER), "/language").state
    done = turn(context, state, press="lang:fr")
    assert done.state.awaiting is None
    assert done.replies[-1].text == "Que souhaitez-vous faire\u202f?"


@pytest.mark.parametrize("how", ["/role", "menu"])
def test_the_role_can_be_changed_from_the_menu(context: Context, how: str) -> None:
    talent = as_role(Role.TALENT)
    asked = turn(context, talent, "/role") if how == "/role" else turn(context, talent, press="menu:role")
    [reply] = asked.replies
    assert "Right now I answer you as a candidate (talent)." in reply.text
    assert asked.state.awaiting is Awaiting.ROLE
    changed = turn(context, asked.state, press=RoleButton(Role.EMPLOYER).pack())
    assert changed.state.role is Role.EMPLOYER
    assert "faq:employer-costs" in flat(changed.replies[-1])


def test_an_old_role_button_changes_nothing_and_asks_again(context: Context) -> None:
    talent = as_role(Role.TALENT)
    stale = turn(context, talent, press=RoleButton(Role.EMPLOYER).pack())
    assert stale.state.role is Role.TALENT
    [reply] = stale.replies
    assert reply.text.startswith("That button is from an earlier message, so I did not change your role.")
    assert "Right now I answer you as a candidate (talent)." in reply.text
    assert data(reply) == [["role:talent", "role:employer"]]
    confirmed = turn(context, stale.state, press=RoleButton(Role.EMPLOYER).pack())
    assert (confirmed.state.role, confirmed.state.awaiting) == (Role.EMPLOYER, None)


@pytest.mark.parametrize("state", [as_role(Role.TALENT), as_role(None)], ids=["same-role", "no-role-yet"])
def test_an_old_role_button_that_switches_nothing_is_simply_taken(
    context: Context, state: ConversationState
) -> None:
    done = turn(context, state, press=RoleButton(Role.TALENT).pack())
    assert done.state.role is Role.TALENT
    assert done.replies[0].text == "Thank you. Ask me anything about your move and your new job."


PARTICIPANT = as_role(Role.EMPLOYER, participant="E-0001")


def test_a_participants_role_is_the_programmes(context: Context) -> None:
    asked = turn(context, PARTICIPANT, "/role")
    [reply] = asked.replies
    assert "registration with the DT4E programme" in reply.text
    assert data(reply) == [["menu:human", "menu:main"]]
    assert asked.state.model_copy(update={"recent_at": ()}) == PARTICIPANT, "nothing changed"
    assert turn(context, PARTICIPANT, press=RoleButton(Role.TALENT).pack()).state.role is Role.EMPLOYER
    awaiting = PARTICIPANT.model_copy(update={"awaiting": Awaiting.ROLE})
    assert turn(context, awaiting, "talent").state.role is Role.EMPLOYER


def test_start_does_not_ask_a_participant_their_role(context: Context) -> None:
    state = turn(context, PARTICIPANT, "/start").state
    done = turn(context, state, press="lang:en")
    assert done.state.awaiting is None
    assert done.replies[-1].text == "What would you like to do?"


# Typed answers to the role question


ROLE_ANSWERS = [
    ("employer", Role.EMPLOYER),
    ("I'm an employer!", Role.EMPLOYER),
    ("Company", Role.EMPLOYER),
    ("je suis employeur", Role.EMPLOYER),
    ("Nous sommes une entreprise.", Role.EMPLOYER),
    ("صاحب شركة", Role.EMPLOYER),
    ("شركة", Role.EMPLOYER),
    ("صاحبة عمل", Role.EMPLOYER),
    ("موظف توظيف", Role.EMPLOYER),
    ("أنا صاحب عمل", Role.EMPLOYER),
    ("أمثّل شركة أو صاحب عمل", Role.EMPLOYER),
    ("عندي شركة", Role.EMPLOYER),
    ("I am an employer", Role.EMPLOYER),
    ("Je suis employeur", Role.EMPLOYER),
    ("talent", Role.TALENT),
    ("candidate", Role.TALENT),
    ("Je suis candidat(e)", Role.TALENT),
    ("chercheuse d'emploi", Role.TALENT),
    ("مرشح", Role.TALENT),
    ("مرشّحة", Role.TALENT),
    ("باحث عن عمل", Role.TALENT),
    ("باحثة عن شغل", Role.TALENT),
    ("بدور على شغل", Role.TALENT),
    ("أنا مرشّح (باحث عن عمل)", Role.TALENT),
    ("أبحث عن عمل", Role.TALENT),
    ("ana mura4a7", Role.TALENT),
    ("I am a candidate (talent)", Role.TALENT),
]


@pytest.mark.parametrize(("typed", "role"), ROLE_ANSWERS)
def test_a_typed_role_answers_the_role_question(context: Context, typed: str, role: Role) -> None:
    done = turn(context, as_role(None, awaiting=Awaiting.ROLE), typed)
    assert (done.state.role, done.state.awaiting) == (role, None)


QUESTIONS_WITH_ROLE_WORDS = [
    "Does the company pay for the flight?",
    "what does the employer have to pay",
    "Is the candidate paid during the training?",
    "Quels sont les coûts pour l'employeur ?",
    "هل تدفع الشركة تكاليف السفر؟",
    "شو لازم يعمل صاحب العمل؟",
    "talent or employer",
    "my company",
]


@pytest.mark.parametrize("typed", QUESTIONS_WITH_ROLE_WORDS)
def test_a_question_typed_at_the_role_question_is_not_a_role(context: Context, typed: str) -> None:
    state = as_role(None, awaiting=Awaiting.ROLE)
    done = turn(context, state, typed)
    assert done.state.role is None
    assert done.state.awaiting is Awaiting.ROLE, "the question is still open"
    assert not done.replies[0].text.startswith("Thank you.")


def test_role_words_count_only_at_the_role_question(context: Context) -> None:
    assert turn(context, as_role(Role.TALENT), "employer").state.role is Role.TALENT


@given(
    st.lists(
        st.sampled_from(["employer", "talent", "company", "مرشح", "شركة", "I", "am", "the", "x"]), min_size=7
    )
)
def test_a_long_message_is_never_a_role(context: Context, words: list[str]) -> None:
    assert turn(context, as_role(None, awaiting=Awaiting.ROLE), " ".join(words)).state.role is None


@given(st.text(max_size=60))
def test_any_text_at_the_role_question_gets_a_reply(context: Context, text: str) -> None:
    done = turn(context, as_role(None, awaiting=Awaiting.ROLE), text)
    assert done.replies


# Arabic on the welcome, language, role and menu screens addresses no one as masculine only

MASCULINE_ONLY = ("تفضّلها", "هل أنت", "تبحث", "أنا مرشّح", "ماذا تريد", "اطرح", "اكتب", "أرسل", "تشاء")


def test_the_arabic_onboarding_screens_are_gender_neutral(context: Context) -> None:
    state = ConversationState()
    texts: list[str] = []
    for step in ("/start", "lang:ar", "role:talent", "/role", "role:employer", "/help", "/nonsense"):
        done = turn(context, state, step) if step.startswith("/") else turn(context, state, press=step)
        state = done.state
        texts += [r.text for r in done.replies] + [
            b.label for r in done.replies for row in r.buttons for b in row
        ]
    assert all(r.lang is Lang.AR for r in done.replies)
    found = {form for form in MASCULINE_ONLY for text in texts if form in text}
    assert not found
