"""Registry of the public datasets autoj benchmarks use: origin, checksum, where to find a copy.

A file is looked for, in order: at an explicit path, under `$AUTOJ_DATA_DIR`, in the user's cache
(`~/.cache/autoj/data`, downloaded from its public origin when online and checked by sha256), and
in a development checkout's `../shared/data`. The files are never shipped with the package.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from autoj.data import datadir
from autoj.errors import AutojError

OFFLINE_ENV_VAR = "AUTOJ_OFFLINE"
CACHE_ENV_VAR = "AUTOJ_CACHE_DIR"

_AUTOJ = "https://raw.githubusercontent.com/GAIR-NLP/auto-j/2ae17a3"
_ALPACA = "https://raw.githubusercontent.com/tatsu-lab/alpaca_eval/cd543a1"
_HH = "https://raw.githubusercontent.com/anthropics/hh-rlhf/354e5c3"
_ARENA_HARD = "https://raw.githubusercontent.com/lmarena/arena-hard-auto/196f6b8"
_FASTCHAT = "https://raw.githubusercontent.com/lm-sys/FastChat/0e6d3e4/fastchat/llm_judge/data/mt_bench"


class DatasetError(AutojError):
    """A dataset file is unknown, missing, or does not match its checksum."""


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset.

    `relative` is its path under a data directory. `sha256` is the hash of the bytes the origin
    serves; `gzipped_here` says a local copy stores those bytes gzip-compressed (AlpacaEval
    outputs), so a copy is checked after decompression. `url` is None for a file with no single
    public origin (it was rebuilt from several).
    """

    relative: str
    sha256: str
    url: str | None
    gzipped_here: bool = False


@dataclass(frozen=True)
class Dataset:
    """A named set of files, what it holds, and how its fields map onto autoj's records."""

    name: str
    description: str
    files: Mapping[str, DataFile]
    fields: Mapping[str, str] = field(default_factory=dict)


def _autoj(relative: str, origin: str, sha256: str) -> DataFile:
    return DataFile(f"autoj/{relative}", sha256, f"{_AUTOJ}/{origin}")


