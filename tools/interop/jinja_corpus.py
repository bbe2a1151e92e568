"""The template/context corpus that jinja_goldens.py renders with the real jinja2.

small_cases(): one small case per idiom, plus a whitespace-control matrix.
style_templates(): chat templates written here in the style of common model families.
qwen3_conversations(): conversations for Qwen3's real template.
"""

import itertools

MSGS = [
    {"role": "system", "content": "sys"},
    {"role": "user", "content": "hi"},
    {"role": "assistant", "content": "yo"},
]

BASE = {
    "msgs": MSGS,
    "d": {"a": 1, "b": [1, 2], "c": {"x": "y"}, "items": "shadowed?", "get": 5},
    "xs": [3, 1, 2],
    "s": "Hello World",
    "n": 5,
    "f": 2.5,
    "t": True,
    "nothing": None,
    "empty": "",
    "words": ["b", "A", "a", "c"],
    "people": [
        {"name": "Ann", "age": 31, "city": "Oslo", "tags": ["x"]},
        {"name": "bob", "age": 25, "city": None, "tags": []},
        {"name": "Cid", "age": 31},
    ],
    "uni": "é\u00a0😀\u200b",
    "nested": [[1, 2], [3, 4]],
}

_cases = []


def c(name, template, context=None, error=False, error_contains=None, java_kind=None):
    # A name the template text never mentions cannot be read (jinja2 has no dynamic lookup), so
    # only the mentioned part of BASE goes into the golden.
    ctx = {k: v for k, v in BASE.items() if k in template}
    ctx.update(context or {})
    case = {"name": name, "template": template, "context": ctx, "expect_error": error}
    if error_contains is not None:
        case["error_contains"] = error_contains
    if java_kind is not None:
        # Where jinja2's error is a plain Python one that the Java engine reports as a jinja2 kind.
        case["java_kind"] = java_kind
    _cases.append(case)


def e(name, template, context=None, error_contains=None, java_kind=None):
    c(name, template, context, error=True, error_contains=error_contains, java_kind=java_kind)


def whitespace():
    c("ws/text_only", "just text")
    c("ws/trailing_newline_dropped", "a\n")
    c("ws/two_trailing_newlines", "a\n\n")
    c("ws/crlf_normalized", "a\r\nb\rc\r\n")
    c("ws/var_keeps_newline", "{{ 'a' }}\nb")
    c("ws/block_trims_one_newline", "{% if true %}\n\nx{% endif %}\n\ny")
    c("ws/block_crlf_trim", "{% if true %}\r\nx\r\n{% endif %}\r\ny")
    c("ws/lstrip_line_start", "a\n    {% if true %}b{% endif %}")
    c("ws/lstrip_not_mid_line", "a  {% if true %}b{% endif %}")
    c("ws/lstrip_template_start", "   {% if true %}b{% endif %}")
    c("ws/lstrip_tabs", "a\n\t \t{% if true %}b{% endif %}")
    c("ws/lstrip_nbsp", "a\n\u00a0 {% if true %}b{% endif %}")
    c("ws/lstrip_after_block_newline", "{% if true %}\n  {% if true %}x{% endif %}\n{% endif %}")
    c("ws/lstrip_not_for_var", "a\n    {{ 'b' }}")
    c("ws/lstrip_comment", "a\n    {# c #}\nb")
    c("ws/comment_trim", "{# c #}\nx")
    c("ws/plus_disables_lstrip", "a\n    {%+ if true %}b{% endif %}")
    c("ws/plus_disables_trim", "{% if true +%}\nb{% endif %}")
    c("ws/minus_strips_all_left", "a \n\n\t {%- if true %}b{% endif %}")
    c("ws/minus_strips_all_right", "{% if true -%} \n\n b{% endif %}")
    c("ws/var_minus_both", "a \n {{- 'b' -}} \n c")
    c("ws/var_minus_left_only", "a \n {{- 'b' }} \n c")
    c("ws/comment_minus", "a \n {#- c -#} \n c")
    c("ws/comment_plus", "a\n  {#+ c +#}\nb")
    c("ws/endtag_trims", "{% for i in [1, 2] %}\n{{ i }}\n{% endfor %}\nend")
    c("ws/indented_loop", "<ul>\n  {% for i in [1, 2] %}\n    <li>{{ i }}</li>\n  {% endfor %}\n</ul>")
    c("ws/multiline_tag", "{% if\n  true\n%}\nx{% endif %}")
    c("ws/minus_then_lstrip", "{%- if true -%}\n   {% if true %}x{% endif %}\n{%- endif %}")
    c("ws/var_then_block_same_line", "{{ 'a' }}  {% if true %}b{% endif %}")
    c("ws/only_spaces_before_tag_after_var", "{{ 'a' }}\n  {% if true %}b{% endif %}")
    c("ws/raw", "{% raw %}{{ x }} {% if %}{% endraw %}")
    c("ws/raw_keeps_newline_after_begin", "{% raw %}\nx\n{% endraw %}\ny")
    c("ws/raw_minus", "a  {%- raw -%}  x  {%- endraw -%}  b")
    c("ws/raw_lstrip_endraw", "{% raw %}x\n    {% endraw %}y")
    c("ws/percent_in_string", "{{ '%}' }}{% set x = '%}' %}{{ x }}{{ \"}}\" }}")
    c("ws/nested_braces", "{{ {'a': {'b': 1}} }}{{{'k': 2}}}")
    c("ws/hash_line_is_text", "# for x in y\n## x")
    c("ws/empty_template", "")
    c("ws/unicode_text", "héllo 😀 {{ uni }}")
    # A systematic matrix: every tag kind with every modifier on each side, between whitespace.
    tags = {
        "block": ("{%{l} if true {r}%}X{% endif %}"),
        "comment": ("{#{l} note {r}#}"),
        "var": ("{{{l} 'V' {r}}}"),
    }
    surrounds = {"nl": ("a  \n  ", "  \n  b"), "inline": ("a ", " b"), "tabs": ("a\n\t", "\t\nb")}
    for (kind, tag), l, r, (sname, (before, after)) in itertools.product(
        tags.items(), ["", "-", "+"], ["", "-", "+"], surrounds.items()
    ):
        if kind == "var" and (l == "+" or r == "+"):
            continue
        body = tag.replace("{l}", l).replace("{r}", r)
        c(f"ws/matrix/{kind}/l{l or '0'}r{r or '0'}/{sname}", before + body + after)


def literals():
    c("lit/ints", "{{ 0 }} {{ 42 }} {{ 1_000 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ -3 }}")
    c("lit/floats", "{{ 1.0 }} {{ 0.1 }} {{ 1.5e3 }} {{ 1e16 }} {{ 1e15 }} {{ 1.0e-5 }} {{ 0.0001 }} {{ 2.50 }}")
    c("lit/float_arith_repr", "{{ 0.1 + 0.2 }} {{ 1 / 3 }} {{ 2 / 2 }} {{ 1e300 * 1e10 }} {{ -0.0 }} {{ 10 / 4 }}")
    c("lit/float_repr_edges", "{{ 123456789012345678.0 }} {{ 5e-324 }} {{ 1.7976931348623157e308 }} {{ 0.3 }}")
    c("lit/strings", "{{ 'single' }} {{ \"double\" }} {{ 'it\\'s' }} {{ \"say \\\"hi\\\"\" }}")
    c("lit/escapes", "{{ 'a\\nb\\tc\\\\d' }}|{{ '\\x41\\u00e9\\U0001F600\\101' }}|{{ 'keep\\d' }}")
    c("lit/adjacent_strings", "{{ 'a' 'b' \"c\" }}")
    c("lit/consts", "{{ true }} {{ True }} {{ false }} {{ False }} {{ none }} {{ None }}")
    c("lit/list", "{{ [1, 'a', none, true, 1.5, [2]] }}")
    c("lit/tuple", "{{ (1,) }} {{ () }} {{ (1, 'b') }} {{ 1, 2 }}")
    c("lit/dict", "{{ {'a': 1, 'b': [1, 2], 3: none} }}")
    c("lit/dict_dup_keys", "{{ {1: 'a', 1.0: 'b', true: 'c'} }}")
    c("lit/trailing_commas", "{{ [1, 2,] }} {{ {'a': 1,} }} {{ (1, 2,) }}")
    c("lit/repr_quotes", "{{ [\"it's\", 'say \"x\"', 'both \\' and \"', 'plain'] }}")
    c("lit/repr_unicode", "{{ [uni, 'é', '\\x7f\\x01\\n\\t\\r\\\\'] }}")
    c("lit/str_of_values", "{{ t }} {{ nothing }} {{ n }} {{ f }} {{ d }} {{ msgs[0] }}")


