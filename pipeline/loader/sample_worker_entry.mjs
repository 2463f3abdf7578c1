// Worker entry for piscina: worker threads start without tsx's loader, so
// register it here, then load the TypeScript task.
import { register } from 'tsx/esm/api';

register();
const { default: prepareSample } = await import('./sample_worker.ts');
export default prepareSample;
