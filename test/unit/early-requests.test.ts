import { describe, expect, it } from 'vitest';
import { earlyDiff, isLocalJsonListing, listsLocalHost, localDiffContainer } from '../../src/main/cli/early-requests';

describe('the requests the CLI sends before loading its modules', () => {
  it('starts the listing of `snapshot list --all` on the local host', () => {
    expect(listsLocalHost(['snapshot', 'list', '--all', '--format', 'json'])).toBe(true);
    expect(listsLocalHost(['snapshot', 'list', '-a'])).toBe(true);
    expect(listsLocalHost(['snapshot', 'list', '--all', '--host', 'local'])).toBe(true);
    expect(listsLocalHost(['snapshot', 'list', '--all', '--host=local'])).toBe(true);
    expect(listsLocalHost(['snapshot', 'list', '--all', '-Hlocal'])).toBe(true);
  });

  it('starts nothing for another host, another command, or help', () => {
    expect(listsLocalHost(['snapshot', 'list', '--all', '--host', 'web1'])).toBe(false);
    expect(listsLocalHost(['snapshot', 'list', '--all', '-H', 'web1'])).toBe(false);
    expect(listsLocalHost(['snapshot', 'list', '--all', '--host=web1'])).toBe(false);
    expect(listsLocalHost(['snapshot', 'list', '--all', '--host'])).toBe(false);
    expect(listsLocalHost(['snapshot', 'list', '-c', 'box'])).toBe(false);
    expect(listsLocalHost(['snapshot', 'list', '--all', '--help'])).toBe(false);
    expect(listsLocalHost(['container', 'list', '--all'])).toBe(false);
    expect(listsLocalHost(['--version'])).toBe(false);
    expect(listsLocalHost([])).toBe(false);
  });
});

describe('the local listing printed without the rest of the CLI', () => {
  it('takes `snapshot list --all --format json` on the local host, however spelt', () => {
    expect(isLocalJsonListing(['snapshot', 'list', '--all', '--format', 'json'])).toBe(true);
    expect(isLocalJsonListing(['snapshot', 'list', '--format=json', '-a'])).toBe(true);
    expect(isLocalJsonListing(['snapshot', 'list', '-a', '--host', 'local', '--format', 'json'])).toBe(true);
    expect(isLocalJsonListing(['snapshot', 'list', '-a', '-H', 'local', '--format=json', '-Hlocal', '--host=local'])).toBe(true);
  });

  it('leaves every other command line to the full CLI', () => {
    expect(isLocalJsonListing(['snapshot', 'list', '--all'])).toBe(false); // text
    expect(isLocalJsonListing(['snapshot', 'list', '--all', '--format', 'text'])).toBe(false);
    expect(isLocalJsonListing(['snapshot', 'list', '--all', '--format', 'json', '--format', 'yaml'])).toBe(false);
    expect(isLocalJsonListing(['snapshot', 'list', '--all', '--format', 'json', '--host', 'web1'])).toBe(false);
    expect(isLocalJsonListing(['snapshot', 'list', '--all', '--format', 'json', '--trust-fingerprint', 'SHA256:x'])).toBe(false);
    expect(isLocalJsonListing(['snapshot', 'list', '--all', '--format', 'json', '-c', 'box'])).toBe(false);
    expect(isLocalJsonListing(['snapshot', 'list', '--all', '--format', 'json', '--help'])).toBe(false);
    expect(isLocalJsonListing(['snapshot', 'list', '--all', '--format', 'json', 'extra'])).toBe(false);
    expect(isLocalJsonListing(['snapshot', 'list', '-c', 'box', '--format', 'json'])).toBe(false);
  });
});

describe("a local diff's container, asked for before the CLI loads", () => {
  it('is the one -c names (the last one, however spelt), else COI_CONTAINER, else the workspace\'s (null)', () => {
    expect(localDiffContainer(['snapshot', 'diff', 'before', '-c', 'box'], {})).toBe('box');
    expect(localDiffContainer(['snapshot', 'diff', 'before', '--container=box', '--summary'], {})).toBe('box');
    expect(localDiffContainer(['snapshot', 'diff', 'before', '-cbox', '--host', 'local'], {})).toBe('box');
    expect(localDiffContainer(['snapshot', 'diff', 'a', 'b', '--container', 'one', '-c', 'two'], {})).toBe('two');
    expect(localDiffContainer(['snapshot', 'diff', 'before', '--path', '/etc'], { COI_CONTAINER: 'env-box' })).toBe('env-box');
    expect(localDiffContainer(['snapshot', 'diff', 'before', '-c', 'box'], { COI_CONTAINER: 'env-box' })).toBe('box');
    expect(localDiffContainer(['snapshot', 'diff', 'before'], {})).toBeNull();
  });

  it('is undefined for another host, help, or another command', () => {
    expect(localDiffContainer(['snapshot', 'diff', 'before', '-c', 'box', '--host', 'web1'], {})).toBeUndefined();
    expect(localDiffContainer(['snapshot', 'diff', 'before', '-c', 'box', '-Hweb1'], {})).toBeUndefined();
    expect(localDiffContainer(['snapshot', 'diff', 'before', '-c', 'box', '--host'], {})).toBeUndefined();
    expect(localDiffContainer(['snapshot', 'diff', '--help'], {})).toBeUndefined();
    expect(localDiffContainer(['snapshot', 'info', 'before', '-c', 'box'], {})).toBeUndefined();
    expect(localDiffContainer(['container', 'list'], {})).toBeUndefined();
  });
});

describe('a local diff whose listing is sent before the CLI loads', () => {
  it('is one snapshot against the named container, with the options read here only', () => {
    expect(earlyDiff(['snapshot', 'diff', 'before', '-c', 'box'], {})).toEqual({ container: 'box', snapshot: 'before', allPaths: false });
    expect(earlyDiff(['snapshot', 'diff', '--summary', 'before', '--format', 'json', '--all-paths', '-Hlocal'], { COI_CONTAINER: 'box' })).toEqual({ container: 'box', snapshot: 'before', allPaths: true });
    expect(earlyDiff(['snapshot', 'diff', 'before', '--container=box', '--format=json'], {})).toEqual({ container: 'box', snapshot: 'before', allPaths: false });
  });

  it('is none for two snapshots, --path, --file, another option, or no named container', () => {
    expect(earlyDiff(['snapshot', 'diff', 'before', 'after', '-c', 'box'], {})).toBeUndefined();
    expect(earlyDiff(['snapshot', 'diff', 'before', '-c', 'box', '--path', '/etc'], {})).toBeUndefined();
    expect(earlyDiff(['snapshot', 'diff', 'before', '-c', 'box', '--file', '/etc/hosts'], {})).toBeUndefined();
    expect(earlyDiff(['snapshot', 'diff', 'before', '-c', 'box', '--trust-fingerprint', 'SHA256:x'], {})).toBeUndefined();
    expect(earlyDiff(['snapshot', 'diff', '-c', 'box', '--', 'before'], {})).toBeUndefined();
    expect(earlyDiff(['snapshot', 'diff', 'before'], {})).toBeUndefined();
    expect(earlyDiff(['snapshot', 'diff', 'before', '-c', 'box', '--host', 'web1'], {})).toBeUndefined();
  });
});
