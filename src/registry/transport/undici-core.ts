/**
 * The three parts of undici ferry uses — the connection-pooling Agent, `request` and the error classes — loaded
 * from their own modules instead of undici's index, which also builds fetch, WebSocket, EventSource, cookies,
 * caches, mocks and proxy agents on load: time at every CLI start and weight in the CLI bundle that ferry never
 * uses (docs/benchmarks.md has the figures). The paths are undici 7's (pinned in package-lock.json). The ambient types in
 * undici-modules.d.ts cannot notice an upgrade that moves them, but the bundler cannot resolve a moved path
 * (`npm run build` fails) and neither can Node (every transport test fails).
 */
import AgentClass from 'undici/lib/dispatcher/agent.js';
import requestFn from 'undici/lib/api/api-request.js';
import errorClasses from 'undici/lib/core/errors.js';
import type { Agent as AgentType, Dispatcher, errors as ErrorsType } from 'undici';

export const Agent: typeof AgentType = AgentClass;
export const errors: typeof ErrorsType = errorClasses;

/** undici's `request`, on the given dispatcher, for an origin and path already split (see splitUrl). */
export function request(dispatcher: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return requestFn.call(dispatcher, opts);
}
