/** One entry of the command palette. */
export interface Command {
  id: string;
  label: string;
  /** Shown after the label: a host, a status, a shortcut. */
  hint?: string;
  run: () => void;
}

/**
 * Commands matching `query`: every character in order (fuzzy), best first — a match at the start of
 * the label or of a word ranks higher, then shorter labels.
 */
export function matchCommands(commands: readonly Command[], query: string, limit = 50): Command[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return commands.slice(0, limit);
  const scored = commands.flatMap((command) => {
    const score = fuzzyScore(`${command.label} ${command.hint ?? ''}`.toLowerCase(), needle);
    return score === null ? [] : [{ command, score }];
  });
  return scored.sort((a, b) => b.score - a.score || a.command.label.length - b.command.label.length).slice(0, limit).map((entry) => entry.command);
}

function fuzzyScore(text: string, needle: string): number | null {
  const direct = text.indexOf(needle);
  if (direct >= 0) return 1000 - direct + (direct === 0 || text[direct - 1] === ' ' ? 500 : 0);
  let at = 0;
  let gaps = 0;
  for (const char of needle) {
    const found = text.indexOf(char, at);
    if (found < 0) return null;
    gaps += found - at;
    at = found + 1;
  }
  return 100 - gaps;
}
