import { loadFulfillmentConfig } from '../../fulfillment/config';
import { ConfigError, loadConfig } from '../../src/config';

// Traces and logs are configured by the standard OpenTelemetry variables and LOG_PRETTY (docs/operations.md, "Traces", "Logs").

describe('tracing', () => {
  it('is off without an OTLP endpoint', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }).tracing).toBeUndefined();
  });

  it("sends to the general endpoint's traces path, or to the traces endpoint as it is", () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      url: 'http://collector:4318/v1/traces',
      serviceName: 'orderstream',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    });
    const both = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
    });
    expect(both.tracing?.url).toBe('https://traces.example/otlp');
  });

  it('is off when OTEL_SDK_DISABLED is true or the traces exporter is none, whatever the endpoint', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' }).tracing).toBeUndefined();
    expect(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeUndefined();
    expect(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: 'false' }).tracing).toBeDefined();
  });

  it('takes the service name and sampler, and refuses values the specification does not name', () => {
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_SERVICE_NAME: 'orders-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(config.tracing).toMatchObject({
      serviceName: 'orders-eu',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    });
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER/);
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
  });

  it('is configured the same way in the fulfillment service, under its own name', () => {
    const base = { BUS_URL: 'nats://127.0.0.1:4222', FULFILLMENT_TOKEN: 't', DATABASE_URL: 'postgresql://db/inbox' };
    expect(loadFulfillmentConfig(base).tracing).toBeUndefined();
    expect(loadFulfillmentConfig({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toEqual({
      url: 'http://collector:4318/v1/traces',
      serviceName: 'fulfillment',
    });
  });
});

describe('LOG_PRETTY', () => {
  it('turns on human-readable lines with 1 or true, and keeps JSON lines otherwise', () => {
    expect(loadConfig({}).logPretty).toBe(false);
    expect(loadConfig({ LOG_PRETTY: '1' }).logPretty).toBe(true);
    expect(loadConfig({ LOG_PRETTY: 'true' }).logPretty).toBe(true);
    expect(loadConfig({ LOG_PRETTY: '0' }).logPretty).toBe(false);
    expect(() => loadConfig({ LOG_PRETTY: 'yes' })).toThrow(/LOG_PRETTY/);
  });
});
