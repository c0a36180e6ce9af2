export { main, loadCommands, commandHelp } from './main.ts';
export type { Command, CommandContext, OptionSpec } from './command.ts';
export { ConfigError, loadConfig, validateConfig, readConfigFile } from './config.ts';
