// @ts-check
// The IDE page's own script (GraphiQL over HTTP and graphql-ws). The server serves it after one line of its own,
// `const AUTHORIZATION = …;`: the development admin token for a request that brings the page key, or null (see
// pageAuthorization in ../ide.ts). A file, not inline, since the Content-Security-Policy lets only this server's
// files run.

const DEFAULT_QUERY = `# Welcome to orderstream. Run an operation with ▶ (Ctrl-Enter).
mutation Register {
  registerCustomer(input: { name: "Ada Lovelace", email: "ada@example.com" }) {
    aggregateId
    version
    customer { id name email active }
  }
}

query RecentEvents {
  events(first: 20) {
    nodes {
      position eventType aggregateId version timestamp
      ... on OrderPlaced { customerId total { amount currencyCode } items { productId quantity price { amount } } }
      ... on OrderPaid { amount { amount currencyCode } }
      ... on OrderCancelled { reason }
    }
    pageInfo { endCursor hasNextPage }
  }
}
`;

const url = location.origin + '/graphql';
/** @type {HTMLAnchorElement} */ (document.getElementById('sandbox')).href =
  'https://studio.apollographql.com/sandbox/explorer?endpoint=' + encodeURIComponent(url);
document.getElementById('auth').textContent = AUTHORIZATION
  ? 'Sending the development admin token: edit Headers below to act as someone else.'
  : 'Send a token under Headers below: { "authorization": "Bearer <token>" }.';
// graphql-ws sends credentials once, as it connects: one lazy client per authorization the Headers pane has held,
// so a subscription runs as whoever the pane names when it starts, as queries and mutations do.
const wsClients = new Map();
function wsClient(authorization) {
  const key = authorization || '';
  if (!wsClients.has(key)) {
    const connectionParams = authorization ? { authorization } : {};
    wsClients.set(key, graphqlWs.createClient({ url: url.replace(/^http/, 'ws'), lazy: true, connectionParams }));
  }
  return wsClients.get(key);
}
function authorizationOf(headers) {
  for (const [name, value] of Object.entries(headers || {})) {
    if (name.toLowerCase() === 'authorization') return String(value);
  }
  return undefined;
}
const fetcher = (params, options) =>
  GraphiQL.createFetcher({ url, wsClient: wsClient(authorizationOf(options && options.headers)) })(params, options);
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: DEFAULT_QUERY,
    defaultHeaders: AUTHORIZATION ? JSON.stringify({ authorization: AUTHORIZATION }, null, 2) : undefined,
    // Kept in the browser, a token would outlive the key that signed it (a new data folder) and mask the fresh one.
    shouldPersistHeaders: false,
  }),
);
