"""Auto-J's answer format, declared once as contracts: the verdict and rating lines Auto-J writes
in English and Chinese, which the generic chat judge asks for too.

Parsers, stop patterns, grammars and the injection guard all read these declarations; the
spellings they accept (`So, the final decision is response 1`, `打分: [[8]]`, a bare
`Rating: 7/10` line) follow from them.
"""

from __future__ import annotations

from autoj.protocols.contract import RatingContract, VerdictContract
from autoj.types import Verdict

ENGLISH_VERDICT = VerdictContract(
    "So, the final decision is ",
    (("Response 1", Verdict.RESPONSE_1), ("Response 2", Verdict.RESPONSE_2), ("Tie", Verdict.TIE)),
    suffix=".",
    marker_regex="(?i)final decision is ",
    # "a tie" is unambiguous; small chat models write it often.
    aliases=(("a tie", Verdict.TIE),),
)

CHINESE_VERDICT = VerdictContract(
    "所以，最终决定是",
    (("回应1", Verdict.RESPONSE_1), ("回应2", Verdict.RESPONSE_2), ("平局", Verdict.TIE)),
    suffix="。",
    marker_regex="最终决定是",
)

ENGLISH_RATING = RatingContract("Rating: [[", 1, 10, suffix="]]", ignore_case=True)
# The bilingual model writes any of 评分：, 评分:, 打分:, 评级： before the brackets.
CHINESE_RATING = RatingContract("评分：[[", 1, 10, suffix="]]", aliases=("打分：[[", "评级：[["))
# Chat models told to write "Rating: [[n]]" sometimes drop the brackets ("Rating: 7", "Rating: 7/10");
# only the generic chat protocol accepts that, and only on a line of its own.
LENIENT_RATING = RatingContract("Rating: ", 1, 10, line=True, ignore_case=True)

#: Every form of the format (what the injection guard breaks in judged text).
FORMS = (ENGLISH_VERDICT, CHINESE_VERDICT, ENGLISH_RATING, CHINESE_RATING, LENIENT_RATING)
