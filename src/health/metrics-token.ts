import { bearerMatches } from '../http/bearer-token';

/**
 * What an `Authorization` header grants on the admin's read-only routes (`/metrics`, the details of
 * `/health/ready`): `METRICS_TOKEN` as a bearer token. Compared in constant time.
 */
export function metricsAccess(expected: string | undefined, authorization: string | undefined): 'granted' | 'refused' | 'anonymous' {
  if (authorization === undefined || authorization === '') return 'anonymous';
  if (expected === undefined) return 'refused';
  return bearerMatches(expected, authorization) ? 'granted' : 'refused';
}
