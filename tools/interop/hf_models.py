"""Random-weight Hugging Face models of each family and feature, saved the ways revise must read.

No package ships real small causal-LM weights, so every model is built from a config with
transformers and re-initialised with weights far larger than transformers' 0.02 default: with the
default a random model's log-probs are almost uniform and a wrong RoPE or a missing norm would
hide under the tolerance. Each feature case also says how to switch the feature off on the same
weights, so the suite can show the check is able to fail.
"""

import copy
import json
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig

VOCAB = 128  # >= the 100 ids of revise's char-level tokenizer, so revise can load and train it
SEQ_LENGTHS = (100, 77, 64)  # a batch of 3 different lengths, longer than every window/rope cut-off
COMMON = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
              rms_norm_eps=1e-5, bos_token_id=1, eos_token_id=2, pad_token_id=0,
              tie_word_embeddings=False)
GENERATION_EOS = [2, 0]  # a list, as Qwen's generation_config.json has: revise must keep both ids


def rope(kind: str, theta: float = 10000.0, **fields) -> dict:
    return {"rope_type": kind, "rope_theta": theta, **fields}


# --- switching a feature off (same weights) ---------------------------------------------------

def off_config(**changes) -> Callable:
    """Reload the checkpoint with config.json keys changed (e.g. RoPE scaling replaced by default)."""
    def load(d: Path):
        cfg = AutoConfig.from_pretrained(d)
        for k, v in changes.items():
            if k == "rope_theta":
                cfg.rope_parameters = {**cfg.rope_parameters, "rope_theta": v}
            elif k == "rope_default":
                cfg.rope_parameters = rope("default", cfg.rope_parameters["rope_theta"])
            else:
                setattr(cfg, k, v)
        return load_f32(d, config=cfg)
    return load


def off_tied(d: Path):
    """Reload, then use the input embedding as the output head (what ignoring an untied head does)."""
    m = load_f32(d)
    with torch.no_grad():
        m.lm_head.weight.copy_(m.model.embed_tokens.weight)
    return m


def off_zero(*suffixes: str) -> Callable:
    """Reload, then zero the parameters whose names end with one of `suffixes` (biases)."""
    def load(d: Path):
        m = load_f32(d)
        with torch.no_grad():
            for n, p in m.named_parameters():
                if n.endswith(suffixes):
                    p.zero_()
        return m
    return load


def off_identity(*names: str) -> Callable:
    """Reload, then replace the submodules called `names` (q_norm, k_norm) by the identity."""
    def load(d: Path):
        m = load_f32(d)
        for layer in m.model.layers:
            for n in names:
                setattr(layer.self_attn, n, torch.nn.Identity())
        return m
    return load


def off_no_window(d: Path):
    """Reload as full attention in every layer (what ignoring use_sliding_window does)."""
    cfg = AutoConfig.from_pretrained(d)
    cfg.use_sliding_window = False
    cfg.sliding_window = None
    cfg.layer_types = ["full_attention"] * cfg.num_hidden_layers
    return load_f32(d, config=cfg)


@dataclass(frozen=True)
class Case:
    name: str  # family/feature
    model_type: str
    config: dict = field(default_factory=dict)
    off: Callable | None = None  # builds the feature-off reference from the float32 checkpoint dir
    off_note: str = ""  # what "off" means, or why there is none


