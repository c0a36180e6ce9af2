/**
 * The relay as its own process for bench/relay/run.ts, so its RSS is measured alone. It bypasses Tor: every onion
 * target is dialled straight to the sink given on the command line (the relay itself is what is measured).
 * argv: <sink port> <map file>; prints "lmtp PORT smtp PORT" when listening.
 */
import { directDialer } from '@peergroup/onionmx';
import { relayConfigSchema } from '@peergroup/onionmx';
import { startRelay } from '@peergroup/onionmx';

const [sinkPort, mapFile] = process.argv.slice(2);
const config = relayConfigSchema.parse({
  lmtp: '127.0.0.1:0',
  smtp: '127.0.0.1:0',
  limits: { maxConnections: 1000, maxPerDestination: 1000, maxMessageSize: 64 * 1024 * 1024 },
  routing: { srv: false, watchMaps: false, maps: [{ path: mapFile! }] },
});
const relay = await startRelay(config, { dialer: directDialer({ host: '127.0.0.1', port: Number(sinkPort) }) });
process.stdout.write(`lmtp ${relay.addresses.lmtp!.port} smtp ${relay.addresses.smtp!.port}\n`);
process.on('SIGTERM', () => void relay.close().then(() => process.exit(0)));
