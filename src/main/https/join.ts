import { z } from 'zod';
import { readTrustToken, type TrustToken } from '../../shared/hosts';
import { AppError } from '../errors';
import type { IncusClient } from '../incus/client';
import { IncusError } from '../incus/errors';

/** Reads a trust token; one that is not a token is refused before anything is sent anywhere. */
export function decodeTrustToken(token: string): TrustToken {
  const read = readTrustToken(token);
  if (!read) throw new AppError('invalid-input', 'that is not an Incus trust token: make one on the server with `incus config trust add NAME` and paste all of it');
  return read;
}

const AuthSchema = z.object({ auth: z.string().optional() });

/**
 * Adds this client's certificate (the one of the TLS handshake) to the server's trust store with
 * the token: `POST /1.0/certificates` with `trust_token`. The connection is the pinned one, so the
 * token only ever reaches the server whose certificate the token (or the user) named. A client the
 * server already trusts does not spend the token. A refused token fails with the daemon's reason.
 */
export async function joinWithToken(client: IncusClient, token: string): Promise<'joined' | 'already-trusted'> {
  const before = await client.query('GET', '/1.0', AuthSchema);
  if (before.auth === 'trusted') return 'already-trusted';
  try {
    await client.query('POST', '/1.0/certificates', z.unknown(), { type: 'client', trust_token: token.trim() });
  } catch (error) {
    if (error instanceof IncusError) {
      throw new AppError('auth-failed', `${client.endpoint} refused the trust token: ${error.message}. Make a new one on the server (incus config trust add NAME; a token works once and may expire) and try again`);
    }
    throw error;
  }
  const after = await client.query('GET', '/1.0', AuthSchema);
  if (after.auth !== 'trusted') throw new AppError('auth-failed', `${client.endpoint} accepted the trust token but still does not trust COI Desktop's certificate`);
  return 'joined';
}
