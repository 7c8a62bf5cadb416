import { loadGlobalSettings, unknownGlobalKeys } from './global-settings';
import { ConfigurationError } from './settings-validation';

describe('loadGlobalSettings', () => {
  it('applies the documented defaults', () => {
    expect(loadGlobalSettings({})).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      TENANTS_DIR: './tenants',
      LOOKUP_TIMEOUT_MS: 1500,
      LOOKUP_MAX_RESULTS: 5,
      LOG_LEVEL: 'info',
      WORKFLOW_TIMEOUT_MS: 10000,
      KEEP_ALIVE_S: 65,
      HEADERS_TIMEOUT_S: 10,
      REQUEST_TIMEOUT_S: 30,
      MAX_CONNECTIONS: 500,
      LOOKUP_MAX_BODY_BYTES: 2048,
      WORKFLOW_MAX_BODY_BYTES: 8192,
      AUTH_FAILURES_PER_MINUTE: 30,
      TRUST_PROXY: undefined,
      RECORD_ID_SECRET: undefined,
      HUBSPOT_SEARCH_LAG_S: 30,
      publicUrl: 'http://localhost:3000',
    });
  });

  it('reads numbers and keeps PUBLIC_URL without its trailing slash', () => {
    const settings = loadGlobalSettings({ PORT: '8080', LOOKUP_TIMEOUT_MS: '900', PUBLIC_URL: 'https://lookup.example.ch/' });
    expect(settings).toMatchObject({ PORT: 8080, LOOKUP_TIMEOUT_MS: 900, publicUrl: 'https://lookup.example.ch' });
  });

  it('reads HUBSPOT_SEARCH_LAG_S=0: HubSpot calls are looked for at once', () => {
    expect(loadGlobalSettings({ HUBSPOT_SEARCH_LAG_S: '0' }).HUBSPOT_SEARCH_LAG_S).toBe(0);
  });

  it('derives the default PUBLIC_URL from PORT', () => {
    expect(loadGlobalSettings({ PORT: '4000' }).publicUrl).toBe('http://localhost:4000');
  });

  it('treats empty values as unset', () => {
    expect(loadGlobalSettings({ PORT: '', LOG_LEVEL: ' ' })).toMatchObject({ PORT: 3000, LOG_LEVEL: 'info' });
  });

  it.each([
    ['PORT', 'abc', 'PORT="abc": must be a whole number from 1 to 65535'],
    ['PORT', '70000', 'PORT="70000": must be a whole number from 1 to 65535'],
    ['LOOKUP_TIMEOUT_MS', '1.5', 'LOOKUP_TIMEOUT_MS="1.5": must be a whole number of milliseconds from 100 to 30000'],
    ['LOOKUP_TIMEOUT_MS', '10', 'LOOKUP_TIMEOUT_MS="10": must be a whole number of milliseconds from 100 to 30000'],
    ['WORKFLOW_TIMEOUT_MS', '500', 'WORKFLOW_TIMEOUT_MS="500": must be a whole number of milliseconds from 1000 to 120000'],
    ['LOOKUP_MAX_RESULTS', '10', 'LOOKUP_MAX_RESULTS="10": must be a whole number from 1 to 5 (the CONNECTOR shows at most 5)'],
    ['KEEP_ALIVE_S', '0', 'KEEP_ALIVE_S="0": must be a whole number of seconds from 1 to 3600'],
    ['KEEP_ALIVE_S', '65000', 'KEEP_ALIVE_S="65000": must be a whole number of seconds from 1 to 3600'],
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL="verbose": must be one of fatal, error, warn, info, debug, trace, silent'],
    ['PUBLIC_URL', 'lookup.example.ch', 'PUBLIC_URL="lookup.example.ch": must be an absolute http(s) URL'],
    ['HEADERS_TIMEOUT_S', '0', 'HEADERS_TIMEOUT_S="0": must be a whole number of seconds from 1 to 300'],
    ['MAX_CONNECTIONS', '5', 'MAX_CONNECTIONS="5": must be a whole number of connections from 10 to 1000000'],
    ['WORKFLOW_MAX_BODY_BYTES', '100', 'WORKFLOW_MAX_BODY_BYTES="100": must be a whole number of bytes from 1024 to 1048576'],
    ['LOOKUP_MAX_BODY_BYTES', '2mb', 'LOOKUP_MAX_BODY_BYTES="2mb": must be a whole number of bytes from 256 to 1048576'],
    ['AUTH_FAILURES_PER_MINUTE', '-1', 'AUTH_FAILURES_PER_MINUTE="-1": must be a whole number of failed attempts from 0 (no limit) to 100000'],
    ['TRUST_PROXY', '10.0.0.0/33', 'TRUST_PROXY="10.0.0.0/33": must be the number of proxies in front'],
    ['TRUST_PROXY', '99', 'TRUST_PROXY="99": must be the number of proxies in front'],
    ['HUBSPOT_SEARCH_LAG_S', '-1', 'HUBSPOT_SEARCH_LAG_S="-1": must be a whole number of seconds from 0 to 3600'],
    ['HUBSPOT_SEARCH_LAG_S', '2.5', 'HUBSPOT_SEARCH_LAG_S="2.5": must be a whole number of seconds from 0 to 3600'],
    ['RECORD_ID_SECRET', 'too-short', 'RECORD_ID_SECRET (value hidden): must be a secret of at least 32 characters'],
  ])('refuses %s=%s, naming the variable, the value and the rule', (key, value, message) => {
    expect(() => loadGlobalSettings({ [key]: value })).toThrow(ConfigurationError);
    expect(() => loadGlobalSettings({ [key]: value })).toThrow(message);
  });

  it('refuses a request time-out shorter than the headers time-out', () => {
    expect(() => loadGlobalSettings({ HEADERS_TIMEOUT_S: '20', REQUEST_TIMEOUT_S: '10' })).toThrow(
      'REQUEST_TIMEOUT_S=10: must be at least HEADERS_TIMEOUT_S (20): the whole request includes its headers',
    );
  });

  it.each(['1', 'loopback', 'loopback, 10.0.0.0/8', '192.168.1.10,fd00::/8'])('reads TRUST_PROXY=%s', (value) => {
    expect(loadGlobalSettings({ TRUST_PROXY: value }).TRUST_PROXY).toBe(value);
  });

  it('lists every bad variable at once', () => {
    expect(() => loadGlobalSettings({ PORT: 'x', LOG_LEVEL: 'loud' })).toThrow(/PORT="x"[\s\S]*LOG_LEVEL="loud"/);
  });

  it('says a rule once, however many of its checks a value fails', () => {
    expect(() => loadGlobalSettings({ LOOKUP_TIMEOUT_MS: 'soon' })).toThrow(
      /^The environment \(or \.env\) has invalid settings:\n {2}- LOOKUP_TIMEOUT_MS="soon": must be a whole number of milliseconds from 100 to 30000$/,
    );
  });
});

