"""A tiny sentence-transformers model, built locally from our own corpus (never downloaded).

:func:`build_tiny_model` trains a WordPiece tokenizer on the Vietnamese text of ``data/`` (lower case,
accents kept), puts a randomly initialised 2-layer BERT (hidden 64) behind it, and saves
``Transformer → mean Pooling → Normalize`` as a sentence-transformers folder. Seeds are fixed, so the
same corpus gives the same vectors on every run. The weights are random: the vectors mean nothing,
which is all the plumbing tests need (loading from a local path, prompts, dimensions, index builds).

Building takes a second or two; a folder that already holds a saved model is reused as it is.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# The test machines cannot reach a model hub: make any accidental download fail at once.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from langso_search.corpus import Platform, load_corpus  # noqa: E402
from langso_search.settings import ROOT  # noqa: E402

SEED = 1234
VOCAB_SIZE = 3000
HIDDEN = 64
LAYERS = 2
HEADS = 2
INTERMEDIATE = 128
MAX_POSITION = 256
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
_MARKERS = ("config_sentence_transformers.json", "modules.json")


def corpus_texts(data_dir: Path | None = None) -> list[str]:
    """The Vietnamese text of every item (titles, summaries, problems, stories …), lower-cased."""
    corpus = load_corpus(data_dir or ROOT / "data")
    texts: list[str] = []
    for item in corpus.items:
        if isinstance(item, Platform):
            parts = [item.name, *item.aliases, item.summary, *item.problems, *item.how_to_start,
                     *item.sectors, *item.audiences]
        else:
            loc = item.location
            parts = [item.title, item.problem, item.approach, item.result, *item.lessons, *item.tools,
                     *(x for x in (loc.commune, loc.district, loc.province, loc.region) if x),
                     *loc.terrain, *item.ethnic_groups, *item.sectors, *item.audiences]
        texts += [p.lower() for p in parts if p]
    # The prompts the embedder puts before queries and passages belong in the vocabulary too.
    texts += ["query: ", "passage: "]
    return texts


def _normalizer():
    from tokenizers import normalizers

    # NFC first (Vietnamese has two ways to write most letters), then lower case WITHOUT stripping
    # accents: "mía" and "mìa" must stay different words.
    return normalizers.Sequence(
        [normalizers.NFC(),
         normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=True)]
    )


def train_vocab(texts: list[str], size: int = VOCAB_SIZE) -> dict[str, int]:
    """A WordPiece vocabulary learnt from ``texts``, the same on every run.

    ``tokenizers``' own ``WordPieceTrainer`` is not reproducible across processes (its Rust hash maps
    are seeded at random, so merge ties break differently: 2212 or 2214 tokens from the same text).
    The counting here uses the library's normaliser and pre-tokeniser and breaks every tie on the
    token itself: the special tokens, every character (word-initial and ``##`` continuation), the
    corpus words (Vietnamese syllables) by frequency, then the most frequent ``##`` word endings so
    that unseen words still split into pieces rather than single letters.
    """
    from collections import Counter

    from tokenizers import pre_tokenizers

    normalizer, pre = _normalizer(), pre_tokenizers.BertPreTokenizer()
    words = Counter(w for t in texts for w, _ in pre.pre_tokenize_str(normalizer.normalize_str(t)))
    firsts = sorted({w[0] for w in words})
    rests = sorted({"##" + ch for w in words for ch in w[1:]})
    endings = Counter("##" + w[i:] for w in words for i in range(1, len(w)) if 2 <= len(w) - i <= 4)
    ordered = [
        *SPECIAL_TOKENS,
        *firsts,
        *rests,
        *(w for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))),
        *(e for e, n in sorted(endings.items(), key=lambda kv: (-kv[1], kv[0])) if n >= 2),
    ]
    vocab: dict[str, int] = {}
    for token in ordered:
        if len(vocab) >= size:
            break
        vocab.setdefault(token, len(vocab))
    return vocab


def make_tokenizer(texts: list[str]):  # -> tokenizers.Tokenizer
    """A BERT-style WordPiece ``tokenizers.Tokenizer`` over :func:`train_vocab`."""
    from tokenizers import Tokenizer, decoders, pre_tokenizers, processors
    from tokenizers.models import WordPiece

    vocab = train_vocab(texts)
    tok = Tokenizer(WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = _normalizer()
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    return tok


def build_tiny_model(path: Path, data_dir: Path | None = None) -> Path:
    """Build (or reuse) the tiny local model in ``path`` and return ``path``."""
    path = Path(path)
    if any((path / marker).exists() for marker in _MARKERS):
        return path
    try:
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # the tests must fail, not skip, when the backend is missing
        raise RuntimeError(
            "the sentence-transformers backend is not installed: pip install -e '.[st,dev]' "
            f"(torch==2.13.0 CPU, sentence-transformers, transformers): {exc}"
        ) from exc
    try:  # sentence-transformers ≥ 6 moved the modules; older versions only have ``models``
        from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    except ImportError:
        from sentence_transformers.models import Normalize, Pooling, Transformer

    tok = make_tokenizer(corpus_texts(data_dir))
    path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".tiny-st-", dir=path.parent))
    try:
        hf_dir = work / "hf"
        fast = transformers.PreTrainedTokenizerFast(
            tokenizer_object=tok,
            unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
            model_max_length=MAX_POSITION,
        )
        fast.save_pretrained(str(hf_dir))

        config = transformers.BertConfig(
            vocab_size=tok.get_vocab_size(),
            hidden_size=HIDDEN,
            num_hidden_layers=LAYERS,
            num_attention_heads=HEADS,
            intermediate_size=INTERMEDIATE,
            max_position_embeddings=MAX_POSITION,
            pad_token_id=tok.token_to_id("[PAD]"),
        )
        torch.manual_seed(SEED)
        bert = transformers.BertModel(config)
        bert.eval()
        bert.save_pretrained(str(hf_dir))

        transformer = Transformer(str(hf_dir), max_seq_length=MAX_POSITION)
        dim_of = getattr(transformer, "get_embedding_dimension", None) or transformer.get_word_embedding_dimension
        pooling = Pooling(dim_of(), pooling_mode="mean")
        model = SentenceTransformer(modules=[transformer, pooling, Normalize()], device="cpu")
        out = work / "model"
        model.save(str(out))
        if any((path / marker).exists() for marker in _MARKERS):  # another process finished first
            return path
        if path.exists():
            shutil.rmtree(path)
        out.rename(path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return path


if __name__ == "__main__":  # python -m tests.tiny_st_model /tmp/tiny-st
    import sys

    print(build_tiny_model(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/tiny-st")))