_ALPACA_OUTPUT_SHA256 = {
    "Meta-Llama-3-70B-Instruct": "d88208d379e6ece0cfa923be521b068a557f7bd84fdc5568d6151918d6004d45",
    "Meta-Llama-3-8B-Instruct": "c698a502f05b2de1270562073807a6161f0f335f3ed3879ba3666b1d8af1bec6",
    "Mistral-7B-Instruct-v0.2": "d4536ee76a8bfbff745b220da249c6f331242b73b63b8ce18d0f79c234959c36",
    "Mixtral-8x7B-Instruct-v0.1": "a8dd5de12218c9dffb37c1c40b2259031662c3d9c4f588e3c20026f8562db8aa",
    "OpenHermes-2.5-Mistral-7B": "293cfb19ff9d954d9eceea5d8eafd1f3e65a3420e76a434c02f6bd2f4e22c160",
    "Qwen-14B-Chat": "60e371b4eaa76d52c3def1ff58f16b09f74d2c0345c3980ec743aaa956c565d3",
    "Qwen1.5-1.8B-Chat": "84d52b66d1f6e15ae626238f0e54bd90d5439a07134498e34767d9afda3fca2f",
    "Qwen1.5-72B-Chat": "fda155afefc94c1eff05404000e1309e22e76196053055de8008a95d8e2101dc",
    "Starling-LM-7B-alpha": "47ce728294373f933b00f795ab0319e55e4fa14d823673ab7c7869c289de9f6e",
    "Yi-34B-Chat": "86c47adda9d0f220bd52d2135c38f1fcfa40875e8fc5b326383ff3322e69a19e",
    "alpaca-7b": "21048628f20187affc7d9c9e756d9618e08c4991fc8a48184612eb484565c5db",
    "chatglm2-6b": "4110dec79c6ea1897d39ed648a68d687a80817150f58ac846f6c5306911b7c8e",
    "claude-2.1": "75c39fa8e8b38380b7850b422e0f36c5cba3bc5bd8c496a7833cba6f2d72c332",
    "claude-2": "aaab6625ea5825776d7aa0510a1e60d8c8ae0c11f1059648dbd75bf0289f6b3f",
    "claude-3-opus-20240229": "ba0cf4f5853e693cfd84af2fc763d4cce2f527f9d15581a9bd1a9cc2981b8387",
    "claude-3-sonnet-20240229": "7847059e946997189082503f1600692b1a4c924f45d7e5e2a4a7cd3b8d623907",
    "claude-instant-1.2": "4249780b5b862494e7e2e64f1fd76aa51fd99bd7e8ebf90c8740fb8bce7f42c1",
    "claude": "e64dab2a6942eaaf369b51dd210f8482e5c56bb079530db4f2cfcee7251c13cc",
    "deepseek-llm-67b-chat": "92d4e454aa1cdc557a886da908d11cb0b81050b0137cc729f78b6a2f44c0f0c6",
    "dolphin-2.2.1-mistral-7b": "96247d6d1226f1eaf72ef5dd09bdf2318545f5b1a93fe41dc7fa0d66601778ca",
    "falcon-7b-instruct": "8efc7f6b9f9385712e97673df8312f7e5ad475fedd100e6de030dd9978a4bdef",
    "gemini-pro": "10516b7b8118b310828361983d5a166889cb0cb2e57dd7ac08b9a25f950637f7",
    "gemma-2b-it": "b4d9a45a796683072af3d050182a0a0b7507006d41d148db49ac245839775d0d",
    "gemma-7b-it": "fc3bbec3647638f35409ab726229fdc582b1f8b0d0c41a5c01171e883e0aa66c",
    "gpt-3.5-turbo-0613": "61c0770d28e22a39d65749783610bffd935d55765298a39c4f7a7a1a0b9d217f",
    "gpt-4o-2024-05-13": "653c131d58e8d5802203c85e80ca3fb4b378f22e2a0280ad5cd910ff0bee9535",
    "gpt4_0314": "ad865ea6d90f91409ebded89a48aadd232c4c2c2d1fd08f194abca8102406b4a",
    "gpt4_0613": "a7f220e428d66d20fa187e895ea2352ad8142fcdc38815365a54e4687893fc8f",
    "gpt4_1106_preview": "83db546b872ddebee8965fd05fa48461ee3c32bc695c62fb57f2d214ff741ec4",
    "guanaco-33b": "3a09a2f8771c9f5f26741aad2fbb660a1bb9465a9ec1be7a957c428b9b3151d8",
    "llama-2-13b-chat-hf": "75ff67385486aef7c93ef5cf57ca29d2fc377b04ae3cb71fe107d7062948647f",
    "llama-2-70b-chat-hf": "854b753c5135d4b698027d3423a12a94317afc654b3271fc8e384812fbe0b3c9",
    "llama-2-7b-chat-hf": "5a66ed18b1ecef7a6a728eb32665651853092cbf11d518538d80d86c2df1b5ae",
    "mistral-large-2402": "a3e8c176dcd1122d113f686ac8ad59ff2c2d5df9c9ca8178d3ba407e5362bfbb",
    "mistral-medium": "8d4e34f9d4ac48a20b2236a03c147d1230a162316aeea43e67c99127c8df2c62",
    "oasst-sft-pythia-12b": "0ecdca56c9967ca9f31f938d689c2c6d20b2394e0d029dfed6b5809594576784",
    "text_davinci_003": "af0bc112f08c88bf589bbfe6fc1036806d0a0f6fec9c4d5a4db860f5afe73b4b",
    "tulu-2-dpo-70b": "427b17006c828646cfc42ad71252b226b97f780da69c00a3d4186751f6d86add",
    "vicuna-13b-v1.5": "76e2a8ed9d805b73799f5478bc958abd150e9531b1ec3086612d9fde59a66d80",
    "vicuna-33b-v1.3": "7714180b6b35732ab5663e998837f77d21335c4fcce02645fcc697c6ba3eb47e",
    "vicuna-7b-v1.5": "4a8c197fd1bf6852cb300698aa919efb2221f182fcf24efd921e0db0b4dd4575",
    "vicuna-7b": "c7cf62e384503eb314f537768b7b816340728b77585cabccee343d634003259a",
    "wizardlm-13b-v1.2": "2882824dbab350ba636452dbf5c24d9fcef0d97c23d7bfc1b770ebae6e1beb46",
    "wizardlm-70b": "45eba776b72367384b5912b135b84d21be2cad6699014c8610e8a007480fae07",
    "zephyr-7b-alpha": "9cb3b8729131747b3cad9562fb9cb57c817f392a7f3d1177f7e4c38f0475fca6",
    "zephyr-7b-beta": "bc6795b00c6cf6a1315f8b71738356adc7fcb8816d2199faf1a8ab56d982726d",
}

