package dev.revise.policies.tokenizer.jinja;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The public API and the errors that the golden corpus cannot pin down byte for byte. */
class JinjaTemplateTest {
    private static String render(String template, Map<String, ?> context) {
        return JinjaTemplate.parse(template).render(context);
    }

    private static JinjaException failure(String template, Map<String, ?> context) {
        JinjaException e = catchThrowableOfType(() -> render(template, context), JinjaException.class);
        assertThat(e).as(template).isNotNull();
        return e;
    }

    @Test
    void syntaxErrorReportsItsLine() {
        JinjaException e = catchThrowableOfType(
                () -> JinjaTemplate.parse("ok\n{% if true %}\n{{ 1 + }}\n{% endif %}"), JinjaException.class);
        assertThat(e.kind()).isEqualTo(JinjaException.Kind.TemplateSyntaxError);
        assertThat(e.line()).isEqualTo(3);
        assertThat(e.getMessage()).startsWith("line 3: ");
        assertThat(e.raisedMessage()).isEmpty();
    }

    @Test
    void raiseExceptionCarriesTheTemplatesMessageAndLine() {
        String template = "{% for m in messages %}\n"
                + "{% if m.role == 'tool' %}{{ raise_exception('Roles must alternate: ' + m.role) }}{% endif %}\n"
                + "{% endfor %}";
        JinjaException e = failure(template, Map.of("messages", List.of(Map.of("role", "tool"))));
        assertThat(e.kind()).isEqualTo(JinjaException.Kind.TemplateError);
        assertThat(e.raisedMessage()).contains("Roles must alternate: tool");
        assertThat(e.line()).isEqualTo(2);
        assertThat(e.getMessage()).isEqualTo("line 2: Roles must alternate: tool");
    }

    @Test
    void undefinedPrintsEmptyButAttributeAccessOnItRaises() {
        assertThat(render("[{{ missing }}][{{ m.nope }}]", Map.of("m", Map.of())))
                .isEqualTo("[][]");
        JinjaException e = failure("{{ m.nope.deeper }}", Map.of("m", Map.of()));
        assertThat(e.kind()).isEqualTo(JinjaException.Kind.UndefinedError);
        assertThat(e.getMessage()).contains("'dict object' has no attribute 'nope'");
        assertThat(failure("{{ missing['k'] }}", Map.of()).getMessage()).contains("'missing' is undefined");
    }

    @Test
    void mutatingListsAndDictsIsASecurityError() {
        Map<String, Object> ctx = Map.of("messages", List.of("a"), "d", Map.of("k", 1));
        for (String t : List.of(
                "{{ messages.append('b') }}",
                "{% set _ = messages.pop() %}",
                "{{ messages.sort() }}",
                "{{ d.update({'k': 2}) }}",
                "{{ d.pop('k') }}")) {
            JinjaException e = failure(t, ctx);
            assertThat(e.kind()).as(t).isEqualTo(JinjaException.Kind.SecurityError);
            assertThat(e.getMessage()).as(t).contains("is unsafe");
        }
        // The context is untouched and namespaces stay assignable.
        assertThat(render("{% set ns = namespace(n=1) %}{% set ns.n = ns.n + 1 %}{{ ns.n }}{{ messages }}", ctx))
                .isEqualTo("2['a']");
    }

