/** The rows a scrolled list must render: those in view plus `overscan` on each side. */
export function visibleRange(count: number, rowHeight: number, scrollTop: number, viewport: number, overscan = 8): { start: number; end: number } {
  if (count === 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(scrollTop / rowHeight);
  const inView = Math.ceil(viewport / rowHeight) + 1;
  return { start: Math.max(0, first - overscan), end: Math.min(count, first + inView + overscan) };
}
