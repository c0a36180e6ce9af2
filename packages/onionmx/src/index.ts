// Everything, for tests, benches and `peergroup serve`'s plan. A service process imports its own entry
// (@peergroup/onionmx/router, /relay, /inbound, /routing, /publish) so it does not load the code of the others.
export * from './routing.ts';
export * from './router.ts';
export * from './relay.ts';
export * from './inbound.ts';
export * from './publish.ts';
