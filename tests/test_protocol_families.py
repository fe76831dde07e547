"""MT-Bench, Skywork-Critic, CompassJudger, Con-J, JudgeLM and PandaLM: each prompt rebuilt the way its
authors' code builds it (their template text and format call, copied here as the spec), and each
parser on realistic outputs."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest

from autoj.protocols import get_protocol
from autoj.protocols.base import ProtocolInputError
from autoj.protocols.families.mtbench import judge_prompts
from autoj.types import Message, PairItem, SingleItem, Verdict

R1, R2, TIE = Verdict.RESPONSE_1, Verdict.RESPONSE_2, Verdict.TIE

# MT-Bench question 81 (writing), two turns, as FastChat's question.jsonl has it.
Q1 = (
    "Compose an engaging travel blog post about a recent trip to Hawaii, highlighting cultural "
    "experiences and must-see attractions."
)
Q2 = "Rewrite your previous response. Start every sentence with the letter A."


def test_the_shipped_judge_prompts_are_fastchats_file() -> None:
    text = resources.files("autoj.protocols").joinpath("templates", "mtbench_judge_prompts.jsonl").read_text()
    assert len(text) == 10457  # the upstream file's size, in characters
    assert hashlib.sha256(text.encode()).hexdigest().startswith("8baddf43f95f")
    assert sorted(judge_prompts()) == sorted(
        f"{kind}{ref}{multi}"
        for kind, ref in (("pair-v2", ""), ("pair-math-v1", ""), ("single-v1", ""), ("single-math-v1", ""))
        for multi in ("", "-multi-turn")
    )


@pytest.mark.parametrize(
    ("item", "name", "kwargs"),
    [
        (PairItem("Q", "A1", "B1"), "pair-v2", {"question": "Q", "answer_a": "A1", "answer_b": "B1"}),
        (
            PairItem("Q", "A1", "B1", reference_answer="REF"),
            "pair-math-v1",
            {"question": "Q", "answer_a": "A1", "answer_b": "B1", "ref_answer_1": "REF"},
        ),
        (SingleItem("Q", "ANS"), "single-v1", {"question": "Q", "answer": "ANS"}),
        (
            SingleItem("Q", "ANS", reference_answer="REF"),
            "single-math-v1",
            {"question": "Q", "answer": "ANS", "ref_answer_1": "REF"},
        ),
        (
            PairItem(
                Q2, "A second", "B second", conversation=(Message("user", Q1), Message("assistant", "post"))
            ),
            "pair-v2-multi-turn",
            {
                "question_1": Q1,
                "question_2": Q2,
                "answer_a_1": "post",
                "answer_a_2": "A second",
                "answer_b_1": "post",
                "answer_b_2": "B second",
            },
        ),
        (
            SingleItem(Q2, "Aloha second", conversation=(Message("user", Q1), Message("assistant", "Aloha"))),
            "single-v1-multi-turn",
            {"question_1": Q1, "question_2": Q2, "answer_1": "Aloha", "answer_2": "Aloha second"},
        ),
    ],
)
def test_mtbench_prompts_are_fastchats_format_of_its_templates(
    item: PairItem | SingleItem, name: str, kwargs: dict[str, str]
) -> None:
    """FastChat: messages [system_prompt, prompt_template.format(**kwargs)]."""
    spec = judge_prompts()[name]
    prompt = get_protocol("mtbench").prompt(item)
    assert prompt.messages == (
        Message("system", spec["system_prompt"]),
        Message("user", spec["prompt_template"].format(**kwargs)),
    )


def test_mtbench_refuses_dialogues_its_prompts_do_not_describe() -> None:
    turns = (Message("user", "a"), Message("assistant", "b"))
    with pytest.raises(ProtocolInputError, match="reference answer for each turn"):
        get_protocol("mtbench").prompt(SingleItem("q", "r", reference_answer="x", conversation=turns))
    with pytest.raises(ProtocolInputError, match="two-turn"):
        get_protocol("mtbench").prompt(SingleItem("q", "r", conversation=turns * 2))
    with pytest.raises(ProtocolInputError, match="cannot use rubric"):
        from autoj.types import Rubric

        get_protocol("mtbench").prompt(SingleItem("q", "r", rubric=Rubric("correct?")))


SKYWORK = """Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user question displayed below. You should choose the assistant that follows the user's instructions and answers the user's question better. 
Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of their responses. Avoid any position biases and ensure that the order in which the responses were presented does not influence your decision. Do not allow the length of the responses to influence your evaluation. Do not favor certain names of the assistants. Be as objective as possible. 
Please directly output your final verdict by strictly following this format: "[[A]]" if assistant A is better, "[[B]]" if assistant B is better.

[User Question]
{input}

