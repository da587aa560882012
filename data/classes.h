#pragma once
// Class sets: which source Type becomes which target class, or is dropped.
//   thesis-10: the 11 Chen et al. types with CEPII merged into CEP
//              (BYDra CEP DSCT EA EW Mira RR RRc RSCVN SR).
//   thesis-5:  CEPII -> CEP and Mira, SR -> LPV; keeps CEP DSCT EA LPV RR and
//              drops BYDra EW RRc RSCVN (as the thesis scripts select them).
//   all:       every Type as itself.
//   a file:    user mapping, one "SOURCE TARGET" pair per line ("-" as TARGET
//              drops the class; "*" as SOURCE sets what happens to unlisted
//              types: "-" drops them, "=" keeps them as themselves; without a
//              "*" line an unlisted type is an unknown class, an error), '#'
//              starts a comment. Or JSON: {"CEPII": "CEP", "BYDra": null, "*": "="}.
// Class indices, wherever needed, are the positions of the target names in
// byte-wise sorted order (as pandas groupby and scikit-learn's LabelEncoder).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace varstar::data {

class ClassMap {
 public:
  enum class Unlisted { error, drop, keep };

  static ClassMap thesis10();
  static ClassMap thesis5();
  static ClassMap identity();
  // Text or JSON mapping (see above); `name` names it in errors (DataError with line).
  static ClassMap parse(std::string_view text, const std::string& name);
  static ClassMap load(const std::string& path);
  // "10" | "thesis-10" | "5" | "thesis-5" | "all" | a mapping file.
  static ClassMap from_spec(std::string_view spec);

  // Adds or replaces one entry; nullopt drops the class.
  void set(std::string source, std::optional<std::string> target);
  void set_unlisted(Unlisted u) { unlisted_ = u; }
  Unlisted unlisted() const { return unlisted_; }

  // Whether `type` has an entry or is covered by the "*" rule.
  bool knows(std::string_view type) const;
  // The target of `type`, or nullopt when it is dropped. Precondition: knows(type)
  // (otherwise throws Error naming the unknown class).
  std::optional<std::string> map(std::string_view type) const;
  // Listed sources, sorted; with Unlisted::error these are all the accepted types.
  std::vector<std::string> sources() const;
  // The targets the listed entries produce, sorted and unique.
  std::vector<std::string> targets() const;

  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }
  std::string describe() const;  // "thesis-5: CEPII->CEP Mira->LPV SR->LPV; dropped: BYDra EW RRc RSCVN"
  nlohmann::json to_json() const;

 private:
  std::string name_;
  std::vector<std::pair<std::string, std::optional<std::string>>> entries_;  // sorted by source
  Unlisted unlisted_ = Unlisted::error;
};

// Target class names in index order (sorted, unique) of `labels`.
std::vector<std::string> sorted_classes(const std::vector<std::string>& labels);

}  // namespace varstar::data
