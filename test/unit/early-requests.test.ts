import { describe, expect, it } from 'vitest';
import { isLocalJsonListing, listsLocalHost } from '../../src/main/cli/early-requests';

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
