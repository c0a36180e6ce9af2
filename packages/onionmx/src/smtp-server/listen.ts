import type { SMTPServer } from 'smtp-server';
import { listen, type HostPort } from '@peergroup/service';

/**
 * Binds an smtp-server on `at`; a failure to bind rejects naming the config key `key`. Later server errors go to
 * `onError`. smtp-server re-emits its socket server's errors as its own, and an 'error' nobody listens to throws:
 * during the bind the rejected promise reports it, so a no-op listener keeps it from throwing twice.
 */
export async function listenSmtpServer(server: SMTPServer, at: HostPort, key: string, onError: (err: Error) => void): Promise<HostPort> {
  const duringBind = () => {};
  server.on('error', duringBind);
  let bound: HostPort;
  try {
    bound = await listen(server.server, at, key);
  } finally {
    server.off('error', duringBind);
  }
  server.on('error', onError);
  return bound;
}
