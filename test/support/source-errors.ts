import { SourceError } from '../../src/core/source-error';

/** A CRM's answer in a client spec's table: what it is, what the CRM sends, the SourceError it must become. */
export type AnswerRow<A> = readonly [what: string, answer: A, expected: Partial<SourceError>];

/** That `work` fails with a SourceError like `expected` (code, vendorCode, message, fields). */
export async function expectSourceError(work: Promise<unknown>, expected: Partial<SourceError>): Promise<void> {
  const failure = await work.then(
    () => 'no failure',
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(SourceError);
  expect(failure).toMatchObject(expected);
}
