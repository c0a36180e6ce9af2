import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFileFor, DEFAULT_CONFIG_FILE } from '../src/config-file.ts';

test('the config file of serve and accounts admin: --config, else $PEERGROUP_CONFIG, else the system file if present', () => {
  const present = (p: string) => p === DEFAULT_CONFIG_FILE;
  const absent = () => false;
  assert.equal(configFileFor('given.yaml', { PEERGROUP_CONFIG: 'env.yaml' }, present), 'given.yaml');
  assert.equal(configFileFor(undefined, { PEERGROUP_CONFIG: 'env.yaml' }, present), 'env.yaml');
  assert.equal(configFileFor(undefined, { PEERGROUP_CONFIG: '' }, present), DEFAULT_CONFIG_FILE);
  assert.equal(configFileFor(undefined, {}, absent), undefined, 'no file: the embedded default');
});
