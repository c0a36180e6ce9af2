/** The Tor-side client's MAIL and RCPT parameters, checked and passed on to the MX as far as its EHLO keywords allow. */
import type { SmtpReply } from '@peergroup/mta-codecs';

export type SmtpError = Error & { responseCode: number };

export function smtpError(code: number, text: string): SmtpError {
  return Object.assign(new Error(text), { responseCode: code });
}

/** The whole reply text on one line (enhanced code kept: it is passed on to the Tor-side client), control characters blanked. */
export function replyLine(reply: SmtpReply): string {
  return reply.lines
    .join(' ')
    .replace(/[\x00-\x1f\x7f]/g, ' ')
    .trim();
}

/** The MX's reply, passed on to the Tor-side client as it is. */
export function fromReply(reply: SmtpReply): SmtpError {
  return smtpError(reply.code, replyLine(reply) || 'no text');
}

/**
 * What becomes of the client's DSN parameters (RFC 3461). A Tor peer's sender address is unverifiable, so a delivery
 * report goes wherever the peer says: `pass` forwards them as given; `failure-only` (the default) drops the SUCCESS
 * and DELAY requests (a report on success is what a forged sender reliably gets) and turns RET=FULL into RET=HDRS
 * (no message body reflected); `strip` removes RET, ENVID, NOTIFY and ORCPT, so the MX does what it does without DSN.
 */
export type DsnPolicy = 'strip' | 'failure-only' | 'pass';

/** Every extension whose MAIL parameters the front can pass on, for the syntax check before an MX is chosen. */
export const ALL_EXTENSIONS: ReadonlyMap<string, string> = new Map(['SIZE', '8BITMIME', 'SMTPUTF8', 'DSN'].map((k) => [k, '']));

/** Which MAIL FROM parameters go on to the MX, given its EHLO keywords; an error refuses the MAIL. */
export function forwardMailParams(
  params: string,
  mxExtensions: ReadonlyMap<string, string>,
  dsn: DsnPolicy,
): { params: string[]; utf8: boolean } | { error: SmtpError } {
  const out: string[] = [];
  let utf8 = false;
  for (const token of params.split(/[ \t]+/).filter(Boolean)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*(=[\x21-\x3c\x3e-\x7e]+)?$/.test(token)) {
      return { error: smtpError(501, `5.5.4 malformed MAIL parameter ${JSON.stringify(token.slice(0, 40))}`) };
    }
    const [rawKey = '', value] = token.split('=', 2) as [string, string | undefined];
    const key = rawKey.toUpperCase();
    switch (key) {
      case 'SIZE':
        if (mxExtensions.has('SIZE')) out.push(token);
        break;
      case 'BODY': {
        const body = (value ?? '').toUpperCase();
        if (body === '7BIT') out.push(token);
        else if (body === '8BITMIME' && mxExtensions.has('8BITMIME')) out.push(token);
        else return { error: smtpError(555, `5.5.4 BODY=${body} is not supported here`) };
        break;
      }
      case 'SMTPUTF8':
        if (!mxExtensions.has('SMTPUTF8')) return { error: smtpError(555, '5.6.7 SMTPUTF8 is not supported here') };
        out.push('SMTPUTF8');
        utf8 = true;
        break;
      case 'RET': {
        const ret = (value ?? '').toUpperCase();
        if (ret !== 'FULL' && ret !== 'HDRS') return { error: smtpError(501, '5.5.4 RET must be FULL or HDRS') };
        // DSN parameters are advice; without DSN at the MX they are dropped as RFC 3461 §4.1 lets a relay do.
        if (dsn !== 'strip' && mxExtensions.has('DSN')) out.push(dsn === 'failure-only' ? 'RET=HDRS' : token);
        break;
      }
      case 'ENVID':
        if (dsn !== 'strip' && mxExtensions.has('DSN')) out.push(token);
        break;
      case 'AUTH':
        // Nobody is authenticated on this port; an AUTH= identity must not be vouched for towards the MX.
        break;
      default:
        return { error: smtpError(555, `5.5.4 MAIL parameter ${key} is not supported here`) };
    }
  }
  return { params: out, utf8 };
}

export function forwardRcptParams(params: string, mxExtensions: ReadonlyMap<string, string>, dsn: DsnPolicy): string[] | SmtpError {
  const out: string[] = [];
  for (const token of params.split(/[ \t]+/).filter(Boolean)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*(=[\x21-\x3c\x3e-\x7e]+)?$/.test(token)) return smtpError(501, `5.5.4 malformed RCPT parameter`);
    const [rawKey = '', value = ''] = token.split('=', 2) as [string, string | undefined];
    const key = rawKey.toUpperCase();
    if (key === 'NOTIFY') {
      const notify = notifyList(value);
      if (!notify) return smtpError(501, '5.5.4 NOTIFY must be NEVER or a list of SUCCESS, FAILURE, DELAY');
      if (dsn === 'strip' || !mxExtensions.has('DSN')) continue;
      if (dsn === 'pass') out.push(token);
      // A sender that asked for success or delay reports only asked for no failure report either: NEVER keeps that.
      else out.push(notify.includes('FAILURE') ? 'NOTIFY=FAILURE' : 'NOTIFY=NEVER');
    } else if (key === 'ORCPT') {
      if (dsn !== 'strip' && mxExtensions.has('DSN')) out.push(token);
    } else {
      return smtpError(555, `5.5.4 RCPT parameter ${key} is not supported here`);
    }
  }
  return out;
}

/** The NOTIFY keywords upper-cased, or null when the value is not NEVER alone or a list of the other three. */
function notifyList(value: string): string[] | null {
  const list = value.toUpperCase().split(',');
  if (list.length === 1 && list[0] === 'NEVER') return list;
  if (new Set(list).size !== list.length) return null;
  return list.every((v) => v === 'SUCCESS' || v === 'FAILURE' || v === 'DELAY') ? list : null;
}
