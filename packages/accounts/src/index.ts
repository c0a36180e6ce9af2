/**
 * @peergroup/accounts — the account-management web service (hono, server-rendered, works without JavaScript).
 *
 *   const config = accountsConfigSchema.parse(section);          // or loadConfig(accountsConfigSchema, …)
 *   const svc = await startAccounts(config, { logger, registry }); // RunningService
 */
export { accountsConfigSchema, type AccountsConfig, type AccountsConfigInput } from './config.ts';
export { startAccounts, startAccountsFrom, type RunningAccounts, type StartAccountsOptions } from './service.ts';
export { openAccountsContext, sqlitePathFor, type AccountsContext } from './context.ts';
export { checkPasswordStrength, MIN_PASSWORD_LENGTH, type StrengthReport } from './password-strength.ts';
export { makeVerifier } from './mail/verifier.ts';
