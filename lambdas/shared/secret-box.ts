import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * AES-256-GCM with a key derived (SHA-256) from a key secret, and `context` (the item's key) as
 * additional data, so a sealed value copied onto another item does not open. Output:
 * `v1.<iv>.<tag>.<ciphertext>`, base64url parts.
 */
// Structurally the adapters' SecretSealer (shared does not import adapters).
export class SecretBox {
  readonly #key: () => Promise<string>;

  constructor(key: () => Promise<string>) {
    this.#key = key;
  }

  async #aesKey(): Promise<Buffer> {
    return createHash('sha256')
      .update(await this.#key())
      .digest();
  }

  async seal(plaintext: string, context: string): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.#aesKey(), iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  async open(sealed: string, context: string): Promise<string> {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
      throw new Error('Not a sealed secret of this version');
    }
    const decipher = createDecipheriv('aes-256-gcm', await this.#aesKey(), Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}
