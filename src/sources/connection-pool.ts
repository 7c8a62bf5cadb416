import { AxiosError } from 'axios';
import { Agent as HttpAgent, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/**
 * How long an idle connection to a CRM is kept for the next request. A server that announces its own
 * idle limit (`Keep-Alive: timeout=N`) gets its connections back 1 s before it: Node 20 honours that
 * hint only in agents that have a timeout, and without one it kept idle connections until the server
 * closed them, at times just as a lookup was sent on them.
 */
export const IDLE_CONNECTION_MS = 30_000;

export interface AgentPair {
  readonly httpAgent: HttpAgent;
  readonly httpsAgent: HttpsAgent;
}

/** Larger than any answer a CRM gives us (a describe of an object with many fields is a few MB). */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * How the axios-based CRM clients talk HTTP: kept-alive pools (`maxSockets` per host), no redirect
 * followed (a CRM answers its errors, not with redirects; following one would send the credentials
 * to wherever it points), answers and request bodies at most `MAX_RESPONSE_BYTES`.
 */
export function crmHttpOptions(maxSockets: number): AgentPair & { maxRedirects: 0; maxContentLength: number; maxBodyLength: number } {
  return { ...keepAliveAgents(maxSockets), maxRedirects: 0, maxContentLength: MAX_RESPONSE_BYTES, maxBodyLength: MAX_RESPONSE_BYTES };
}

/** An answer axios stopped reading because it passed `maxContentLength`. */
export function isTooLargeAnswer(error: AxiosError): boolean {
  return error.code === 'ERR_BAD_RESPONSE' && error.message.includes('maxContentLength');
}

/** Keep-alive pools for one CRM: at most `maxSockets` connections per host, idle ones closed in time. */
export function keepAliveAgents(maxSockets: number): AgentPair {
  const options = { keepAlive: true, maxSockets, timeout: IDLE_CONNECTION_MS };
  return { httpAgent: new HttpAgent(options), httpsAgent: new HttpsAgent(options) };
}

/** A connection of its own, closed after the answer: for sending a read again after a stale connection. */
const NEW_CONNECTION: AgentPair = { httpAgent: new HttpAgent({ keepAlive: false }), httpsAgent: new HttpsAgent({ keepAlive: false }) };

/**
 * The request went out on a kept-alive connection that the server (or a load balancer) had closed:
 * reset before any answer. Node's documentation names this race; such a request never reached the
 * CRM, so a read may be sent again. A write is not: a reset can also end a request the CRM did get.
 * Needs axios' plain http transport (`maxRedirects: 0`, as the CRM modules set), whose request is Node's.
 */
export function isStaleConnection(error: unknown): boolean {
  if (!(error instanceof AxiosError) || error.response || error.code !== 'ECONNRESET') return false;
  return (error.request as ClientRequest | undefined)?.reusedSocket === true;
}

/**
 * Sends on the pool; a read that went out on a stale kept-alive connection is sent again, once, on a
 * new connection (the pool's other idle connections may be stale as well).
 */
export async function sendReadingAgainIfStale<T>(isRead: boolean, send: (connection?: AgentPair) => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    if (!isRead || !isStaleConnection(error)) throw error;
    return send(NEW_CONNECTION);
  }
}
