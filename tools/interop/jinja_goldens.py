#!/usr/bin/env python3
"""Golden outputs for revise's Java Jinja engine, rendered by the real jinja2 + transformers.

Every case is rendered with transformers' own compiled chat-template environment
(``_compile_jinja_template``: ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks,
loopcontrols, the generation tag, transformers' tojson, raise_exception and strftime_now), so the
expectations are what ``apply_chat_template`` produces, not hand-written ones. strftime_now is
pinned to 2024-07-26 14:05:09 so the goldens are deterministic.

Run with the interop venv (jinja2 3.1.6, transformers 5.18):

    /tmp/ivenv/bin/python tools/interop/jinja_goldens.py \
        [--qwen3 /tmp/qwen3-tokenizer] > policies/src/test/resources/jinja/goldens.jsonl

Each output line is one JSON object: name, template, context, and either ``expected`` (the exact
rendered text) or ``error_type`` / ``error`` (jinja2's exception class and message), plus
``error_contains`` (what the Java message must contain) and ``error_line`` for syntax errors.
"""

import argparse
import datetime
import json
import os
import sys

import jinja2
import transformers
import transformers.utils.chat_template_utils as ctu
from transformers.utils.chat_template_utils import _compile_jinja_template, render_jinja_template

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jinja_corpus  # noqa: E402

PROBLEMS = []
FIXED_NOW = datetime.datetime(2024, 7, 26, 14, 5, 9)


class _FixedDatetime(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return FIXED_NOW


def render_case(case):
    context = json.loads(json.dumps(case.get("context", {})))
    out = {"name": case["name"], "template": case["template"], "context": context}
    try:
        compiled = _compile_jinja_template(case["template"])
        text = compiled.render(**context)
    except Exception as e:  # noqa: BLE001 - the error is the golden
        message = getattr(e, "message", None) or str(e)
        out["error_type"] = type(e).__name__
        out["error"] = message
        out["error_contains"] = case.get("error_contains", message)
        if "java_kind" in case:
            out["java_kind"] = case["java_kind"]
        if isinstance(e, jinja2.TemplateSyntaxError) and e.lineno:
            out["error_line"] = e.lineno
        if case.get("expect_error") is False:
            PROBLEMS.append(f"case {case['name']} unexpectedly failed: {e!r}")
        return out
    if case.get("expect_error"):
        PROBLEMS.append(f"case {case['name']} should have failed but rendered {text!r}")
    if " at 0x" in text:
        PROBLEMS.append(f"case {case['name']} prints a memory address, not a golden: {text!r}")
    out["expected"] = text
    return out


def chat_case(name, template, messages, tokens, add_generation_prompt=False, tools=None, **kwargs):
    """A chat render via transformers' render_jinja_template, stored with the exact context it used."""
    try:
        rendered = render_jinja_template(
            conversations=[messages],
            tools=tools,
            chat_template=template,
            add_generation_prompt=add_generation_prompt,
            **tokens,
            **kwargs,
        )[0][0]
    except jinja2.TemplateError as e:
        rendered = e
    context = {
        "messages": messages,
        "tools": tools,
        "documents": None,
        "add_generation_prompt": add_generation_prompt,
        **tokens,
        **kwargs,
    }
    case = {"name": name, "template": template, "context": context}
    out = render_case(case)
    if isinstance(rendered, Exception):
        if out.get("error") != getattr(rendered, "message", None):
            raise RuntimeError(f"{name}: compiled render does not fail as render_jinja_template does")
    elif out.get("expected") != rendered:
        raise RuntimeError(f"{name}: compiled render differs from render_jinja_template")
    return out


def qwen3_cases(tokenizer_dir):
    """Qwen3's real template, via the tokenizer's own apply_chat_template where possible."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    template = tok.chat_template
    tokens = dict(tok.special_tokens_map)
    out = []
    for name, messages, tools, variants in jinja_corpus.qwen3_conversations():
        for agp, kwargs in variants:
            label = f"qwen3/{name}/agp={agp}" + "".join(f"/{k}={v}" for k, v in kwargs.items())
            via_tokenizer = tok.apply_chat_template(  # what revise must reproduce
                messages, tools=tools, add_generation_prompt=agp, tokenize=False, **kwargs
            )
            case = chat_case(label, template, messages, tokens, agp, tools, **kwargs)
            if case.get("expected") != via_tokenizer:
                raise RuntimeError(f"{label}: differs from tokenizer.apply_chat_template")
            out.append(case)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qwen3", default="/tmp/qwen3-tokenizer", help="Qwen3 tokenizer directory")
    args = parser.parse_args()
    if jinja2.__version__ != "3.1.6":
        print(f"warning: goldens are meant for jinja2 3.1.6, this is {jinja2.__version__}", file=sys.stderr)
    ctu.datetime = _FixedDatetime
    results = [render_case(c) for c in jinja_corpus.small_cases()]
    for name, template, tokens, conversations in jinja_corpus.style_templates():
        for conv_name, messages, agp, tools, kwargs in conversations:
            results.append(
                chat_case(f"{name}/{conv_name}/agp={agp}", template, messages, tokens, agp, tools, **kwargs)
            )
    results.extend(qwen3_cases(args.qwen3))
    if PROBLEMS:
        raise RuntimeError("corpus problems:\n" + "\n".join(PROBLEMS))
    names = [r["name"] for r in results]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise RuntimeError(f"duplicate case names: {sorted(dupes)}")
    for r in results:
        sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(
        f"{len(results)} cases ({sum('error_type' in r for r in results)} errors); "
        f"jinja2 {jinja2.__version__}, transformers {transformers.__version__}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
