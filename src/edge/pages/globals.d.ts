// What the page scripts find in the browser: the lines the server puts before each script, and the globals of
// the browser builds the pages load first (/ide/*.js, served from node_modules).

/** The development admin token for a request that brings the page key; null otherwise. */
declare const AUTHORIZATION: string | null;
/** How many orders the live page keeps on screen (LIVE_PAGE_ROWS in ../live-page.ts). */
declare const MAX_ROWS: number;
/** How far back the live page's charts reach (LIVE_PAGE_WINDOW_MINUTES in ../live-page.ts). */
declare const WINDOW_MINUTES: number;

declare const graphqlWs: typeof import('graphql-ws');

declare const React: { createElement(type: unknown, props?: object | null, ...children: unknown[]): unknown };
declare const ReactDOM: { createRoot(container: Element | null): { render(node: unknown): void } };
declare const GraphiQL: ((props: object) => unknown) & {
  createFetcher(options: { url: string; wsClient?: unknown }): (params: unknown, options?: unknown) => unknown;
};
