// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escaped(char: string): string {
  const code = char.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` safe to print on a terminal: a string from the daemon (a description, a config value, an
 * error) can hold escape sequences that recolour, retitle or rewrite the screen. Control characters
 * become visible `\x1b`-style escapes; newlines stay only where `keepNewlines` (a message).
 * JSON output is left exact: a program reads it, not a terminal.
 */
export function printable(text: string, keepNewlines = false): string {
  const safe = text.replace(CONTROL, escaped);
  return keepNewlines ? safe : safe.replaceAll('\n', '\\n');
}
