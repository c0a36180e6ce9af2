// The rough description of a session's client shown on the sessions page: browser family and system family from
// the User-Agent, nothing else. No versions, device models, languages or addresses: the owner needs to tell "my
// phone" from "my laptop" and spot a stranger, and finer detail would only make the row a fingerprint. A short
// table rather than a User-Agent parsing library, because everything such a library adds (versions, devices,
// engines) is exactly what is thrown away here.

export interface ClientFamily {
  browser: string;
  os: string;
}

// Order matters: Edge, Opera, Vivaldi and Samsung Internet also say "Chrome"; Chrome also says "Safari".
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\b(?:OPR|Opera)\//, 'Opera'],
  [/\bVivaldi\//, 'Vivaldi'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
  [/\b(?:Chrome|Chromium|CriOS)\//, 'Chromium'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

/** Family names only; '' where the header says nothing known (the page then says "unknown"). */
export function clientFamily(userAgent: string | undefined): ClientFamily {
  const ua = (userAgent ?? '').slice(0, 512);
  return {
    browser: BROWSERS.find(([re]) => re.test(ua))?.[1] ?? '',
    os: SYSTEMS.find(([re]) => re.test(ua))?.[1] ?? '',
  };
}

export function isClientFamily(v: unknown): v is ClientFamily {
  return (
    typeof v === 'object' && v !== null && typeof (v as ClientFamily).browser === 'string' && typeof (v as ClientFamily).os === 'string'
  );
}
