import type { Transport } from 'jsforce/lib/transport';
import type { HttpRequest, HttpRequestOptions, HttpResponse } from 'jsforce/lib/types';
import { StreamPromise } from 'jsforce/lib/util/promise';
import type { Duplex, Readable } from 'node:stream';
import { MAX_RESPONSE_BYTES } from '../connection-pool';
import { SourceError } from '../../core/source-error';


interface ResponseHead {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/**
 * jsforce follows redirects to any host and sends the request's headers along (the bearer token
 * included), and reads an answer of any size into memory. This puts a guard on a jsforce transport (a
 * `Connection`'s or an `OAuth2`'s): no redirect is followed, and an answer larger than `maxBytes` is
 * refused while it arrives. Both fail the request with a SourceError.
 */
export function guardTransport(transport: Transport, maxBytes = MAX_RESPONSE_BYTES): void {
  const send = transport.httpRequest.bind(transport);
  transport.httpRequest = (request: HttpRequest, options: HttpRequestOptions = {}): StreamPromise<HttpResponse> => {
    const sent = send(request, { ...options, followRedirect: false });
    const stream = sent.stream();
    const guarded = new Promise<HttpResponse>((resolve, reject) => {
      let bytes = 0;
      let refused = false;
      const tooLarge = (): void => {
        if (refused) return;
        refused = true;
        stopReading(stream);
        reject(new SourceError('UNAVAILABLE', `Salesforce's answer is larger than ${maxBytes} bytes: refused`, { vendorCode: 'RESPONSE_TOO_LARGE' }));
      };
      // Before jsforce's own listener, which starts reading the body into memory.
      stream.prependListener('response', (head: ResponseHead) => {
        if (Number(head.headers['content-length'] ?? 0) > maxBytes) tooLarge();
      });
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > maxBytes) tooLarge();
      });
      sent.then((response) => {
        if (refused) return;
        if (response.statusCode >= 300 && response.statusCode < 400) {
          const to = response.headers.location ? ` to ${originOf(response.headers.location)}` : '';
          reject(new SourceError('UNAVAILABLE', `Salesforce answered ${response.statusCode}, a redirect${to}: not followed`, { vendorCode: 'REDIRECT' }));
          return;
        }
        resolve(response);
      }, reject);
    });
    return StreamPromise.create(() => ({ stream, promise: guarded }));
  };
}

/** Stops taking the answer: jsforce's reader is cut off and the response stream closed. */
function stopReading(stream: Duplex): void {
  stream.removeAllListeners('data');
  stream.unpipe();
  stream.pause();
  (stream as Duplex & { _readable?: Readable })._readable?.destroy();
}

/** Where a redirect pointed, without its path and query (they may hold anything). */
function originOf(location: string): string {
  try {
    return new URL(location).origin;
  } catch {
    return 'an unreadable address';
  }
}
