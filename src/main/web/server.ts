import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import type { CoiEvent } from '../../shared/contract';
import { dispatch, type Handlers } from '../app/dispatch';
import type { Transfers } from '../backups/transfers';
import { AppError, toErrorInfo } from '../errors';
import { CONTENT_SECURITY_POLICY } from '../shell/window-options';

export interface WebServerOptions {
  handlers: Handlers;
  events: NodeJS.EventEmitter;
  /** The built renderer (`out/renderer`). */
  rendererDir: string;
  port?: number;
  /** Loopback only: 127.0.0.1 (default), another 127.x address, ::1 or localhost. */
  bind?: string;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
  /** Backup downloads and uploads, by the one-time tickets `backups.export` / `backups.import` hand out. */
  backups?: Pick<Transfers, 'download' | 'upload'>;
}

export interface WebServer {
  url: string;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};
const MAX_BODY = 1 << 20;
const DRAIN_LIMIT = 64 * MAX_BODY;

export function isLoopback(address: string): boolean {
  if (address === 'localhost') return true;
  if (isIP(address) === 4) return address.startsWith('127.');
  return address === '::1';
}

/**
 * Web mode: the built renderer and the contract over HTTP, on loopback only. Every API request
 * needs the token (`Authorization: Bearer …`); the Host header must name this server (no DNS
 * rebinding) and a browser's Origin must be this server's (no other site may call it).
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const bind = options.bind ?? '127.0.0.1';
  if (!isLoopback(bind)) {
    throw new AppError('invalid-input', `web mode listens on loopback only (127.0.0.1, ::1 or localhost), not ${bind}: anyone who reached it could drive your Incus hosts`);
  }
  const token = options.token ?? randomBytes(32).toString('base64url');
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bind, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const names = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${bind}:${port}`]);
  server.on('request', (request, response) => {
    void handle({ ...options, token, names }, request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { ok: false, error: { code: 'internal', message: String(error) } });
    });
  });
  const host = bind.includes(':') ? `[${bind}]` : bind;
  return { url: `http://${host}:${port}/`, token, close: () => closeServer(server) };
}

interface Context extends WebServerOptions {
  token: string;
  names: Set<string>;
}

async function handle(context: Context, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const host = request.headers.host ?? '';
  if (!context.names.has(host)) return send(response, 421, problem(`wrong Host header '${host.slice(0, 100)}': open the address the server printed`));
  const origin = request.headers.origin;
  if (origin !== undefined && !context.names.has(origin.replace(/^http:\/\//, ''))) return send(response, 403, problem('requests from other sites are refused'));
  const url = new URL(request.url ?? '/', `http://${host}`);
  if (!url.pathname.startsWith('/api/')) return serveStatic(context.rendererDir, url.pathname, request, response);
  const backup = /^\/api\/backup\/(download|upload)\/([\w-]{43})$/.exec(url.pathname);
  if (backup && context.backups) return serveBackup(context.backups, backup[1] as 'download' | 'upload', backup[2]!, request, response);
  if (!hasToken(request, context.token)) return send(response, 401, problem('missing or wrong token: open the address the server printed (it ends in #token=…)'));
  if (url.pathname === '/api/events' && request.method === 'GET') return streamEvents(context.events, request, response);
  const call = /^\/api\/call\/([\w.]+)$/.exec(url.pathname);
  if (!call || request.method !== 'POST') return send(response, 404, problem('no such API'));
  if (!request.headers['content-type']?.startsWith('application/json')) return send(response, 415, problem('send JSON'));
  const body = await readBody(request);
  if (body === undefined) return send(response, 413, problem(`request too large: a call's JSON must be at most ${MAX_BODY} bytes`));
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return send(response, 400, problem('the request body is not JSON'));
  }
  send(response, 200, await dispatch(context.handlers, call[1]!, payload));
}

/**
 * A backup download (GET) or upload (POST) by its one-time ticket: the ticket, handed out by an
 * authenticated call and valid once for a minute, is the credential (a browser download cannot send
 * the token header). The download streams the backup as it comes from Incus; the upload streams the
 * request body to Incus and answers with the finished transfer.
 */
async function serveBackup(backups: Pick<Transfers, 'download' | 'upload'>, kind: 'download' | 'upload', ticket: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== (kind === 'download' ? 'GET' : 'POST')) return send(response, 405, problem('method not allowed'));
  try {
    if (kind === 'download') {
      securityHeaders(response);
      return await backups.download(ticket, response);
    }
    const transfer = await backups.upload(ticket, request);
    send(response, 200, transfer.state === 'done' ? { ok: true, value: transfer } : { ok: false, error: { code: 'incus', message: transfer.error ?? 'the import failed' } });
  } catch (error) {
    if (response.headersSent) return void response.destroy();
    const info = toErrorInfo(error);
    send(response, info.code === 'not-found' ? 404 : 500, { ok: false, error: info });
  }
}

function hasToken(request: IncomingMessage, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function problem(message: string) {
  return { ok: false, error: { code: 'invalid-input', message } };
}

function securityHeaders(response: ServerResponse): void {
  response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  response.setHeader('X-Frame-Options', 'DENY');
}

function send(response: ServerResponse, status: number, value: unknown): void {
  securityHeaders(response);
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(value));
}

async function serveStatic(root: string, pathname: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, problem('method not allowed'));
  const decoded = decodePath(pathname);
  if (decoded === undefined) return send(response, 400, problem('malformed %-escape in the path'));
  const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  const file = normalize(join(root, relative));
  if (!file.startsWith(normalize(root) + sep)) return send(response, 404, problem('not found'));
  let content: Buffer;
  try {
    content = await readFile(file);
  } catch {
    return send(response, 404, problem('not found'));
  }
  securityHeaders(response);
  response.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': cacheControl(relative) });
  response.end(request.method === 'HEAD' ? undefined : content);
}

/**
 * The build names every script and style sheet in `assets/` by a hash of its content: a browser may
 * keep one for good (a reload fetches nothing but index.html), while index.html is checked on every
 * load, so a new build is seen at once. Nothing is compressed: on loopback, compressing costs more
 * time than the bytes it saves.
 */
function cacheControl(relative: string): string {
  return /^assets\/[^/]+-[\w-]{8}\.(js|css)$/.test(relative) ? 'public, max-age=31536000, immutable' : 'no-cache';
}

function decodePath(pathname: string): string | undefined {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
}

/**
 * The request's body, or undefined when it is over the limit. An oversized body is still read
 * (and dropped) so the client gets the 413 rather than a reset of a connection it is still writing
 * to; past DRAIN_LIMIT the connection is closed anyway.
 */
function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    if (Number(request.headers['content-length'] ?? 0) > MAX_BODY) resolve(undefined);
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
      else if (size > DRAIN_LIMIT) request.destroy();
      else resolve(undefined);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Server-sent events: one `data:` line per contract event, and a comment every 15 s to keep it open. */
function streamEvents(events: NodeJS.EventEmitter, request: IncomingMessage, response: ServerResponse): void {
  securityHeaders(response);
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  response.write(': connected\n\n');
  const listener = (event: CoiEvent) => response.write(`data: ${JSON.stringify(event)}\n\n`);
  const heartbeat = setInterval(() => response.write(': ping\n\n'), 15_000);
  events.on('event', listener);
  request.on('close', () => {
    clearInterval(heartbeat);
    events.off('event', listener);
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
