import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { RequestLogMiddleware } from './request-log.middleware';
import { createRootLogger } from './root-logger';
import type { LoggedRequest } from './request-log';
import { requestIdOf } from './request-id.decorator';

class Lines extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
    done();
  }
}

function exchange(url: string, requestId?: string) {
  const req = { url, method: 'GET', headers: requestId ? { 'x-request-id': requestId } : {} } as unknown as IncomingMessage;
  const res = Object.assign(new EventEmitter(), { statusCode: 200, writableFinished: false, headers: {} }) as unknown as ServerResponse & {
    writableFinished: boolean;
    headers: Record<string, unknown>;
  };
  res.setHeader = (name: string, value: number | string | readonly string[]) => {
    res.headers[name] = value;
    return res;
  };
  return { req, res };
}

describe('RequestLogMiddleware', () => {
  const setUp = (level = 'info') => {
    const out = new Lines();
    return { out, middleware: new RequestLogMiddleware(createRootLogger(level, out)) };
  };

  it('logs one line when the response is done, with the request id it echoed', () => {
    const { out, middleware } = setUp();
    const { req, res } = exchange('/lookup?PhoneNumber=41789072228', 'call-1');
    let idInside: string | undefined;
    const before = performance.now();
    middleware.use(req, res, () => (idInside = requestIdOf(req as unknown as LoggedRequest)));
    expect(idInside).toBe('call-1');
    expect((req as unknown as LoggedRequest).receivedAt).toBeGreaterThanOrEqual(before);
    expect(res.headers['X-Request-Id']).toBe('call-1');
    expect(out.lines).toHaveLength(0);
    res.writableFinished = true;
    res.emit('close');
    expect(out.lines).toEqual([expect.objectContaining({ level: 30, msg: 'request completed', reqId: 'call-1', route: '/lookup', status: 200 })]);
    expect(JSON.stringify(out.lines)).not.toContain('41789072228');
  });

  it('logs a 5xx as an error and a caller who hung up as a warning', () => {
    const { out, middleware } = setUp();
    const failed = exchange('/lookup/CallFlow');
    middleware.use(failed.req, failed.res, () => undefined);
    failed.res.statusCode = 503;
    failed.res.writableFinished = true;
    failed.res.emit('close');
    const aborted = exchange('/lookup');
    middleware.use(aborted.req, aborted.res, () => undefined);
    aborted.res.emit('close');
    expect(out.lines).toEqual([
      expect.objectContaining({ level: 50, msg: 'request failed', status: 503 }),
      expect.objectContaining({ level: 40, msg: 'request aborted by the caller' }),
    ]);
  });

  it('logs nothing for probes, and no request line below its level', () => {
    const quiet = setUp('warn');
    const lookup = exchange('/lookup');
    quiet.middleware.use(lookup.req, lookup.res, () => undefined);
    lookup.res.writableFinished = true;
    lookup.res.emit('close');
    const probes = setUp();
    const health = exchange('/health/ready');
    probes.middleware.use(health.req, health.res, () => undefined);
    health.res.writableFinished = true;
    health.res.emit('close');
    expect(health.res.headers['X-Request-Id']).toEqual(expect.any(String));
    expect([...quiet.out.lines, ...probes.out.lines]).toEqual([]);
  });
});
