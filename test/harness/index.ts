/** Integration-test harness: real registries, token server, fixtures, proxy/CDN, skopeo. */
export * from './auth.js';
export * from './cdn.js';
export * from './certs.js';
export * from './images.js';
export * from './proxy.js';
export * from './push.js';
export * from './registry.js';
export * from './skopeo.js';
export * from './token-server.js';
