import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** AES-256-GCM: 32-byte keys, 12-byte nonces (the size GCM is specified for), 16-byte tags. */
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What sealing leaves: the nonce, the ciphertext and the authentication tag, each base64url. */
export type Sealed = { iv: string; ct: string; tag: string };

/**
 * Encrypts `plaintext` under `key`, bound to `context` (authenticated, not stored): the same bytes sealed for another
 * context (another field, another subject) fail to open there, so ciphertexts cannot be moved around undetected.
 */
export function seal(key: Buffer, plaintext: Buffer, context: string): Sealed {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv: iv.toString('base64url'), ct: ct.toString('base64url'), tag: cipher.getAuthTag().toString('base64url') };
}

/** The plaintext of `sealed`; throws when the key, the context or any byte is not the one it was sealed with. */
export function open(key: Buffer, sealed: Sealed, context: string): Buffer {
  const tag = Buffer.from(sealed.tag, 'base64url');
  if (tag.length !== TAG_BYTES) throw new Error('the authentication tag is not 16 bytes');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64url'), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64url')), decipher.final()]);
}

export const newDataKey = (): Buffer => randomBytes(KEY_BYTES);
