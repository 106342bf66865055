import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Operation } from '../../src/main/incus/api-schemas';
import { IncusClient } from '../../src/main/incus/client';
import { IncusError, IncusInterruptedError, IncusOperationError, IncusUnreachableError } from '../../src/main/incus/errors';
import { getInstance, listInstanceNames, listInstances } from '../../src/main/incus/instances';
import { createLocalDispatcher } from '../../src/main/incus/http';
import { progressText } from '../../src/main/incus/progress';
import { Fixtures, incus, localClient, requireDaemon, testName } from '../helpers/incus';
import { silentSocket } from '../helpers/silent-socket';
import { SocketProxy } from '../helpers/socket-proxy';
import { findLocalSocket } from '../../src/main/incus/local-socket';

const fixtures = new Fixtures();
let client: IncusClient;

beforeAll(() => {
  requireDaemon();
  client = localClient();
});
afterAll(async () => {
  await fixtures.cleanup();
  await client.close();
});

describe('IncusClient over the local socket', () => {
  it('reads every instance with state and snapshots from one request', async () => {
    const name = await fixtures.launch(testName('client'), { stopped: true });
    await incus('snapshot', 'create', name, 'snap-a');
    const all = await listInstances(client);
    const mine = all.find((instance) => instance.name === name);
    expect(mine?.status).toBe('Stopped');
    expect(mine?.snapshots.map((s) => s.name)).toEqual(['snap-a']);
    expect(await listInstanceNames(client)).toContain(name);
  });

  it("turns an error answer into an IncusError with the daemon's status and message", async () => {
    const error = await getInstance(client, 'test-no-such-instance').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncusError);
    expect((error as IncusError).status).toBe(404);
    expect((error as IncusError).message).toMatch(/Instance not found/);
  });

  it("reports a failed operation with the operation's own error", async () => {
    const name = await fixtures.launch(testName('opfail'), { stopped: true });
    const error = await client.run('POST', `/1.0/instances/${name}/snapshots`, { name: 's', stateful: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncusOperationError);
    expect((error as IncusOperationError).message).toBe('Stateful snapshots require that the instance has migration.stateful be set to true');
  });

  it('keeps waiting past the wait timeout and reports progress while an operation runs', async () => {
    const name = await fixtures.launch(testName('opwait'));
    const seen: Operation[] = [];
    const started = Date.now();
    const body = { command: ['sleep', '3'], 'wait-for-websocket': false, interactive: false };
    const done = await client.run('POST', `/1.0/instances/${name}/exec`, body, { intervalSeconds: 1, onProgress: (op) => seen.push(op) });
    expect(done.status).toBe('Success');
    expect(done.metadata?.return).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen.every((op) => op.status === 'Running')).toBe(true);
    expect(progressText(seen[0]!)).toBe('Executing command…');
  });

  it("ends the wait on an interruption and passes on the daemon's refusal to cancel", async () => {
    const name = await fixtures.launch(testName('opcancel'));
    const abort = new AbortController();
    const body = { command: ['sleep', '2'], 'wait-for-websocket': false, interactive: false };
    const running = client.run('POST', `/1.0/instances/${name}/exec`, body, { signal: abort.signal, intervalSeconds: 30 });
    setTimeout(() => abort.abort(), 300);
    const started = Date.now();
    const error = await running.catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1_500); // not the 2 s the command runs, nor the 30 s wait
    expect(error).toBeInstanceOf(IncusInterruptedError);
    const id = (error as IncusInterruptedError).operationId;
    expect((error as Error).message).toBe(`Interrupted: Incus cannot cancel operation ${id} (This operation can't be cancelled); it goes on there: see 'incus operation show ${id}'`);
  });

  it('leaves no connection silent after a wait it interrupted: Incus answers the next requests, ours and others\', at once', async () => {
    const name = await fixtures.launch(testName('opsilent'));
    const abort = new AbortController();
    const body = { command: ['sleep', '2'], 'wait-for-websocket': false, interactive: false };
    // interrupted once Incus has answered the wait's headers (it sends them at once and the body when the operation ends)
    const waiting = (message: unknown) => (message as { request: { path: string } }).request.path.includes('/wait') && abort.abort();
    subscribe('undici:request:headers', waiting);
    try {
      const running = client.run('POST', `/1.0/instances/${name}/exec`, body, { signal: abort.signal });
      expect(await running.catch((e: unknown) => e)).toBeInstanceOf(IncusInterruptedError);
    } finally {
      unsubscribe('undici:request:headers', waiting);
    }
    // undici opened a connection here that carried nothing, and Incus 6.0.4 accepted no other while it
    // stayed open (until undici's 10 s keep-alive timeout): every client's next request waited that long.
    const started = Date.now();
    await Promise.all([incus('query', '/1.0'), client.waitOperation('00000000-0000-0000-0000-000000000000').catch(() => undefined)]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('says the operation is lost when it has already vanished', async () => {
    const error = await client.waitOperation('00000000-0000-0000-0000-000000000000').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncusOperationError);
    expect((error as IncusOperationError).outcome).toBe('lost');
  });

  it('a client closed (its command has ended) fails a wait at once instead of asking again for a minute', async () => {
    const closed = localClient();
    await closed.close();
    // A wait still going on when a finished command closed its client was retried as a dropped connection
    // for `reattachMs` (60 s), keeping the process alive that long after its error was printed.
    const error = await closed.waitOperation('00000000-0000-0000-0000-000000000000').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncusUnreachableError);
    expect((error as Error).message).toMatch(/operation 00000000-0000-0000-0000-000000000000 may still be running there/);
  }, 10_000);

  it('explains an unreachable daemon and what to do', async () => {
    const missing = '/tmp/coi-desktop-test-no-socket';
    const nowhere = new IncusClient({ dispatcher: createLocalDispatcher(missing), endpoint: missing });
    const error = await listInstances(nowhere).catch((e: unknown) => e);
    await nowhere.close();
    expect(error).toBeInstanceOf(IncusUnreachableError);
    expect((error as Error).message).toBe(`cannot reach Incus at ${missing}: no Incus socket there: is Incus installed and its daemon running?`);
  });

  it('never leaves a silent connection open: the daemon answers others while our client is idle', async () => {
    await listInstanceNames(client); // the keep-alive connection is now idle
    const started = Date.now();
    await incus('query', '/1.0');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('the test proxy answering a request itself (failRequest) leaves the daemon answering others at once', async () => {
    // Its connection to the daemon, opened when the client connected, carried nothing and stayed open
    // while the client kept its connection: the shared daemon then accepted no connection for 10 s.
    const proxy = new SocketProxy(findLocalSocket());
    await proxy.resume();
    const proxied = new IncusClient({ dispatcher: createLocalDispatcher(proxy.path), endpoint: proxy.path });
    void proxy.failRequest('GET /1.0/instances', 500, 'refused by the test');
    expect(await listInstanceNames(proxied).catch((e: unknown) => e)).toBeInstanceOf(IncusError);
    const started = Date.now();
    await incus('query', '/1.0');
    const took = Date.now() - started;
    await proxied.close();
    await proxy.cut();
    expect(took).toBeLessThan(2_000);
  });
});

describe('a daemon that does not answer, or a socket that is no socket', () => {
  it('bounds a request to a socket that accepts and stays silent, and says so', async () => {
    const stuck = await silentSocket();
    const silent = new IncusClient({ dispatcher: createLocalDispatcher(stuck.path), endpoint: stuck.path, requestTimeoutMs: 300 });
    const error = await listInstanceNames(silent).catch((e: unknown) => e);
    await silent.close();
    await stuck.close();
    expect(error).toBeInstanceOf(IncusUnreachableError);
    expect((error as Error).message).toMatch(
      new RegExp(`^Incus at ${stuck.path} accepted the connection but did not answer GET /1.0/instances\\S* within 0.3 s: is the daemon stuck\\?`),
    );
    // A change left unanswered may have been made: the message says to look before trying again.
    const stuckAgain = await silentSocket();
    const write = new IncusClient({ dispatcher: createLocalDispatcher(stuckAgain.path), endpoint: stuckAgain.path, requestTimeoutMs: 300 });
    const patched = await write.query('PATCH', '/1.0/instances/x', z.unknown(), { config: {} }).catch((e: unknown) => e);
    await write.close();
    await stuckAgain.close();
    expect((patched as Error).message).toContain('within 0.3 s; the change may have been made all the same, so look before trying again: is the daemon stuck?');
  });

  it('abandons a pending request at once when interrupted', async () => {
    const stuck = await silentSocket();
    const interrupt = new AbortController();
    const silent = new IncusClient({ dispatcher: createLocalDispatcher(stuck.path), endpoint: stuck.path, signal: interrupt.signal });
    const pending = listInstanceNames(silent).catch((e: unknown) => e);
    await stuck.requested;
    interrupt.abort();
    const error = await pending;
    await silent.close();
    await stuck.close();
    expect(error).toBeInstanceOf(IncusInterruptedError);
    expect((error as Error).message).toMatch(`Interrupted while waiting for Incus at ${stuck.path} to answer GET /1.0/instances`);
  });

  it.each([
    ['a regular file', (path: string) => writeFileSync(path, '')],
    ['a directory', (path: string) => mkdirSync(path)],
  ])('says INCUS_SOCKET names %s, not a socket', async (kind, make) => {
    const path = join(mkdtempSync(join(tmpdir(), 'coi-notsock-')), 'unix.socket');
    make(path);
    const previous = process.env.INCUS_SOCKET;
    process.env.INCUS_SOCKET = path;
    const wrong = new IncusClient({ dispatcher: createLocalDispatcher(path), endpoint: path });
    const error = await listInstanceNames(wrong).catch((e: unknown) => e);
    await wrong.close();
    if (previous === undefined) delete process.env.INCUS_SOCKET;
    else process.env.INCUS_SOCKET = previous;
    expect((error as Error).message).toBe(
      `cannot reach Incus at ${path}: INCUS_SOCKET=${path} is ${kind}, not a socket: point INCUS_SOCKET at the Incus daemon's socket (usually /var/lib/incus/unix.socket) or unset it`,
    );
  });
});

describe('an operation that failed with an error Incus files as "not found"', () => {
  it("is reported with the operation's own error, not as lost (Incus answers its /wait with 404)", async () => {
    // What Incus 6.0.4 answered when a snapshot was deleted while a diff packed it (seen on the real daemon, the race not reproducible at will)
    const err = 'lstat /var/lib/incus/containers-snapshots/box/s/rootfs/data/f10: no such file or directory';
    const id = '7502aa43-7b38-4a83-9191-35e0a3ee46bf';
    const operation = (status: string, code: number) => ({ id, class: 'task', description: 'Downloading image', created_at: '2026-11-27T15:22:29Z', status, status_code: code, resources: {}, metadata: null, may_cancel: false, err: code >= 400 ? err : '' });
    const path = join(mkdtempSync(join(tmpdir(), 'coi-op404-')), 'unix.socket');
    const server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      const answer = (body: object, status = 200) => ((response.statusCode = status), response.end(JSON.stringify(body)));
      if (request.method === 'POST') return answer({ type: 'async', status: 'Operation created', status_code: 100, operation: `/1.0/operations/${id}`, error_code: 0, error: '', metadata: operation('Running', 103) }, 202);
      if (request.url?.includes('/wait')) return answer({ type: 'error', status: '', status_code: 0, operation: '', error_code: 404, error: err, metadata: null }, 404);
      answer({ type: 'sync', status: 'Success', status_code: 200, operation: '', error_code: 0, error: '', metadata: operation('Failure', 400) });
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const fake = new IncusClient({ dispatcher: createLocalDispatcher(path), endpoint: path });
    try {
      const error = await fake.run('POST', '/1.0/images', { source: { type: 'snapshot', name: 'box/s' } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IncusOperationError);
      expect(error).toMatchObject({ outcome: 'failed', message: err });
    } finally {
      await fake.close();
      server.close();
    }
  });
});

describe("Incus's 'Invalid PID' while an instance stops or starts", () => {
  /** A fake daemon that answers the first `failures` requests as Incus 6.0.4 does mid-stop, then lists one instance. */
  async function changingState(failures: number) {
    const path = join(mkdtempSync(join(tmpdir(), 'coi-pid-')), 'unix.socket');
    let asked = 0;
    const server = createServer((request, response) => {
      asked += 1;
      response.setHeader('content-type', 'application/json');
      if (asked <= failures) {
        response.statusCode = 500;
        return response.end(JSON.stringify({ type: 'error', status: '', status_code: 0, operation: '', error_code: 500, error: "Invalid PID '\ufffd'", metadata: null }));
      }
      response.end(JSON.stringify({ type: 'sync', status: 'Success', status_code: 200, operation: '', error_code: 0, error: '', metadata: ['/1.0/instances/box'] }));
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const fake = new IncusClient({ dispatcher: createLocalDispatcher(path), endpoint: path });
    return { fake, asked: () => asked, close: async () => { await fake.close(); server.close(); } };
  }

  it('a read is asked again while Incus answers it (before: the raw "Invalid PID" with a mangled NUL)', async () => {
    const daemon = await changingState(3);
    try {
      expect(await listInstanceNames(daemon.fake)).toEqual(['box']);
      expect(daemon.asked()).toBe(4);
    } finally {
      await daemon.close();
    }
  });

  it('a read it never answers says in words which container was changing state and what to do', async () => {
    const daemon = await changingState(Number.MAX_SAFE_INTEGER);
    try {
      const error = await getInstance(daemon.fake, 'box').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IncusError);
      expect((error as Error).message).toBe(
        "Incus could not read container 'box' while it was stopping or starting (another operation on it is under way: a stop, a start or a restore); try again once it has ended (Incus answered 'Invalid PID' for 5 s)",
      );
    } finally {
      await daemon.close();
    }
  }, 15_000);
});

