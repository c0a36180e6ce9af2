/**
 * The relay as its own process for bench/relay-tor/run.ts (its CPU is measured alone), delivering through the
 * private Tor network's SOCKS port. argv: <socks host:port> <map file> [relay config JSON merged in];
 * prints "lmtp PORT" when listening.
 */
import { relayConfigSchema, startRelay } from '@peergroup/onionmx';

const [socks, mapFile, extra] = process.argv.slice(2);
const config = relayConfigSchema.parse({
  lmtp: '127.0.0.1:0',
  socks,
  ...(extra ? (JSON.parse(extra) as object) : {}),
  routing: { srv: false, watchMaps: false, maps: [{ path: mapFile! }] },
});
const relay = await startRelay(config);
process.stdout.write(`lmtp ${relay.addresses.lmtp!.port}\n`);
process.on('SIGTERM', () => void relay.close().then(() => process.exit(0)));
