// Worker entry: worker threads start without tsx's loader, so register it,
// then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./checkpoint_worker.ts');
