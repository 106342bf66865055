import { describe, expect, it } from 'vitest';
import { findLocalSocket, SYSTEM_SOCKET, USER_SOCKET } from '../../src/main/incus/local-socket';

describe('the local Incus socket', () => {
  it('prefers INCUS_SOCKET, then the system socket, then the restricted user socket', () => {
    const only = (...paths: string[]) => (path: string) => paths.includes(path);
    expect(findLocalSocket({ INCUS_SOCKET: '/tmp/x.sock' }, only(SYSTEM_SOCKET))).toBe('/tmp/x.sock');
    expect(findLocalSocket({}, only(SYSTEM_SOCKET, USER_SOCKET))).toBe(SYSTEM_SOCKET);
    expect(findLocalSocket({}, only(USER_SOCKET))).toBe(USER_SOCKET);
    expect(findLocalSocket({}, only())).toBe(SYSTEM_SOCKET);
  });
});
