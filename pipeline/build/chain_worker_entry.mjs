// Worker entry for piscina: worker threads start without tsx's loader (the
// pool passes no execArgv), so register it here, then load the TypeScript task.
import { register } from 'tsx/esm/api';

register();
const { default: runChainTask } = await import('./chain_worker.ts');
export default runChainTask;
