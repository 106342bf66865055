import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AgentAuthMethod, AuthHandlerMiddleware, NextAuthHandler, ParsedKey, PublicKeyAuthMethod } from 'ssh2';
import { loadSsh2 } from './ssh2';

type Method = AgentAuthMethod | PublicKeyAuthMethod;

/** Asks the user for the passphrase of `keyFile` (for connecting to `host`); null when they decline. */
export type AskPassphrase = (keyFile: string, attempt: number, host: string) => Promise<string | null>;

export interface AuthOptions {
  user: string;
  /** Key files in the order to try; empty: OpenSSH's default files in `sshDir`. */
  identityFiles: readonly string[];
  sshDir: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** The host's name, for the passphrase prompt. */
  host: string;
  /** Absent where nobody can be asked (no terminal): such keys are skipped, and the error says so. */
  askPassphrase?: AskPassphrase;
}

/** The files OpenSSH tries when no IdentityFile is given, in its order. */
export const DEFAULT_IDENTITY_FILES = ['id_rsa', 'id_ecdsa', 'id_ed25519'];
const PASSPHRASE_ATTEMPTS = 3;

/** The agents to ask: `SSH_AUTH_SOCK`; on Windows without it, the OpenSSH agent pipe, then Pageant. */
export function agentsFor(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  if (env.SSH_AUTH_SOCK) return [env.SSH_AUTH_SOCK];
  return platform === 'win32' ? ['\\\\.\\pipe\\openssh-ssh-agent', 'pageant'] : [];
}

/**
 * An ssh2 auth handler that tries what OpenSSH tries, in its order: the agent, then each key file
 * (ed25519, ecdsa, RSA), asking for a passphrase where a key has one. `tried` collects what was
 * tried and why each was passed over, for the error when none is accepted.
 */
export function createAuthHandler(options: AuthOptions, tried: string[]): AuthHandlerMiddleware {
  const agents = agentsFor(options.env, options.platform);
  const explicit = options.identityFiles.length > 0;
  const files = explicit ? [...options.identityFiles] : DEFAULT_IDENTITY_FILES.map((file) => join(options.sshDir, file));
  const steps: (() => Promise<Method | undefined>)[] = [
    ...agents.map((agent) => async (): Promise<Method> => {
      tried.push(`agent ${agent}`);
      return { type: 'agent', username: options.user, agent };
    }),
    ...files.map((file) => () => keyAuth(file, explicit, options, tried)),
  ];
  return (_methodsLeft, _partial, next: NextAuthHandler) => {
    void (async () => {
      for (let step = steps.shift(); step; step = steps.shift()) {
        const method = await step();
        if (method) return next(method);
      }
      // ssh2 takes `false` for "no more methods"; its type declarations leave that out.
      (next as unknown as (method: false) => void)(false);
    })();
  };
}

/** ssh2's key parser (ssh2 is loaded on first use). */
async function parseKey(data: Buffer, passphrase?: string): Promise<ParsedKey | Error> {
  return (await loadSsh2()).utils.parseKey(data, passphrase);
}

async function keyAuth(file: string, explicit: boolean, options: AuthOptions, tried: string[]): Promise<Method | undefined> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (error) {
    if (explicit) tried.push(`${file} (${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message})`);
    return undefined;
  }
  const plain = await parseKey(data);
  if (!(plain instanceof Error)) {
    tried.push(file);
    return { type: 'publickey', username: options.user, key: data };
  }
  if (!/no passphrase given/i.test(plain.message)) {
    tried.push(`${file} (not a usable private key: ${plain.message})`);
    return undefined;
  }
  return passphraseKeyAuth(file, data, options, tried);
}

async function passphraseKeyAuth(file: string, data: Buffer, options: AuthOptions, tried: string[]): Promise<Method | undefined> {
  if (!options.askPassphrase) {
    tried.push(`${file} (has a passphrase and nobody could be asked for it: add it to your agent with 'ssh-add ${file}')`);
    return undefined;
  }
  for (let attempt = 1; attempt <= PASSPHRASE_ATTEMPTS; attempt += 1) {
    const passphrase = await options.askPassphrase(file, attempt, options.host);
    if (passphrase === null) {
      tried.push(`${file} (passphrase not given)`);
      return undefined;
    }
    if (!((await parseKey(data, passphrase)) instanceof Error)) {
      tried.push(file);
      return { type: 'publickey', username: options.user, key: data, passphrase };
    }
  }
  tried.push(`${file} (wrong passphrase, ${PASSPHRASE_ATTEMPTS} attempts)`);
  return undefined;
}
