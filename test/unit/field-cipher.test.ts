import { newDataKey, open, seal } from '../../src/eventstore/field-cipher';
import { KeyCache } from '../../src/eventstore/key-cache';
import { masterKeys } from '../../src/eventstore/master-keys';
import { loadConfig } from '../../src/config';

const text = (b: Buffer) => b.toString('utf8');

describe('field cipher (AES-256-GCM)', () => {
  const key = newDataKey();

  it('opens what it sealed, with a fresh nonce each time', () => {
    const a = seal(key, Buffer.from('Ada Lovelace'), 'CustomerRegistered.name');
    const b = seal(key, Buffer.from('Ada Lovelace'), 'CustomerRegistered.name');
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toContain('Ada');
    expect(text(open(key, a, 'CustomerRegistered.name'))).toBe('Ada Lovelace');
  });

  it('refuses another key', () => {
    const sealed = seal(key, Buffer.from('ada@example.com'), 'f');
    expect(() => open(newDataKey(), sealed, 'f')).toThrow();
  });

  it('refuses another context (a value moved to another field)', () => {
    const sealed = seal(key, Buffer.from('ada@example.com'), 'CustomerRegistered.email');
    expect(() => open(key, sealed, 'CustomerRegistered.name')).toThrow();
  });

  it('refuses a tampered ciphertext, nonce or tag', () => {
    const sealed = seal(key, Buffer.from('a reason'), 'f');
    const flip = (s: string) => {
      const bytes = Buffer.from(s, 'base64url');
      bytes[0]! ^= 1;
      return bytes.toString('base64url');
    };
    expect(() => open(key, { ...sealed, ct: flip(sealed.ct) }, 'f')).toThrow();
    expect(() => open(key, { ...sealed, iv: flip(sealed.iv) }, 'f')).toThrow();
    expect(() => open(key, { ...sealed, tag: flip(sealed.tag) }, 'f')).toThrow();
    expect(() => open(key, { ...sealed, tag: sealed.tag.slice(0, 8) }, 'f')).toThrow();
  });
});

describe('master keys', () => {
  it('are read from DATA_KEY as hex or base64, 32 bytes', () => {
    const raw = newDataKey();
    const hex = loadConfig({ DATA_KEY: raw.toString('hex') }).dataKeys.current!;
    const b64 = loadConfig({ DATA_KEY: raw.toString('base64') }).dataKeys.current!;
    expect(hex.equals(raw) && b64.equals(raw)).toBe(true);
    expect(() => loadConfig({ DATA_KEY: 'c2hvcnQ=' })).toThrow(/DATA_KEY: must be 32 bytes/);
  });

  it('are required in production', () => {
    const env = { NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32) };
    expect(() => loadConfig(env)).toThrow(/NODE_ENV=production needs DATA_KEY/);
    expect(() => loadConfig({ ...env, DATA_KEY: newDataKey().toString('hex') })).not.toThrow();
  });

  it('are known by a digest of the key, the current first', () => {
    const [a, b] = [newDataKey(), newDataKey()];
    const keys = masterKeys(a, [b]);
    expect(keys.current.key).toBe(a);
    expect(keys.byId.size).toBe(2);
    expect(keys.current.id).not.toContain(a.toString('hex').slice(0, 16));
  });
});

describe('key cache', () => {
  it('holds at most its capacity, dropping the least recently used', () => {
    const cache = new KeyCache<number>(2, 1000);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
  });

  it('forgets entries after their time', () => {
    let now = 0;
    const cache = new KeyCache<number>(10, 1000, () => now);
    cache.set('a', 1);
    cache.set('b', 2, Infinity);
    now = 1000;
    expect([cache.get('a'), cache.get('b')]).toEqual([undefined, 2]);
  });
});