def expressions():
    c("expr/getattr_dict", "{{ msgs[0].role }} {{ msgs[1]['content'] }} {{ d.c.x }} {{ d['c']['x'] }}")
    c("expr/getattr_prefers_method", "{{ d.items is callable }} {{ d['items'] }} {{ d.get is callable }} {{ d['get'] }} {{ d.values is callable }}")
    c("expr/missing_attr_prints_empty", "[{{ d.missing }}][{{ msgs[0].nope }}][{{ nothing.x }}]")
    c("expr/missing_item_prints_empty", "[{{ xs[10] }}][{{ d['zz'] }}][{{ s[99] }}][{{ n[0] }}][{{ xs['a'] }}]")
    c("expr/dot_integer", "{{ xs.0 }} {{ nested.1.0 }}")
    c("expr/negative_index", "{{ xs[-1] }} {{ s[-1] }} {{ msgs[-1].content }}")
    c("expr/slices", "{{ xs[::-1] }} {{ xs[1:] }} {{ xs[:-1] }} {{ xs[::2] }} {{ xs[5:] }} {{ xs[-2:] }}")
    c("expr/string_slices", "{{ s[::-1] }} {{ s[:5] }} {{ s[6:] }} {{ uni[::-1] }} {{ uni[1:3] }}")
    c("expr/slice_of_msgs", "{% for m in msgs[1:] %}{{ m.role }},{% endfor %}{% for m in msgs[::-1] %}{{ m.role }};{% endfor %}")
    c("expr/filter_binds_tighter", "{{ xs|length - 1 }} {{ -1|abs }} {{ xs|length * 2 }} {{ s|upper ~ '!' }}")
    c("expr/neg_pow", "{{ -2 ** 2 }} {{ 2 ** 3 ** 2 }} {{ (-2) ** 2 }} {{ 2 ** -1 }} {{ 2 ** 10 }}")
    c("expr/arith", "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ -7 % 3 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 1 / 4 }} {{ 3 - 5 }} {{ 2 * 3.0 }}")
    c("expr/bool_is_int", "{{ true + 1 }} {{ true * 3 }} {{ false - 1 }} {{ [1, 2][true] }} {{ true == 1 }} {{ 1.0 == 1 }}")
    c("expr/seq_arith", "{{ 'ab' * 3 }} {{ 3 * 'x' }} {{ [1] * 3 }} {{ [1] + [2] }} {{ 'a' + 'b' }} {{ (1,) + (2,) }} {{ 'x' * 0 }}{{ 'x' * -1 }}")
    c("expr/concat", "{{ 1 ~ 2.0 ~ none ~ true ~ [1] ~ 'x' ~ missing }}")
    c("expr/and_or_operands", "{{ 0 or 'x' }}|{{ '' and 1 }}|{{ none or [] }}|{{ 1 and 2 }}|{{ [] or {} }}|{{ 'a' or missing }}")
    c("expr/not", "{{ not 0 }} {{ not 'a' }} {{ not none }} {{ not [] }} {{ not missing }}")
    c("expr/in", "{{ 'ell' in s }} {{ 'z' in s }} {{ 1 in xs }} {{ 'a' in d }} {{ 'zz' not in d }} {{ 'x' in missing }} {{ 1.0 in xs }}")
    c("expr/compare", "{{ 1 < 2 }} {{ 2 <= 2 }} {{ 'a' < 'b' }} {{ 'B' < 'a' }} {{ [1, 2] < [1, 3] }} {{ 1 != 1.0 }} {{ none == none }}")
    c("expr/chained_compare", "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 1 == 1 == 1.0 }} {{ 3 > 2 >= 2 }}")
    c("expr/eq_types", "{{ 1 == '1' }} {{ [1] == (1,) }} {{ {'a': 1} == {'a': 1.0} }} {{ missing == missing }} {{ missing == none }}")
    c("expr/condexpr", "{{ 'y' if t else 'n' }} {{ 'y' if nothing else 'n' }} [{{ 'y' if false }}] {{ 1 if false else 2 if true else 3 }}")
    c("expr/calls_kwargs", "{% macro m(a, b=2, c=3) %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(1) }} {{ m(1, c=9) }} {{ m(c=7, a=0) }} {{ m(*[4, 5]) }} {{ m(1, **{'b': 8}) }}")
    c("expr/paren_precedence", "{{ (1 + 2) * 3 }} {{ 1 + 2 * 3 }} {{ (xs|length) - 1 }} {{ not (1 and 0) }}")
    c("expr/string_compare_unicode", "{{ 'é' > 'z' }} {{ '😀' > '\\uffff' }} {{ 'a' < 'aa' }}")


