// jsforce reads the proxy variables when it is imported and ignores NO_PROXY: tests talk to loopback fakes.
for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) delete process.env[name];
