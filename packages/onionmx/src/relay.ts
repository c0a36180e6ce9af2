// The MTA's transport through Tor (LMTP and SMTP listeners, SOCKS dialling); with ./routing, all `onionmx relay` loads.
export { relayConfigSchema, type RelayConfig, type RelayConfigInput } from './relay/relay-config.ts';
export { startRelay, type RelayDeps } from './relay/relay.ts';
export { directDialer, dialThroughTor } from './relay/onion-dialer.ts';
