import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IncusClient } from '../../src/main/incus/client';
import { createLocalDispatcher } from '../../src/main/incus/http';
import { listInstanceNames } from '../../src/main/incus/instances';

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
