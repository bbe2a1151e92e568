/**
 * Text to tokens and conversations to text: the Java char-level tokenizer of the built-in tasks,
 * Hugging Face {@code tokenizer.json} through DJL's native binding (truncation and padding off),
 * and chat formats, including a checkpoint's own Jinja template rendered as transformers renders
 * it. Implements {@link dev.revise.rl.TextTokenizer}; uses {@code rl}, the checkpoint package and
 * the Jinja engine.
 */
package dev.revise.policies.tokenizer;
