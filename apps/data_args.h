#pragma once
// The data options shared by prepare, train, cv and evaluate: which stars come
// in (catalog, light curves or the built-in simulated set) and how the thesis
// protocol cleans, balances and splits them.
#include <CLI/CLI.hpp>
#include <string>

#include "data/dataset.h"

namespace varstar::app {

struct DataArgs {
  data::PrepareOptions o;
  std::string catalog_format = "auto", per_class = "1000", fold_method = "stratified", on_bad_row = "error";
  bool no_quality = false;

  // Adds the input, cleaning, balancing and fold options. `with_folds`: the
  // fold options (prepare, cv); `with_representation`: --representation.
  void add_to(CLI::App& app, bool with_folds, bool with_representation);
  // The options with the text choices parsed.
  data::PrepareOptions resolve() const;
};

// --representation's help: every mode, marking the ones that use labels.
std::string representation_help();

}  // namespace varstar::app
