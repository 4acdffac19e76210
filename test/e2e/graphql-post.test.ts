import { startTestServer, type TestServer } from '../support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const post = async (body: string, headers: Record<string, string> = {}) =>
  fetch(`${server.app.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: (await server.as({ role: 'admin' })).authorization,
      ...headers,
    },
    body,
  });

/** The headers helmet sets, as a response carries them (Date and the body's own headers aside). */
function securityHeaders(res: Response): Record<string, string> {
  const own = new Set(['date', 'connection', 'keep-alive', 'content-length', 'content-type', 'cache-control', 'etag']);
  return Object.fromEntries([...res.headers].filter(([name]) => !own.has(name)));
}

describe('POST /graphql, served without express', () => {
  it('answers every GraphQL response with Cache-Control: no-store, POST and GET alike, errors included', async () => {
    const answers = [
      await post(JSON.stringify({ query: '{ __typename }' })),
      await post(JSON.stringify({ query: '{ nope }' })),
      await fetch(`${server.app.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
        headers: {
          accept: 'application/json',
          'apollo-require-preflight': 'true',
          authorization: (await server.as({ role: 'admin' })).authorization,
        },
      }),
    ];
    expect(answers.map((res) => [res.status, res.headers.get('cache-control')])).toEqual([
      [200, 'no-store'],
      [400, 'no-store'],
      [200, 'no-store'],
    ]);
  });

  it('sends the security headers every express route sends', async () => {
    const graphql = await post(JSON.stringify({ query: '{ __typename }' }));
    const health = await fetch(`${server.app.url}/healthz`);
    expect(securityHeaders(graphql)).toEqual(securityHeaders(health));
    expect(Object.keys(securityHeaders(graphql))).toEqual(
      expect.arrayContaining(['content-security-policy', 'x-content-type-options', 'x-frame-options']),
    );
  });

  it('answers a body over the limit and a malformed body as the express routes answer them', async () => {
    const large = await post(JSON.stringify({ query: '{ __typename }', pad: 'x'.repeat(2_000_000) }));
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    const malformed = await post('{"query": ');
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await malformed.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
  });
});
