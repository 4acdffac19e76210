import { originPolicy } from '../../src/edge/origins';

describe('allowed browser origins', () => {
  it('admits by default the loopback origins on any port and Apollo Sandbox', () => {
    const allowed = originPolicy(undefined);
    const origins = [
      'http://localhost',
      'http://localhost:5173',
      'https://127.0.0.1:8443',
      'http://[::1]:3000',
      'https://studio.apollographql.com',
    ];
    expect(origins.filter(allowed)).toEqual(origins);
  });

  it('refuses by default every other origin, look-alikes included', () => {
    const allowed = originPolicy(undefined);
    const origins = [
      'https://evil.example',
      'http://localhost.evil.example',
      'http://127.0.0.1.evil.example',
      'http://evil.example#http://localhost',
      'https://studio.apollographql.com.evil.example',
      'http://studio.apollographql.com',
      'null',
      'file://',
    ];
    expect(origins.filter(allowed)).toEqual([]);
  });

  it('admits exactly the origins of CORS_ORIGINS, written with or without a trailing slash', () => {
    const allowed = originPolicy(['https://shop.example.com/', 'https://admin.example.com']);
    expect(
      ['https://shop.example.com', 'https://admin.example.com', 'http://localhost:5173', 'http://shop.example.com'].map(
        allowed,
      ),
    ).toEqual([true, true, false, false]);
  });

  it('admits any origin when CORS_ORIGINS is *', () => {
    expect(['https://anything.example', 'null'].every(originPolicy(['*']))).toBe(true);
  });
});
