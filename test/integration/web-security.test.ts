import { request } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoiCore } from '../../src/main/app/core';
import { startWebServer, type WebServer } from '../../src/main/web/server';
import { openCore } from '../helpers/transports';

let core: CoiCore;
let server: WebServer;
let port: number;

beforeAll(async () => {
  ({ core } = await openCore());
  const rendererDir = mkdtempSync(join(tmpdir(), 'coi-web-'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>COI Desktop</title>');
  mkdirSync(join(rendererDir, 'assets'));
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(rendererDir, 'assets', 'index-B0N1qvrI.js'), 'console.log(2)');
  writeFileSync(join(tmpdir(), 'coi-secret.txt'), 'secret');
  server = await startWebServer({ handlers: core.handlers, events: core.events, rendererDir });
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server?.close();
  await core?.close();
});

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A raw HTTP request, so the Host and Origin headers are exactly what an attacker would send. */
function raw(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${port}`, ...options.headers } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const call = (headers: Record<string, string>) =>
  raw('/api/call/hosts.list', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });

describe('web mode refuses what is not the app', () => {
  it('serves the app with the token, and the same CSP as the desktop window', async () => {
    const ok = await call({ authorization: `Bearer ${server.token}` });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ ok: true, value: [{ config: { name: 'local' } }] });
    const page = await raw('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
    expect(server.url).toBe(`http://127.0.0.1:${port}/`);
  });

  it('answers 401 without the token or with a wrong one', async () => {
    expect((await call({})).status).toBe(401);
    expect((await call({ authorization: `Bearer ${server.token.slice(0, -1)}x` })).status).toBe(401);
    expect((await call({ authorization: server.token })).status).toBe(401);
    expect((await raw('/api/events')).status).toBe(401);
  });

  it('refuses another site calling it from a browser (foreign Origin), even with the token', async () => {
    const reply = await call({ authorization: `Bearer ${server.token}`, origin: 'http://evil.example' });
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.body).error.message).toBe('requests from other sites are refused');
    expect((await call({ authorization: `Bearer ${server.token}`, origin: `http://127.0.0.1:${port}` })).status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await raw('/', { headers: { host: `evil.example:${port}` } })).status).toBe(421);
    expect((await call({ authorization: `Bearer ${server.token}`, host: 'evil.example' })).status).toBe(421);
  });

  it('refuses to listen anywhere but loopback', async () => {
    for (const bind of ['0.0.0.0', '::', '192.0.2.10']) {
      await expect(startWebServer({ handlers: core.handlers, events: core.events, rendererDir: tmpdir(), bind })).rejects.toThrow(/web mode listens on loopback only/);
    }
  });

  it('serves nothing outside the renderer folder, and no unknown call', async () => {
    expect((await raw('/../coi-secret.txt')).status).toBe(404);
    expect((await raw('/%2e%2e/coi-secret.txt')).status).toBe(404);
    expect((await raw('/assets/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    const unknown = await raw('/api/call/constructor', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` }, body: '{}' });
    expect(JSON.parse(unknown.body)).toEqual({ ok: false, error: { code: 'invalid-input', message: "there is no call named 'constructor'" } });
  });
});

describe('web mode serves the built page for a fast start', () => {
  it('lets the browser keep the scripts named by their content, and checks the page itself on every load', async () => {
    // A reload then fetches index.html alone; a new build (new names in a new index.html) is seen at once.
    expect((await raw('/assets/index-B0N1qvrI.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await raw('/')).headers['cache-control']).toBe('no-cache');
    expect((await raw('/index.html')).headers['cache-control']).toBe('no-cache');
    expect((await raw('/assets/app.js')).headers['cache-control']).toBe('no-cache');
  });
});

describe('web mode answers bad requests with the status it means', () => {
  const bigCall = (declareLength: boolean) =>
    new Promise<Reply>((resolve, reject) => {
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const total = 40 * chunk.length; // 2.5 MiB, over the 1 MiB limit
      const headers: Record<string, string> = { host: `127.0.0.1:${port}`, 'content-type': 'application/json', authorization: `Bearer ${server.token}` };
      if (declareLength) headers['content-length'] = String(total);
      const req = request({ host: '127.0.0.1', port, path: '/api/call/hosts.list', method: 'POST', headers }, (res) => {
        let body = '';
        res.on('data', (data: Buffer) => (body += data.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      });
      req.on('error', reject);
      for (let i = 0; i < total / chunk.length; i += 1) req.write(chunk);
      req.end();
    });

  it.each([
    ['declared in Content-Length', true],
    ['sent chunked', false],
  ])('answers 413 to a body over the limit (%s), not a connection reset', async (_how, declareLength) => {
    const reply = await bigCall(declareLength);
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/^request too large/) } });
  });

  it('answers 400 to a malformed %-escape in a path', async () => {
    const reply = await raw('/assets/%E0%A4%A.js');
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toMatchObject({ ok: false, error: { message: 'malformed %-escape in the path' } });
    expect((await raw('/%')).status).toBe(400);
  });
});
