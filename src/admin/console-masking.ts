import { maskPhoneNumber } from '../logging/mask';

/**
 * Runs of 6 or more digits, with the separators people write in numbers (`+41 78 907 22 28`,
 * `078.907.22.28`, `(0)44-668`) and an optional leading `+`, also right after a URL's `%2B` or `%20`;
 * not the digits of a word (a Salesforce id such as `003000000000001AAA`).
 */
const NUMBER_RUN = /(?:(?<=%[0-9A-Fa-f]{2})|(?<![\p{L}\d]))\+?\d(?:[\d \t()./-]*\d)?(?![\p{L}\d])/gu;

/**
 * Every phone-number-like part of a text masked as the logs mask numbers (`+41******228`): the explain
 * page shows queries, stored phones and the number as read, but a page never shows a full number.
 */
export function maskNumbersIn(text: string): string {
  return text.replace(NUMBER_RUN, (run) => (run.replace(/\D/g, '').length >= 6 ? maskPhoneNumber(run) : run));
}
