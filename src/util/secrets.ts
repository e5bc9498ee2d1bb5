/** Comparing secrets without leaking, through timing, how much of a guess was right. */
import crypto from 'node:crypto';

export function sameSecret(given: string, expected: string): boolean {
  // Hashing first gives equal lengths, which timingSafeEqual needs, and hides the real length.
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/** An endpoint's two keys (two, so one can be rotated while clients still use the other). */
export interface EndpointKeys { primaryKey: string; secondaryKey: string }

export const newKey = () => crypto.randomBytes(24).toString('base64url');
export const newEndpointKeys = (): EndpointKeys => ({ primaryKey: newKey(), secondaryKey: newKey() });

/** Whether `token` is either key, in constant time. */
export const opensWith = (keys: EndpointKeys, token: string) => sameSecret(token, keys.primaryKey) || sameSecret(token, keys.secondaryKey);

/** A new key of the given type, the other kept. */
export function regenerated(keys: EndpointKeys, keyType: string): EndpointKeys | undefined {
  if (keyType === 'primary') return { ...keys, primaryKey: newKey() };
  if (keyType === 'secondary') return { ...keys, secondaryKey: newKey() };
  return undefined;
}
