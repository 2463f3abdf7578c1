// Piscina worker of `build`: one task per chain (chain_task.ts). Each worker
// thread gets its own scratch folder for alignment_db extraction.
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { processChain, type ChainOutcome, type ChainTask } from './chain_task.ts';

export default function runChainTask(task: ChainTask): Promise<ChainOutcome> {
  return processChain({ ...task, scratchDir: join(task.scratchDir, `thread-${threadId}`) });
}
