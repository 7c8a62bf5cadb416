import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackFake, readBody } from '../fakes/loopback-fake';

/** One answer, as a CRM (or what stands in front of it) sends it. */
export interface ScriptedAnswer {
  readonly status: number;
  /** Sent as JSON (`application/json`). */
  readonly json?: unknown;
  /** Sent as it is, with `headers` saying what it is (an HTML error page of a proxy). */
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The body as sent (a JSON or form text); undefined when empty. */
  readonly body?: string;
}

/**
 * A server on a loopback port that answers every request as `answer` says, and records what it got:
 * for replaying a CRM's error answers (crm-apis.md) to the real client code.
 */
export class ScriptedServer extends LoopbackFake {
  readonly received: ReceivedRequest[] = [];

  /**
   * `'silence'`: the request is never answered (the socket stays open until the server stops). `'cut'`:
   * the request is read whole, then the connection is destroyed without an answer.
   */
  constructor(public answer: (request: ReceivedRequest) => ScriptedAnswer | 'silence' | 'cut') {
    super();
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const request: ReceivedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: body === '' ? undefined : body };
    this.received.push(request);
    const answer = this.answer(request);
    if (answer === 'silence') return;
    if (answer === 'cut') {
      req.socket.destroy();
      return;
    }
    const { status, json, text, headers } = answer;
    const content = json === undefined ? (text ?? '') : JSON.stringify(json);
    const type = json === undefined ? {} : { 'Content-Type': 'application/json;charset=UTF-8' };
    res.writeHead(status, { ...type, 'Content-Length': Buffer.byteLength(content), ...headers }).end(content);
  }
}
