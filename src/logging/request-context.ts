import { AsyncLocalStorage } from 'node:async_hooks';

interface RequestContext {
  readonly reqId: string;
}

const current = new AsyncLocalStorage<RequestContext>();

/** Runs the rest of a request's handling with its id in scope, so every line it logs carries the id. */
export function runInRequestContext<T>(reqId: string, handle: () => T): T {
  return current.run({ reqId }, handle);
}

/**
 * pino `mixin`: the fields every line gets while a request is handled. A fresh object each call,
 * because pino merges the line's own fields into it.
 */
export function requestContextFields(): { reqId?: string } {
  const context = current.getStore();
  return context ? { reqId: context.reqId } : {};
}
