// The registry test: every op listed in engine/ops/op_list.h has a gradient check.
#include "engine/ops/op_list.h"
#include "tests/engine/gradcheck.h"

TEST_CASE("every registered op has a finite-difference gradient check") {
  for (std::string_view op : varstar::registered_ops()) {
    CAPTURE(op);
    CHECK(vtest::gradcheck_registry().count(std::string(op)) == 1);
  }
}

TEST_CASE("every gradient check names a registered op") {
  const auto& ops = varstar::registered_ops();
  for (const std::string& name : vtest::gradcheck_registry()) {
    CAPTURE(name);
    CHECK(std::find(ops.begin(), ops.end(), name) != ops.end());
  }
}
