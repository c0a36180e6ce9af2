// Types for scripts/prerequisites.mjs (plain JavaScript so that the runner and system-deps.sh use it without tsx).
export interface Prerequisite {
  name: string;
  paths: string[] | ((env: NodeJS.ProcessEnv) => string[]);
  package: string;
  install: 'apt' | 'exim-extract';
  neededBy: string[];
}
export interface PrerequisiteProblem {
  prerequisite: Prerequisite;
  missing: string[];
  users: string[];
}
export const prerequisites: Prerequisite[];
export function prerequisiteTable(env?: NodeJS.ProcessEnv): Prerequisite[];
export function missingPaths(p: Prerequisite, env?: NodeJS.ProcessEnv): string[];
export function describeMissing(p: Prerequisite, paths: string[]): string;
export function requirePrerequisite(name: string, env?: NodeJS.ProcessEnv): void;
export function importClosure(file: string): Set<string>;
export function checkPrerequisites(files: string[], env?: NodeJS.ProcessEnv): PrerequisiteProblem[];
export function prerequisitesOf(file: string, env?: NodeJS.ProcessEnv): string[];
