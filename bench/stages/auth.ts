import { createAuthenticator } from '../../src/auth/authenticator';
import { figure, type Stage } from './types';

/**
 * What authentication costs each request: the server verifies the caller's bearer token (HS256, as
 * the bench's own server is configured) once per HTTP request and once per graphql-ws connection. Measured here,
 * in this process, with the service's own authenticator: the time per verification, next to a mutation's round
 * trip in the appends stage. No raw baseline: without it the request would not be authenticated at all.
 */
const ROUNDS = { quick: 2_000, full: 20_000 };

export const authStage: Stage = {
  name: 'auth',
  estimateSeconds: (mode) => ROUNDS[mode] / 10_000 + 1,
  async run({ mode, progress }) {
    const auth = await createAuthenticator({ mode: 'secret', secret: 'bench-secret-0123456789abcdefghijkl' }, '');
    const token = await auth.mint!({ sub: 'bench', role: 'staff', expiresIn: '1h' });
    for (let i = 0; i < 200; i++) await auth.verify(token);
    const rounds = ROUNDS[mode];
    const started = performance.now();
    for (let i = 0; i < rounds; i++) await auth.verify(token);
    const microseconds = ((performance.now() - started) * 1000) / rounds;
    progress.done(`token verification (HS256): ${microseconds.toFixed(1)} µs each, ${rounds} rounds`);
    return { figures: [figure('auth', 'verify', 'token verification per request (HS256)', microseconds, 'µs')] };
  },
};
