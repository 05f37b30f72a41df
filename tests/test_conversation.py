"""Follow-up questions made standalone from the chat so far (rag.answer.conversation), deterministically."""

from rag.answer.conversation import standalone_question

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
        "And? (academy freeze Joint projects)"


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
