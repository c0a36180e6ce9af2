import type { IncomingMessage, RequestListener } from 'node:http';

/**
 * A request listener made by `load` when the first request arrives, not when the server starts. Requests that come
 * while it loads wait for the same load; their bodies stay buffered in the socket until the listener reads them. A load
 * that fails answers every request with a plain-text 500 (and `onError`): `failed` gives its text and language.
 */
export function lazyListener(
  load: () => Promise<RequestListener>,
  onError: (err: unknown) => void,
  failed: (req: IncomingMessage) => { lang: string; text: string },
): RequestListener {
  let loading: Promise<RequestListener> | undefined;
  let listener: RequestListener | undefined;
  return (req, res) => {
    if (listener) return listener(req, res);
    loading ??= load().then((l) => (listener = l));
    loading.then(
      (l) => l(req, res),
      (err: unknown) => {
        onError(err);
        const { lang, text } = failed(req);
        res
          .writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Language': lang, 'Cache-Control': 'no-store' })
          .end(`${text}\n`);
      },
    );
  };
}
