import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IncusClient } from '../../src/main/incus/client';
import { createLocalDispatcher } from '../../src/main/incus/http';
import { listInstanceNames, listInstances } from '../../src/main/incus/instances';

describe("the client's reading of an answer", () => {
  it('puts together an answer sent in many pieces, a character split between two of them', async () => {
    const names = Array.from({ length: 3000 }, (_, i) => `/1.0/instances/caf%C3%A9-${i}`);
    const body = Buffer.from(JSON.stringify({ type: 'sync', status_code: 200, metadata: [...names, '/1.0/instances/é'] }));
    const split = body.length - 4; // between the two bytes of the last "é"
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let at = 0; at < split; at += 1000) res.write(body.subarray(at, Math.min(at + 1000, split)));
      setTimeout(() => res.end(body.subarray(split)), 20);
    });
    const path = join(mkdtempSync(join(tmpdir(), 'coi-body-')), 'unix.socket');
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const client = new IncusClient({ dispatcher: createLocalDispatcher(path), endpoint: path });
    const listed = await listInstanceNames(client);
    await client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(listed).toHaveLength(3001);
    expect(listed[2999]).toBe('café-2999');
    expect(listed[3000]).toBe('é');
  });
});

/** A daemon on a socket answering every request with `status` and `body` (sent in pieces of 700 bytes); its client. */
async function answering(status: number, body: string) {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    const bytes = Buffer.from(body);
    for (let at = 0; at < bytes.length; at += 700) res.write(bytes.subarray(at, at + 700));
    res.end();
  });
  const path = join(mkdtempSync(join(tmpdir(), 'coi-body-')), 'unix.socket');
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const client = new IncusClient({ dispatcher: createLocalDispatcher(path), endpoint: path });
  return { client, close: async () => { await client.close(); await new Promise<void>((resolve) => server.close(() => resolve())); } };
}

const INSTANCE = { name: 'coi-é', status: 'Stopped', type: 'container', created_at: '2026-01-01T00:00:00Z', expanded_config: {}, expanded_devices: {}, snapshots: [{ name: 's"1', created_at: '2026-01-02T00:00:00Z', stateful: false, description: 'a \\ b', config: {} }] };

// The instances are read one by one as the answer arrives (answer-items.ts): what a whole read said, it still says.
describe("the client's reading of the instance list, instance by instance", () => {
  it('reads every instance of a long answer', async () => {
    const metadata = Array.from({ length: 200 }, (_, i) => ({ ...INSTANCE, name: `coi-é-${i}` }));
    const daemon = await answering(200, JSON.stringify({ type: 'sync', status: 'Success', status_code: 200, metadata }));
    const listed = await listInstances(daemon.client).finally(daemon.close);
    expect(listed.map((instance) => instance.name)).toEqual(metadata.map((instance) => instance.name));
    expect(listed[7]?.snapshots[0]).toMatchObject({ name: 's"1', description: 'a \\ b', expires_at: null });
  });

  it.each([
    ['an error answer', 403, JSON.stringify({ type: 'error', error: 'not authorized', error_code: 403, metadata: null }), 'not authorized'],
    ['a wrong instance', 200, JSON.stringify({ type: 'sync', metadata: [INSTANCE, { ...INSTANCE, status: 3 }] }), 'unexpected answer from Incus to GET /1.0/instances?recursion=2 at 1.status: expected string'],
    ['no list', 200, JSON.stringify({ type: 'sync', metadata: null }), 'unexpected answer from Incus to GET /1.0/instances?recursion=2: expected array'],
    ['an answer that is not JSON', 200, `{"type":"sync","metadata":[${JSON.stringify(INSTANCE)},{"name":]}`, `Incus answered GET /1.0/instances?recursion=2 with something that is not JSON: {"type":"sync","metadata":[{"name":"coi-é"`],
    ['an answer cut short', 200, `{"type":"sync","metadata":[${JSON.stringify(INSTANCE)},{"na`, 'with something that is not JSON'],
  ])('reports %s as a whole read did', async (_what, status, body, message) => {
    const daemon = await answering(status, body);
    await expect(listInstances(daemon.client).finally(daemon.close)).rejects.toThrow(message);
  });
});
