// What the UI benchmarks (bench-ui.ts, bench-ui-trees.ts) run in the page.

/**
 * Run in the page before its own scripts: notes (in `window.benchTimes`) the frame in which `firstRow`
 * first matches, and the frame after which nothing says "loading" any more (`aria-busy`). Measured in
 * the page, not by polling it from here, which adds its own delay to every figure.
 */
export const observeFrames = (firstRow: string) => {
  const page = globalThis as unknown as {
    benchTimes: { firstRender?: number; complete?: number };
    document: { querySelector(selector: string): unknown };
    requestAnimationFrame(callback: (at: number) => void): void;
    MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void; disconnect(): void };
  };
  const times: { firstRender?: number; complete?: number } = (page.benchTimes = {});
  const observer = new page.MutationObserver(() => {
    if (times.firstRender === undefined && page.document.querySelector(firstRow)) {
      times.firstRender = -1; // claimed: the frame below sets it
      page.requestAnimationFrame(() => (times.firstRender = performance.now()));
    }
    if (times.firstRender !== undefined && times.complete === undefined && !page.document.querySelector('[aria-busy="true"]')) {
      times.complete = -1;
      observer.disconnect();
      page.requestAnimationFrame(() => (times.complete = performance.now()));
    }
  });
  observer.observe(page.document, { childList: true, subtree: true, attributes: true, attributeFilter: ['aria-busy'] });
};