_ARENA_HARD_ANSWER_SHA256 = {
    "gpt-4-0314": "0f6abc84de4600fde987d9db70f838f4ecdbd27a2f1f4058c12aa322a6f791b2",
    "gpt-4-0613": "055c37c6b230c87413f080c916deba18c6cace3d44b3d456009f1a3d3834a04b",
    "gpt-3.5-turbo-0125": "5cfec14570206ec251c3506d36951db87ca869757be75d6075a20120c3cbb616",
}

_PAIR_FIELDS = {
    "prompt": "query",
    "response 1": "response_1",
    "response 2": "response_2",
    "label": "label (0 = Response 1, 1 = Response 2, 2 = tie)",
    "scenario": "scenario",
}

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset(
            "eval-p",
            "Auto-J Eval-P: 1,392 human-labelled pairs, 58 scenarios x 24 (English)",
            {
                "pairs": _autoj(
                    "test/testdata_pairwise.jsonl",
                    "data/test/testdata_pairwise.jsonl",
                    "56f32fad71d9b6b33bc4d51794c324981e26355bcbf3ce4908d7f8ddcc61f80e",
                )
            },
            _PAIR_FIELDS,
        ),
        Dataset(
            "eval-p-zh",
            "Auto-J Eval-P in Chinese (same labels and scenarios; rebuilt from the authors' dumps)",
            {
                "pairs": DataFile(
                    "autoj/test/zh_testdata_pairwise.jsonl",
                    "c875a6641e8344804566c3a0dc553518bd4d8ce0776d3b68ab182980e3d2800d",
                    None,
                )
            },
            _PAIR_FIELDS,
        ),
        Dataset(
            "eval-c",
            "Auto-J Eval-C: 232 query + response (58 x 4), Auto-J's and ChatGPT's critiques",
            {
                "items": _autoj(
                    "test/testdata_critique.jsonl",
                    "data/test/testdata_critique.jsonl",
                    "4d51956bd5015b2cf9d62c98a5b068a3d5b8153a6783c05d35f360931ff7234a",
                ),
                "chatgpt": _autoj(
                    "test/reference_chatgpt_critique.jsonl",
                    "data/test/reference_chatgpt_critique.jsonl",
                    "243c2a9b47e16d841fce13265aa8dfe1ce6e35d68c1b1469605ffd8bfe41d050",
                ),
            },
            {
                "prompt": "query",
                "response": "response",
                "critiques.autoj": "Auto-J critique",
                "output (chatgpt file)": "ChatGPT critique",
            },
        ),
        Dataset(
            "eval-c-zh",
            "Auto-J Eval-C in Chinese, with ChatGPT's Chinese critiques",
            {
                "items": _autoj(
                    "test/zh_testdata_critique.jsonl",
                    "data/test/zh_testdata_critique.jsonl",
                    "5d0a6b9f15503d6370701ee4780e40a8ace04fcb9dfa476d71b81015d02b7f8a",
                ),
                "chatgpt": _autoj(
                    "test/zh_reference_chatgpt_critique.jsonl",
                    "data/test/zh_reference_chatgpt_critique.jsonl",
                    "468efe3d1fd531ea1a1061e91879539f198decba03f0e55827d576418e9fa29d",
                ),
            },
            {"prompt": "query", "response": "response"},
        ),
        Dataset(
            "scenario-classifier",
            "Queries labelled with their scenario: 2,383 train / 623 test",
            {
                "train": _autoj(
                    "scenario_classifier/traindata.jsonl",
                    "other_resources/scenario_classifier_data/traindata.jsonl",
                    "1ba362036181ba9d4336653a787dc111cd477d5fe32334747584a11accb386ef",
                ),
                "test": _autoj(
                    "scenario_classifier/testdata.jsonl",
                    "other_resources/scenario_classifier_data/testdata.jsonl",
                    "0ca9b3eb58bb049d55f6be9b864fee6e55962508376c71875632db85b27386bb",
                ),
            },
            {"category": "scenario", "instruction + ' ' + input": "query"},
        ),
        Dataset(
            "autoj-single-train",
            "960 single-response training rows: exact Auto-J prompt, critique + rating",
            {
                "rows": _autoj(
                    "training/single_traindata.jsonl",
                    "data/training/single_traindata.jsonl",
                    "024ad63c3d35b2f9525c68ec2fac3883ad6b17af77e5197538e91a1c0c590555",
                )
            },
            {"usrmsg": "prompt", "target_output": "critique + rating", "pred_score": "rating"},
        ),
        Dataset(
            "autoj-predictions",
            "Auto-J-13B's released outputs: Eval-P both orders, Eval-C critiques, GPT-4's "
            "comparison of Auto-J's and ChatGPT's critiques",
            {
                "pairwise": _autoj(
                    "outputs/pairwise_example_output.jsonl",
                    "data/outputs/pairwise_example_output.jsonl",
                    "bbf9a67b39cef50d15dccbcfc5816dc83241b80493064e615695ce002c0bcb61",
                ),
                "pairwise-swapped": _autoj(
                    "outputs/pairwise_exchange_example_output.jsonl",
                    "data/outputs/pairwise_exchange_example_output.jsonl",
                    "0b3a4ef917edc1df0b8f48ef376f8065651d9bcb2375eddd0e844a7c992daaad",
                ),
                "critiques": _autoj(
                    "outputs/critique_example_output.jsonl",
                    "data/outputs/critique_example_output.jsonl",
                    "a12d1abf012ec9172ca94dcc3a1e564ee279203edbbb165cfd6e1ca21cc7426e",
                ),
                "gpt4-critique-comparison": _autoj(
                    "outputs/gpt-4-Eval_auto-j_vs_chatgpt.jsonl",
                    "data/outputs/gpt-4-Eval_auto-j_vs_chatgpt.jsonl",
                    "ac5dcb552bc1d72a921ba7faaa82f65bf79d08b824be44edd9a14301e2d99ae3",
                ),
            },
            {"output": "0/1/2 label, or text", "meta.exchange": "order was swapped"},
        ),
        Dataset(
            "alpacaeval-outputs",
            "46 systems' outputs on the 805 AlpacaEval instructions",
            {
                name: DataFile(
                    f"alpaca_eval/model_outputs/{name}.json.gz",
                    sha,
                    f"{_ALPACA}/results/{name}/model_outputs.json",
                    gzipped_here=True,
                )
                for name, sha in _ALPACA_OUTPUT_SHA256.items()
            },
            {"instruction": "query", "output": "response", "generator": "system"},
        ),
        Dataset(
            "alpacaeval-leaderboards",
            "Reference rankings: AlpacaEval 1 and 2 win rates, Chatbot Arena Elo, evaluators",
            {
                "alpacaeval-1": DataFile(
                    "alpaca_eval/leaderboards/data_AlpacaEval__alpaca_eval_gpt4_leaderboard.csv",
                    "9a86bb8cd16967ab94796ca6e52b63a14ceb59c953194ec064edfe690fb82ed6",
                    f"{_ALPACA}/src/alpaca_eval/leaderboards/data_AlpacaEval/"
                    "alpaca_eval_gpt4_leaderboard.csv",
                ),
                "alpacaeval-2": DataFile(
                    "alpaca_eval/leaderboards/"
                    "data_AlpacaEval_2__weighted_alpaca_eval_gpt4_turbo_leaderboard.csv",
                    "fe32bf85c2f7429038faa4c9a884d1d131726454ff84a4b810a91c1c7a2aa0e9",
                    f"{_ALPACA}/src/alpaca_eval/leaderboards/data_AlpacaEval_2/"
                    "weighted_alpaca_eval_gpt4_turbo_leaderboard.csv",
                ),
                "arena-elo": DataFile(
                    "alpaca_eval/leaderboards/benchmarks_with_arena_elo.csv",
                    "ed599373eadbb343bbe80f677a513305c21ef5d110c5d81dfbb94a098e51ac75",
                    f"{_ALPACA}/notebooks/benchmarks.csv",
                ),
                "evaluators": DataFile(
                    "alpaca_eval/leaderboards/evaluators__evaluators_leaderboard.csv",
                    "db679d719e2a8705333ea2adbc184e77958226de58fe3146a815763e18ec5a3d",
                    f"{_ALPACA}/src/alpaca_eval/leaderboards/evaluators/evaluators_leaderboard.csv",
                ),
            },
            {"first column / Model": "system", "win_rate / Arena Elo": "reference score"},
        ),
        Dataset(
            "arena-hard",
            "Arena-Hard-Auto v0.1: 500 hard Chatbot Arena prompts, three models' answers (gpt-4-0314 "
            "is the baseline), the published leaderboard",
            {
                "questions": DataFile(
                    "arena_hard/question.jsonl.gz",
                    "2650242d2883f22b2abd498f273b6a7e02253cce533f5c91a858e1d44aa3002f",
                    f"{_ARENA_HARD}/data/arena-hard-v0.1/question.jsonl",
                    gzipped_here=True,
                ),
                **{
                    name: DataFile(
                        f"arena_hard/model_answer_{name}.jsonl.gz",
                        sha,
                        f"{_ARENA_HARD}/data/arena-hard-v0.1/model_answer/{name}.jsonl",
                        gzipped_here=True,
                    )
                    for name, sha in _ARENA_HARD_ANSWER_SHA256.items()
                },
                "leaderboard": DataFile(
                    "arena_hard/arena_hard_leaderboard_20240731.csv",
                    "dcc532f251a307f9cb23cb9ac04711e142157f32b934ee752a5456d336a6fe33",
                    f"{_ARENA_HARD}/leaderboard/arena_hard_leaderboard_20240731.csv",
                ),
            },
            {"uid": "id", "prompt": "instruction", "messages[-1].content.answer": "output"},
        ),
        Dataset(
            "mt-bench",
            "MT-Bench: 80 two-turn questions in 8 categories, GPT-4's reference answers for math, "
            "reasoning and coding",
            {
                "questions": DataFile(
                    "mt_bench/question.jsonl",
                    "119565adbab82227089cefdb44c8d7e2cf04dc0a0ec233634c82e7d4e2a944f7",
                    f"{_FASTCHAT}/question.jsonl",
                ),
                "reference": DataFile(
                    "mt_bench/reference_answer_gpt-4.jsonl",
                    "f957a5bc977badb66885ec970e6cd08527845780313f0995764260e5777b9b3f",
                    f"{_FASTCHAT}/reference_answer/gpt-4.jsonl",
                ),
            },
            {"question_id": "id", "turns": "the user's turns", "choices[0].turns": "reference answers"},
        ),
        Dataset(
            "hh-rlhf-harmless-test",
            "Anthropic HH-RLHF harmless-base test: 2,312 chosen / rejected dialogues",
            {
                "pairs": DataFile(
                    "hh_rlhf/harmless-base_test.jsonl.gz",
                    "ebfaaed21162a4de120ae85366075b34425e2a6303fac59b99555002f7016f03",
                    f"{_HH}/harmless-base/test.jsonl.gz",
                )
            },
            {"chosen": "preferred dialogue", "rejected": "other dialogue"},
        ),
    ]
}


