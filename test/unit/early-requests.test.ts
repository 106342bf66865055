import { describe, expect, it } from 'vitest';
import { earlyPaths } from '../../src/main/cli/early-requests';

const LISTING = ['/1.0/instances?recursion=2'];

describe('the requests the CLI sends before loading its modules', () => {
  it('starts the listing of `snapshot list --all` on the local host', () => {
    expect(earlyPaths(['snapshot', 'list', '--all', '--format', 'json'])).toEqual(LISTING);
    expect(earlyPaths(['snapshot', 'list', '-a'])).toEqual(LISTING);
    expect(earlyPaths(['snapshot', 'list', '--all', '--host', 'local'])).toEqual(LISTING);
    expect(earlyPaths(['snapshot', 'list', '--all', '--host=local'])).toEqual(LISTING);
    expect(earlyPaths(['snapshot', 'list', '--all', '-Hlocal'])).toEqual(LISTING);
  });

  it('starts nothing for another host, another command, or help', () => {
    expect(earlyPaths(['snapshot', 'list', '--all', '--host', 'web1'])).toEqual([]);
    expect(earlyPaths(['snapshot', 'list', '--all', '-H', 'web1'])).toEqual([]);
    expect(earlyPaths(['snapshot', 'list', '--all', '--host=web1'])).toEqual([]);
    expect(earlyPaths(['snapshot', 'list', '--all', '--host'])).toEqual([]);
    expect(earlyPaths(['snapshot', 'list', '-c', 'box'])).toEqual([]);
    expect(earlyPaths(['snapshot', 'list', '--all', '--help'])).toEqual([]);
    expect(earlyPaths(['container', 'list', '--all'])).toEqual([]);
    expect(earlyPaths(['--version'])).toEqual([]);
    expect(earlyPaths([])).toEqual([]);
  });
});
