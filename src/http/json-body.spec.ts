import type { IncomingMessage } from 'node:http';
import { carriesBody, jsonShapeProblem, keepKnownInputs } from './json-body';

const LIMITS = { maxDepth: 3, maxValues: 10 };

describe('jsonShapeProblem', () => {
  it.each([
    [{ inputs: { a: 1, b: 'x', c: null } }],
    [{ inputs: { list: [1, 2] } }],
    ['text'],
    [null],
    [[]],
  ])('accepts %j within the limits', (body) => {
    expect(jsonShapeProblem(body, LIMITS)).toBeUndefined();
  });

  it('refuses a body nested deeper than the limit', () => {
    expect(jsonShapeProblem({ a: { b: { c: {} } } }, LIMITS)).toBe('the body nests deeper than 3 levels');
    expect(jsonShapeProblem({ a: { b: { c: 1 } } }, LIMITS)).toBeUndefined();
  });

  it('refuses more keys and array items than the limit, counted together', () => {
    expect(jsonShapeProblem({ a: [1, 2, 3, 4, 5], b: { c: 1, d: 2, e: 3 } }, LIMITS)).toBeUndefined();
    expect(jsonShapeProblem({ a: [1, 2, 3, 4, 5], b: { c: 1, d: 2, e: 3, f: 4 } }, LIMITS)).toBe('the body holds more than 10 keys and array items');
  });

  it('walks a million levels without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`) as unknown;
    expect(jsonShapeProblem(deep, { maxDepth: 8, maxValues: 500 })).toBe('the body nests deeper than 8 levels');
  });
});

describe('keepKnownInputs', () => {
  it('keeps only the known inputs, in a fresh object', () => {
    const body = JSON.parse('{"inputs":{"direction":"incoming","__proto__":{"x":1},"extra":[1]},"other":1}') as unknown;
    const kept = keepKnownInputs(body, ['direction', 'startedTime']) as { inputs: Record<string, unknown> };
    expect(kept).toEqual({ inputs: { direction: 'incoming' } });
    expect(Object.getPrototypeOf(kept.inputs)).toBe(Object.prototype);
  });

  it.each([[undefined], ['text'], [{ inputs: 'not an object' }], [{ inputs: [1] }], [{}]])('leaves %j for validation to name', (body) => {
    expect(keepKnownInputs(body, ['direction'])).toEqual(body);
  });
});

describe('carriesBody', () => {
  it.each([
    [{}, false],
    [{ 'content-length': '0' }, false],
    [{ 'content-length': '12' }, true],
    [{ 'transfer-encoding': 'chunked' }, true],
  ])('%j → %s', (headers, expected) => {
    expect(carriesBody({ headers } as IncomingMessage)).toBe(expected);
  });
});