    @Test
    void unsupportedFeaturesFailLoudlyNamingTheConstruct() {
        Map<String, Object> ctx = Map.of("xs", List.of(1, 2));
        assertUnsupported(() -> JinjaTemplate.parse("{% include 'other.jinja' %}"), "'include' tag");
        assertUnsupported(() -> JinjaTemplate.parse("{% extends 'base' %}"), "'extends' tag");
        assertUnsupported(() -> JinjaTemplate.parse("{% block body %}x{% endblock %}"), "'block' tag");
        assertUnsupported(() -> JinjaTemplate.parse("{% for x in xs recursive %}{% endfor %}"), "recursive for loops");
        assertUnsupported(() -> render("{{ xs|select }}", ctx), "printing a generator");
        assertUnsupported(() -> render("{{ 'a'.upper }}", ctx), "printing a builtin_function_or_method");
        assertUnsupported(() -> render("{{ xs|random }}", ctx), "'random' filter");
        assertUnsupported(() -> render("{{ 'a b'|wordwrap(1) }}", ctx), "'wordwrap' filter");
        assertUnsupported(() -> render("{{ 'a'.encode() }}", ctx), "str.encode()");
        assertUnsupported(() -> render("{{ lipsum() }}", ctx), "lipsum()");
        assertUnsupported(() -> render("{{ 2 ** 64 }}", ctx), "beyond 64 bits");
        assertUnsupported(() -> render("{{ '{:g}'.format(1.5) }}", ctx), "format spec 'g'");
        assertUnsupported(() -> render("{{ strftime_now('%G-%Q') }}", ctx), "strftime directive %Q");
    }

    private static void assertUnsupported(Runnable r, String named) {
        assertThatThrownBy(r::run)
                .isInstanceOfSatisfying(
                        JinjaException.class, e -> assertThat(e.kind()).isEqualTo(JinjaException.Kind.Unsupported))
                .hasMessageContaining(named)
                .hasMessageContaining("not supported");
    }

    @Test
    void contextValuesBecomePythonValues() {
        Map<String, Object> ctx = new LinkedHashMap<>();
        ctx.put("i", 3);
        ctx.put("l", 4L);
        ctx.put("f", 0.5f);
        ctx.put("d", 1.0);
        ctx.put("b", true);
        ctx.put("none", null);
        ctx.put("list", List.of("a", 1));
        ctx.put("map", Map.of("k", List.of()));
        assertThat(render(
                        "{{ i }} {{ i is integer }} {{ l // 2 }} {{ f }} {{ d }} {{ b }} {{ none }} {{ list }} {{ map }}",
                        ctx))
                .isEqualTo("3 True 2 0.5 1.0 True None ['a', 1] {'k': []}");
        assertThatThrownBy(() -> render("{{ x }}", Map.of("x", new Object())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no Python counterpart");
    }

    @Test
    void strftimeNowReadsTheGivenClockAsLocalTime() {
        Clock clock = Clock.fixed(Instant.parse("2025-01-05T23:30:00Z"), ZoneId.of("Asia/Tokyo"));
        String out = JinjaTemplate.parse("{{ strftime_now('%d %b %Y %H:%M') }}").render(Map.of(), clock);
        assertThat(out).isEqualTo("06 Jan 2025 08:30");
    }

    @Test
    void aParsedTemplateRendersConcurrently() throws Exception {
        JinjaTemplate t = JinjaTemplate.parse("{% set ns = namespace(s='') %}{% for i in range(n) %}"
                + "{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.s }}");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int n = 0; n < 200; n++) {
                int size = n % 10;
                results.add(pool.submit(() -> t.render(Map.of("n", size))));
            }
            for (int n = 0; n < 200; n++) {
                StringBuilder expected = new StringBuilder();
                for (int i = 0; i < n % 10; i++) {
                    expected.append(i);
                }
                assertThat(results.get(n).get()).isEqualTo(expected.toString());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void floatReprMatchesPython() {
        assertThat(PyFloat.repr(1e-5)).isEqualTo("1e-05");
        assertThat(PyFloat.repr(1e16)).isEqualTo("1e+16");
        assertThat(PyFloat.repr(1234567890123456.0)).isEqualTo("1234567890123456.0");
        assertThat(PyFloat.repr(0.1 + 0.2)).isEqualTo("0.30000000000000004");
        assertThat(PyFloat.repr(2e-3)).isEqualTo("0.002");
        assertThat(PyFloat.repr(-1.5e300)).isEqualTo("-1.5e+300");
        assertThat(PyFloat.repr(5e-324)).isEqualTo("5e-324");
    }
}
