import axios, { type AxiosInstance } from 'axios';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isStaleConnection, keepAliveAgents, sendReadingAgainIfStale, type AgentPair } from './connection-pool';

/** A server that answers `{}`, or drops the connection of a request without answering when told to. */
async function startServer(keepAliveTimeoutMs = 5000): Promise<{ url: string; server: Server; closedAt: Map<Socket, number>; drop: { next: boolean } }> {
  const drop = { next: false };
  const closedAt = new Map<Socket, number>();
  const server = createServer((req, res) => {
    if (drop.next) {
      drop.next = false;
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
  });
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.on('connection', (socket: Socket) => socket.on('close', () => closedAt.set(socket, Date.now())));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, closedAt, drop };
}

function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function failureOf(request: Promise<unknown>): Promise<unknown> {
  try {
    await request;
  } catch (error) {
    return error;
  }
  throw new Error('the request did not fail');
}

describe('keepAliveAgents', () => {
  it("gives an idle connection back before the server's announced idle limit", async () => {
    const { url, server, closedAt } = await startServer(2000); // announces Keep-Alive: timeout=2, closes after 3 s
    const client = axios.create({ ...keepAliveAgents(4), maxRedirects: 0 });
    try {
      const sent = Date.now();
      await client.get(url);
      while (closedAt.size === 0 && Date.now() - sent < 5000) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(closedAt.size).toBe(1);
      expect([...closedAt.values()][0]! - sent).toBeLessThan(2500); // the gateway closed it (after about 1 s), not the server
    } finally {
      await stop(server);
    }
  });
});

describe('isStaleConnection', () => {
  let client: AxiosInstance;
  let target: Awaited<ReturnType<typeof startServer>>;

  beforeEach(async () => {
    target = await startServer();
    client = axios.create({ ...keepAliveAgents(1), maxRedirects: 0 }); // as the CRM modules: a plain http.ClientRequest
  });
  afterEach(() => stop(target.server));

  it('is a request reset on a kept-alive connection before any answer', async () => {
    await client.get(target.url);
    target.drop.next = true;
    expect(isStaleConnection(await failureOf(client.get(target.url)))).toBe(true);
  });

  it('is not a reset on a new connection, nor an answer with an error status', async () => {
    target.drop.next = true;
    expect(isStaleConnection(await failureOf(client.get(target.url)))).toBe(false);
    expect(isStaleConnection(await failureOf(client.get(`${target.url}/`, { validateStatus: () => false })))).toBe(false);
    expect(isStaleConnection(new Error('ECONNRESET'))).toBe(false);
  });
});

describe('sendReadingAgainIfStale', () => {
  let client: AxiosInstance;
  let target: Awaited<ReturnType<typeof startServer>>;

  beforeEach(async () => {
    target = await startServer();
    client = axios.create({ ...keepAliveAgents(1), maxRedirects: 0 });
    await client.get(target.url);
    target.drop.next = true;
  });
  afterEach(() => stop(target.server));

  it('sends a read again, once, on a new connection', async () => {
    const used: Array<AgentPair | undefined> = [];
    const answer = await sendReadingAgainIfStale(true, (connection) => (used.push(connection), client.get(target.url, { ...connection })));
    expect(answer.status).toBe(200);
    expect(used).toHaveLength(2);
    expect(used[0]).toBeUndefined();
    expect(used[1]?.httpAgent).not.toBe(client.defaults.httpAgent);
  });

  it('does not send a write again', async () => {
    let sent = 0;
    const failure = await failureOf(sendReadingAgainIfStale(false, () => (sent++, client.post(target.url, {}))));
    expect(isStaleConnection(failure)).toBe(true);
    expect(sent).toBe(1);
  });
});