def get(name: str) -> Dataset:
    """The registered dataset called `name`; an unknown name lists the known ones."""
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise DatasetError(f"unknown dataset {name!r}; known datasets: {known}") from None


def data_file(name: str, key: str | None = None) -> DataFile:
    """One file of a dataset; `key` may be left out when the dataset has a single file."""
    dataset = get(name)
    if key is None:
        if len(dataset.files) != 1:
            raise DatasetError(f"dataset {name!r} has several files; pick one of: {', '.join(dataset.files)}")
        return next(iter(dataset.files.values()))
    try:
        return dataset.files[key]
    except KeyError:
        raise DatasetError(
            f"dataset {name!r} has no file {key!r}; its files: {', '.join(dataset.files)}"
        ) from None


def content_sha256(path: Path, gzipped: bool) -> str:
    """sha256 of a file's content, decompressed first when the copy here is gzipped."""
    digest = hashlib.sha256()
    opener = gzip.open if gzipped else open
    with opener(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, data: DataFile) -> None:
    """Raise DatasetError when the copy at `path` does not hold the registered bytes."""
    actual = content_sha256(path, data.gzipped_here)
    if actual != data.sha256:
        raise DatasetError(
            f"{path}: sha256 {actual} does not match the registered {data.sha256} for "
            f"{data.relative}; delete the file and fetch it again"
        )


