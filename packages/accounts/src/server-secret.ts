import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

export const SERVER_SECRET_BYTES = 32;

/**
 * Loads the server secret (base64 in a file), creating it with mode 600 on first start. An existing file readable by
 * group or others is refused rather than silently used: the secret is what stops a database writer forging rows.
 */
export async function loadOrCreateServerSecret(path: string): Promise<{ secret: Buffer; created: boolean }> {
  let created = false;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const fh = await open(path, 'wx', 0o600);
    try {
      await fh.writeFile(randomBytes(SERVER_SECRET_BYTES).toString('base64') + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`secretFile ${path}: cannot create: ${(err as Error).message}`);
  }
  const st = await stat(path);
  if ((st.mode & 0o077) !== 0) {
    throw new Error(`secretFile ${path}: mode ${(st.mode & 0o777).toString(8)} lets others read the server secret; chmod 600 it`);
  }
  const text = (await readFile(path, 'utf8')).trim();
  const secret = Buffer.from(text, 'base64');
  if (secret.length !== SERVER_SECRET_BYTES || secret.toString('base64') !== text) {
    throw new Error(`secretFile ${path}: expected exactly ${SERVER_SECRET_BYTES} bytes, base64-encoded`);
  }
  return { secret, created };
}
