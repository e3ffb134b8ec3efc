import { after, before } from 'node:test';
import { Containers, requireEngine, type RunOptions, type TestContainer } from './engine.js';

/**
 * One container for the tests of a describe block: started in before() once the engine answers,
 * removed in after(). Call it in the describe body; the object it returns is filled in by that
 * before(), so read its fields inside the tests. `opts` may be a function, for options that take
 * a step to get (an image to build first). Pass `containers` when the tests start more of their
 * own: the same after() removes those too.
 */
export function suiteContainer(
  opts: RunOptions | (() => Promise<RunOptions>) = {},
  containers: Containers = new Containers(),
): TestContainer {
  const c: TestContainer = { id: '', name: '' };
  before(async () => {
    await requireEngine();
    Object.assign(c, await containers.run(typeof opts === 'function' ? await opts() : opts));
  });
  after(() => containers.remove());
  return c;
}
