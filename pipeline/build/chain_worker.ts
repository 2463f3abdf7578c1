// Piscina worker of `build`: one task per chain (chain_task.ts). Each worker
// thread gets its own scratch folder for alignment_db extraction.
// A finished row travels to the writing thread as one transferred buffer
// (no copy): the encoded record batch message.
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { processChain, type ChainOutcome, type ChainTask } from './chain_task.ts';

export default async function runChainTask(task: ChainTask): Promise<ChainOutcome> {
  const outcome = await processChain({ ...task, scratchDir: join(task.scratchDir, `thread-${threadId}`) });
  if (outcome.status !== 'done') return outcome;
  return move({ [transferableSymbol]: [outcome.message.buffer], [valueSymbol]: outcome }) as unknown as ChainOutcome;
}
