import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { Logger } from 'pino';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Principal } from '../auth/principal';
import type { WsLimits } from '../config';
import { limitWsOperations } from './ws-limits';

/** `principal`: set by onConnect from the connection_init payload's token (null: none was sent). */
export type WsExtra = { socket: WebSocket; request: IncomingMessage; principal?: Principal | null };

/**
 * graphql-ws's protocol (makeServer) on a `ws` server, in place of the library's own binding (graphql-ws/use/ws).
 * That binding resolves each send when the frame has been written, so every message of every subscription is a
 * write system call of its own, which under fan-out costs more than the work it carries. Here the frames a socket
 * gets in one pass of the event loop are corked and leave in one write, and a send waits only when the socket's
 * buffer is full (back-pressure per client).
 */
export function serveGraphqlWs<P extends Record<string, unknown>>(
  options: ServerOptions<P, WsExtra>,
  wss: WebSocketServer,
  { keepAliveMs, limits, logger }: { keepAliveMs: number; limits: WsLimits; logger: Logger },
): { dispose(): Promise<void> } {
  const protocol = makeServer(limitWsOperations(options, limits));
  wss.options.handleProtocols = handleProtocols;
  wss.on('error', (error) => logger.error({ error: error.message }, 'WebSocket server error'));

  wss.on('connection', (socket, request) => {
    const raw = request.socket as Socket;
    socket.once('error', (error) => {
      logger.warn({ error: error.message }, 'WebSocket connection error');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });

    // Keep-alive: a peer that does not answer a ping within keepAliveMs is gone (a dead network path would
    // otherwise hold its subscriptions open for ever).
    let pongWait: NodeJS.Timeout | undefined;
    const pinger = setInterval(() => {
      if (socket.readyState !== socket.OPEN || pongWait) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.ping();
    }, keepAliveMs);
    socket.on('pong', () => {
      clearTimeout(pongWait);
      pongWait = undefined;
    });

    let corked = false;
    const uncork = () => {
      corked = false;
      raw.uncork();
    };
    // One wait per connection, however many of its subscriptions are blocked on it.
    let writable: Promise<void> | undefined;
    const whenWritable = () =>
      (writable ??= new Promise<void>((resolve) => {
        const done = () => {
          raw.off('drain', done);
          socket.off('close', done);
          writable = undefined;
          resolve();
        };
        raw.on('drain', done);
        socket.on('close', done);
      }));
    let closing: Promise<void> | undefined;
    const whenClosed = () => (closing ??= new Promise<void>((resolve) => socket.once('close', () => resolve())));

    const closed = protocol.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          // Closing: hold the sender until the close completes (graphql-ws then ends its subscriptions), rather
          // than let a subscription far behind read the log as fast as it can into the void.
          if (socket.readyState === socket.CLOSING) return whenClosed();
          if (socket.readyState !== socket.OPEN) return;
          if (!corked) {
            corked = true;
            raw.cork();
            process.nextTick(uncork);
          }
          socket.send(data);
          if (raw.writableNeedDrain) return whenWritable();
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            try {
              await handle(String(data));
            } catch (error) {
              logger.error({ error: (error as Error).message }, 'graphql-ws message handling failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, request },
    );

    socket.once('close', (code, reason) => {
      clearInterval(pinger);
      clearTimeout(pongWait);
      closed(code, String(reason)).catch((error: Error) =>
        logger.warn({ error: error.message }, 'closing a graphql-ws connection failed'),
      );
    });
  });

  return {
    async dispose() {
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
