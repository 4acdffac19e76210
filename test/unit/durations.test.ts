import { loadConfig } from '../../src/config';
import { parseDuration } from '../../src/shared/duration';

// Durations in the environment (BUS_RETENTION, ORDER_PAYMENT_WINDOW): an ISO 8601 duration of fixed length, or whole milliseconds.
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

it('reads ISO 8601 durations of weeks, days, hours, minutes and seconds, and whole milliseconds', () => {
  expect(parseDuration('P7D')).toBe(7 * DAY);
  expect(parseDuration('P2W')).toBe(14 * DAY);
  expect(parseDuration('PT12H')).toBe(12 * HOUR);
  expect(parseDuration('P1DT2H30M')).toBe(DAY + 2.5 * HOUR);
  expect(parseDuration('PT1.5S')).toBe(1500);
  expect(parseDuration('PT0,25S')).toBe(250);
  expect(parseDuration(' p7d ')).toBe(7 * DAY);
  expect(parseDuration('604800000')).toBe(7 * DAY);
});

it('refuses years and months (no fixed length), empty designators and anything else', () => {
  for (const text of ['P1Y', 'P1M', 'P', 'PT', 'P1DT', 'PT1D', '7 days', '-1', '1.5', '', 'P1.5D']) {
    expect([text, parseDuration(text)]).toEqual([text, undefined]);
  }
});

it('gives BUS_RETENTION a default of seven days, and refuses what is not a duration or out of bounds', () => {
  const retention = (value?: string) =>
    loadConfig({ BUS_URL: 'nats://127.0.0.1:4222', ...(value === undefined ? {} : { BUS_RETENTION: value }) }).bus!
      .retentionMs;
  expect(retention()).toBe(7 * DAY);
  expect(retention('PT12H')).toBe(12 * HOUR);
  expect(retention('86400000')).toBe(DAY);
  expect(() => retention('P1M')).toThrow(/BUS_RETENTION: must be an ISO 8601 duration such as P7D/);
  expect(() => retention('PT30S')).toThrow(/BUS_RETENTION: must be at least one minute/);
  expect(() => retention('P3651D')).toThrow(
    /BUS_RETENTION: must be at least one minute \(PT1M\) and at most 3650 days/,
  );
});

it('leaves ORDER_PAYMENT_WINDOW off by default, and refuses what is not a duration or out of bounds', () => {
  const window = (value?: string) =>
    loadConfig(value === undefined ? {} : { ORDER_PAYMENT_WINDOW: value }).paymentWindowMs;
  expect(window()).toBeUndefined();
  expect(window('')).toBeUndefined();
  expect(window('P3D')).toBe(3 * DAY);
  expect(window('PT2S')).toBe(2000);
  expect(window('90000')).toBe(90_000);
  expect(() => window('P1M')).toThrow(/ORDER_PAYMENT_WINDOW: must be an ISO 8601 duration such as P3D/);
  expect(() => window('PT0.5S')).toThrow(/ORDER_PAYMENT_WINDOW: must be at least one second/);
  expect(() => window('P3651D')).toThrow(
    /ORDER_PAYMENT_WINDOW: must be at least one second \(PT1S\) and at most 3650 days/,
  );
});
