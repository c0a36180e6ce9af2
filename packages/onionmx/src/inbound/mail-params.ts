/** The Tor-side client's MAIL and RCPT parameters, checked and passed on to the MX as far as its EHLO keywords allow. */
import type { SmtpReply } from '@peergroup/mta-codecs';

export type SmtpError = Error & { responseCode: number };

export function smtpError(code: number, text: string): SmtpError {
  return Object.assign(new Error(text), { responseCode: code });
}

/** The whole reply text on one line (enhanced code kept: it is passed on to the Tor-side client), control characters blanked. */
export function replyLine(reply: SmtpReply): string {
  return reply.lines.join(' ').replace(/[\x00-\x1f\x7f]/g, ' ').trim();
}

/** The MX's reply, passed on to the Tor-side client as it is. */
export function fromReply(reply: SmtpReply): SmtpError {
  return smtpError(reply.code, replyLine(reply) || 'no text');
}

/** Every extension whose MAIL parameters the front can pass on, for the syntax check before an MX is chosen. */
export const ALL_EXTENSIONS: ReadonlyMap<string, string> = new Map(['SIZE', '8BITMIME', 'SMTPUTF8', 'DSN'].map((k) => [k, '']));

/** Which MAIL FROM parameters go on to the MX, given its EHLO keywords; an error refuses the MAIL. */
export function forwardMailParams(params: string, mxExtensions: ReadonlyMap<string, string>): { params: string[]; utf8: boolean } | { error: SmtpError } {
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
      case 'RET':
      case 'ENVID':
        // DSN parameters are advice; without DSN at the MX they are dropped as RFC 3461 §4.1 lets a relay do.
        if (mxExtensions.has('DSN')) out.push(token);
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

export function forwardRcptParams(params: string, mxExtensions: ReadonlyMap<string, string>): string[] | SmtpError {
  const out: string[] = [];
  for (const token of params.split(/[ \t]+/).filter(Boolean)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9-]*(=[\x21-\x3c\x3e-\x7e]+)?$/.test(token)) return smtpError(501, `5.5.4 malformed RCPT parameter`);
    const key = token.split('=', 1)[0]!.toUpperCase();
    if (key === 'NOTIFY' || key === 'ORCPT') {
      if (mxExtensions.has('DSN')) out.push(token);
    } else {
      return smtpError(555, `5.5.4 RCPT parameter ${key} is not supported here`);
    }
  }
  return out;
}
