import { chooseLogFormat, createLogger, type Logger } from '@peergroup/service';
import { flagOption, type CommandContext } from './command.ts';

/**
 * The logger of a command someone types (route, publish, accounts admin …): sentences on a terminal, JSON for
 * --json, pipes and PEERGROUP_LOG_FORMAT=json. Quieter than a daemon: warnings and errors unless PEERGROUP_LOG_LEVEL.
 */
export function terminalLogger(ctx: CommandContext, name: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const format = chooseLogFormat({
    kind: 'terminal',
    isTTY: (ctx.stderr as { isTTY?: boolean }).isTTY === true,
    json: flagOption(ctx, 'json'),
    env: env.PEERGROUP_LOG_FORMAT,
  });
  const level = env.PEERGROUP_LOG_LEVEL ?? 'warn';
  return format === 'human' ? createLogger(name, level, { format, stream: ctx.stderr }) : createLogger(name, level);
}
