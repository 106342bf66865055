import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoiCore } from '../../src/main/app/core';
import type { CoiApi, CoiEvent } from '../../src/shared/contract';
import { knowHost, sshHost } from '../helpers/hosts';
import { requireDaemon } from '../helpers/incus';
import { keygenFingerprint, makeKey, requireSshd, sshdWithKey, type KeyPair, type TestSshd } from '../helpers/sshd';
import { openCore, preloadFace, webFace, type Face } from '../helpers/transports';

let sshd: TestSshd;
let key: KeyPair;
let dir: string;
const opened: { core: CoiCore; face: Face }[] = [];

beforeAll(async () => {
  requireDaemon();
  requireSshd();
  ({ sshd, key, dir } = await sshdWithKey('contractssh'));
});
afterAll(async () => {
  for (const { core, face } of opened) {
    await face.close();
    await core.close();
  }
  await sshd?.stop();
});

async function face(kind: 'preload' | 'web') {
  const made = await openCore();
  const chosen = kind === 'preload' ? preloadFace(made.core) : await webFace(made.core);
  opened.push({ core: made.core, face: chosen });
  return { ...made, api: chosen.api };
}

describe.each(['preload', 'web'] as const)('the SSH prompts through the %s face', (kind) => {
  it('adds a host with an unknown key only after its fingerprint is trusted', async () => {
    const { api } = await face(kind);
    const host = sshHost('box', sshd, { identityFiles: [key.file] });
    const first = await api['hosts.add']({ host });
    if (!first.ok) throw new Error(first.error.message);
    const expected = await keygenFingerprint(`${sshd.hostKey}.pub`);
    expect(first.value.status).toEqual({ state: 'host-key-unknown', fingerprint: expected, keyType: 'ssh-ed25519' });
    expect(await api['hosts.list']({})).toMatchObject({ ok: true, value: [{ config: { name: 'local' } }] }); // not saved

    expect(await api['hosts.trustFingerprint']({ host: 'box', fingerprint: expected })).toEqual({ ok: true, value: null });
    const second = await api['hosts.add']({ host });
    expect(second).toMatchObject({ ok: true, value: { status: { state: 'online' } } });
    expect(await api['hosts.list']({})).toMatchObject({ ok: true, value: [{ config: { name: 'local' } }, { config: { name: 'box' } }] });
  });

  it('asks for a passphrase with an event and connects with the answer', async () => {
    const { api, home } = await face(kind);
    const locked = await makeKey(dir, `locked-${kind}`, 'ed25519', 'open sesame');
    sshd.authorize(locked.publicKey);
    knowHost(home.sshDir, sshd);
    const requests: CoiEvent[] = [];
    const stop = (api as CoiApi).on((event) => {
      if (event.type !== 'passphrase-request') return;
      requests.push(event);
      void api['hosts.answerPassphrase']({ requestId: event.requestId, passphrase: event.attempt === 1 ? 'wrong' : 'open sesame' });
    });
    const added = await api['hosts.add']({ host: sshHost('locked', sshd, { identityFiles: [locked.file] }) });
    stop();
    expect(added).toMatchObject({ ok: true, value: { status: { state: 'online' } } });
    expect(requests).toEqual([
      { type: 'passphrase-request', requestId: expect.any(String), host: 'locked', keyFile: locked.file, attempt: 1 },
      { type: 'passphrase-request', requestId: expect.any(String), host: 'locked', keyFile: locked.file, attempt: 2 },
    ]);
  });
});
