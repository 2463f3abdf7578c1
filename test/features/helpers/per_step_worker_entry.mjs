// Worker entry: worker threads start without tsx's loader, so register it
// here, then load the TypeScript worker body.
import { register } from 'tsx/esm/api';

register();
await import('./per_step_worker.ts');
