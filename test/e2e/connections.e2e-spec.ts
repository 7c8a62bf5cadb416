import { CONNECTIONS_CHECK_MS } from '../../src/http/server-limits';
import { eventually } from '../support/eventually';
import { PHONE_BOOK_CSV, TOKEN } from '../support/phone-book';
import { listening, openRaw, type RawConnection } from '../support/raw-http';
import { recordingHandlers, WorkflowRecorder } from '../support/recording-workflows';
import { ScriptedSource } from '../support/scripted-source';
import { withTestApp, type TestApp } from '../support/test-app';

const FILES = { 'acme.env': `TOKEN=${TOKEN}\nDIRECTORY_FILE=book.csv\nALPHA_ENABLED=on\nWORKFLOW_DEFAULT_CRM=alpha\n`, 'book.csv': PHONE_BOOK_CSV };
const LIMITS = { HEADERS_TIMEOUT_S: '1', REQUEST_TIMEOUT_S: '2', WORKFLOW_TIMEOUT_MS: '5000' };
const LOOKUP = `GET /lookup?PhoneNumber=41789072228 HTTP/1.1\r\nHost: gateway\r\nX-Execution-Token: ${TOKEN}\r\n\r\n`;
const WORKFLOW_BODY = JSON.stringify({ inputs: { direction: 'incoming', startedTime: '2026-11-24 10:15:00' } });

function withGateway(env: Record<string, string>, use: (gateway: TestApp, port: number, recorder: WorkflowRecorder) => Promise<void>): Promise<void> {
  const recorder = new WorkflowRecorder();
  return withTestApp(
    { env, files: FILES, extraSources: [new ScriptedSource('alpha', { kind: 'answer', candidates: [] })], providers: recordingHandlers('alpha', recorder, ['CallFlow']) },
    async (gateway) => use(gateway, await listening(gateway), recorder),
  );
}

/** Sends `text` one character every `everyMs` until the connection closes. */
function trickle(connection: RawConnection, text: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (connection.socket.destroyed || i >= text.length) return clearInterval(timer);
    connection.socket.write(text[i++]!);
  }, everyMs);
  connection.socket.once('close', () => clearInterval(timer));
}

/** Whole answers received on a connection (each has a Content-Length). */
function answers(connection: RawConnection): string[] {
  return connection.received().split(/(?=HTTP\/1\.1 )/).filter((part) => part !== '');
}

