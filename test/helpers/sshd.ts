import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Connection, Server } from 'ssh2';

const run = promisify(execFile);
export const SSHD = '/usr/sbin/sshd';

export function requireSshd(): void {
  if (!existsSync(SSHD)) throw new Error(`no ${SSHD}: run scripts/setup.sh (it installs openssh-server) before the SSH tests`);
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface KeyPair {
  file: string;
  publicKey: string;
}

/** `ssh-keygen` a throw-away key pair. */
export async function makeKey(dir: string, name: string, type: 'ed25519' | 'ecdsa' | 'rsa', passphrase = ''): Promise<KeyPair> {
  const file = join(dir, name);
  await run('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', passphrase, '-C', name, '-f', file]);
  return { file, publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
}

/** The `SHA256:…` fingerprint `ssh-keygen -lf` prints for a public key file. */
export async function keygenFingerprint(publicKeyFile: string): Promise<string> {
  const { stdout } = await run('ssh-keygen', ['-lf', publicKeyFile]);
  return stdout.split(' ')[1]!;
}

export interface SshdOptions {
  address?: string;
  port?: number;
  /** Run inside this network namespace. */
  netns?: string;
  /** Extra sshd_config lines. */
  config?: string[];
}

/** A real OpenSSH server on a loopback (or namespace) address with its own host key and authorized keys. */
export class TestSshd {
  private process: ChildProcess | undefined;
  readonly host: string;
  port = 0;
  readonly hostKey: string;
  readonly authorizedKeys: string;

  private constructor(
    readonly dir: string,
    private readonly options: SshdOptions,
  ) {
    this.host = options.address ?? '127.0.0.1';
    this.hostKey = join(dir, 'ssh_host_ed25519_key');
    this.authorizedKeys = join(dir, 'authorized_keys');
  }

  static async start(dir: string, options: SshdOptions = {}): Promise<TestSshd> {
    mkdirSync(dir, { recursive: true });
    mkdirSync('/run/sshd', { recursive: true }); // sshd's privilege separation directory
    const sshd = new TestSshd(dir, options);
    sshd.port = options.port ?? (await freePort());
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', sshd.hostKey]);
    writeFileSync(sshd.authorizedKeys, '', { mode: 0o644 });
    await sshd.launch();
    return sshd;
  }

  /** The host's public key line as `known_hosts` holds it. */
  knownHostsLine(): string {
    const [type, key] = readFileSync(`${this.hostKey}.pub`, 'utf8').split(' ');
    return `${this.port === 22 ? this.host : `[${this.host}]:${this.port}`} ${type} ${key}`;
  }

  authorize(publicKey: string): void {
    appendFileSync(this.authorizedKeys, `${publicKey}\n`);
  }

  /** Kills the server and every session it serves (each session is its own process group). */
  async stop(): Promise<void> {
    const pid = this.process?.pid;
    // A process killed by a signal keeps exitCode null: it has ended all the same.
    if (!pid || this.process?.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.process?.once('exit', resolve));
    for (const child of [...(await descendants(pid)), pid]) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
  }

  /** Sends `signal` to the server and every session it serves: SIGSTOP freezes it, connections stay open. */
  async signal(signal: 'SIGSTOP' | 'SIGCONT' | 'SIGKILL'): Promise<void> {
    const pid = this.process?.pid;
    if (!pid) return;
    for (const child of [pid, ...(await descendants(pid))]) {
      try {
        process.kill(child, signal);
      } catch {
        // already gone
      }
    }
  }

  /** Starts the server again on the same port after `stop`. */
  async start(): Promise<void> {
    await this.launch();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  private async launch(): Promise<void> {
    const config = join(this.dir, 'sshd_config');
    writeFileSync(config, [
      `Port ${this.port}`,
      `ListenAddress ${this.host}`,
      `HostKey ${this.hostKey}`,
      `PidFile ${join(this.dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${this.authorizedKeys}`,
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding yes',
      'LogLevel VERBOSE',
      ...(this.options.config ?? ['AllowStreamLocalForwarding yes']),
    ].join('\n') + '\n');
    const argv = ['-D', '-e', '-f', config];
    const child = this.options.netns ? spawn('ip', ['netns', 'exec', this.options.netns, SSHD, ...argv]) : spawn(SSHD, argv);
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`sshd did not start:\n${log}`)), 10_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Server listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sshd exited (${code}):\n${log}`));
      });
    });
    child.stdout!.resume();
  }
}

async function descendants(pid: number): Promise<number[]> {
  const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(pid)]).catch(() => ({ stdout: '' }));
  const children = stdout.split('\n').map((line) => Number(line.trim())).filter((child) => child > 0);
  const nested = await Promise.all(children.map(descendants));
  return [...children, ...nested.flat()];
}

/** A real `ssh-agent` on a socket of its own. */
export class TestAgent {
  private constructor(
    readonly socket: string,
    private readonly process: ChildProcess,
  ) {}

  static async start(dir: string): Promise<TestAgent> {
    const socket = join(dir, `agent-${randomBytes(3).toString('hex')}.sock`);
    const child = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(socket); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    return new TestAgent(socket, child);
  }

  async add(keyFile: string): Promise<void> {
    await run('ssh-add', [keyFile], { env: { ...process.env, SSH_AUTH_SOCK: this.socket } });
  }

  stop(): void {
    this.process.kill();
  }
}

/** A network namespace joined to this one by a veth pair: a second "machine" for the tests. */
export class TestNetns {
  private constructor(
    readonly name: string,
    private readonly hostVeth: string,
    /** The namespace's address, reachable from here. */
    readonly address: string,
  ) {}

  static async create(index: number): Promise<TestNetns> {
    const id = randomBytes(2).toString('hex');
    const name = `coi-test-${id}`;
    const [outer, inner] = [`cva${id}`, `cvb${id}`];
    const net = `10.231.${index}`;
    const steps = [
      ['netns', 'add', name],
      ['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner],
      ['link', 'set', inner, 'netns', name],
      ['addr', 'add', `${net}.1/30`, 'dev', outer],
      ['link', 'set', outer, 'up'],
      ['-n', name, 'addr', 'add', `${net}.2/30`, 'dev', inner],
      ['-n', name, 'link', 'set', inner, 'up'],
      ['-n', name, 'link', 'set', 'lo', 'up'],
    ];
    for (const step of steps) await run('ip', step);
    return new TestNetns(name, outer, `${net}.2`);
  }

  async destroy(): Promise<void> {
    await run('ip', ['netns', 'del', this.name]).catch(() => undefined);
    await run('ip', ['link', 'del', this.hostVeth]).catch(() => undefined);
  }
}

/** A test's own sshd on loopback (or as `options` say) that accepts one fresh ed25519 key. */
export async function sshdWithKey(label: string, options: SshdOptions = {}): Promise<{ dir: string; sshd: TestSshd; key: KeyPair }> {
  const dir = mkdtempSync(join(tmpdir(), `coi-${label}-`));
  const sshd = await TestSshd.start(join(dir, 'sshd'), options);
  const key = await makeKey(dir, 'id_ed25519', 'ed25519');
  sshd.authorize(key.publicKey);
  return { dir, sshd, key };
}

/** What a `FaultyListener` does with the `index`-th connection it accepts (0 first). */
export type ConnectionBehaviour = (socket: Socket, index: number) => void;

/** Sends an SSH banner, reads the client's banner and key exchange (its KEXINIT), then closes. */
export const closeAfterKex: ConnectionBehaviour = (socket) => {
  socket.write('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
  let seen = 0;
  socket.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    // The client's identification line is short; anything beyond it is its KEXINIT packet.
    if (seen > 100) socket.destroy();
  });
};

/** Accepts and never says a word. */
export const neverSpeak: ConnectionBehaviour = (socket) => {
  socket.resume();
};

/** Sends an SSH banner and closes at once. */
export const closeAfterBanner: ConnectionBehaviour = (socket) => {
  socket.end('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
};

/** Relays the connection to a real server on 127.0.0.1:`port`. */
export function forwardTo(port: number): ConnectionBehaviour {
  return (socket) => {
    const upstream = connect(port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    socket.on('close', () => upstream.destroy());
  };
}

/** A TCP listener on 127.0.0.1 that misbehaves as told and counts the connections it accepts. */
export class FaultyListener {
  connections = 0;
  port = 0;
  private readonly sockets = new Set<Socket>();
  private readonly server = createServer((socket) => this.accept(socket));

  private constructor(
    /** What the next connections meet. */
    public behaviour: ConnectionBehaviour,
  ) {}

  static async start(behaviour: ConnectionBehaviour): Promise<FaultyListener> {
    const listener = new FaultyListener(behaviour);
    await new Promise<void>((resolve) => listener.server.listen(0, '127.0.0.1', resolve));
    const address = listener.server.address();
    listener.port = typeof address === 'object' && address ? address.port : 0;
    return listener;
  }

  /** Cuts every open connection (a dropped network); new connections are accepted as before. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(socket: Socket): void {
    const index = this.connections;
    this.connections += 1;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    this.behaviour(socket, index);
  }
}

/**
 * An SSH server (ssh2's) on 127.0.0.1 that completes the handshake, lets any key in, answers
 * keepalives and never answers a channel open: a session that stalls after authentication.
 */
export class ChannelStallServer {
  port = 0;
  /** Channel opens it received (and left unanswered). */
  channelOpens = 0;
  private readonly clients = new Set<Connection>();
  private server: Server | undefined;

  private constructor(private readonly hostKey: KeyPair) {}

  static async start(dir: string): Promise<ChannelStallServer> {
    const made = new ChannelStallServer(await makeKey(dir, 'stall-host', 'ed25519'));
    const ssh2 = await import('ssh2');
    const server = new ssh2.Server({ hostKeys: [readFileSync(made.hostKey.file)] }, (client) => made.accept(client));
    made.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    made.port = (server.address() as { port: number }).port;
    return made;
  }

  knownHostsLine(): string {
    const [type, key] = this.hostKey.publicKey.split(' ');
    return `[127.0.0.1]:${this.port} ${type} ${key}`;
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.end();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }

  private accept(client: Connection): void {
    this.clients.add(client);
    client.on('error', () => undefined);
    client.on('close', () => this.clients.delete(client));
    client.on('authentication', (context) => (context.method === 'publickey' ? context.accept() : context.reject(['publickey'])));
    client.on('ready', () => {
      const unanswered = () => {
        this.channelOpens += 1;
      };
      client.on('openssh.streamlocal', unanswered);
      client.on('session', unanswered);
      client.on('tcpip', unanswered);
    });
  }
}
