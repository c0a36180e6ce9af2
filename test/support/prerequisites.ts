// The helpers that start a real daemon call this first, so a test file run on its own (bypassing
// scripts/run-tests.mjs, which checks the same table up front) fails naming what to install instead of with a
// spawn ENOENT or, worse, a product-looking failure such as a bounce.
export { requirePrerequisite, prerequisites } from '../../scripts/prerequisites.mjs';