describe('client connections and their time limits (e2e)', () => {
  // Each waits for the gateway's own time limits (1 and 2 s, checked every second).
  jest.setTimeout(15_000);

  it('closes a new connection that sends nothing with 408 after HEADERS_TIMEOUT_S', async () => {
    await withGateway(LIMITS, async (_, port) => {
      const silent = await openRaw(port);
      await silent.closed;
      expect(silent.received()).toMatch(/^HTTP\/1\.1 408/);
    });
  });

  it('closes a connection whose headers arrive too slowly', async () => {
    await withGateway(LIMITS, async (_, port) => {
      const slow = await openRaw(port);
      trickle(slow, `GET /lookup?PhoneNumber=41789072228 HTTP/1.1\r\nHost: gateway\r\nX-Padding: ${'x'.repeat(200)}`, 50);
      await slow.closed;
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408/);
    });
  });

  it('answers a body without a token with 401 before reading it, and closes the connection', async () => {
    await withGateway(LIMITS, async (gateway, port) => {
      const sender = await openRaw(port);
      sender.socket.write(`POST /lookup/CallFlow HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: ${WORKFLOW_BODY.length}\r\n\r\n`);
      trickle(sender, WORKFLOW_BODY, 1000);
      expect(await sender.head()).toMatch(/^HTTP\/1\.1 401[\s\S]*\r\nConnection: close/i);
      await sender.closed;
      // Refused with the headers: no second of the body was waited for.
      expect(sender.received()).not.toMatch(/^HTTP\/1\.1 408/);
      expect(gateway.logs.find((line) => line.status === 401 && line.route === '/lookup/CallFlow')).toBeDefined();
    });
  });

  it('serves public routes to a health checker that sends Content-Length: 0 without a token', async () => {
    await withGateway(LIMITS, async (gateway) => {
      await gateway.http.get('/health').set('Content-Length', '0').expect(200);
    });
  });

  it('closes a tenant connection whose body arrives too slowly with 408 after REQUEST_TIMEOUT_S, and writes nothing', async () => {
    await withGateway(LIMITS, async (_, port, recorder) => {
      const sender = await openRaw(port);
      sender.socket.write(`POST /lookup/CallFlow HTTP/1.1\r\nHost: gateway\r\nX-Execution-Token: ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${WORKFLOW_BODY.length}\r\n\r\n`);
      trickle(sender, WORKFLOW_BODY, 200);
      await sender.closed;
      expect(sender.received()).toMatch(/^HTTP\/1\.1 408/);
      expect(recorder.calls).toHaveLength(0);
    });
  });

  it('does not count the time of the answer: a workflow slower than REQUEST_TIMEOUT_S is answered', async () => {
    await withGateway(LIMITS, async (gateway, _, recorder) => {
      recorder.script = { kind: 'slow', ms: 2500 };
      const response = await gateway.http.post('/lookup/CallFlow').set('X-Execution-Token', TOKEN).send(WORKFLOW_BODY).set('Content-Type', 'application/json').expect(200);
      expect(response.body.id).toMatch(/^alpha:Task:/);
    });
  });

  it('keeps an idle kept-alive connection past HEADERS_TIMEOUT_S (KEEP_ALIVE_S decides)', async () => {
    await withGateway(LIMITS, async (_, port) => {
      const client = await openRaw(port);
      client.socket.write(LOOKUP);
      await eventually(() => answers(client).length === 1);
      // The idling is the behaviour: longer than HEADERS_TIMEOUT_S (1 s, the least) plus one check of the
      // connections, after which a gateway applying that limit to idle connections would have closed this one.
      await new Promise((resolve) => setTimeout(resolve, Number(LIMITS.HEADERS_TIMEOUT_S) * 1000 + CONNECTIONS_CHECK_MS + 500));
      client.socket.write(LOOKUP);
      await eventually(() => answers(client).length === 2);
      expect(answers(client).map((answer) => answer.slice(0, 15))).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
      client.socket.destroy();
    });
  });

  it('closes the connection of any request without a token, a public route\'s 200 included', async () => {
    await withGateway(LIMITS, async (_, port) => {
      for (const path of ['/health', '/logos/directory.svg', '/health/ready']) {
        const probe = await openRaw(port);
        probe.socket.write(`GET ${path} HTTP/1.1\r\nHost: gateway\r\n\r\n`);
        expect(await probe.head()).toMatch(/^HTTP\/1\.1 200[\s\S]*\r\nConnection: close/i);
        await probe.closed;
      }
    });
  });

  it('closes the connection after a 4xx, keeps a tenant\'s after a 200', async () => {
    await withGateway(LIMITS, async (gateway, port) => {
      const client = await openRaw(port);
      client.socket.write(LOOKUP);
      expect(await client.head()).toMatch(/^HTTP\/1\.1 200[\s\S]*\r\nConnection: keep-alive/i);
      client.socket.destroy();
      for (const response of [
        await gateway.http.get('/lookup?PhoneNumber=41789072228').set('X-Execution-Token', 'wrong-token-123').expect(401),
        await gateway.http.get('/lookup').set('X-Execution-Token', TOKEN).expect(400),
        await gateway.http.post('/lookup/SendFax').set('X-Execution-Token', TOKEN).send(JSON.parse(WORKFLOW_BODY)).expect(404),
        await gateway.http.get('/nowhere').expect(404),
      ]) {
        expect(response.headers.connection).toBe('close');
      }
    });
  });

  it('refuses connections past MAX_CONNECTIONS at once, logs it once, and serves again when they go', async () => {
    await withGateway({ ...LIMITS, MAX_CONNECTIONS: '10' }, async (gateway, port) => {
      const idle = await Promise.all(Array.from({ length: 10 }, () => openRaw(port)));
      const extra = await Promise.all([openRaw(port), openRaw(port)]);
      await Promise.all(extra.map((connection) => connection.closed));
      expect(extra.map((connection) => connection.received())).toEqual(['', '']);
      const drops = gateway.logs.lines.filter((line) => String(line.msg).includes('MAX_CONNECTIONS'));
      expect(drops).toHaveLength(1);
      // The idle ones are cut after HEADERS_TIMEOUT_S; then a lookup gets through.
      await Promise.all(idle.map((connection) => connection.closed));
      const client = await openRaw(port);
      client.socket.write(LOOKUP);
      expect(await client.head()).toMatch(/^HTTP\/1\.1 200/);
      client.socket.destroy();
    });
  });
});
