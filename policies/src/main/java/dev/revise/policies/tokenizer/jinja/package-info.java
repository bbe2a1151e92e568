/**
 * revise's own Jinja engine for chat templates: jinja2's sandboxed semantics as transformers
 * configures them (trim_blocks, lstrip_blocks, loop controls, {@code tojson}, {@code
 * raise_exception}, {@code strftime_now}) with Python value semantics; unsupported features fail
 * by name. Entry point {@link dev.revise.policies.tokenizer.jinja.JinjaTemplate}. Pure Java with
 * no revise imports: only the tokenizer package uses it.
 */
package dev.revise.policies.tokenizer.jinja;
