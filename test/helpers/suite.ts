import { after, before } from 'node:test';
import { Containers, requireEngine, type RunOptions, type TestContainer } from './engine.js';

/**
 * The Containers of a describe block's tests: the engine is checked in before(), and every container
 * they started is removed in after(). Call it in the describe body.
 */
export function suiteContainers(): Containers {
  const containers = new Containers();
  before(requireEngine);
  after(() => containers.remove());
  return containers;
}

/**
 * One container for the tests of a describe block: started in before() once the engine answers,
 * removed in after(). Call it in the describe body; the object it returns is filled in by that
 * before(), so read its fields inside the tests. `opts` may be a function, for options that take
 * a step to get (an image to build first). Pass `containers` (from suiteContainers()) when the
 * tests start more of their own.
 */
export function suiteContainer(
  opts: RunOptions | (() => Promise<RunOptions>) = {},
  containers: Containers = suiteContainers(),
): TestContainer {
  const c: TestContainer = { id: '', name: '' };
  before(async () => {
    Object.assign(c, await containers.run(typeof opts === 'function' ? await opts() : opts));
  });
  return c;
}