def cache_dir() -> Path:
    """The user's download cache: $AUTOJ_CACHE_DIR, else $XDG_CACHE_HOME/autoj/data."""
    configured = os.environ.get(CACHE_ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "autoj" / "data"


def download(data: DataFile, destination: Path, *, timeout: float = 30.0) -> Path:
    """Fetch `data` from its origin, check its sha256, then move it into place atomically.

    Bytes that do not match are never written to `destination`.
    """
    import httpx

    if data.url is None:
        raise DatasetError(f"{data.relative} has no public origin to download from")
    response = httpx.get(data.url, timeout=timeout, follow_redirects=True)
    response.raise_for_status()
    payload = response.content
    actual = hashlib.sha256(payload).hexdigest()
    if actual != data.sha256:
        raise DatasetError(f"download of {data.url} has sha256 {actual}, expected {data.sha256}; not saved")
    stored = gzip.compress(payload, mtime=0) if data.gzipped_here else payload
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=destination.parent, delete=False) as tmp:
        tmp.write(stored)
    Path(tmp.name).replace(destination)
    return destination


_network_failed = False


def _offline() -> bool:
    return _network_failed or os.environ.get(OFFLINE_ENV_VAR, "") not in ("", "0")


def _from_cache(data: DataFile, cache: Path) -> Path | None:
    """The cached copy, downloading it first when it is missing and the network answers."""
    global _network_failed
    target = cache / data.relative
    if target.exists():
        return target
    if data.url is None or _offline():
        return None
    import httpx

    try:
        return download(data, target)
    except (httpx.TransportError, httpx.HTTPStatusError):
        _network_failed = True  # do not retry every file of a large dataset
        return None


