import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';

/** What the request line says about a request refused at the edge. */
export interface RefusedRequest {
  /** Why it was refused, for the request line. */
  refusal?: string;
  /** No request line: one of many refusals that one line already announced (a throttled client). */
  quiet?: boolean;
}

/**
 * A caller's mistake or an attempt answered at the edge: a JSON error as the framework writes them,
 * and the connection closed after it, so a refused client cannot keep it open (nor send more of an
 * unread body on it).
 */
export function refuse(req: IncomingMessage, res: ServerResponse, status: number, message: string, headers: Readonly<Record<string, string>> = {}): void {
  (req as IncomingMessage & RefusedRequest).refusal = message;
  const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message });
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  res.end(body);
}
