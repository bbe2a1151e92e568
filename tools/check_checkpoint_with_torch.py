#!/usr/bin/python3
# Reads a checkpoint directory written by revise with an independent float64 PyTorch implementation of the
# Hugging Face Llama forward pass and prints log p(t_i | t_<i) for i = 2..n, to compare with
# `./revise logprobs --checkpoint DIR --token-ids IDS`. Needs torch (Debian: apt-get install python3-torch).
# Usage: tools/check_checkpoint_with_torch.py DIR 1,5,6,7
# Independent HF-Llama forward in torch reading a revise-written checkpoint directory.
import json, struct, sys, math, torch
d = sys.argv[1]; ids = [int(x) for x in sys.argv[2].split(",")]
cfg = json.load(open(f"{d}/config.json"))
raw = open(f"{d}/model.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]; hdr = json.loads(raw[8:8+n]); base = 8 + n
W = {}
for k, v in hdr.items():
    if k == "__metadata__": continue
    assert v["dtype"] == "F32"
    b, e = v["data_offsets"]
    W[k] = torch.frombuffer(bytearray(raw[base+b:base+e]), dtype=torch.float32).reshape(v["shape"]).double()
H, K, D = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["hidden_size"]; hd = cfg.get("head_dim", D // H)
eps, theta = cfg["rms_norm_eps"], cfg["rope_theta"]
def rms(x, w): return w * x / torch.sqrt((x*x).mean(-1, keepdim=True) + eps)
T = len(ids); x = W["model.embed_tokens.weight"][ids]
inv = 1.0 / (theta ** (torch.arange(0, hd, 2).double() / hd)); f = torch.outer(torch.arange(T).double(), inv)
cos, sin = torch.cat([f, f], -1).cos(), torch.cat([f, f], -1).sin()
def rot(x): h = x.shape[-1] // 2; return torch.cat([-x[..., h:], x[..., :h]], -1)
for l in range(cfg["num_hidden_layers"]):
    p = f"model.layers.{l}."
    y = rms(x, W[p+"input_layernorm.weight"])
    q = (y @ W[p+"self_attn.q_proj.weight"].T).view(T, H, hd).transpose(0, 1)
    k = (y @ W[p+"self_attn.k_proj.weight"].T).view(T, K, hd).transpose(0, 1)
    v = (y @ W[p+"self_attn.v_proj.weight"].T).view(T, K, hd).transpose(0, 1)
    q, k = q*cos + rot(q)*sin, k*cos + rot(k)*sin
    k, v = k.repeat_interleave(H // K, 0), v.repeat_interleave(H // K, 0)
    a = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
    a = a.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)
    x = x + (a @ v).transpose(0, 1).reshape(T, H*hd) @ W[p+"self_attn.o_proj.weight"].T
    y = rms(x, W[p+"post_attention_layernorm.weight"])
    g = y @ W[p+"mlp.gate_proj.weight"].T
    x = x + ((g * torch.sigmoid(g)) * (y @ W[p+"mlp.up_proj.weight"].T)) @ W[p+"mlp.down_proj.weight"].T
x = rms(x, W["model.norm.weight"])
head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
lp = torch.log_softmax(x @ head.T, -1)
print(json.dumps([lp[i, ids[i+1]].item() for i in range(T-1)]))