def resolve(
    name: str,
    key: str | None = None,
    *,
    path: str | Path | None = None,
    check: bool = False,
) -> Path:
    """Where a dataset file is, following the documented order; raise DatasetError if nowhere.

    `path` may be the file itself or a data directory holding it at its relative path. With
    `check`, a local copy is verified against its sha256 (a download always is).
    """
    data = data_file(name, key)
    candidates: list[Path] = []
    if path is not None:
        explicit = Path(path).expanduser()
        if explicit.is_file():
            return _checked(explicit, data, check)
        candidates.append(explicit / data.relative)
        if not candidates[-1].exists():
            raise DatasetError(f"{explicit}: neither the file nor a directory holding {data.relative}")
        return _checked(candidates[-1], data, check)
    configured = os.environ.get(datadir.ENV_VAR)
    if configured:
        candidate = Path(configured).expanduser() / data.relative
        if candidate.exists():
            return _checked(candidate, data, check)
        candidates.append(candidate)
    cached = _from_cache(data, cache_dir())
    if cached is not None:
        return cached
    candidates.append(cache_dir() / data.relative)
    root = datadir.data_dir()
    if root is not None and (root / data.relative).exists():
        return _checked(root / data.relative, data, check)
    origin = data.url or "no single public origin (see ../shared/data/README.md)"
    raise DatasetError(
        f"dataset file {data.relative} ({name}) not found. Put a copy at "
        f"{cache_dir() / data.relative}, or set {datadir.ENV_VAR} to a directory holding "
        f"{data.relative}. Origin: {origin}. Looked in: {', '.join(map(str, candidates))}"
    )


def _checked(path: Path, data: DataFile, check: bool) -> Path:
    if check:
        verify(path, data)
    return path
