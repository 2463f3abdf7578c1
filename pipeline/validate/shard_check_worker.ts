// Piscina worker of `validate`: checks one shard (shard_check.ts).
import { checkShard, type ShardCheck } from './shard_check.ts';

export default function runShardCheck(task: { datasetDir: string; shardsDir: string; name: string }): ShardCheck {
  return checkShard(task.datasetDir, task.shardsDir, task.name);
}
