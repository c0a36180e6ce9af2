// The helpers that start a real daemon call this first, so a test file run on its own (bypassing
// scripts/run-tests.mjs, which checks the same table up front) fails naming what to install instead of with a
// spawn ENOENT or, worse, a product-looking failure such as a bounce.
// biome-ignore lint/style/noRestrictedImports: the table is plain JavaScript beside the runner and system-deps.sh, which
// must read it without tsx or a package install; it is no package.
export { requirePrerequisite, prerequisites } from '../../scripts/prerequisites.mjs';
