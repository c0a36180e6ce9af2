// The MTAs' protocols, pure functions over bytes: no I/O here, so every daemon and test can use them.
export * from './netstring.ts';
export * from './socketmap.ts';
export * from './tcp-table.ts';
export * from './exim-readsocket.ts';
export * from './smtp-reply.ts';
export * from './dot-stuffing.ts';
export * from './xclient.ts';
export * from './proxy-protocol.ts';
export * from './ip-address.ts';
