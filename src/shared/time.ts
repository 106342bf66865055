/** Times as every face shows them, in this machine's zone. */

const pad = (value: number) => String(value).padStart(2, '0');

/** "just now", "5 min ago", "3 h ago", "2 days ago", "in 4 days". */
export function age(iso: string | null, now: number = Date.now()): string {
  if (!iso) return '—';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '—';
  const seconds = Math.round((now - then) / 1000);
  const future = seconds < 0;
  const s = Math.abs(seconds);
  const text = s < 45 ? (future ? 'moments' : 'just now') : s < 3600 ? `${Math.round(s / 60)} min` : s < 86_400 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86_400)} day${Math.round(s / 86_400) === 1 ? '' : 's'}`;
  if (text === 'just now') return text;
  return future ? `in ${text}` : `${text} ago`;
}

/** A time in this machine's zone: `2026-11-25 10:15`. */
export function localTime(iso: string | null): string {
  if (!iso) return '—';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}`;
}
