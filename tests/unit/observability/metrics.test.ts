import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createPulseMetrics, observeDelivery } from '../../../server/observability/metrics.js';
import { requestIdFrom } from '../../../server/http/request-id.js';

describe('createPulseMetrics', () => {
  it('gives each instance its own registry and leaves the global one alone', async () => {
    const a = createPulseMetrics();
    const b = createPulseMetrics();
    a.eventsPublished.inc(3);
    expect((await a.eventsPublished.get()).values[0]?.value).toBe(3);
    expect((await b.eventsPublished.get()).values[0]?.value).toBe(0);
    expect(await register.getMetricsAsJSON()).toEqual([]);
  });

  it('reads leases held at scrape time from the source it is given', async () => {
    const metrics = createPulseMetrics();
    let held = 2;
    metrics.readLeasesFrom(() => held);
    expect(await metrics.registry.getSingleMetricAsString('pulse_leases_held')).toMatch(/^pulse_leases_held 2$/m);
    held = 0;
    expect(await metrics.registry.getSingleMetricAsString('pulse_leases_held')).toMatch(/^pulse_leases_held 0$/m);
  });

  it('observes delivery lag in seconds, never negative', async () => {
    const metrics = createPulseMetrics();
    observeDelivery(metrics, 1_000, 1_250);
    observeDelivery(metrics, 2_000, 1_990); // `at` slightly in the future (client clock skew)
    const { values } = await metrics.deliveryLag.get();
    expect(values.find((v) => v.metricName === 'pulse_delivery_lag_seconds_sum')?.value).toBeCloseTo(0.25);
    expect(values.find((v) => v.metricName === 'pulse_delivery_lag_seconds_count')?.value).toBe(2);
    expect((await metrics.eventsDelivered.get()).values[0]?.value).toBe(2);
  });
});

describe('requestIdFrom', () => {
  const fresh = (): string => 'generated';

  it.each(['a', 'trace-1.2_3', 'A'.repeat(64), '550e8400-e29b-41d4-a716-446655440000'])('keeps the sane id %j', (id) => {
    expect(requestIdFrom(id, fresh)).toBe(id);
  });

  it.each([['', 'empty'], ['A'.repeat(65), 'too long'], ['a b', 'space'], ['a\nb', 'newline'], ['a"b', 'quote'], ['é', 'non-ASCII']])(
    'replaces %j (%s) with a fresh id',
    (id) => {
      expect(requestIdFrom(id, fresh)).toBe('generated');
    },
  );

  it('generates one for a missing or repeated header', () => {
    expect(requestIdFrom(undefined, fresh)).toBe('generated');
    expect(requestIdFrom(null, fresh)).toBe('generated');
    expect(requestIdFrom(['a', 'b'], fresh)).toBe('generated');
    expect(requestIdFrom(undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
