import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * What an `Authorization` header grants on the admin's read-only routes (`/metrics`, the details of
 * `/health/ready`): `METRICS_TOKEN` as a bearer token. Compared in constant time.
 */
export function metricsAccess(expected: string | undefined, authorization: string | undefined): 'granted' | 'refused' | 'anonymous' {
  if (authorization === undefined || authorization === '') return 'anonymous';
  if (expected === undefined) return 'refused';
  const given = /^Bearer (.+)$/.exec(authorization)?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(expected)) ? 'granted' : 'refused';
}
