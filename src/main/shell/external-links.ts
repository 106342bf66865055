/**
 * The only links the app opens, in the system browser: Incus's site and documentation, and the
 * sources of Incus and code-on-incus. Anything else — another site, http, a file, a custom scheme —
 * is refused, so a page that got script into the window still cannot launch programs through links.
 */
export const EXTERNAL_LINKS: readonly { host: string; path: string }[] = [
  { host: 'linuxcontainers.org', path: '/' },
  { host: 'github.com', path: '/lxc/incus' },
  { host: 'github.com', path: '/mensfeld/code-on-incus' },
];

/** Whether `url` is an https link to one of `EXTERNAL_LINKS` (that path or below it; no login part, no other port). */
export function isAllowedExternalUrl(url: string): boolean {
  let link: URL;
  try {
    link = new URL(url);
  } catch {
    return false;
  }
  if (link.protocol !== 'https:' || link.username || link.password || link.port) return false;
  return EXTERNAL_LINKS.some(({ host, path }) => link.hostname === host && (path === '/' || link.pathname === path || link.pathname.startsWith(`${path}/`)));
}
