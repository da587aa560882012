// The op registry (engine/ops/op_list.h).
#include "engine/ops/op_list.h"

namespace varstar {

const std::vector<std::string_view>& registered_ops() {
#define VARSTAR_OP_NAME(name) #name,
  static const std::vector<std::string_view> ops = {VARSTAR_OP_LIST(VARSTAR_OP_NAME)};
#undef VARSTAR_OP_NAME
  return ops;
}

}  // namespace varstar
