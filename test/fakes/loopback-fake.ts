import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What every fake CRM shares: an HTTP server on 127.0.0.1, its open sockets, and cancellable waits. */
/** A write a fake was sent (after its token was checked), carried out or not. */
export interface WriteArrival {
  readonly method: string;
  readonly path: string;
  /** What it writes: Salesforce's sObject type (`Task`) or `composite`, HubSpot's object (`calls`), Sugar's module (`Calls`). */
  readonly object: string;
  /** `Date.now()` when it arrived. */
  readonly at: number;
  /** Answered `failWrites` instead of being carried out. */
  readonly refused: boolean;
}

export abstract class LoopbackFake {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly dropped = new WeakSet<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /**
   * A host in front of the CRM that misbehaves (compromised, misconfigured): every request is answered
   * `302 Location: <redirectTo>`, or `200` with a JSON body of `oversizedAnswerBytes`, streamed.
   */
  redirectTo: string | undefined;
  oversizedAnswerBytes: number | undefined;
  /** Announce the oversized answer's length (`Content-Length`) instead of sending it chunked. */
  oversizedWithLength = false;
  /** Oversized answers begun, and their bytes written before the client stopped reading them. */
  oversizedAnswers = 0;
  oversizedBytesSent = 0;

  constructor() {
    this.server = createServer((req, res) => {
      if (this.redirectTo !== undefined) {
        req.resume();
        res.writeHead(302, { Location: this.redirectTo, 'Content-Length': 0 }).end();
        return;
      }
      if (this.oversizedAnswerBytes !== undefined) {
        req.resume();
        this.oversizedAnswers++;
        this.sendOversized(res, this.oversizedAnswerBytes);
        return;
      }
      if (this.dropped.has(req.socket)) {
        // The idle limit passed for every marked connection at once: this request is reset unread, the
        // others are closed now (a client learns that only when it reads their FIN).
        for (const socket of this.sockets) if (this.dropped.has(socket) && socket !== req.socket) socket.end();
        req.socket.destroy();
        return;
      }
      void this.handle(req, res);
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;

  /** `{"records":[…]}` of `bytes`, chunked, written only as fast as the client reads. */
  private sendOversized(res: ServerResponse, bytes: number): void {
    const chunk = `${'{"id":"x","name":"padding padding padding"},'.repeat(1500)}`;
    const length = '{"records":['.length + Math.ceil(bytes / chunk.length) * chunk.length + '{}]}'.length;
    res.writeHead(200, { 'Content-Type': 'application/json', ...(this.oversizedWithLength ? { 'Content-Length': length } : {}) });
    let sent = 0;
    res.write('{"records":[');
    const more = (): void => {
      while (sent < bytes) {
        sent += chunk.length;
        this.oversizedBytesSent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', more);
          return;
        }
      }
      res.end('{}]}');
    };
    res.on('close', () => res.removeAllListeners('drain'));
    more();
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Sockets currently open to this server. */
  get openSockets(): number {
    return this.sockets.size;
  }

  /**
   * The race of kept-alive connections with a server's (or a load balancer's) idle limit: the next
   * request on a connection open now arrives just as the server closes them all, and is reset unread.
   */
  dropIdleConnections(): void {
    for (const socket of this.sockets) this.dropped.add(socket);
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return this;
  }

  /** Stops at once, also with requests left hanging on purpose. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  protected wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => resolve(body));
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/json', extraHeaders: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), ...extraHeaders });
  res.end(text);
}
