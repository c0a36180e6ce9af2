// The lookup service Postfix and Exim ask (tcp_table, socketmap, readsocket); with ./routing, all `onionmx router` loads.
export { routerConfigSchema, type RouterConfig, type RouterConfigInput } from './router/router-config.ts';
export { startRouter, type RouterDeps } from './router/router.ts';
