export type { RouteDecision, RouteResolver, OnionTarget } from './route-decision.ts';
export { parseHostPort, formatHostPort, hostPortSchema, loopbackHostPortSchema, type HostPort } from './host-port.ts';
export type { RunningService } from './service.ts';
export { createLogger, silentLogger, type Logger } from './log.ts';
export { startMetricsServer } from './metrics-http.ts';
