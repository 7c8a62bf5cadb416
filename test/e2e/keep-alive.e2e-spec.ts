import { connect, type Socket } from 'node:net';
import { PHONE_BOOK_CSV, TOKEN } from '../support/phone-book';
import { listening } from '../support/raw-http';
import { startTestApp, withTestApp } from '../support/test-app';

const FILES = { 'acme.env': `TOKEN=${TOKEN}\nDIRECTORY_FILE=book.csv\n`, 'book.csv': PHONE_BOOK_CSV };

/** A kept-alive connection that has sent one lookup and read its whole answer. */
async function idleConnection(port: number): Promise<{ socket: Socket; head: string; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let received = '';
  const head = await new Promise<string>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(received)?.[1] ?? NaN);
      if (end !== -1 && received.length >= end + 4 + length) resolve(received.slice(0, end));
    });
    socket.once('error', reject);
    socket.write(`GET /lookup?PhoneNumber=41789072228 HTTP/1.1\r\nHost: gateway\r\nX-Execution-Token: ${TOKEN}\r\n\r\n`);
  });
  return { socket, head, closed };
}

const isOpen = (socket: Socket): boolean => !socket.destroyed && socket.readyState === 'open';
/** Well within KEEP_ALIVE_S=1: a connection closed with its answer is closed by then. */
const STILL_OPEN_AFTER_MS = 300;
const idle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('idle client connections (e2e)', () => {
  it('keeps them 65 s by default, past the 60 s a proxy in front keeps its own, and says so in Keep-Alive', async () => {
    await withTestApp({ files: FILES }, async (gateway) => {
      const { socket, head } = await idleConnection(await listening(gateway));
      expect(head).toMatch(/^HTTP\/1\.1 200/);
      expect(head).toMatch(/\r\nKeep-Alive: timeout=65(\r\n|$)/i);
      // Idling is the behaviour: still open a moment after its answer (not closed with it).
      await idle(STILL_OPEN_AFTER_MS);
      expect(isOpen(socket)).toBe(true);
      socket.destroy();
    });
  });

  it('closes a connection idle for longer than KEEP_ALIVE_S', async () => {
    await withTestApp({ files: FILES, env: { KEEP_ALIVE_S: '1' } }, async (gateway) => {
      const { socket, head, closed } = await idleConnection(await listening(gateway));
      expect(head).toMatch(/\r\nKeep-Alive: timeout=1(\r\n|$)/i);
      // KEEP_ALIVE_S=1, the least: open a moment after its answer, then closed by the gateway.
      await idle(STILL_OPEN_AFTER_MS);
      expect(isOpen(socket)).toBe(true);
      const closedBy = await Promise.race([closed.then(() => 'gateway'), new Promise((resolve) => setTimeout(() => resolve('nobody'), 5000))]);
      expect(closedBy).toBe('gateway');
    });
  });

  it('does not hold up a shutdown while kept-alive connections idle', async () => {
    const gateway = await startTestApp({ files: FILES });
    const { socket, closed } = await idleConnection(await listening(gateway));
    const started = Date.now();
    await gateway.close();
    await closed;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(isOpen(socket)).toBe(false);
  });
});
