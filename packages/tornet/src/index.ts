export * from './tornet.ts';
export * from './tor-control.ts';
export * from './socks-probe.ts';
export { pidAlive } from './tor-process.ts';
