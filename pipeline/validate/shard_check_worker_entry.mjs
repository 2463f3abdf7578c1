// Worker entry for piscina: register tsx's loader in this thread (the pool
// passes no execArgv), then load the TypeScript task.
import { register } from 'tsx/esm/api';

register();
const { default: runShardCheck } = await import('./shard_check_worker.ts');
export default runShardCheck;
