"""Follow-up questions made standalone from the chat so far (rag.answer.conversation): deterministically, and
with the real bundled judge picking what a pronoun refers to."""

import pytest

from rag.answer.conversation import mentions, standalone_question

LI_XING = [{"role": "user", "content": "Who is Li Xing?"},
           {"role": "assistant", "content": "Li Xing is an international relations professor at Beijing Normal University [1]."}]
SONG = [{"role": "user", "content": "Who sang Thriller?"},
        {"role": "assistant", "content": "It was sung by Michael Jackson."},
        {"role": "user", "content": "When was it released?"},
        {"role": "assistant", "content": "In 1982."}]


def test_a_pronoun_takes_the_name_of_the_last_exchange():
    assert standalone_question("What did he say about the Asia-Pacific?", LI_XING) == \
        "What did Li Xing say about the Asia-Pacific?"


def test_a_pronoun_reaches_back_past_an_exchange_that_names_nobody():
    """'did he ...?' two turns after the singer was named: the name, not the news of the last turn."""
    assert standalone_question("Did he win a Grammy for it?", SONG) == "Did Michael Jackson win a Grammy for it?"


def test_a_question_of_no_words_of_its_own_takes_the_dialogs_topic():
    assert standalone_question("Why?", SONG) == "Why? (released sang Thriller)"
    assert standalone_question("And?", [{"role": "user", "content": "What did the academy freeze?"},
                                        {"role": "assistant", "content": "Joint projects [1]."}]) == \
        "And? (academy freeze joint projects)"


def test_a_sentences_first_word_is_no_name_in_the_topic():
    """"Yes. Since ..." in the last answer: the topic words hold no capitalised "Yes" or "Since" that the name
    check would look for in the corpus (and, not finding them, abstain)."""
    turns = [{"role": "user", "content": "Is my family covered?"},
             {"role": "assistant", "content": "Yes. Since you worked, Social Security can help your family."}]
    assert standalone_question("Tell me what I need to know about it.", turns) == \
        "Tell me what I need to know about it. (family covered yes since worked Social Security help)"


def test_a_question_that_stands_alone_is_left_as_it_is():
    assert standalone_question("What is the capital of France?", SONG) == "What is the capital of France?"
    assert standalone_question("Why?", None) == "Why?"


def test_chat_content_in_parts_and_odd_turns_are_read():
    parts = [{"role": "assistant", "content": "Hello."},
             {"role": "user", "content": [{"type": "text", "text": "Who is Alexander Sergeev?"}]},
             {"role": "assistant", "content": [{"type": "text", "text": "The president of the Russian Academy."}]}]
    assert standalone_question("What did he say?", parts) == "What did Alexander Sergeev say?"


def test_a_short_question_with_a_word_of_its_own_is_not_a_follow_up():
    assert standalone_question("Who is Putin?", SONG) == "Who is Putin?"


@pytest.fixture(scope="module")
def judge(assistant):
    return assistant.judge()


WIDOW = [{"role": "user", "content": "But I want to know if my family would get any help from Social Security."},
         {"role": "assistant", "content": "Yes, Social Security can help your family if you earned enough credits."},
         {"role": "user", "content": "And what about my widow, what benefits would she receive?"},
         {"role": "assistant", "content": "She can get reduced benefits as early as age 60."}]


def test_the_people_and_things_a_turn_names_are_its_names_and_determiner_phrases():
    assert mentions("And what about my widow, what benefits would she receive?") == ["my widow"]
    assert mentions("Who sang Thriller with the singer Michael Jackson?") == ["Michael Jackson", "Thriller",
                                                                            "the singer"]


def test_the_judge_picks_the_person_a_pronoun_stands_for_not_the_latest_name(judge):
    """'she' after a turn about 'my widow' and one about Social Security: the widow (the name rule took the
    organisation: "What if Social Security remarries?")."""
    assert standalone_question("What if she remarries after my death?", WIDOW) == \
        "What if Social Security remarries after my death?"
    assert standalone_question("What if she remarries after my death?", WIDOW, judge) == \
        "What if my widow remarries after my death?"


def test_with_the_judge_a_name_is_still_found(judge):
    assert standalone_question("What did he say about the Asia-Pacific?", LI_XING, judge) == \
        "What did Li Xing say about the Asia-Pacific?"
    assert standalone_question("Did he win a Grammy for it?", SONG, judge) == "Did Michael Jackson win a Grammy for it?"


def test_with_the_judge_a_name_three_exchanges_back_is_still_found(judge):
    turns = SONG + [{"role": "user", "content": "Which label put it out?"}, {"role": "assistant", "content": "Epic."}]
    assert standalone_question("Where was he born?", turns, judge) == "Where was Michael Jackson born?"


def test_a_referent_named_earlier_in_the_question_itself_is_found(judge):
    assert standalone_question("And what about my widow, what benefits would she receive?", WIDOW[:2], judge) == \
        "And what about my widow, what benefits would my widow receive?"
