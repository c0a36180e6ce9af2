// The helpers that start a real daemon call this first, so a test file run on its own (bypassing
// scripts/run-tests.mjs, which checks the same table up front) fails naming what to install instead of with a
// spawn ENOENT or, worse, a product-looking failure such as a bounce.
// The table is plain JavaScript beside the runner and system-deps.sh, which read it without tsx; it is no package.
// biome-ignore lint/style/noRestrictedImports: scripts/ is not a package (see above)
export { requirePrerequisite, prerequisites } from '../../scripts/prerequisites.mjs';
