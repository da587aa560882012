// Class sets and user class mappings; see classes.h.
#include "data/classes.h"

#include <algorithm>
#include <filesystem>

#include "data/csv.h"

namespace varstar::data {

namespace {

bool is_blank(std::string_view s) { return trim(s).empty(); }

}  // namespace

ClassMap ClassMap::thesis10() {
  ClassMap m;
  m.name_ = "thesis-10";
  for (const char* t : {"BYDra", "CEP", "DSCT", "EA", "EW", "Mira", "RR", "RRc", "RSCVN", "SR"}) m.set(t, t);
  m.set("CEPII", "CEP");
  return m;
}

ClassMap ClassMap::thesis5() {
  ClassMap m;
  m.name_ = "thesis-5";
  for (const char* t : {"CEP", "DSCT", "EA", "RR"}) m.set(t, t);
  m.set("CEPII", "CEP");
  m.set("Mira", "LPV");
  m.set("SR", "LPV");
  for (const char* t : {"BYDra", "EW", "RRc", "RSCVN"}) m.set(t, std::nullopt);
  return m;
}

ClassMap ClassMap::identity() {
  ClassMap m;
  m.name_ = "all";
  m.unlisted_ = Unlisted::keep;
  return m;
}

void ClassMap::set(std::string source, std::optional<std::string> target) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), source,
                             [](const auto& e, const std::string& s) { return e.first < s; });
  if (it != entries_.end() && it->first == source) it->second = std::move(target);
  else entries_.insert(it, {std::move(source), std::move(target)});
}

bool ClassMap::knows(std::string_view type) const {
  if (unlisted_ != Unlisted::error) return true;
  auto it = std::lower_bound(entries_.begin(), entries_.end(), type,
                             [](const auto& e, std::string_view s) { return std::string_view(e.first) < s; });
  return it != entries_.end() && it->first == type;
}

std::optional<std::string> ClassMap::map(std::string_view type) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), type,
                             [](const auto& e, std::string_view s) { return std::string_view(e.first) < s; });
  if (it != entries_.end() && it->first == type) return it->second;
  switch (unlisted_) {
    case Unlisted::keep: return std::string(type);
    case Unlisted::drop: return std::nullopt;
    default:
      throw Error(fmt::format("unknown class {} for class set {}; it knows: {}", quote_field(type), name_,
                              fmt::join(sources(), " ")));
  }
}

std::vector<std::string> ClassMap::sources() const {
  std::vector<std::string> s;
  for (const auto& e : entries_) s.push_back(e.first);
  return s;
}

std::vector<std::string> ClassMap::targets() const {
  std::vector<std::string> t;
  for (const auto& e : entries_)
    if (e.second) t.push_back(*e.second);
  std::sort(t.begin(), t.end());
  t.erase(std::unique(t.begin(), t.end()), t.end());
  return t;
}

std::string ClassMap::describe() const {
  std::vector<std::string> renamed, dropped;
  for (const auto& [s, t] : entries_) {
    if (!t) dropped.push_back(s);
    else if (*t != s) renamed.push_back(s + "->" + *t);
  }
  std::string d = name_ + ":";
  d += renamed.empty() ? std::string(" no merges") : fmt::format(" {}", fmt::join(renamed, " "));
  if (!dropped.empty()) d += fmt::format("; dropped: {}", fmt::join(dropped, " "));
  if (unlisted_ == Unlisted::keep) d += "; other types kept as they are";
  if (unlisted_ == Unlisted::drop) d += "; other types dropped";
  return d;
}

nlohmann::json ClassMap::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [s, t] : entries_) j[s] = t ? nlohmann::json(*t) : nlohmann::json(nullptr);
  if (unlisted_ == Unlisted::keep) j["*"] = "=";
  if (unlisted_ == Unlisted::drop) j["*"] = nullptr;
  return j;
}

ClassMap ClassMap::parse(std::string_view text, const std::string& name) {
  ClassMap m;
  m.name_ = name;
  std::vector<int64_t> seen_line;  // parallel to insertion, for duplicate messages
  auto add = [&](std::string source, std::optional<std::string> target, int64_t line) {
    if (source.empty()) throw DataError(name, line, "", "empty class name");
    if (target && target->empty()) throw DataError(name, line, "", "empty target class name");
    if (source == "*") {
      if (!target) m.unlisted_ = Unlisted::drop;
      else if (*target == "=") m.unlisted_ = Unlisted::keep;
      else throw DataError(name, line, "", "'*' takes '-' (drop other types) or '=' (keep them as they are)");
      return;
    }
    for (const auto& e : m.entries_)
      if (e.first == source)
        throw DataError(name, line, "", fmt::format("class {} is mapped twice", quote_field(source)));
    m.set(std::move(source), std::move(target));
  };

  const std::string_view body = trim(text);
  if (!body.empty() && body.front() == '{') {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(body.begin(), body.end());
    } catch (const nlohmann::json::exception& e) {
      throw DataError(name, 0, "", fmt::format("invalid JSON class mapping: {}", e.what()));
    }
    if (!j.is_object()) throw DataError(name, 0, "", "a JSON class mapping must be an object");
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.value().is_null()) add(it.key(), std::nullopt, 0);
      else if (it.value().is_string()) add(it.key(), it.value().get<std::string>(), 0);
      else
        throw DataError(name, 0, it.key(), "expected a class name (string) or null");
    }
  } else {
    LineSource src = LineSource::from_buffer(text, name);
    std::string_view line;
    while (src.next(line)) {
      const size_t hash = line.find('#');
      if (hash != std::string_view::npos) line = line.substr(0, hash);
      if (is_blank(line)) continue;
      std::string_view f[3];
      const size_t n = split_whitespace(line, f, 2);
      if (n != 2)
        throw DataError(name, src.line_number(), "",
                        fmt::format("expected 'SOURCE TARGET' (TARGET '-' drops the class), found {} fields", n));
      if (f[1] == "-") add(std::string(f[0]), std::nullopt, src.line_number());
      else add(std::string(f[0]), std::string(f[1]), src.line_number());
    }
  }
  if (m.entries_.empty() && m.unlisted_ == Unlisted::error)
    throw DataError(name, 0, "", "the class mapping lists no classes");
  return m;
}

ClassMap ClassMap::load(const std::string& path) {
  std::string text;
  LineSource src = LineSource::open_file(path, 1 << 16);
  std::string_view line;
  while (src.next(line)) {
    if (text.size() > (size_t{1} << 20)) throw DataError(path, src.line_number(), "", "class mapping file over 1 MiB");
    text.append(line);
    text.push_back('\n');
  }
  ClassMap m = parse(text, path);
  m.name_ = std::filesystem::path(path).filename().string();
  return m;
}

ClassMap ClassMap::from_spec(std::string_view spec) {
  if (spec == "10" || spec == "thesis-10") return thesis10();
  if (spec == "5" || spec == "thesis-5") return thesis5();
  if (spec == "all") return identity();
  if (!std::filesystem::exists(std::string(spec)))
    throw Error(fmt::format("--classes: '{}' is not 5, 10, all or an existing mapping file", spec));
  return load(std::string(spec));
}

std::vector<std::string> sorted_classes(const std::vector<std::string>& labels) {
  std::vector<std::string> c = labels;
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  return c;
}

}  // namespace varstar::data
