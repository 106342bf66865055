import { describe, expect, it } from 'vitest';
import { importSshConfig, parseEndpoint } from '../../src/main/hosts/ssh-config-import';

const CONFIG = `
Host gpu
  HostName 203.0.113.7
  User ada
  Port 2222
  IdentityFile ~/.ssh/id_gpu
  ProxyJump jumper@bastion.example.org:2200

Host build-box laptop
  HostName build.lan

Host *.internal
  User nobody

Host *
  User fallback
  IdentityFile ~/.ssh/id_default
`;

describe('importing ~/.ssh/config', () => {
  it('resolves each concrete Host as OpenSSH does, skipping patterns', () => {
    const hosts = importSshConfig(CONFIG, '/home/ada');
    expect(hosts.map((entry) => entry.alias)).toEqual(['gpu', 'build-box', 'laptop']);
    expect(hosts[0]?.host).toEqual({
      kind: 'ssh', name: 'gpu', displayName: 'gpu', user: 'ada', host: '203.0.113.7', port: 2222,
      identityFiles: ['/home/ada/.ssh/id_gpu', '/home/ada/.ssh/id_default'],
      jump: { user: 'jumper', host: 'bastion.example.org', port: 2200 },
    });
    expect(hosts[1]?.host).toMatchObject({ name: 'build-box', user: 'fallback', host: 'build.lan', port: 22 });
  });

  it('imports only the named aliases, and names the missing ones', () => {
    expect(importSshConfig(CONFIG, '/h', ['laptop']).map((entry) => entry.alias)).toEqual(['laptop']);
    expect(() => importSshConfig(CONFIG, '/h', ['nope'])).toThrow('not in ~/.ssh/config: nope (hosts there: gpu, build-box, laptop)');
  });

  it('reports a host it cannot use instead of importing it wrong', () => {
    const [entry] = importSshConfig('Host multi\n  ProxyJump a@one,b@two\n', '/h');
    expect(entry?.host).toBeUndefined();
    expect(entry?.problem).toMatch(/more than one hop/);
  });

  it('parses USER@HOST[:PORT]', () => {
    expect(parseEndpoint('ada@box:2222', 'me')).toEqual({ user: 'ada', host: 'box', port: 2222 });
    expect(parseEndpoint('box', 'me')).toEqual({ user: 'me', host: 'box', port: 22 });
    expect(parseEndpoint('ada@[fd00::1]:22', 'me')).toEqual({ user: 'ada', host: 'fd00::1', port: 22 });
    expect(() => parseEndpoint('a@b@c', 'me')).toThrow("'a@b@c' is not USER@HOST[:PORT]");
  });
});
