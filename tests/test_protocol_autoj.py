"""The Auto-J prompts, byte for byte against the authors' released training data."""

from __future__ import annotations

from tests.conftest import read_jsonl, shared_file

from autoj.protocols import get_protocol
from autoj.protocols.families.autoj import AutoJProtocol, llama2_wrap
from autoj.types import PairItem, SingleItem

SINGLE_PREFIX = (
    "Write critiques for a submitted response on a given user's query, and grade the response:\n  \n"
)


def _query_and_response(usrmsg: str) -> tuple[str, str]:
    """Recover the query and response the authors put into a training prompt."""
    head, _, rest = usrmsg.partition("[BEGIN DATA]\n***\n[Query]: ")
    query, _, rest = rest.partition("\n***\n[Response]: ")
    response, _, _ = rest.rpartition("\n***\n[END DATA]")
    assert head == SINGLE_PREFIX
    return query, response


def test_single_builder_reproduces_all_960_training_prompts() -> None:
    rows = read_jsonl(shared_file("autoj/training/single_traindata.jsonl"))
    assert len(rows) == 960
    protocol = AutoJProtocol("en")
    mismatches = []
    for number, row in enumerate(rows, start=1):
        query, response = _query_and_response(row["usrmsg"])
        built = protocol.single_message(SingleItem(query, response))
        if built != row["usrmsg"]:
            mismatches.append(number)
    assert mismatches == []


def test_prompts_are_wrapped_in_inst_with_no_system_message() -> None:
    protocol = get_protocol("autoj")
    prompt = protocol.prompt(PairItem("q", "a", "b"))
    assert prompt.text is not None
    assert prompt.text.startswith("[INST] You are assessing two submitted responses")
    assert prompt.text.endswith("you've provided. [/INST]")
    assert llama2_wrap("x") == "[INST] x [/INST]"


def test_pairwise_message_places_fields_exactly() -> None:
    message = AutoJProtocol("en").pairwise_message(PairItem("Q?", "first", "second"))
    assert (
        "[BEGIN DATA]\n***\n[Query]: Q?\n***\n[Response 1]: first\n***\n[Response 2]: second\n***\n[END DATA]"
        in message
    )
    assert message.endswith(
        'Begin your final decision statement with "So, the final decision is Response 1 / Response 2 / Tie". '
        "Ensure that your decision aligns coherently with the comprehensive evaluation and comparison "
        "you've provided."
    )


def test_braces_and_placeholders_in_judged_text_stay_literal() -> None:
    item = PairItem("Fill {response_2} and {query} in f'{x}'", "{response_1}", "}{")
    message = AutoJProtocol("en").pairwise_message(item)
    assert "[Query]: Fill {response_2} and {query} in f'{x}'\n" in message
    assert "[Response 1]: {response_1}\n" in message
    assert "[Response 2]: }{\n" in message


def test_chinese_prompts_use_the_bilingual_markers() -> None:
    protocol = AutoJProtocol("zh")
    pair = protocol.pairwise_message(PairItem("问题", "甲", "乙"))
    assert pair.startswith("你将要评价两个针对给定用户问题的回应")
    assert "[用户问询]: 问题\n***\n[回应1]: 甲\n***\n[回应2]: 乙\n***\n[END DATA]" in pair
    assert '"所以，最终决定是回应1/回应2/平局"' in pair
    single = protocol.single_message(SingleItem("问题", "回答"))
    assert single.endswith('例如: "评分: [[5]]".')
    assert "[回应]: 回答\n" in single


def test_chinese_prompt_matches_the_released_chinese_test_prompt_shape() -> None:
    rows = read_jsonl(shared_file("autoj/test/zh_testdata_pairwise.jsonl"))
    row = rows[0]
    text = get_protocol("autoj-zh").prompt(PairItem(row["prompt"], row["response 1"], row["response 2"])).text
    assert text is not None and text.startswith("[INST] 你将要评价") and text.endswith(" [/INST]")
    assert row["prompt"] in text


def test_chat_protocol_sends_messages_with_the_same_markers() -> None:
    prompt = get_protocol("chat").prompt(PairItem("q", "a", "b"))
    assert prompt.is_chat
    roles = [m.role for m in prompt.messages]
    assert roles == ["system", "user"]
    assert '"So, the final decision is" followed by exactly one of' in prompt.messages[1].content


def test_criteria_guided_chat_protocol_puts_the_scenario_criteria_in_the_system_message() -> None:
    from autoj.scenarios import format_criteria

    protocol = get_protocol("chat+criteria")
    item = PairItem("Write a haiku about rain.", "a", "b", scenario="creative_writing")
    prompt = protocol.prompt(item)
    system, user = prompt.messages
    assert system.role == "system" and format_criteria("creative_writing") in system.content
    assert "any other factor" in system.content
    assert user == get_protocol("chat").prompt(item).messages[1]
    unlabelled = protocol.prompt(PairItem("Fix this Python function: def f(x): return x +", "a", "b"))
    assert "Criteria for " in unlabelled.messages[0].content


# The bilingual 6B's own builder (GAIR-NLP/auto-j codes/usage/zh_constants_prompt.py), copied as the
# spec; its English prompts are constants_prompt.py's, the 13B's: the 6B has no templates of its own.
ZH_SINGLE = """为上传的针对给定用户问题的回应撰写评论, 并为该回复打分:

[BEGIN DATA]
***
[用户问询]: {prompt}
***
[回应]: {response}
***
[END DATA]

为这个回应撰写评论. 在这之后, 你应该按照如下格式给这个回应一个最终的1-10范围的评分: "[[评分]]", 例如: "评分: [[5]]"."""  # noqa: E501

ZH_PAIRWISE_TIE = """你将要评价两个针对给定用户问题的回应，并判断哪个回应胜出或两者持平。以下是相关内容:

[BEGIN DATA]
***
[用户问询]: {prompt}
***
[回应1]: {response}
***
[回应2]: {response_another}
***
[END DATA]

以下是评价并比较两个回应的指南：

1. 确定区分两个回应的关键因素。
2. 通过提供最终对何者胜出或两者持平的决定来总结你的比较和评价。最终决定语句应以\"所以，最终决定是回应1/回应2/平局\"开头。确保你的决定与你提供的综合的评价和比较一致。"""  # noqa: E501


def test_the_bilingual_6b_builder_is_reproduced_byte_for_byte() -> None:
    """zh_build_autoj_input: the protocol's template .format(...) in `[INST] ... [/INST]`."""
    protocol = get_protocol("autoj-zh")
    pair = PairItem("中国的首都是哪里?", "中国的首都是北京。", "中国的首都是上海。")
    expected = ZH_PAIRWISE_TIE.format(
        prompt=pair.query, response=pair.response_1, response_another=pair.response_2
    )
    assert protocol.prompt(pair).text == f"[INST] {expected} [/INST]"
    single = SingleItem("中国的首都是哪里？", "中国的首都是上海。")
    expected = ZH_SINGLE.format(prompt=single.query, response=single.response)
    assert protocol.prompt(single).text == f"[INST] {expected} [/INST]"
    # The 6B's own rating reader looks for "评分:[[" / "打分:[[": both parse, as does the prompt's "评分: [[".
    for answer in ("好。评分:[[6]]", "好。打分:[[6]]", "好。评分: [[6]]"):
        assert protocol.parse_single(answer).rating == 6.0
