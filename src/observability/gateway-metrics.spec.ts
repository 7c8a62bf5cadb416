import { GatewayMetrics } from './gateway-metrics';

describe('GatewayMetrics: circuit breakers', () => {
  const scrape = (metrics: GatewayMetrics): Promise<string> => metrics.registry.metrics();
  const seriesOf = (text: string, name: string): string[] => text.split('\n').filter((line) => line.startsWith(`${name}{`));

  it('names a tenant only while its breaker is not closed, and counts every breaker per source and state', async () => {
    const metrics = new GatewayMetrics();
    for (let i = 0; i < 1000; i++) metrics.breaker(`tenant-${i}`, 'salesforce', 'closed');
    metrics.breaker('tenant-7', 'salesforce', 'open');
    metrics.breaker('tenant-8', 'hubspot', 'half_open');

    const text = await scrape(metrics);
    expect(seriesOf(text, 'gateway_breaker_state').sort()).toEqual([
      'gateway_breaker_state{tenant="tenant-7",source="salesforce"} 2',
      'gateway_breaker_state{tenant="tenant-8",source="hubspot"} 1',
    ]);
    expect(seriesOf(text, 'gateway_breakers').sort()).toEqual([
      'gateway_breakers{source="hubspot",state="half_open"} 1',
      'gateway_breakers{source="salesforce",state="closed"} 999',
      'gateway_breakers{source="salesforce",state="open"} 1',
    ]);
  });

  it('drops the series of a breaker that closes again or is forgotten (its tenant reloaded or removed)', async () => {
    const metrics = new GatewayMetrics();
    metrics.breaker('acme', 'salesforce', 'closed');
    metrics.breaker('acme', 'salesforce', 'open');
    metrics.breaker('acme', 'sugar', 'open');
    metrics.breaker('acme', 'salesforce', 'closed');
    metrics.forgetBreaker('acme', 'sugar');

    const text = await scrape(metrics);
    expect(seriesOf(text, 'gateway_breaker_state')).toEqual([]);
    expect(seriesOf(text, 'gateway_breakers')).toEqual(['gateway_breakers{source="salesforce",state="closed"} 1']);
  });
});
