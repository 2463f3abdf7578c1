// The table of every op by name: the one list the Node-API layer dispatches
// through (binding.ts mirrors it with typed wrappers).
#include "ops.h"

namespace sf {

Tensors opUnary(const Tensors&, const Attrs&);
Tensors opUnaryBackward(const Tensors&, const Attrs&);
Tensors opBinary(const Tensors&, const Attrs&);
Tensors opBinaryBackward(const Tensors&, const Attrs&);
Tensors opWhere(const Tensors&, const Attrs&);
Tensors opCast(const Tensors&, const Attrs&);
Tensors opFill(const Tensors&, const Attrs&);
Tensors opPermute(const Tensors&, const Attrs&);
Tensors opSlice(const Tensors&, const Attrs&);
Tensors opPad(const Tensors&, const Attrs&);
Tensors opConcat(const Tensors&, const Attrs&);
Tensors opIndexSelect(const Tensors&, const Attrs&);
Tensors opIndexAdd(const Tensors&, const Attrs&);
Tensors opOneHot(const Tensors&, const Attrs&);
Tensors opReduceSum(const Tensors&, const Attrs&);
Tensors opReduceMax(const Tensors&, const Attrs&);
Tensors opReduceMaxBackward(const Tensors&, const Attrs&);
Tensors opDropoutMask(const Tensors&, const Attrs&);
Tensors opSoftmax(const Tensors&, const Attrs&);
Tensors opSoftmaxBackward(const Tensors&, const Attrs&);
Tensors opLayerNorm(const Tensors&, const Attrs&);
Tensors opLayerNormBackward(const Tensors&, const Attrs&);
Tensors opMatmul(const Tensors&, const Attrs&);
Tensors opAttention(const Tensors&, const Attrs&);
Tensors opAttentionBackward(const Tensors&, const Attrs&);
Tensors opGlobalAttention(const Tensors&, const Attrs&);
Tensors opGlobalAttentionBackward(const Tensors&, const Attrs&);
Tensors opAdamSwa(const Tensors&, const Attrs&);
Tensors opGradNormSq(const Tensors&, const Attrs&);
Tensors opAdamSwaPlan(const Tensors&, const Attrs&);
Tensors opAdamSwaStep(const Tensors&, const Attrs&);

struct OpEntry {
  const char* name;
  OpFn fn;
};

static const OpEntry kOps[] = {
    {"unary", opUnary},
    {"unary_backward", opUnaryBackward},
    {"binary", opBinary},
    {"binary_backward", opBinaryBackward},
    {"where", opWhere},
    {"cast", opCast},
    {"fill", opFill},
    {"permute", opPermute},
    {"slice", opSlice},
    {"pad", opPad},
    {"concat", opConcat},
    {"index_select", opIndexSelect},
    {"index_add", opIndexAdd},
    {"one_hot", opOneHot},
    {"reduce_sum", opReduceSum},
    {"reduce_max", opReduceMax},
    {"reduce_max_backward", opReduceMaxBackward},
    {"dropout_mask", opDropoutMask},
    {"softmax", opSoftmax},
    {"softmax_backward", opSoftmaxBackward},
    {"layer_norm", opLayerNorm},
    {"layer_norm_backward", opLayerNormBackward},
    {"matmul", opMatmul},
    {"attention", opAttention},
    {"attention_backward", opAttentionBackward},
    {"global_attention", opGlobalAttention},
    {"global_attention_backward", opGlobalAttentionBackward},
    {"adam_swa", opAdamSwa},
    {"grad_norm_sq", opGradNormSq},
    {"adam_swa_plan", opAdamSwaPlan},
    {"adam_swa_step", opAdamSwaStep},
};

static constexpr size_t kOpCount = sizeof(kOps) / sizeof(kOps[0]);

size_t findOpId(const std::string& name) {
  for (size_t i = 0; i < kOpCount; ++i)
    if (name == kOps[i].name) return i;
  throw CoreError("no op named '" + name + "'");
}

size_t opIdChecked(double id) {
  if (!(id >= 0 && id < static_cast<double>(kOpCount)) || id != static_cast<double>(static_cast<size_t>(id)))
    throw CoreError("no op with id " + std::to_string(id));
  return static_cast<size_t>(id);
}

OpFn opAt(size_t id) { return kOps[id].fn; }
const char* opNameAt(size_t id) { return kOps[id].name; }

OpFn findOp(const std::string& name) { return kOps[findOpId(name)].fn; }

std::vector<std::string> opNames() {
  std::vector<std::string> names;
  for (const OpEntry& e : kOps) names.push_back(e.name);
  return names;
}

}  // namespace sf
