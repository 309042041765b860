/**
 * Token checks for the socket's `apikey` and a channel's `access_token`, with the wording the
 * real server uses for each place the check can fail.
 */
import { verifyServiceRoleJwt } from '../keys.js';

export type TokenCheck =
  | { ok: true; claims: Record<string, unknown>; expiresAt: number | undefined }
  | {
      ok: false;
      /** Reason in an error join reply: `"<Code>: <message>"`. */
      joinReason: string;
      /** Message of the `system` error that precedes `phx_close`. */
      systemMessage: string;
    };

export function checkToken(token: string, secret: string): TokenCheck {
  const result = verifyServiceRoleJwt(token, secret);
  if (result.ok) {
    const exp = result.claims.exp;
    return { ok: true, claims: result.claims, expiresAt: typeof exp === 'number' ? exp * 1000 : undefined };
  }
  switch (result.reason) {
    case 'malformed':
      return {
        ok: false,
        joinReason: 'MalformedJWT: The token provided is not a valid JWT',
        systemMessage: 'The token provided is not a valid JWT',
      };
    case 'expired':
      return {
        ok: false,
        joinReason: 'InvalidJWTToken: Token has expired 0 seconds ago',
        systemMessage: 'Token has expired 0 seconds ago',
      };
    case 'bad-signature':
      return { ok: false, joinReason: 'InvalidJWTToken: Signature error', systemMessage: 'Signature error' };
    default:
      return { ok: false, joinReason: `Unauthorized: ${result.message}`, systemMessage: result.message };
  }
}
