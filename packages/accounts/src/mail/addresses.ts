// Mail addresses as Postfix hands them to a socketmap: exactly as the client wrote them, once, with no case folding,
// no recipient-delimiter stripping and no `@domain` retry (socketmap is a pattern-style table to Postfix). This
// module does all three.

/** Local parts of accounts and aliases: what trust accepts as a username, without the recipient delimiter. */
const LOCAL_RE = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
const DOMAIN_RE = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;

export interface Address {
  /** Lower-case local part without the extension. */
  local: string;
  /** `+tag` part after the delimiter, with the delimiter ('' when absent). */
  extension: string;
  domain: string;
}

/** Parses `User+Tag@Example.ORG`; undefined for anything that cannot be one of our addresses. */
export function parseAddress(key: string, delimiter: string): Address | undefined {
  const at = key.lastIndexOf('@');
  if (at <= 0 || at === key.length - 1) return undefined;
  let local = key.slice(0, at).toLowerCase();
  const domain = key
    .slice(at + 1)
    .toLowerCase()
    .replace(/\.$/, '');
  let extension = '';
  if (delimiter) {
    const d = local.indexOf(delimiter);
    if (d > 0) {
      extension = local.slice(d);
      local = local.slice(0, d);
    }
  }
  if (!LOCAL_RE.test(local) || !DOMAIN_RE.test(domain)) return undefined;
  return { local, extension, domain };
}

export function isValidLocalPart(local: string): boolean {
  return LOCAL_RE.test(local);
}

export function isValidDomain(domain: string): boolean {
  return DOMAIN_RE.test(domain);
}

/** Dovecot's login name (`%u` after auth_username_format=%Lu and auth_default_realm): `name@domain`, lower case. */
export function loginName(username: string, domain: string): string {
  return `${username}@${domain}`;
}
