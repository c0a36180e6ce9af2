/** Directory authority keys: made once per node directory, reused when the network starts again from it. */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthorityInfo } from './torrc.ts';

function run(cmd: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${out}`))));
    child.stdin.end(input);
  });
}

/** Authority keys: tor-gencert for the v3 identity, then `--list-fingerprint` for the relay identity. */
export async function makeAuthority(
  torBinary: string,
  dataDir: string,
  nickname: string,
  orPort: number,
  dirPort: number,
  reuse: boolean,
): Promise<AuthorityInfo> {
  const keys = join(dataDir, 'keys');
  const known = authorityIdentity(dataDir);
  // The certificate names the DirPort; a reused network keeps its ports, so the authority keeps its identity.
  if (reuse && known) return { nickname, orPort, dirPort, ...known };
  mkdirSync(keys, { recursive: true, mode: 0o700 });
  // --passphrase-fd 0 with an empty line: an unencrypted identity key, which is fine for a throw-away test network.
  await run(
    'tor-gencert',
    [
      '--create-identity-key',
      '--passphrase-fd',
      '0',
      '-m',
      '12',
      '-a',
      `127.0.0.1:${dirPort}`,
      '-i',
      join(keys, 'authority_identity_key'),
      '-s',
      join(keys, 'authority_signing_key'),
      '-c',
      join(keys, 'authority_certificate'),
    ],
    '\n',
  );
  await run(
    torBinary,
    ['--ignore-missing-torrc', '-f', '/dev/null', '--datadirectory', dataDir, '--orport', '1', '--list-fingerprint'],
    '',
  );
  const id = authorityIdentity(dataDir);
  if (!id) throw new Error(`could not read the identity of authority ${nickname} in ${dataDir}`);
  return { nickname, orPort, dirPort, ...id };
}

function authorityIdentity(dataDir: string): { v3ident: string; fingerprint: string } | undefined {
  try {
    const cert = readFileSync(join(dataDir, 'keys', 'authority_certificate'), 'utf8');
    const v3 = /^fingerprint ([0-9A-F]{40})$/m.exec(cert)?.[1];
    const fp = /^\S+ ([0-9A-F]{40})\s*$/m.exec(readFileSync(join(dataDir, 'fingerprint'), 'utf8'))?.[1];
    return v3 && fp ? { v3ident: v3, fingerprint: fp } : undefined;
  } catch {
    return undefined;
  }
}
