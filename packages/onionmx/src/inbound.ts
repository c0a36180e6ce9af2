// The onion service's SMTP front before the MX; all `onionmx inbound` loads.
export { inboundConfigSchema, type InboundConfig } from './inbound/inbound-config.ts';
export { startInbound, type InboundService } from './inbound/inbound.ts';
