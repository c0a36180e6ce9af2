import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Semaphore } from '../src/semaphore.ts';

test('never more than `limit` tasks at once, all complete in arrival order, errors release the slot', async () => {
  const sem = new Semaphore(2);
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  const task = (i: number) =>
    sem.run(async () => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (i === 3) throw new Error('boom');
      return i;
    });
  const results = await Promise.allSettled([0, 1, 2, 3, 4, 5, 6].map(task));
  assert.equal(peak, 2);
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(results.filter((r) => r.status === 'rejected').length, 1);
  assert.equal(sem.running, 0);
  assert.equal(sem.waiting, 0);
  assert.throws(() => new Semaphore(0), RangeError);
});
