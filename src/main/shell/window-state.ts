import type { Settings } from '../config/settings';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

type SavedWindow = NonNullable<Settings['window']>;

/** The saved window bounds if they still show on one of the displays (a monitor may have gone). */
export function restorableBounds(saved: SavedWindow | undefined, workAreas: readonly Rect[]): Rect | undefined {
  if (!saved) return undefined;
  const visible = workAreas.some((area) => {
    const overlapX = Math.min(saved.x + saved.width, area.x + area.width) - Math.max(saved.x, area.x);
    const overlapY = Math.min(saved.y + saved.height, area.y + area.height) - Math.max(saved.y, area.y);
    return overlapX >= 100 && overlapY >= 50;
  });
  return visible ? { x: saved.x, y: saved.y, width: saved.width, height: saved.height } : undefined;
}
