export { parseHostPort, formatHostPort, hostPortSchema, loopbackHostPortSchema, type HostPort } from './host-port.ts';
export { createLogger, silentLogger, chooseLogFormat, humanLogLine, type Logger, type LogFormat, type LoggerOptions } from './log.ts';
export type { RunningService } from './service.ts';
export { startMetricsServer, metricsConfigSchema } from './metrics-http.ts';
export { createMetricsRegistry, metricsPerRegistry } from './metrics-registry.ts';
export { listen, listenUnix, type UnixListenOptions } from './listen.ts';
export { OrderedWriter } from './ordered-writer.ts';
export { withOlderNames, olderNamesOf } from './older-names.ts';
export { duration, parseDuration, formatDuration, type DurationUnit, type DurationOptions } from './duration.ts';