def statements():
    c("stmt/if_elif_else", "{% for x in [1, 2, 3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %} {% endfor %}")
    c("stmt/if_undefined_falsy", "{% if missing %}yes{% else %}no{% endif %}{% if missing is defined %}d{% endif %}")
    c("stmt/for_else", "{% for x in [] %}x{% else %}empty{% endfor %}{% for x in missing %}x{% else %}none{% endfor %}")
    c("stmt/for_unpack_items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}")
    c("stmt/for_dict_keys", "{% for k in d %}{{ k }},{% endfor %}")
    c("stmt/for_string", "{% for ch in 'héy' %}[{{ ch }}]{% endfor %}")
    c("stmt/for_filter", "{% for x in xs if x > 1 %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% endfor %}")
    c("stmt/for_nested_unpack", "{% for a, (b, c) in [[1, [2, 3]]] %}{{ a }}{{ b }}{{ c }}{% endfor %}")
    c("stmt/loop_vars", "{% for x in xs %}{{ loop.index }} {{ loop.index0 }} {{ loop.revindex }} {{ loop.revindex0 }} {{ loop.first }} {{ loop.last }} {{ loop.length }}|{% endfor %}")
    c("stmt/loop_prev_next", "{% for x in xs %}[{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }}]{% endfor %}")
    c("stmt/loop_prev_defined", "{% for x in xs %}{{ loop.previtem is defined }}{{ loop.nextitem is defined }} {% endfor %}")
    c("stmt/loop_cycle", "{% for x in xs %}{{ loop.cycle('odd', 'even') }} {% endfor %}")
    c("stmt/loop_changed", "{% for x in [1, 1, 2, 2, 1] %}{{ loop.changed(x) }} {% endfor %}")
    c("stmt/loop_depth", "{% for x in [1] %}{{ loop.depth }}{{ loop.depth0 }}{% endfor %}")
    c("stmt/nested_loop_var", "{% for a in [1, 2] %}{% set outer = loop %}{% for b in 'xy' %}{{ outer.index }}{{ loop.index }}{{ b }} {% endfor %}{% endfor %}")
    c("stmt/break_continue", "{% for x in range(10) %}{% if x is odd %}{% continue %}{% endif %}{% if x > 6 %}{% break %}{% endif %}{{ x }}{% endfor %}")
    c("stmt/break_in_nested", "{% for a in [1, 2] %}{% for b in [1, 2, 3] %}{% if b == 2 %}{% break %}{% endif %}{{ a }}{{ b }} {% endfor %}{% endfor %}")
    c("stmt/set_simple", "{% set x = 5 %}{% set y = x * 2 %}{{ x }} {{ y }}")
    c("stmt/set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set (c, d) = [3, 4] %}{{ c }}{{ d }}")
    c("stmt/set_block", "{% set x %}  hello {{ s }}\n{% endset %}[{{ x }}]")
    c("stmt/set_block_filter", "{% set x | upper | trim %}  hello  {% endset %}[{{ x }}]")
    c("stmt/namespace", "{% set ns = namespace(count=0, last=none) %}{% for m in msgs %}{% set ns.count = ns.count + 1 %}{% set ns.last = m.role %}{% endfor %}{{ ns.count }} {{ ns.last }}")
    c("stmt/namespace_dict_arg", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns.c }}|{{ ns['a'] }}")
    c("stmt/namespace_expr", "{% set ns = namespace(i=msgs|length - 1, flag=true) %}{{ ns.i }} {{ ns.flag }}")
    c("stmt/namespace_repr", "{{ namespace(a=1) }}")
    c("stmt/scope_loop_set_local", "{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = x + 10 %}{{ x }} {% endfor %}{{ x }}")
    c("stmt/scope_loop_fresh_each_iter", "{% for i in [1, 2] %}[{{ y }}]{% set y = i %}{% endfor %}[{{ y }}]")
    c("stmt/scope_if_leaks", "{% if true %}{% set z = 5 %}{% endif %}{{ z }}")
    c("stmt/scope_loop_var_gone", "{% for i in [1] %}{% endfor %}[{{ i }}]")
    c("stmt/scope_for_else", "{% for i in [] %}{% else %}{% set q = 1 %}{{ q }}{% endfor %}[{{ q }}]")
    c("stmt/shadow_context", "{% set msgs = msgs[1:] %}{{ msgs|length }}{% for msgs in [1] %}{{ msgs }}{% endfor %}{{ msgs|length }}")
    c("stmt/macro", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', '?') }}")
    c("stmt/macro_missing_param", "{% macro m(a, b) %}[{{ a }}][{{ b }}][{{ b is defined }}]{% endmacro %}{{ m(1) }}")
    c("stmt/macro_varargs_kwargs", "{% macro m(a) %}{{ a }} {{ varargs }} {{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}")
    c("stmt/macro_sees_later_toplevel", "{% set v = 1 %}{% macro m() %}{{ v }}{% endmacro %}{% set v = 2 %}{{ m() }}")
    c("stmt/macro_not_caller_scope", "{% macro m() %}[{{ i }}]{% endmacro %}{% for i in [7] %}{{ m() }}{% endfor %}")
    c("stmt/macro_recursion", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}")
    c("stmt/macro_default_uses_param", "{% macro m(a, b=a * 2) %}{{ a }},{{ b }}{% endmacro %}{{ m(3) }}")
    c("stmt/macro_repr", "{% macro m() %}{% endmacro %}{{ m }}")
    c("stmt/call_block", "{% macro box(title) %}[{{ title }}: {{ caller() }}]{% endmacro %}{% call box('T') %}inside {{ s }}{% endcall %}")
    c("stmt/call_block_args", "{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(x) each([1, 2]) %}<{{ x }}>{% endcall %}")
    c("stmt/filter_block", "{% filter upper %}hello {{ s }}{% endfilter %}|{% filter replace('a', 'b') | trim %}  banana  {% endfilter %}")
    c("stmt/with", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]{% set x = 5 %}{% with x = x + 1, y = x %}{{ x }}{{ y }}{% endwith %}")
    c("stmt/print_tag", "{% print 'a', 1 %}")
    c("stmt/generation", "{% for m in msgs %}{% generation %}{{ m.content }}{% set g = 1 %}{% endgeneration %};{% endfor %}[{{ g }}]")
    c("stmt/generation_ws", "a\n  {% generation %}\n  x\n  {% endgeneration %}\nb")
    c("stmt/comment_anywhere", "a{# {{ not parsed }} {% if %} #}b")
    c("stmt/colon_after_tag", "{% if true: %}x{% endif %}{% for i in [1]: %}{{ i }}{% endfor %}")


def filters():
    c("flt/length_count", "{{ xs|length }} {{ s|length }} {{ d|count }} {{ uni|length }} {{ missing|length }} {{ (1, 2)|length }}")
    c("flt/tojson_basic", "{{ d|tojson }}|{{ msgs|tojson }}|{{ 'a\"b\\\\c\\n\\t</x>&<'|tojson }}|{{ uni|tojson }}")
    c("flt/tojson_scalars", "{{ none|tojson }} {{ true|tojson }} {{ 1.0|tojson }} {{ 1e-7|tojson }} {{ 3|tojson }} {{ (1, 'a')|tojson }} {{ [] | tojson }} {{ {} | tojson }}")
    c("flt/tojson_indent", "{{ d|tojson(indent=2) }}\n{{ [1, [2, {}], []]|tojson(indent=4) }}\n{{ {'a': 1}|tojson(indent=0) }}\n{{ {'a': [1]}|tojson(indent='\\t') }}")
    c("flt/tojson_options", "{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }} {{ {'a': [1, 2]}|tojson(separators=(',', ':')) }} {{ uni|tojson(ensure_ascii=true) }}")
    c("flt/tojson_keys", "{{ {1: 'a', true: 'b', none: 'c', 1.5: 'd'}|tojson }}")
    c("flt/tojson_control_chars", "{{ '\\x00\\x1f\\x7f\\b\\f'|tojson }} {{ '\\x00\\x7f'|tojson(ensure_ascii=true) }}")
    c("flt/trim", "[{{ '  a b  '|trim }}][{{ 'xxaxx'|trim('x') }}][{{ '\\n\\ta\\u00a0'|trim }}][{{ missing|trim }}][{{ 5|trim }}]")
    c("flt/case", "{{ s|upper }} {{ s|lower }} {{ 'hello wORLD'|title }} {{ 'hello wORLD'|capitalize }} {{ \"they're bill's-friends (x)\"|title }} {{ 'ß'|upper }}")
    c("flt/default", "{{ missing|default('dflt') }} {{ ''|default('e') }} {{ ''|default('e', true) }} {{ none|default('n') }} {{ none|d('n', boolean=true) }} {{ missing|d }}")
    c("flt/join", "{{ xs|join(', ') }} {{ xs|join }} {{ people|join('/', attribute='name') }} {{ [1, none, 'a']|join('-') }}")
    c("flt/first_last", "{{ xs|first }} {{ xs|last }} {{ 'abc'|first }} {{ 'abc'|last }} [{{ []|first }}] {{ d|first }}")
    c("flt/list_string", "{{ 'abc'|list }} {{ d|list }} {{ 5|string }} {{ none|string ~ '!' }} {{ xs|string }}")
    c("flt/int_float", "{{ '  12 '|int }} {{ '1_000'|int }} {{ '4.7'|int }} {{ 'abc'|int(5) }} {{ '0x1A'|int(0, 16) }} {{ 'ff'|int(base=16) }} {{ 3.99|int }} {{ true|int }} {{ none|int }}")
    c("flt/float", "{{ ' 1e3 '|float }} {{ '1_0.5'|float }} {{ 'x'|float }} {{ 'x'|float(1.5) }} {{ 3|float }} {{ '-inf'|float }} {{ '.5'|float }} {{ '5.'|float }}")
    c("flt/replace", "{{ s|replace('o', '0') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'ab'|replace('', '-') }} {{ 5|replace('5', 'five') }}")
    c("flt/selectattr", "{{ msgs|selectattr('role', 'equalto', 'user')|list }} {{ people|selectattr('city')|map(attribute='name')|list }} {{ people|selectattr('city', 'none')|list|length }}")
    c("flt/selectattr_tests", "{{ people|selectattr('city', 'defined')|list|length }} {{ people|selectattr('name', 'string')|list|length }} {{ people|selectattr('age', 'gt', 30)|map(attribute='name')|join }} {{ people|selectattr('age', '==', 25)|map(attribute='name')|join }}")
    c("flt/rejectattr", "{{ msgs|rejectattr('role', 'eq', 'system')|map(attribute='role')|join(',') }} {{ people|rejectattr('tags')|map(attribute='name')|join }}")
    c("flt/select_reject", "{{ [0, 1, 2, 3, '', 'a']|select|list }} {{ range(10)|select('odd')|list }} {{ range(10)|reject('divisibleby', 3)|list }} {{ [1, none, 2]|reject('none')|list }} {{ xs|select('in', [1, 2])|list }}")
    c("flt/map", "{{ msgs|map(attribute='role')|list }} {{ ['a', 'b']|map('upper')|join }} {{ people|map(attribute='city', default='?')|list }} {{ ['1', '2']|map('int')|sum }} {{ people[:1]|map(attribute='tags.0')|list }}")
    c("flt/map_filter_args", "{{ ['a b', 'c']|map('replace', ' ', '_')|list }} {{ [' x ']|map('trim')|first }}")
    c("flt/items", "{{ d|items|list }} {% for k, v in {'x': 1}|items %}{{ k }}{{ v }}{% endfor %}{{ missing|items|list }}")
    c("flt/indent", "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb\\n\\nc'|indent(2, true, true) }}|{{ 'a\\nb'|indent('> ') }}|{{ 'a\\nb\\n'|indent(first=true) }}|{{ ''|indent }}")
    c("flt/safe_escape", "{{ '<b>'|safe }} {{ '<b>&\"\\''|e }} {{ '<b>'|escape|length }} {{ ('<b>'|safe) ~ '<i>' }} {{ ('<b>'|safe) + '<i>' }} {{ '<i>' + ('<b>'|safe) }} {{ '<x>'|safe|forceescape }}")
    c("flt/abs_round", "{{ -3|abs }} {{ -2.5|abs }} {{ 2.5|round }} {{ 3.5|round }} {{ 3|round }} {{ 2.675|round(2) }} {{ -2.5|round }} {{ 17|round(-1) }} {{ 2.1|round(0, 'ceil') }} {{ 2.9|round(0, 'floor') }} {{ 15|round(-1, 'floor') }} {{ -0.4|round }}")
    c("flt/sort", "{{ xs|sort }} {{ words|sort }} {{ words|sort(case_sensitive=true) }} {{ xs|sort(reverse=true) }} {{ people|sort(attribute='age')|map(attribute='name')|join }} {{ people|sort(attribute='age,name')|map(attribute='name')|join }} {{ people|sort(attribute='name', reverse=true)|map(attribute='name')|join }}")
    c("flt/unique", "{{ words|unique|list }} {{ words|unique(case_sensitive=true)|list }} {{ people|unique(attribute='age')|map(attribute='name')|list }} {{ [1, 1.0, true, 2]|unique|list }}")
    c("flt/reverse", "{{ xs|reverse|list }} {{ 'abc'|reverse }} {{ uni|reverse }} {{ d|reverse|list }} {% for x in xs|reverse %}{{ x }}{% endfor %}")
    c("flt/sum_min_max", "{{ xs|sum }} {{ xs|sum(start=10) }} {{ people|sum(attribute='age') }} {{ xs|min }} {{ xs|max }} {{ words|min }} {{ words|max }} {{ words|max(case_sensitive=true) }} {{ people|max(attribute='age')|attr('name') }} [{{ []|max }}] {{ [1.5, 2]|sum }}")
    c("flt/wordcount_center", "{{ 'Hello, world! foo_bar 42'|wordcount }} [{{ 'x'|center(5) }}] [{{ 'ab'|center(5) }}] [{{ 'abc'|center(2) }}]")
    c("flt/truncate", "{{ 'foo bar baz qux'|truncate(9) }}|{{ 'foo bar baz qux'|truncate(9, true) }}|{{ 'foo bar baz qux'|truncate(11) }}|{{ 'foo bar baz qux'|truncate(11, false, '...', 0) }}|{{ 'foo bar'|truncate(5, end='~', leeway=0) }}")
    c("flt/dictsort", "{{ {'b': 1, 'A': 3, 'c': 2}|dictsort }} {{ {'b': 1, 'A': 3, 'c': 2}|dictsort(true) }} {{ {'b': 1, 'A': 3, 'c': 2}|dictsort(by='value') }} {{ {'b': 1, 'a': 3}|dictsort(reverse=true) }}")
    c("flt/batch_slice", "{{ range(5)|batch(2)|list }} {{ range(5)|batch(2, 0)|list }} {{ range(5)|slice(2)|list }} {{ range(5)|slice(3, 'x')|list }}")
    c("flt/attr", "{{ d|attr('a') }}[{{ d|attr('get') is callable }}]{{ namespace(q=3)|attr('q') }}[{{ s|attr('nope') }}]")
    c("flt/format", "{{ '%s-%d'|format('a', 3) }} {{ '%(x)s!'|format(x='y') }} {{ '%05.2f|%-4s|%x'|format(3.14159, 'ab', 255) }}")
    c("flt/chains", "{{ msgs|map(attribute='content')|map('upper')|select('ne', 'SYS')|join(' ') }}")
    c("flt/generator_truthy", "{% if msgs|selectattr('role', 'eq', 'nobody') %}truthy{% endif %} {{ msgs|selectattr('role', 'eq', 'nobody')|list|length }}")
    c("flt/generator_one_shot", "{% set g = xs|map('string') %}{{ g|join }}|{{ g|join }}|{{ g|list }}")
    c("flt/undefined_inputs", "[{{ missing|upper }}][{{ missing|join }}][{{ missing|list }}][{{ missing|first }}][{{ missing|string }}][{{ missing|select|list }}][{{ missing|sort }}][{{ missing|reverse|list }}]")
    c("flt/string_filters_on_numbers", "{{ 5|upper }} {{ none|lower }} {{ 3.0|title }} {{ true|capitalize }}")


def tests():
    c("test/defined", "{{ s is defined }} {{ missing is defined }} {{ missing is undefined }} {{ nothing is defined }} {{ d.zz is defined }} {{ msgs[0].role is defined }}")
    c("test/none", "{{ nothing is none }} {{ missing is none }} {{ 0 is none }} {{ nothing is not none }} {{ missing is not none }}")
    c("test/types", "{{ s is string }} {{ n is string }} {{ n is number }} {{ f is number }} {{ t is number }} {{ n is integer }} {{ t is integer }} {{ f is float }} {{ n is float }} {{ t is boolean }} {{ 1 is boolean }}")
    c("test/true_false", "{{ true is true }} {{ 1 is true }} {{ false is false }} {{ 0 is false }} {{ none is false }}")
    c("test/containers", "{{ d is mapping }} {{ msgs is mapping }} {{ msgs is iterable }} {{ s is iterable }} {{ n is iterable }} {{ msgs is sequence }} {{ s is sequence }} {{ d is sequence }} {{ n is sequence }} {{ missing is iterable }}")
    c("test/callable", "{{ range is callable }} {{ s.upper is callable }} {{ s is callable }} {{ namespace is callable }}")
    c("test/compare_tests", "{{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 1 is ne 2 }} {{ 1 is lt 2 }} {{ 2 is le 2 }} {{ 3 is gt 2 }} {{ 2 is ge 3 }} {{ 3 is greaterthan 1 }} {{ 1 is lessthan 0 }} {{ [1, 2, 3]|select('<', 3)|list }} {{ [1, 2]|select('!=', 1)|list }}")
    c("test/in", "{{ 1 is in xs }} {{ 'a' is in d }} {{ 'ell' is in s }} {{ 9 is in xs }}")
    c("test/numbers", "{{ 3 is odd }} {{ 3 is even }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ -3 is odd }} {{ 2.0 is even }}")
    c("test/case", "{{ 'abc' is lower }} {{ 'aBc' is lower }} {{ 'ABC' is upper }} {{ '123' is lower }} {{ 'A1' is upper }}")
    c("test/sameas", "{{ none is sameas none }} {{ false is sameas false }} {{ 0 is sameas false }} {{ 1 is sameas 1 }} {{ xs is sameas xs }}")
    c("test/negated", "{{ s is not string }} {{ n is not odd }} {{ not s is string }}")
    c("test/filter_test_names", "{{ 'upper' is filter }} {{ 'nope' is filter }} {{ 'odd' is test }} {{ 'nope' is test }}")
    c("test/escaped", "{{ s is escaped }} {{ (s|safe) is escaped }}")
    c("test/test_precedence", "{{ msgs|length is odd }} {{ 1 + 2 is odd }} {{ not 1 is odd }}")
    c("test/unknown_test_in_if", "{% if false %}{{ x is nosuchtest }}{% endif %}ok")


def methods():
    c("meth/startswith", "{{ s.startswith('Hell') }} {{ s.startswith(('x', 'He')) }} {{ s.endswith('ld') }} {{ s.endswith(('a', 'b')) }} {{ s.startswith('World', 6) }} {{ s.startswith('H', 1) }} {{ s.endswith('Hello', 0, 5) }}")
    c("meth/strip", "[{{ '  a  '.strip() }}][{{ '\\n\\nx\\n'.strip('\\n') }}][{{ '\\n\\nx\\n'.lstrip('\\n') }}][{{ '\\n\\nx\\n'.rstrip('\\n') }}][{{ 'xyaxy'.strip('yx') }}][{{ '\\u00a0a '.strip() }}][{{ 'a'.strip(none) }}]")
    c("meth/split", "{{ 'a b  c'.split() }} {{ '  a  b  '.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ '  a  b  c  '.split(none, 1) }} {{ ''.split(',') }} {{ ''.split() }} {{ 'a</think>b</think>c'.split('</think>') }}")
    c("meth/rsplit", "{{ 'a,b,c'.rsplit(',', 1) }} {{ '  a  b  c  '.rsplit(none, 1) }} {{ 'a b c'.rsplit() }} {{ 'a,b'.rsplit(',') }}")
    c("meth/split_index", "{{ 'x</think>\\n\\nans'.split('</think>')[-1].lstrip('\\n') }}|{{ 'a<think>\\nr\\n</think>b'.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}")
    c("meth/splitlines", "{{ 'a\\nb\\r\\nc\\rd\\x0be\\x1cf\\u2028g'.splitlines() }} {{ 'a\\nb\\n'.splitlines(true) }} {{ ''.splitlines() }}")
    c("meth/case", "{{ 'aBc'.lower() }} {{ 'aBc'.upper() }} {{ \"they're bill's\".title() }} {{ 'hELLO wORLD'.capitalize() }} {{ 'aBc'.swapcase() }}")
    c("meth/replace", "{{ 'aaa'.replace('a', 'b') }} {{ 'aaa'.replace('a', 'b', 1) }} {{ 'ab'.replace('', '|') }} {{ 'ab'.replace('', '|', 2) }}")
    c("meth/find", "{{ s.find('o') }} {{ s.rfind('o') }} {{ s.find('z') }} {{ s.index('W') }} {{ s.rindex('l') }} {{ s.find('o', 5) }} {{ s.find('o', 5, 7) }} {{ uni.find('😀') }} {{ s.count('l') }} {{ s.count('') }} {{ 'aaaa'.count('aa') }}")
    c("meth/join", "{{ ', '.join(['a', 'b']) }} {{ ''.join(words) }} {{ '-'.join('abc') }} {{ '/'.join(d) }}")
    c("meth/format", "{{ '{} and {}'.format('a', 'b') }} {{ '{0}{1}{0}'.format('x', 'y') }} {{ '{name}!'.format(name='N') }} {{ '{{}} {}'.format(1) }} {{ '{0[role]} {1.a}'.format(msgs[0], d) }} {{ '{:>5}|{:<3}|{:^7}'.format('a', 'b', 'c') }} {{ '{:05d} {:.2f} {:,} {:+d} {:x} {:.1%}'.format(42, 3.14159, 1234567, 5, 255, 0.256) }} {{ '{!r}'.format('q') }}")
    c("meth/is", "{{ '123'.isdigit() }} {{ '12a'.isdigit() }} {{ 'abc'.isalpha() }} {{ ' \\t'.isspace() }} {{ ''.isspace() }} {{ 'a1'.isalnum() }} {{ 'abc'.islower() }} {{ 'ABC'.isupper() }} {{ '½'.isnumeric() }} {{ '²'.isdigit() }}")
    c("meth/prefix_suffix", "{{ 'prefix-x'.removeprefix('prefix-') }} {{ 'x.txt'.removesuffix('.txt') }} {{ 'x'.removeprefix('y') }} {{ 'x'.removesuffix('') }}")
    c("meth/justify", "[{{ 'a'.center(5, '*') }}][{{ 'a'.ljust(3) }}][{{ 'a'.rjust(3, '0') }}][{{ '-5'.zfill(4) }}][{{ 'ab'.center(1) }}]")
    c("meth/partition", "{{ 'a=b=c'.partition('=') }} {{ 'a=b=c'.rpartition('=') }} {{ 'abc'.partition('x') }}")
    c("meth/dict", "{{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 'dflt') }} {{ d.keys()|list }} {{ d.values()|list|length }} {{ d.items()|list|first }} {{ d.keys() }} {{ {'a': 1}.items() }} {{ {'a': 1}.values() }} {{ 'a' in d.keys() }} {{ d.keys()|length }}")
    c("meth/dict_copy", "{% set c2 = d.copy() %}{{ c2 == d }} {{ c2 is sameas d }}")
    c("meth/list", "{{ xs.index(1) }} {{ xs.count(3) }} {{ [1, 2, 1].count(1) }} {{ (1, 2).index(2) }} {{ xs.copy() }}")
    c("meth/content_methods", "{% for m in msgs %}{{ m.content.upper() }}{{ m['role'].startswith('s') }} {% endfor %}")


def globals_():
    c("glob/range", "{{ range(3)|list }} {{ range(1, 4)|list }} {{ range(10, 0, -3)|list }} {{ range(0)|list }} {{ range(5) }} {{ range(1, 9, 2) }} {{ range(4)|length }} {{ 2 in range(3) }} {{ range(5)[1:3]|list }} {{ range(5)[-1] }}")
    c("glob/dict", "{{ dict(a=1, b=2) }} {{ dict() }} {{ dict({'x': 1}, y=2) }} {{ dict([['k', 'v']]) }}")
    c("glob/raise_in_branch_not_taken", "{% if false %}{{ raise_exception('never') }}{% endif %}fine")
    c("glob/strftime", "{{ strftime_now('%Y-%m-%d %H:%M:%S') }}|{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%-d %B %Y, %A %a %I%p %j %y %%') }}|{{ strftime_now('%e|%U|%W|%w|%u') }}")
    c("glob/strftime_locale", "{{ strftime_now('%c') }}|{{ strftime_now('%x %X') }}|{{ strftime_now('%F %T %D %R') }}")
    c("glob/cycler", "{% set cy = cycler('a', 'b') %}{{ cy.next() }}{{ cy.next() }}{{ cy.next() }}{{ cy.current }}{% set _ = cy.reset() %}{{ cy.next() }}")
    c("glob/joiner", "{% set j = joiner(' | ') %}{% for x in xs %}{{ j() }}{{ x }}{% endfor %}")
    c("glob/context_shadows_global", "{{ range }}", {"range": "mine"})


def errors():
    e("err/undefined_attr_of_undefined", "{{ missing.attr }}")
    e("err/undefined_item_of_undefined", "{{ missing['k'] }}")
    e("err/attr_of_missing_key", "{{ d.zz.yy }}")
    e("err/element_of_missing_index", "{{ xs[10].a }}")
    e("err/undefined_call", "{{ missing() }}")
    e("err/undefined_arith", "{{ missing + 1 }}")
    e("err/undefined_compare", "{{ missing < 1 }}")
    e("err/undefined_tojson", "{{ missing|tojson }}", error_contains="not JSON serializable")
    e("err/cond_no_else_attr", "{{ (1 if false).x }}")
    e("err/list_append", "{{ msgs.append({'role': 'x'}) }}")
    e("err/list_pop", "{% set x = xs.pop() %}")
    e("err/dict_update", "{% set _ = d.update({'a': 2}) %}")
    e("err/dict_setdefault", "{{ d.setdefault('q', 1) }}")
    e("err/dunder", "{{ s.__class__() }}")
    e("err/raise_exception", "{% if msgs[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}")
    e("err/raise_exception_line", "line1\n{%- for m in msgs %}\n  {%- if m.role == 'assistant' %}\n    {{- raise_exception('Bad role: ' + m.role) }}\n  {%- endif %}\n{%- endfor %}")
    e("err/str_plus_int", "{{ 'a' + 1 }}")
    e("err/int_plus_str", "{{ 1 + 'a' }}")
    e("err/list_plus_str", "{{ xs + 'a' }}")
    e("err/none_plus", "{{ nothing + 'a' }}")
    e("err/div_zero", "{{ 1 / 0 }}")
    e("err/floordiv_zero", "{{ 1 // 0 }}")
    e("err/float_div_zero", "{{ 1.5 / 0 }}")
    e("err/mod_zero", "{{ 5 % 0 }}")
    e("err/compare_types", "{{ 'a' < 1 }}")
    e("err/compare_none", "{{ nothing < 1 }}")
    e("err/in_int", "{{ 1 in 5 }}")
    e("err/in_str_left_int", "{{ 1 in 'abc' }}")
    e("err/unpack_too_few", "{% set a, b = [1] %}")
    e("err/unpack_too_many", "{% for a, b in [[1, 2, 3]] %}{% endfor %}")
    e("err/ns_assign_non_namespace", "{% set x = {} %}{% set x.a = 1 %}")
    e("err/iterate_int", "{% for x in 5 %}{% endfor %}")
    e("err/iterate_none", "{% for x in nothing %}{% endfor %}")
    e("err/len_int", "{{ 5|length }}")
    e("err/len_generator", "{{ xs|select|length }}")
    e("err/slice_step_zero", "{{ xs[::0] }}")
    e("err/slice_bad_index", "{{ xs['a':] }}")
    e("err/not_callable", "{{ s() }}")
    e("err/macro_too_many_args", "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}")
    e("err/macro_bad_kwarg", "{% macro m(a) %}{% endmacro %}{{ m(b=1) }}")
    e("err/range_too_big", "{{ range(1000000)|list|length }}")
    e("err/join_non_str", "{{ ', '.join([1, 2]) }}")
    e("err/split_empty_sep", "{{ 'a'.split('') }}")
    e("err/index_missing", "{{ 'abc'.index('z') }}")
    e("err/list_index_missing", "{{ xs.index(9) }}")
    e("err/sum_strings", "{{ ['a', 'b']|sum }}")
    e("err/sort_mixed", "{{ [1, 'a']|sort }}")
    e("err/items_non_mapping", "{{ xs|items|list }}")
    e("err/unhashable_key", "{{ {[1]: 2} }}")
    e("err/last_of_generator", "{{ xs|select|last }}")
    e("err/unknown_filter_in_taken_if", "{% if true %}{{ x|nofilter }}{% endif %}")
    e("err/dict_get_kwargs", "{{ d.get(key='a') }}")
    e("err/str_format_index", "{{ '{1}'.format('a') }}")
    # Syntax errors (raised at parse time, with the line).
    e("syn/unclosed_if", "a\n{% if true %}\nb")
    e("syn/unclosed_for", "{% for x in xs %}\n{{ x }}\n")
    e("syn/bad_expression", "line 1\nline 2\n{{ 1 + }}")
    e("syn/unknown_tag", "x\n{% frobnicate %}")
    e("syn/do_tag_not_enabled", "{% do xs.append(1) %}")
    e("syn/endif_without_if", "{% endif %}")
    e("syn/nesting_mistake", "{% for x in xs %}{% endif %}{% endfor %}")
    e("syn/unknown_filter", "\n\n{{ x|nofilter }}")
    e("syn/unknown_test", "{{ x is nosuchtest }}")
    e("syn/unclosed_string", "{{ 'abc }}")
    e("syn/unexpected_char", "{{ a ! b }}")
    e("syn/unclosed_paren", "{{ (1 + 2 }}")
    e("syn/missing_end_of_comment", "a {# never closed")
    e("syn/missing_endraw", "{% raw %} x")
    e("syn/break_outside_loop", "{% break %}", error_contains="'break' outside", java_kind="TemplateSyntaxError")
    e("syn/chained_is", "{{ 1 is odd is even }}")
    e("syn/assign_to_const", "{% set true = 1 %}")
    e("syn/elif_after_else", "{% if a %}{% else %}{% elif b %}{% endif %}")
    e("syn/multiline_error_line", "{% if true %}\n  ok\n{% endif %}\n{% for %}")


def more():
    """Combinations and corners, mostly where Python and Java semantics differ."""
    c("more/float_repr_computed", "{{ 1 / 3 * 3 }} {{ 100.0 }} {{ 1e22 }} {{ 1e21 }} {{ 123456789.123456789 }} {{ 2 ** 0.5 }} {{ 3e-4 }} {{ 1.1 * 1.1 }} {{ 9007199254740993.0 }}")
    c("more/repr_odd_chars", "{{ ['\\u2028', '\\x85', 'e\\u0301', '\\U0001F600', '\\u00ad', '\\t'] }} {{ '😀a'.find('a') }} {{ '😀a'|length }} {{ '😀a'[1] }}")
    c("more/percent_op", "{{ '%s' % 'x' }} {{ '%d items' % 3 }} {{ '%s and %s' % ('a', 'b') }} {{ '%(a)s=%(b)d' % {'a': 'k', 'b': 2} }} {{ '%5.1f|' % 2.25 }} {{ '%r' % 'q' }} {{ '100%%' % () }} {{ '%s' % [1, 'a'] }} {{ '%s' % none }} {{ '%.3s' % 'abcdef' }} {{ '%x %X %o' % (255, 255, 8) }} {{ '%e' % 12345.678 }}")
    c("more/dict_items_loop", "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}{{ v }}{{ ',' if not loop.last }}{% endfor %}")
    c("more/prev_tuple", "{% for k, v in d.items() %}{{ loop.previtem }}{% endfor %}")
    c("more/truthiness", "{{ 'T' if d.keys() else 'F' }}{{ 'T' if {}.keys() else 'F' }}{{ 'T' if range(0) else 'F' }}{{ 'T' if (xs|select) else 'F' }}{{ 'T' if 0.0 else 'F' }}{{ 'T' if '0' else 'F' }}{{ 'T' if namespace() else 'F' }}")
    c("more/set_from_call", "{% set a, b = 'k=v'.split('=') %}{{ b }}{{ a }}{% set p = 'x:y'.partition(':') %}{{ p[2] }}")
    c("more/ws_else_chain", "{% for x in [1, 2] -%}\n  {%- if x == 1 -%}\n    one\n  {%- else -%}\n    other\n  {%- endif %}\n{% endfor %}")
    c("more/ws_two_tags_one_line", "  {% if true %}  {% endif %}  \nnext\n  {% if true %}{% endif %}\nlast")
    c("more/ws_mixed_plus_minus", "a\n  {%+ if true -%}\n  b\n  {%- endif +%}\nc")
    c("more/ws_comment_in_loop", "{% for x in xs %}\n  {# about x #}\n  {{ x }}\n{% endfor %}")
    c("more/ws_var_minus_newlines", "{% for x in xs %}\n{{- x -}}\n{% endfor %}")
    c("more/ws_set_block_trim", "{% set x %}\n  body\n{% endset %}[{{ x }}]")
    c("more/ws_macro", "{% macro m(x) %}\n  <{{ x }}>\n{% endmacro %}\n{{ m(1) }}{{ m(2) }}")
    c("more/ws_raw_matrix", "a\n  {% raw %}\n  {{ x }}\n  {% endraw %}\nb")
    c("more/call_caller_default", "{% macro m() %}{{ caller() }}|{{ caller() }}{% endmacro %}{% call m() %}{{ s|lower }}{% endcall %}")
    c("more/undefined_filters", "[{{ missing|upper }}][{{ missing|default(missing)|default('x') }}][{{ missing|length }}][{{ missing|wordcount }}]")
    c("more/nested_repr", "{{ {'k': [{'a': \"it's\"}, (1, 'x'), none, 1.5, true]} }}")
    c("more/str_methods_unicode", "{{ 'ÉCOLE'.lower() }} {{ 'straße'.upper() }} {{ 'ǆemal'.capitalize() }} {{ 'ǆemal'.title() }} {{ 'İ'.lower()|length }}")
    c("more/compare_mixed_num", "{{ 1 < 1.5 }} {{ 2 == 2.0 }} {{ true < 2 }} {{ -0.0 == 0 }} {{ 9007199254740993 == 9007199254740992.0 }} {{ 9007199254740993 > 9007199254740992.0 }}")
    c("more/int_ops", "{{ 2 ** 62 }} {{ -(2 ** 62) }} {{ 7 % 3 }} {{ -7 // -2 }} {{ 0 // 5 }} {{ 5 % 1.5 }} {{ -5 // 1.5 }}")
    c("more/loop_over_range_step", "{% for i in range(10, 0, -2) %}{{ i }}{{ loop.revindex }} {% endfor %}")
    c("more/loop_filter_loopvars", "{% for m in msgs if m.role != 'system' %}{{ loop.index }}{{ m.role }}{{ loop.last }} {% endfor %}")
    c("more/macro_in_loop_closure", "{% for i in [1, 2] %}{% macro m() %}{{ i }}{% endmacro %}{% set i = i * 10 %}{{ m() }} {% endfor %}")
    c("more/tojson_nested_indent", "{{ msgs[:2]|tojson(indent=2, sort_keys=true) }}")
    c("more/tojson_separators_indent", "{{ {'a': [1, 2]}|tojson(indent=1, separators=(';', '=')) }}")
    c("more/tojson_floats", "{{ [0.1, 1e100, 1.5e-10, 2.0, -0.0, 100.0, 123456789012.5]|tojson }}")
    c("more/string_concat_types", "{{ 'a' ~ 1 ~ 1.0 ~ none ~ [1, 'b'] ~ {'k': none} ~ (1,) }}")
    c("more/attr_on_list_is_undefined", "[{{ xs.foo }}][{{ xs.foo is defined }}][{{ s.nope }}][{{ n.real is defined }}]")
    c("more/getitem_method_fallback", "{{ s['upper']() }} {{ msgs[0]['keys']()|list }}")
    c("more/select_equalto_chain", "{% set users = msgs|selectattr('role', 'equalto', 'user')|list %}{{ users|length }} {{ users[0].content }}")
    c("more/system_split_idiom", "{% if msgs[0]['role'] == 'system' %}{% set sys = msgs[0]['content'] %}{% set rest = msgs[1:] %}{% else %}{% set rest = msgs %}{% endif %}{{ sys }}|{{ rest|map(attribute='role')|join(',') }}")
    c("more/length_in_condition", "{% if msgs|length > 2 and msgs[-1].role == 'assistant' %}yes{% endif %}")
    c("more/not_precedence", "{{ not 1 == 2 }} {{ not 'a' in 'abc' }} {{ not 'a' not in 'abc' }} {{ (not 1) == 2 }}")
    c("more/condexpr_nesting", "{{ ('a' if true else 'b') ~ 'c' }} {{ 'a' if false else 'b' ~ 'c' }} {{ 'p' if true else 'q' if true else 'r' }}")
    e("syn/list_comprehension", "{{ [x for x in xs] }}")
    c("scope/loop_reads_outer_before_own_set", "{% set x = 1 %}{% for i in [1, 2] %}{% if i == 2 %}{{ x }}{% endif %}{% set x = 5 %}{% endfor %}")
    c("scope/toplevel_if_set", "[{{ x }}]{% if true %}{% set x = 1 %}{% endif %}[{{ x }}]")
    c("scope/loop_conditional_set", "{% for i in [1, 2] %}{% if i == 1 %}{% set x = 'a' %}{% endif %}[{{ x }}]{% endfor %}")
    c("scope/macro_inner_loop", "{% macro m() %}{% for i in [1] %}{% set y = 2 %}{% endfor %}[{{ y }}]{% endmacro %}{{ m() }}")
    c("scope/macro_local_shadow", "{% set x = 1 %}{% macro m() %}{{ x }}{% set x = 2 %}{{ x }}{% endmacro %}{{ m() }}{{ x }}")
    c("scope/nested_loops", "{% for i in [1] %}{% set x = 1 %}{% for j in [1] %}{{ x }}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}{% endfor %}")
    c("scope/with_empty", "{% with %}{% set w = 1 %}{{ w }}{% endwith %}[{{ w }}]")
    c("more/range_slices", "{{ range(5)[1:3] }} {{ range(5)[::-1] }} {{ range(0, 20, 3)[2:] }} {{ range(10)[8:2:-2]|list }} {{ range(5)[4:1] }}")
    c("more/number_properties", "{{ 1.5.real }} {{ 3.imag }} {{ 7.numerator }} {{ 7.denominator }} {{ 1.5.imag }} {{ true.real }}")
    c("more/int_dot_name", "[{{ 1.e5 }}]")
    c("more/none_attr_chain_defined", "{{ nothing.x is defined }} [{{ nothing.x }}] {{ loop is defined }}")
    e("more/none_attr_chain", "{{ nothing.x.y }}")
    c("more/loop_item_access", "{% for x in xs %}{{ loop['index'] }}{% endfor %}")
    c("more/tojson_positional_ensure_ascii", "{{ 'é'|tojson(2) }} {{ 'é'|tojson(0) }}")
    c("more/percent_undefined", "[{{ '%s' % missing }}]")
    c("more/replace_none", "{{ 'abc'|replace('b', none) }}")
    c("more/round_int_precision", "{{ 3|round(1) }} {{ 3|round(1, 'ceil') }} {{ 3.14159|round(3) }} {{ -3.14159|round(1, 'floor') }}")
    c("more/sequence_filters_on_strings", "{{ 'cab'|sort }} {{ 'abca'|unique|join }} {{ 'abc'|min }} {{ 'abc'|reverse }} {{ 'ab'|list|reverse|join }} {{ (1, 2)|reverse|list }}")
    c("more/dict_filters", "{{ d|sort }} {{ d|min }} {{ d|last }} {{ {'b': 1, 'a': 2}|first }}")
    c("more/keyword_named_in", "{{ dict(in=1, is=2, not=3) }}")
    c("more/trailing_comma_call", "{{ dict(a=1,) }} {{ range(3,)|list }}")
    c("more/markup_filters", "{{ ('<a>'|safe)|upper }} {{ ('<a>'|safe)|replace('a', '<') }} {{ ('<a>'|safe)|string ~ '<' }} {{ ('<a>'|safe)|length }} {{ ('<a>'|safe) == '<a>' }} {{ '<' in ('<a>'|safe) }} {{ ('<a>'|safe)|tojson }} {{ ('<a>'|safe)|e }}")
    c("more/for_else_after_continue", "{% for x in [1, 2] %}{% continue %}{% else %}E{% endfor %}|{% for x in [1, 2] %}{% if x == 2 %}{% continue %}{% endif %}{{ x }}{% else %}E{% endfor %}")
    c("more/for_else_after_break", "{% for x in [1, 2] %}{% break %}{% else %}E{% endfor %}|{% for x in [1, 2] %}{% if x == 2 %}{% break %}{% endif %}{{ x }}{% else %}E{% endfor %}")
    c("more/neg_const_pow_quirk", "{{ -3 ** n }} {{ (-2) ** n }} {{ -2 ** 2 }} {{ (0 - 2) ** n }} {{ -n ** 2 }} {{ -2.0 ** n }}", {"n": 2})
    c("more/map_falsy_nonsequence", "{{ false|map('string')|list }} {{ none|map(attribute='x')|list }} {{ 0|select|list }}")
    c("more/percent_list_is_mapping_like", "{{ 'x' % [1, 2] }} {{ '%s' % [1, 2] }} {{ 'x' % {'a': 1} }}")
    c("more/truncate_non_strings", "{{ [1, 2]|truncate(5) }} {{ 'abc'|truncate(3) }}")
    e("more/truncate_bool", "{{ true|truncate(4) }}")
    e("more/indent_list", "{{ msgs|indent(2) }}")
    e("more/indent_bool", "{{ true|indent(2) }}")
    e("more/indent_undefined", "{{ missing|indent(2) }}")
    e("more/reverse_int", "{{ 5|reverse }}")
    e("more/dictsort_list", "{{ xs|dictsort }}")
    e("more/round_undefined", "{{ missing|round }}")
    e("more/abs_undefined", "{{ missing|abs }}")
    e("more/dict_view_unhashable", "{{ d.items() in d }}")
    c("more/float_format_no_type", "[{{ '{:>8}'.format(2.5) }}][{{ '{:<6}|{:+}'.format(0.1, 1.5) }}]")
    c("lex/open_comment_at_end", "text{#")
    c("lex/open_raw_at_end", "a{% raw %}")
    e("syn/parse_error_beats_unknown_filter", "{{ x|nosuch }}\n{% if %}")
    e("syn/parse_error_beats_lex_error_later", "{{ x }}\n{% %}\n{{ ! }}")
    e("syn/eof_line_is_last_token", "a\n{% if true %}\n\n\n")
    c("lex/unicode_name", "{% set café = 1 %}{{ café }}")
    c("lex/dot_int_chain", "{{ nested.0.1 }} {{ nested.1.0 }}")
    c("more/condexpr_in_args", "{{ ['x', 'y']|join('-' if true else '+') }} {{ (1 if false else 2) + 1 }}")
    c("more/dict_literal_keys", "{{ {'a': 1, 'b': 2}['b'] }} {{ {1: 'one'}[1] }} {{ {1: 'one'}[1.0] }} {{ {true: 'T'}[1] }}")
    c("more/in_dict_values_items", "{{ 1 in d.values() }} {{ ('a', 1) in d.items() }} {{ 'a' in d.items() }}")
    c("more/list_equality_in", "{{ [1, 2] in nested }} {{ [1, 2] in [[1, 2.0]] }} {{ (1, 2) in [[1, 2]] }}")
    c("more/strip_chars_unicode", "{{ '😀a😀'.strip('😀') }} {{ 'xx'.lstrip('') }}|{{ '--a--'.rstrip('-') }}")
    c("more/split_maxsplit_kw", "{{ 'a b c'.split(maxsplit=1) }} {{ 'a,b,c'.split(sep=',', maxsplit=0) }} {{ 'a b'.rsplit(maxsplit=0) }}")
    c("more/startswith_empty", "{{ 'abc'.startswith('') }} {{ 'abc'.startswith('', 5) }} {{ ''.endswith('') }} {{ 'abc'.endswith('c', -1) }}")
    c("more/count_find_windows", "{{ 'abcabc'.count('bc', 2) }} {{ 'abcabc'.rfind('a', 0, 3) }} {{ 'abc'.find('', 10) }} {{ 'abc'.find('') }} {{ 'abc'.rfind('') }}")
    c("more/title_filter_vs_method", "{{ 'hello-world foo_bar'|title }} {{ 'hello-world foo_bar'.title() }} {{ 'a1b2'|title }} {{ 'a1b2'.title() }}")
    c("more/wordcount_unicode", "{{ 'naïve café, 日本語 x_y 3.14'|wordcount }}")
    c("more/center_unicode", "[{{ 'é'|center(4) }}][{{ '😀'.center(4, '*') }}]")
    c("more/batch_in_loop", "{% for row in range(7)|batch(3, '-') %}{{ row|join(',') }};{% endfor %}")
    c("more/nested_macros", "{% macro outer(x) %}{% macro inner(y) %}<{{ y }}>{% endmacro %}{{ inner(x) }}{{ inner(x ~ '!') }}{% endmacro %}{{ outer('a') }}")
    c("more/macro_kwargs_caller", "{% macro m(a=1) %}{{ a }}{{ kwargs }}{% endmacro %}{{ m(b=2) }}{{ m(3, c=4) }}")
    c("more/filter_on_macro_output", "{% macro m() %}  Hi  {% endmacro %}[{{ m()|trim|upper }}]")
    c("more/unpack_string", "{% set a, b = 'xy' %}{{ b }}{{ a }}{% for k, v in ['ab', 'cd'] %}{{ v }}{% endfor %}")
    c("more/ns_in_macro", "{% set ns = namespace(n=0) %}{% macro bump() %}{% set ns.n = ns.n + 1 %}{% endmacro %}{{ bump() }}{{ bump() }}{{ ns.n }}")
    c("more/loop_cycle_nested", "{% for a in [1, 2] %}{% for b in [1, 2] %}{{ loop.cycle('x', 'y', 'z') }}{% endfor %}{{ loop.cycle('A', 'B') }}{% endfor %}")
    c("more/loop_length_filtered_else", "{% for x in xs if x > 10 %}{{ x }}{% else %}none>10{% endfor %}")
    c("more/long_chain_postfix", "{{ msgs[1:][0]['content'][::-1].upper()[0] }}")
    c("more/test_on_filter_result", "{{ xs|first is odd }} {{ (xs|first) is odd }} {{ xs|length is divisibleby 3 }}")
    c("more/minus_number_filters", "{{ - 5|abs }} {{ -f|round }} {{ -(xs|length) }}")
    e("more/neg_binds_before_filter", "{{ -xs|length }}")
    c("more/string_escape_newlines", "{{ 'line1\\nline2' }}|{{ \"tab\\there\" }}|{{ 'q\\'s' ~ \"d\\\"q\" }}")
    c("more/literal_newline_in_string", "{{ 'a\nb' }}")
    c("more/data_with_braces", "a { b } c {{ '{' }} d } {# x #} {} }}")
    c("more/generation_in_loop_ws", "{%- for m in msgs %}\n  {%- if m.role == 'assistant' %}\n    {%- generation %}\n      {{- m.content }}\n    {%- endgeneration %}\n  {%- else %}\n    {{- m.content }}\n  {%- endif %}\n{%- endfor %}")
    c("more/int_float_filters_edge", "{{ '-12'|int }} {{ '+7'|int }} {{ '1e3'|int }} {{ ' 0b11 '|int(0, 2) }} {{ '0o17'|int(0, 8) }} {{ '12abc'|int }} {{ 'nan'|float }} {{ 'NaN'|int(-1) }} {{ '1,5'|float }}")
    c("more/sort_stability", "{{ [{'k': 1, 'v': 'a'}, {'k': 0, 'v': 'b'}, {'k': 1, 'v': 'c'}]|sort(attribute='k', reverse=true)|map(attribute='v')|join }}")
    c("more/min_max_strings_case", "{{ ['b', 'B', 'a']|min }} {{ ['b', 'B', 'a']|max }} {{ ['B', 'b']|max }} {{ ['b', 'B']|min }}")
    c("more/unique_order", "{{ ['x', 'X', 'y', 'x']|unique|join }} {{ [3, 1, 3, 2, 1]|unique|list }}")
    c("more/sum_floats", "{{ [0.1, 0.2, 0.3]|sum }} {{ [1, 2.5]|sum }}")
    c("more/round_half_even_floats", "{{ 0.5|round }} {{ 1.5|round }} {{ 2.5|round }} {{ 0.125|round(2) }} {{ 0.375|round(2) }} {{ 1.005|round(2) }} {{ -1.5|round }}")
    c("more/json_unicode_escapes", "{{ 'é😀\\u2028'|tojson(ensure_ascii=true) }} {{ 'é😀\\u2028'|tojson }}")



def small_cases():
    _cases.clear()
    whitespace()
    literals()
    expressions()
    statements()
    filters()
    tests()
    methods()
    globals_()
    errors()
    more()
    return list(_cases)


# --- Chat templates in the style of common model families (written for these tests). ---

CHATML_DEFAULT_SYSTEM = """{%- set default_system = 'You are a helpful assistant.' %}
{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {{- messages[0]['content'] if messages[0]['role'] == 'system' else default_system }}
    {{- '\\n\\n# Tools\\n\\nFunction signatures, one JSON object per line, inside <tools></tools>:\\n<tools>' }}
    {%- for tool in tools %}
        {{- '\\n' + tool | tojson }}
    {%- endfor %}
    {{- '\\n</tools>\\n\\nTo call one, reply with <tool_call>{"name": ..., "arguments": ...}</tool_call>.<|im_end|>\\n' }}
{%- elif messages[0]['role'] == 'system' %}
    {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
{%- else %}
    {{- '<|im_start|>system\\n' + default_system + '<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
    {%- if message.role == 'system' and loop.first %}
    {%- elif message.role in ['user', 'system'] or (message.role == 'assistant' and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
    {%- elif message.role == 'assistant' %}
        {{- '<|im_start|>assistant' }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for call in message.tool_calls %}
            {%- set fn = call.function if call.function is defined else call %}
            {{- '\\n<tool_call>\\n{"name": "' + fn.name + '", "arguments": ' }}
            {{- fn.arguments if fn.arguments is string else fn.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == 'tool' %}
        {%- if loop.index0 == 0 or messages[loop.index0 - 1].role != 'tool' %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' + message.content + '\\n</tool_response>' }}
        {%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

SMOL_CHATML = """{% for message in messages %}
{% if loop.first and messages[0]['role'] != 'system' %}
{{ '<|im_start|>system\\nYou are a small, friendly assistant.<|im_end|>\\n' }}
{% endif %}
{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}
{% endfor %}
{% if add_generation_prompt %}
{{ '<|im_start|>assistant\\n' }}
{% endif %}
"""

INST_STYLE = """{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('Roles must alternate user, assistant, user, ... after an optional system message.') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {%- if loop.last and system_message is defined %}
            {{- '[INST] ' + system_message + '\\n\\n' + message['content'] + '[/INST]' }}
        {%- else %}
            {{- '[INST] ' + message['content'] + '[/INST]' }}
        {%- endif %}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + message['content'] | trim + eos_token }}
    {%- else %}
        {{- raise_exception('Unsupported role: ' + message['role']) }}
    {%- endif %}
{%- endfor %}
"""

HEADER_STYLE = """{{- bos_token }}
{%- if not date_string is defined %}
    {%- set date_string = strftime_now('%d %b %Y') %}
{%- endif %}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_text = messages[0]['content'] | trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_text = '' %}
{%- endif %}
{{- '<|start_header_id|>system<|end_header_id|>\\n\\n' }}
{{- 'Knowledge cutoff: December 2023\\nToday: ' + date_string + '\\n\\n' }}
{%- if tools is not none %}
    {{- 'You can use these tools. Reply with JSON {"name": ..., "parameters": ...}.\\n\\n' }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- '\\n\\n' }}
    {%- endfor %}
{%- endif %}
{{- system_text }}
{{- '<|eot_id|>' }}
{%- for message in messages %}
    {%- if message.role == 'tool' %}
        {{- '<|start_header_id|>ipython<|end_header_id|>\\n\\n' }}
        {{- message.content | tojson if message.content is mapping else message.content }}
        {{- '<|eot_id|>' }}
    {%- elif message.tool_calls is defined %}
        {%- set call = message.tool_calls[0].function %}
        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
        {{- '{"name": "' + call.name + '", "parameters": ' + call.arguments | tojson + '}' }}
        {{- '<|eot_id|>' }}
    {%- else %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
{%- endif %}
"""

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city. Returns \"sunny\" & <similar>.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Zürich"},
                "days": {"type": "integer", "default": 1, "minimum": 0.5},
            },
            "required": ["city"],
        },
    },
}


def _conversations():
    sys_user = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "Hi there!"}]
    multi = [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "  4  "},
        {"role": "user", "content": "And 3+3?\nThanks."},
    ]
    tool_chat = [
        {"role": "user", "content": "Weather in Zürich?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Zürich", "days": 2}}}
            ],
        },
        {"role": "tool", "content": "{\"temp\": 21.5, \"sky\": \"sunny\"}"},
        {"role": "tool", "content": "second result"},
        {"role": "assistant", "content": "It is sunny, 21.5°C."},
    ]
    return sys_user, multi, tool_chat


def style_templates():
    sys_user, multi, tool_chat = _conversations()
    chatml_tokens = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}
    inst_tokens = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
    header_tokens = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}
    user_only = [{"role": "user", "content": "Hello"}]
    out = []
    convs = []
    for agp in (False, True):
        convs += [
            ("user_only", user_only, agp, None, {}),
            ("system_user", sys_user, agp, None, {}),
            ("multi_turn", multi, agp, None, {}),
        ]
    convs += [("tools", tool_chat, True, [WEATHER_TOOL], {}), ("tools_system", sys_user, False, [WEATHER_TOOL], {})]
    out.append(("chatml_default_system", CHATML_DEFAULT_SYSTEM, chatml_tokens, convs))
    out.append(("smol_chatml", SMOL_CHATML, chatml_tokens, [x for x in convs if x[3] is None]))
    inst_convs = [x for x in convs if x[3] is None]
    inst_convs += [
        ("bad_order", [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}], False, None, {}),
        ("bad_role", [{"role": "user", "content": "a"}, {"role": "tool", "content": "b"}], False, None, {}),
    ]
    out.append(("inst_style", INST_STYLE, inst_tokens, inst_convs))
    header_convs = [x for x in convs if x[3] is None]
    header_convs += [
        ("given_date", sys_user, True, None, {"date_string": "01 Jan 2025"}),
        (
            "tools",
            [
                {"role": "system", "content": "  Tool user.  "},
                {"role": "user", "content": "Weather?"},
                {
                    "role": "assistant",
                    "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}],
                },
                {"role": "tool", "content": {"temp": 3}},
            ],
            True,
            [WEATHER_TOOL],
            {},
        ),
    ]
    out.append(("header_style", HEADER_STYLE, header_tokens, header_convs))
    return out


def qwen3_conversations():
    """(name, messages, tools, [(add_generation_prompt, kwargs), ...]) for Qwen3's template."""
    all_variants = [
        (False, {}),
        (True, {}),
        (True, {"enable_thinking": False}),
        (True, {"enable_thinking": True}),
        (False, {"enable_thinking": False}),
    ]
    short = [(False, {}), (True, {}), (True, {"enable_thinking": False})]
    single = [{"role": "user", "content": "Give me a short introduction to large language models."}]
    system = [{"role": "system", "content": "You are Qwen, a helpful assistant."}] + single
    think_multi = [
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "<think>\nSimple arithmetic.\n</think>\n\n2+2 = 4."},
        {"role": "user", "content": "And times 3?"},
        {"role": "assistant", "content": "<think>\n4*3\n</think>\n\n12."},
    ]
    think_then_user = think_multi + [{"role": "user", "content": "Thanks!"}]
    no_think_assistant = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "bye"},
    ]
    reasoning_key = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "answer", "reasoning_content": "\nmy reasoning\n"},
    ]
    tools = [WEATHER_TOOL, {"type": "function", "function": {"name": "noop", "parameters": {}}}]
    tool_chat = [
        {"role": "system", "content": "Use tools when needed."},
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {
            "role": "assistant",
            "content": "<think>\nNeed two calls.\n</think>\n\nLet me check.",
            "tool_calls": [
                {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Rome\"}"}},
            ],
        },
        {"role": "tool", "content": "{\"sky\": \"rain\"}"},
        {"role": "tool", "content": "{\"sky\": \"sun\"}"},
        {"role": "assistant", "content": "<think>\nSummarize.\n</think>\n\nParis: rain. Rome: sun."},
    ]
    tool_call_no_content = [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": "", "tool_calls": [{"name": "get_weather", "arguments": {"city": "X"}}]},
        {"role": "tool", "content": "ok"},
    ]
    multi_step = [
        {"role": "user", "content": "Plan a trip."},
        {"role": "assistant", "content": "<think>\nstep 1\n</think>\n\nCalling.", "tool_calls": [
            {"function": {"name": "noop", "arguments": {}}}]},
        {"role": "user", "content": "<tool_response>\nfake tool result\n</tool_response>"},
        {"role": "assistant", "content": "<think>\nstep 2\n</think>\n\nDone."},
    ]
    return [
        ("single", single, None, all_variants),
        ("system", system, None, short),
        ("think_multi", think_multi, None, short),
        ("think_then_user", think_then_user, None, all_variants),
        ("no_think_assistant", no_think_assistant, None, short),
        ("reasoning_key", reasoning_key, None, short),
        ("tools", tool_chat, tools, short),
        ("tools_no_system", single, tools, [(True, {})]),
        ("tool_call_no_content", tool_call_no_content, [WEATHER_TOOL], [(True, {})]),
        ("multi_step", multi_step, tools, [(True, {})]),
    ]