[The Start of Assistant A's Answer]
{response_a}
[The End of Assistant A's Answer]

[The Start of Assistant B's Answer]
{response_b}
[The End of Assistant B's Answer]"""  # noqa: E501, W291

CON_J = """作为一个评价专家，给定一个问题和它的两个可能的回答，请选出哪一个回答在连贯性、准确性、覆盖度和上述定义的整体质量方面最为符合。请用JSON格式输出你的判断, 其中"原因"是你提供的解释，"更好的回答"是整数类型的1或2，例如{{"原因": "你的解释", "更好的回答": 1}}。以下是问题和候选回答的内容：
    \n问题：{instruction}
回答1：{output_1}
回答2：{output_2}"""  # noqa: E501

JUDGELM_SYSTEM = "You are a helpful and precise assistant for checking the quality of the answer."
JUDGELM_PROMPT = (
    "We would like to request your feedback on the performance of two AI assistants in response to the "
    "user question displayed above.\nPlease rate the helpfulness, relevance, accuracy, level of details of "
    "their responses. Each assistant receives an overall score on a scale of 1 to 10, where a higher score "
    "indicates better overall performance.\nPlease first output a single line containing only two values "
    "indicating the scores for Assistant 1 and 2, respectively. The two scores are separated by a space. In "
    "the subsequent line, please provide a comprehensive explanation of your evaluation, avoiding any "
    "potential bias and ensuring that the order in which the responses were presented does not affect your "
    "judgment."
)
JUDGELM_TEMPLATE = (
    "[Question]\n{question}\n\n[The Start of Assistant 1's Answer]\n{answer_1}\n\n[The End of Assistant 1's "
    "Answer]\n\n[The Start of Assistant 2's Answer]\n{answer_2}\n\n[The End of Assistant 2's Answer]\n\n"
    "[System]\n{prompt}\n\n"
)
JUDGELM_TEMPLATE_REF = JUDGELM_TEMPLATE.replace(
    "\n\n[The Start of Assistant 1", "\n\n[Reference Answer]\n{reference}\n\n[The Start of Assistant 1", 1
)

SIGMOID = "What is the range of the numeric output of a sigmoid node in a neural network?"
MINUS_ONE = "The output of a sigmoid node is bounded between -1 and 1."
ZERO_ONE = "The output of a sigmoid node is bounded between 0 and 1."


def test_skywork_is_judgebenchs_rendering_of_its_template() -> None:
    item = PairItem(SIGMOID, MINUS_ONE, ZERO_ONE)
    expected = SKYWORK.format(input=SIGMOID, response_a=MINUS_ONE, response_b=ZERO_ONE)
    assert get_protocol("skywork").prompt(item).messages == (Message("user", expected),)


def test_con_j_is_its_readme_example_with_an_empty_system_message() -> None:
    item = PairItem(SIGMOID, MINUS_ONE, ZERO_ONE)
    expected = CON_J.format(instruction=SIGMOID, output_1=MINUS_ONE, output_2=ZERO_ONE)
    assert get_protocol("con-j").prompt(item).messages == (Message("system", ""), Message("user", expected))


def test_judgelm_is_its_conversation_system_template_and_appendix() -> None:
    item = PairItem(SIGMOID, MINUS_ONE, ZERO_ONE)
    body = JUDGELM_TEMPLATE.format(
        question=SIGMOID, answer_1=MINUS_ONE, answer_2=ZERO_ONE, prompt=JUDGELM_PROMPT
    )
    assert get_protocol("judgelm").prompt(item).text == JUDGELM_SYSTEM + "\n" + body + "### Response:"
    referenced = PairItem(SIGMOID, MINUS_ONE, ZERO_ONE, reference_answer="Between 0 and 1.")
    body = JUDGELM_TEMPLATE_REF.format(
        question=SIGMOID,
        reference="Between 0 and 1.",
        answer_1=MINUS_ONE,
        answer_2=ZERO_ONE,
        prompt=JUDGELM_PROMPT,
    )
    assert get_protocol("judgelm").prompt(referenced).text == JUDGELM_SYSTEM + "\n" + body + "### Response:"


def test_pandalm_is_its_builder_with_stripped_responses() -> None:
    item = PairItem("Explain photosynthesis.", "  Plants make sugar from light.</s>\n", "<s>It is magic.")
    resp1, resp2 = "Plants make sugar from light.", "It is magic."
    rsp = f"### Response 1:\n{resp1}\n\n### Response 2:\n{resp2}"
    expected = (
        "Below are two responses for a given task. The task is defined by the Instruction. Evaluate the "
        f"responses and generate a reference answer for the task.\n\n### Instruction:\n{item.query}\n\n{rsp}"
        "\n\n### Evaluation:\n"
    )
    assert get_protocol("pandalm").prompt(item).text == expected


def test_compassjudger_renders_the_judgebench_template() -> None:
    text = resources.files("autoj.protocols").joinpath("templates", "compassjudger_pairwise.txt").read_text()
    # JudgeBench's file: 1,933 characters with its `{{prompt}}` / `{{answer_a}}` / `{{answer_b}}` slots.
    assert len(text) + 6 == 1933
    [message] = get_protocol("compassjudger").prompt(PairItem("Q?", "AAA", "BBB")).messages
    assert message.role == "user"
    assert message.content.endswith(
        "<|User Prompt|>\nQ?\n\n<|The Start of Assistant A's Answer|>\nAAA\n<|The End of Assistant A's "
        "Answer|>\n\n<|The Start of Assistant B's Answer|>\nBBB\n<|The End of Assistant B's Answer|>"
    )


CONJ_README_ANSWER = (
    '{"原因": "回答1中的-1是错误的，因为sigmoid函数的实际输出范围是0到1，而不是包括-1。回答2准确地描述了'
    'sigmoid函数的输出范围是0到1。",\n "更好的回答": 2}'
)

# (protocol, output, expected verdict or None for a typed parse failure)
VERDICT_TABLE = [
    ("mtbench", "Assistant A explains the idea clearly while B is vague.\n\n[[A]]", R1),
    ("mtbench", "Both are correct and equally detailed. My final verdict is [[C]].", TIE),
    ("mtbench", 'The format asks for "[[A]]" if A is better. B is more accurate, so: [[B]]', R2),
    ("mtbench", "Assistant B is better.", None),
    ("mtbench", "[[D]]", None),
    ("skywork", "[[A]]", R1),
    ("skywork", "[[B]]", R2),
    ("skywork", "[[C]]", None),
    ("compassjudger", "My own answer: ...\n\nMy final verdict is tie: [[A=B]]", TIE),
    ("compassjudger", "Assistant A is significantly better: [[A>>B]]", R1),
    ("compassjudger", "Assistant B is slightly better: [[B>A]]", R2),
    ("compassjudger", "My final verdict is [[A<B]]", None),
    ("con-j", CONJ_README_ANSWER, R2),
    ("con-j", '```json\n{"原因": "回答1更准确 {见定义}", "更好的回答": "1"}\n```', R1),
    ("con-j", '{"原因": "都可以", "更好的回答": 3}', None),
    ("con-j", '{"原因": "没有结尾", "更好的回答": 1', None),
    ("con-j", "回答2更好。", None),
    ("judgelm", "8 6\nAssistant 1 is accurate; Assistant 2 misses the range.", R1),
    ("judgelm", "7,7\nBoth are equally good.", TIE),
    ("judgelm", "3 9\nAssistant 2 is correct.", R2),
    ("judgelm", "Assistant 1: 8\nAssistant 2: 6", None),
    ("judgelm", "11 3\nout of range", None),
    ("pandalm", "2\n\n### Reason: Response 2 is correct.\n\n### Reference: Between 0 and 1.\n", R2),
    ("pandalm", "Tie\n\n### Reason: Both answers are equally wrong.\n", TIE),
    ("pandalm", "1\n\n### Reason: Clearer.", R1),
    ("pandalm", "Response 1 is better.\n\n### Reason: ...", None),
]


@pytest.mark.parametrize(("protocol", "output", "expected"), VERDICT_TABLE)
def test_verdict_parser_table(protocol: str, output: str, expected: Verdict | None) -> None:
    judgment = get_protocol(protocol).parse_pairwise(output)
    assert judgment.verdict is expected
    assert judgment.ok is (expected is not None)
    assert judgment.raw == output
    if expected is None:
        assert judgment.reason


def test_parsed_critiques_and_scores() -> None:
    conj = get_protocol("con-j").parse_pairwise(CONJ_README_ANSWER)
    assert conj.critique.startswith("回答1中的-1是错误的")
    judgelm = get_protocol("judgelm").parse_pairwise("8 6\nAssistant 1 is accurate.")
    assert judgelm.scores == (8.0, 6.0) and judgelm.critique == "Assistant 1 is accurate."
    pandalm = get_protocol("pandalm").parse_pairwise(VERDICT_TABLE[-4][1])
    assert pandalm.critique == "Response 2 is correct."


RATING_TABLE = [
    ("mtbench", "The answer is correct but terse. Rating: [[7]]", 7.0),
    ("mtbench", "Good. [[8.5]]", 8.5),
    ("mtbench", "Mostly right. Rating: [9]", 9.0),
    ("mtbench", "Rating: [[11]]", None),
    ("mtbench", "A fine answer.", None),
]


@pytest.mark.parametrize(("protocol", "output", "expected"), RATING_TABLE)
def test_rating_parser_table(protocol: str, output: str, expected: float | None) -> None:
    judgment = get_protocol(protocol).parse_single(output)
    assert judgment.rating == expected and judgment.ok is (expected is not None)


@pytest.mark.parametrize("name", ["skywork", "compassjudger", "con-j", "judgelm", "pandalm"])
def test_pairwise_only_families_refuse_single_items(name: str) -> None:
    with pytest.raises(ProtocolInputError, match=r"no single task|gives no ratings"):
        get_protocol(name).prompt(SingleItem("q", "r"))


def test_a_rating_critique_leaves_out_the_rating_lead() -> None:
    judgment = get_protocol("mtbench").parse_single("Correct, but terse.\n\nRating: [[6]]")
    assert (judgment.critique, judgment.rating) == ("Correct, but terse.", 6.0)
