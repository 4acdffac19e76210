import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';

/** An identity provider's signing key: the private half signs tokens, the public half is what a JWKS publishes. */
export type SigningKey = { kid: string; alg: 'RS256' | 'ES256'; privateKey: KeyLike; publicKey: KeyLike; jwk: JWK };

export async function signingKey(alg: SigningKey['alg'], kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A JWT signed with `key` (its `kid` and `alg` in the header), valid for an hour unless the claims say otherwise. */
export function signWith(key: SigningKey, claims: JWTPayload): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key.privateKey);
}

export type JwksServer = {
  /** http://127.0.0.1:port/jwks.json */
  url: string;
  /** How many times the key set has been fetched. */
  readonly fetches: number;
  /** Replaces the published keys (a rotation); the next fetch serves these. */
  publish(keys: readonly SigningKey[]): void;
  /** Holds every fetch's answer until the returned function is called (a slow identity provider). */
  hold(): () => void;
  close(): Promise<void>;
};

/** A local identity provider's key endpoint: serves the public halves of `keys` as a JWKS at /jwks.json. */
export async function startJwksServer(keys: readonly SigningKey[]): Promise<JwksServer> {
  let published = keys;
  let fetches = 0;
  let held: Promise<void> = Promise.resolve();
  const server = http.createServer(async (req, res) => {
    if (req.method !== 'GET' || req.url !== '/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    await held;
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    get fetches() {
      return fetches;
    },
    publish(next) {
      published = next;
    },
    hold() {
      let release!: () => void;
      held = new Promise((resolve) => (release = resolve));
      return release;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