CASES = [
    Case("llama/default", "llama", {"rope_parameters": rope("default")},
         off_tied, "untied head; off = tied"),
    Case("llama/tied", "llama", {"tie_word_embeddings": True, "rope_parameters": rope("default")},
         None, "structural: no lm_head in the file"),
    Case("llama/rope-llama3", "llama",
         {"max_position_embeddings": 256, "rope_parameters": rope(
             "llama3", 10000.0, factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
             original_max_position_embeddings=32)},
         off_config(rope_default=True), "off = default RoPE"),
    Case("llama/rope-linear", "llama", {"rope_parameters": rope("linear", 10000.0, factor=4.0)},
         off_config(rope_default=True), "off = default RoPE"),
    # max_position_embeddings below the sequence lengths, else dynamic NTK scaling never acts.
    Case("llama/rope-dynamic", "llama",
         {"max_position_embeddings": 48, "rope_parameters": rope("dynamic", 10000.0, factor=2.0)},
         off_config(rope_default=True), "off = default RoPE"),
    Case("llama/rope-yarn", "llama",
         {"max_position_embeddings": 128, "rope_parameters": rope(
             "yarn", 10000.0, factor=4.0, original_max_position_embeddings=32)},
         off_config(rope_default=True), "off = default RoPE"),
    Case("llama/head-dim", "llama", {"head_dim": 32, "rope_parameters": rope("default", 500000.0)},
         None, "structural: head_dim 32 != 64/4"),
    Case("llama/attention-bias", "llama", {"attention_bias": True}, off_zero(
        "q_proj.bias", "k_proj.bias", "v_proj.bias", "o_proj.bias"), "off = biases zeroed"),
    Case("llama/mlp-bias", "llama", {"mlp_bias": True}, off_zero(
        "gate_proj.bias", "up_proj.bias", "down_proj.bias"), "off = biases zeroed"),
    Case("qwen2/qkv-bias", "qwen2", {}, off_zero("q_proj.bias", "k_proj.bias", "v_proj.bias"),
         "off = biases zeroed"),
    # every layer slides (max_window_layers 0); mixed layers are refused (section_a.REJECT)
    Case("qwen2/sliding-all-16", "qwen2", {"use_sliding_window": True, "sliding_window": 16, "max_window_layers": 0},
         off_no_window, "off = full attention"),
    Case("qwen3/qk-norm", "qwen3",
         {"hidden_size": 96, "num_hidden_layers": 3, "head_dim": 32, "rope_parameters": rope("default", 1e6)},
         off_identity("q_norm", "k_norm"), "off = no q_norm/k_norm"),
    Case("mistral/sliding-16", "mistral", {"sliding_window": 16},
         off_config(sliding_window=None), "off = no window"),
    Case("mistral/sliding-null", "mistral", {"sliding_window": None},
         off_config(sliding_window=16), "off = a 16-token window"),
    Case("smollm2/tied-theta1e5", "llama",
         {"hidden_size": 96, "intermediate_size": 256, "num_attention_heads": 3, "num_key_value_heads": 1,
          "tie_word_embeddings": True, "rope_parameters": rope("default", 100000.0)},
         off_config(rope_theta=10000.0), "off = rope_theta 1e4"),
]
BY_NAME = {c.name: c for c in CASES}


def load_f32(d: Path, **kw):
    """The float32 reference: a bfloat16 checkpoint is read as its bf16-rounded weights in float32."""
    m = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager", **kw)
    return m.eval()