describe('unknownGlobalKeys', () => {
  it('names every unknown key of .env, with the known key it is likely a misspelling of', () => {
    expect(unknownGlobalKeys({ METRIC_TOKEN: 'x', PORT: '3000', FAVOURITE_COLOUR: 'blue' }, {})).toEqual([
      '.env: METRIC_TOKEN: unknown key: did you mean METRICS_TOKEN?',
      '.env: FAVOURITE_COLOUR: unknown key (check its spelling; see .env.example; tenant keys go in tenants/<tenant-id>.env)',
    ]);
  });

  it('names variables of the environment only when they are within two letters of a setting', () => {
    const environment = { LOOKUP_TIMEOUT: '900', WORKFLOW_TIMOUT_MS: '9000', HOME: '/root', PATH: '/bin', HOSTNAME: 'vm', npm_config_cache: '/x', NODE_ENV: 'production' };
    expect(unknownGlobalKeys({}, environment)).toEqual(['environment: WORKFLOW_TIMOUT_MS: not a setting of the gateway: did you mean WORKFLOW_TIMEOUT_MS?']);
  });

  it('does not name a variable twice when .env set it (it is in the environment too)', () => {
    expect(unknownGlobalKeys({ METRIC_TOKEN: 'x' }, { METRIC_TOKEN: 'x' })).toHaveLength(1);
  });
});
