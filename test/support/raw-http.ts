import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { TestApp } from './test-app';

/** The gateway's HTTP server listening on an ephemeral port, as a proxy in front would reach it. */
export async function listening(gateway: TestApp): Promise<number> {
  const server: Server = gateway.app.getHttpServer();
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A raw connection, for what an HTTP client library would not send: half requests, slow bodies, silence. */
export interface RawConnection {
  readonly socket: Socket;
  /** Everything the gateway has sent so far. */
  received(): string;
  /** Resolves when the gateway (or anyone) closed the connection, with the time it took from `open`. */
  readonly closed: Promise<number>;
  /** Resolves with the first response's status line and headers, once they have arrived. */
  head(): Promise<string>;
}

export function openRaw(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  const openedAt = Date.now();
  let text = '';
  const waiting: Array<() => void> = [];
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1');
    for (const wake of waiting.splice(0)) wake();
  });
  socket.on('error', () => undefined); // a reset is an outcome the tests read from `closed`
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - openedAt)));
  const head = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const end = text.indexOf('\r\n\r\n');
        if (end !== -1) resolve(text.slice(0, end));
        else if (socket.destroyed) reject(new Error(`closed before a response head; received ${JSON.stringify(text)}`));
        else waiting.push(check);
      };
      socket.once('close', () => check());
      check();
    });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, received: () => text, closed, head }));
    socket.once('error', reject);
  });
}