def reinitialise(model, seed: int) -> None:
    """Weights ~ N(0, 1/fan_in), embeddings N(0, 0.5), norms 1 + N(0, 0.1), biases N(0, 0.2)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("embed_tokens.weight"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
            elif p.ndim == 2:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))
            elif name.endswith("bias"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.2)
            else:  # RMSNorm weights (including q_norm/k_norm)
                p.copy_(1 + torch.randn(p.shape, generator=g) * 0.1)


def build(case: Case, seed: int):
    cfg = AutoConfig.for_model(case.model_type, **{**COMMON, **case.config})
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
    reinitialise(model, seed)
    return model.eval()


def sequences(seed: int, vocab: int = VOCAB) -> list[list[int]]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, vocab, (n,), generator=g).tolist() for n in SEQ_LENGTHS]


@torch.no_grad()
def logprobs(model, seqs: list[list[int]]) -> list[list[float]]:
    """log p(t_i | t_<i), i = 2..n, each sequence scored alone (no padding, no BOS added).

    Shortest first: dynamic RoPE caches the longest length it has seen and would otherwise score
    a short sequence with a longer one's scaling.
    """
    out = {}
    for i in sorted(range(len(seqs)), key=lambda i: len(seqs[i])):
        ids = torch.tensor([seqs[i]])
        lp = torch.log_softmax(model(input_ids=ids, use_cache=False).logits[0].float(), -1)
        out[i] = lp[:-1].gather(-1, ids[0, 1:, None])[:, 0].tolist()
    return [out[i] for i in range(len(seqs))]


def max_abs_diff(a: list[list[float]], b: list[list[float]]) -> float:
    if len(a) != len(b) or any(len(x) != len(y) for x, y in zip(a, b)):
        return math.inf
    d = [abs(x - y) for xs, ys in zip(a, b) for x, y in zip(xs, ys)]
    return math.nan if any(math.isnan(v) for v in d) else max(d)


# --- saving ---------------------------------------------------------------------------------

def save(model, d: Path, dtype: str, sharded: bool, char_tokenizer: Path) -> None:
    """save_pretrained as float32 or bfloat16, single file or >= 3 shards, plus tokenizer files."""
    m = model if dtype == "float32" else copy.deepcopy(model).to(torch.bfloat16)
    size = sum(p.numel() * p.element_size() for p in m.state_dict().values())
    largest = max(p.numel() * p.element_size() for p in m.state_dict().values())
    m.save_pretrained(d, max_shard_size=max(size // 4, largest) if sharded else "5GB")
    if sharded:
        shards = json.loads((d / "model.safetensors.index.json").read_text())["weight_map"].values()
        assert len(set(shards)) >= 3, f"{d}: only {len(set(shards))} shards"
    gen = GenerationConfig.from_pretrained(d)
    gen.eos_token_id = GENERATION_EOS
    gen.save_pretrained(d)
    write_char_tokenizer(d, char_tokenizer)


def write_char_tokenizer(d: Path, tokenizer_json: Path) -> None:
    """revise's char-level tokenizer.json (from `revise init`) and a tokenizer_config.json for AutoTokenizer."""
    shutil.copy(tokenizer_json, d / "tokenizer.json")
    (d / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<bos>", "eos_token": "<eos>",
        "pad_token": "<pad>", "unk_token": "<unk>", "add_bos_token": False, "model_max_length": 512,
    }, indent=2) + "\n")


def to_hub4_layout(config_file: Path) -> None:
    """Rewrites a 5.x config.json in the 4.x Hub layout: top-level rope_theta and rope_scaling
    (rope_type plus the scaling fields, or null), torch_dtype instead of dtype, no rope_parameters
    and no layer_types (Hub configs of that time have neither)."""
    c = json.loads(config_file.read_text())
    rp = dict(c.pop("rope_parameters", None) or {})
    c["rope_theta"] = rp.pop("rope_theta", 10000.0)
    if "partial_rotary_factor" in rp:
        c["partial_rotary_factor"] = rp.pop("partial_rotary_factor")
    c["rope_scaling"] = None if rp.get("rope_type", "default") == "default" and len(rp) <= 1 else rp
    c["torch_dtype"] = c.pop("dtype")
    c.pop("layer_types", None)
    c["transformers_version"] = "4.51.3"
    config_file.write_text(json.dumps(c, indent=2, sort_keys=True) + "\n")


def patch_config(d: Path, patch: Callable[[dict], None]) -> None:
    f = d / "config.json"
    c = json.loads(f.read_text())
    patch(c)
    f.write_text(json.dumps(c, indent=2, sort_keys=True) + "\n")


def copy_checkpoint(src: Path, dst: Path) -> None:
    """A copy whose weight files are hard links (cheap); config.json is a real copy so it can be edited."""
    shutil.copytree(src, dst, copy_function=lambda s, t: (shutil.copy2 if s.endswith(".json") else _link)(s, t))


def _link(s, t):
    try:
        Path(t).hardlink_to(s)
    except OSError:
        shutil.copy2(s, t)
