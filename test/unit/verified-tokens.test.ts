import { createAuthenticator } from '../../src/auth/authenticator';
import type { Principal } from '../../src/auth/principal';
import { verifiedTokens } from '../../src/auth/verified-tokens';
import { signingKey, signWith, startJwksServer } from '../support/jwks-server';

const principal = (expiresAt: number | null): Principal => ({ sub: 'u', role: 'staff', customerId: null, expiresAt });

describe('verified tokens', () => {
  let t = 0;
  const now = () => t;
  beforeEach(() => (t = 1_000_000));

  it('answers a token until its exp, and not from then on', () => {
    const cache = verifiedTokens<undefined>({ now });
    cache.set('a', principal(t + 2_000), undefined);
    t += 1_999;
    expect(cache.get('a')?.principal.sub).toBe('u');
    t += 1;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('answers a token for at most maxAgeMs after it was verified, however far its exp', () => {
    const cache = verifiedTokens<undefined>({ now, maxAgeMs: 60_000 });
    cache.set('a', principal(t + 3_600_000), undefined);
    t += 59_999;
    expect(cache.get('a')).toBeDefined();
    t += 1;
    expect(cache.get('a')).toBeUndefined();
  });

  it('does not keep a token already past its exp (accepted within the clock tolerance)', () => {
    const cache = verifiedTokens<undefined>({ now });
    cache.set('a', principal(t - 1), undefined);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most `capacity` tokens, dropping the oldest', () => {
    const cache = verifiedTokens<undefined>({ now, capacity: 2 });
    for (const token of ['a', 'b', 'c']) cache.set(token, principal(t + 60_000), undefined);
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
  });
});

describe('a JWKS authenticator with verified tokens kept', () => {
  it('refuses a token it accepted once its key has left the key set, the same token string included', async () => {
    const [before, after] = await Promise.all([signingKey('RS256', 'kept-1'), signingKey('ES256', 'kept-2')]);
    const jwks = await startJwksServer([before]);
    try {
      const auth = await createAuthenticator({ mode: 'jwks', jwksUrl: jwks.url }, '/nonexistent');
      const token = await signWith(before, { sub: 'staff-1', role: 'staff' });
      await expect(auth.verify(token)).resolves.toMatchObject({ sub: 'staff-1' });
      // The kept answer, while the key set still has the key.
      await expect(auth.verify(token)).resolves.toMatchObject({ sub: 'staff-1' });

      jwks.publish([after]);
      // A token naming the new key has jose fetch the set again, once its 30 s cooldown has passed.
      const realNow = Date.now.bind(Date);
      const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 31_000);
      try {
        await expect(auth.verify(await signWith(after, { sub: 'staff-2', role: 'staff' }))).resolves.toMatchObject({
          sub: 'staff-2',
        });
      } finally {
        clock.mockRestore();
      }
      expect(jwks.fetches).toBe(2);
      await expect(auth.verify(token)).rejects.toThrow(/invalid or expired/);
    } finally {
      await jwks.close();
    }
  });
});
