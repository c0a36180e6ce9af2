/**
 * The raw command line behind smtp-server's parsed MAIL and RCPT: smtp-server normalises addresses (drops source
 * routes, decodes IDNs), and the strict recipient check must see what the client sent. Reaches into smtp-server's
 * per-connection object (not in its public types; smtp-server is pinned exactly for this).
 */
import type { SMTPServer, SMTPServerSession } from 'smtp-server';

/** The parts of smtp-server's per-connection object the front relies on. */
export interface ConnectionInternals {
  session: SMTPServerSession;
  _onCommand: (command: Buffer | string, callback?: () => void) => unknown;
  send(code: number, text?: string): void;
  close(): void;
}

/** The connection of `session`, if smtp-server still has the internals the front relies on. */
export function connectionOf(server: SMTPServer, session: SMTPServerSession): ConnectionInternals | undefined {
  let conn: ConnectionInternals | undefined;
  for (const c of server.connections as Set<ConnectionInternals>) {
    if (c.session === session) conn = c;
  }
  if (!conn || typeof conn._onCommand !== 'function' || typeof conn.send !== 'function' || typeof conn.close !== 'function')
    return undefined;
  return conn;
}

/** Calls `observe` with every raw command line before smtp-server handles it. */
export function observeCommands(conn: ConnectionInternals, observe: (line: string) => void): void {
  const original = conn._onCommand;
  conn._onCommand = (command, cb) => {
    observe(Buffer.isBuffer(command) ? command.toString('utf8') : String(command));
    return original.call(conn, command, cb);
  };
}
