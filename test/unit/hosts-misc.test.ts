import { describe, expect, it } from 'vitest';
import { configDir } from '../../src/main/config/paths';
import { AppError } from '../../src/main/errors';
import { statusOf } from '../../src/main/hosts/pool';
import { agentsFor } from '../../src/main/ssh/auth';
import { diagnose, diagnosticCommand } from '../../src/main/ssh/diagnose';

describe('the config directory (where Electron puts userData)', () => {
  it('is the same folder for the CLI and the app on each OS, unless overridden', () => {
    expect(configDir({ env: {}, platform: 'linux', home: '/home/ada' })).toBe('/home/ada/.config/COI Desktop');
    expect(configDir({ env: { XDG_CONFIG_HOME: '/x' }, platform: 'linux', home: '/home/ada' })).toBe('/x/COI Desktop');
    expect(configDir({ env: {}, platform: 'darwin', home: '/Users/ada' })).toBe('/Users/ada/Library/Application Support/COI Desktop');
    expect(configDir({ env: { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, platform: 'win32', home: 'C:\\Users\\ada' })).toMatch(/^C:\\Users\\ada\\AppData\\Roaming.COI Desktop$/);
    expect(configDir({ env: { COI_DESKTOP_CONFIG_DIR: '/tmp/c' }, platform: 'darwin', home: '/Users/ada' })).toBe('/tmp/c');
  });
});

describe('SSH agents', () => {
  it('uses SSH_AUTH_SOCK, and on Windows the OpenSSH pipe and Pageant', () => {
    expect(agentsFor({ SSH_AUTH_SOCK: '/tmp/a' }, 'linux')).toEqual(['/tmp/a']);
    expect(agentsFor({}, 'linux')).toEqual([]);
    expect(agentsFor({}, 'win32')).toEqual(['\\\\.\\pipe\\openssh-ssh-agent', 'pageant']);
  });
});

describe('diagnosing a refused channel to Incus', () => {
  const target = { label: 'box', user: 'ada', socketPaths: ['/var/lib/incus/unix.socket'] };
  const out = (stdout: string) => ({ code: 0, stdout, stderr: '' });

  it('quotes the socket paths for the shell', () => {
    expect(diagnosticCommand(["/tmp/it's"])).toContain("'/tmp/it'\\''s'");
  });

  it('tells the three causes apart', () => {
    expect(diagnose(out('groups ada\nincus yes\nsocket /var/lib/incus/unix.socket writable\n'), target).code).toBe('forwarding-disabled');
    expect(diagnose(out('groups ada users\nincus yes\nsocket /var/lib/incus/unix.socket denied\n'), target).details).toEqual({ fix: 'sudo usermod -aG incus-admin ada' });
    expect(diagnose(out('groups ada\nincus yes\nsocket /var/lib/incus/unix.socket.user denied\n'), target).details).toEqual({ fix: 'sudo usermod -aG incus ada' });
    const missing = diagnose(out('groups ada\nincus no\nsocket /var/lib/incus/unix.socket missing\n'), target);
    expect(missing.code).toBe('incus-missing');
    expect(missing.message).toMatch(/^Incus is not installed on box/);
  });
});

describe('host status from an error', () => {
  it('carries the fingerprint, the fix, or the reason', () => {
    expect(statusOf(new AppError('host-key-unknown', 'm', { fingerprint: 'SHA256:x', keyType: 'ssh-ed25519' }))).toEqual({ state: 'host-key-unknown', fingerprint: 'SHA256:x', keyType: 'ssh-ed25519' });
    expect(statusOf(new AppError('permission-denied', 'why', { fix: 'do this' }))).toEqual({ state: 'permission-denied', reason: 'why', fix: 'do this' });
    expect(statusOf(new Error('boom'))).toEqual({ state: 'offline', reason: 'boom', nextRetryAt: null });
  });
});
