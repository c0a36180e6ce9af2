// The test suite's Tor network. scripts/run-tests.mjs starts one network for every selected file that imports this
// module and passes its state file in PEERGROUP_TORNET_STATE; a file run on its own starts a private one instead.
import { requirePrerequisite } from './prerequisites.ts';
import { attachTornet, startTornet, type Tornet } from '@peergroup/tornet';

export type { Tornet, TornetOnion, TornetService } from '@peergroup/tornet';

let shared: Promise<Tornet> | null = null;

function verboseLog(): ((line: string) => void) | undefined {
  return process.env.PEERGROUP_TORNET_VERBOSE === '1' ? (line) => process.stderr.write(`[tornet ${process.pid}] ${line}\n`) : undefined;
}

/** One network per process (test file), or the suite's network when PEERGROUP_TORNET_STATE names a running one. Stopped at process exit. */
export function sharedTornet(): Promise<Tornet> {
  shared ??= (async () => {
    const stateFile = process.env.PEERGROUP_TORNET_STATE;
    if (!stateFile) requirePrerequisite('tor');
    const log = verboseLog();
    // A stale or unreadable state file is a bug in the runner: fail loudly rather than quietly start another network.
    const net = stateFile ? attachTornet(stateFile, { log }) : await startTornet({ log });
    let stopping = false;
    // beforeExit fires once the test file's event loop is empty (tor children are unref'd), so stop() can await;
    // the tornet module's own 'exit'/signal handlers SIGTERM whatever is left if the process ends another way.
    process.on('beforeExit', () => {
      if (stopping) return;
      stopping = true;
      const failed = process.exitCode !== undefined && process.exitCode !== 0;
      void net.stop({ keepLogs: failed || undefined }).catch((err: unknown) => {
        process.stderr.write(`tornet stop failed: ${(err as Error).message}\n`);
      });
    });
    return net;
  })();
  shared.catch(() => (shared = null));
  return shared;
}
