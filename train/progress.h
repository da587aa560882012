#pragma once
// Progress of long work. On a terminal: one line rewritten in place (fold,
// epoch, batch, loss, accuracy, samples/s, ETA). Not a terminal: a plain line
// every `plain_interval` seconds and at each epoch's end. JSON: one object per
// epoch on stdout. Quiet: nothing but warnings.
#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace varstar::train {

enum class ProgressMode { automatic, terminal, plain, json, quiet };

struct ProgressState {
  int fold = 0, folds = 1;       // 1-based fold
  int epoch = 0, epochs = 1;     // 1-based epoch
  int64_t batch = 0, batches = 0;
  double loss = 0, accuracy = 0;
  double samples_per_s = 0;
  double eta_seconds = -1;       // < 0: unknown
};

// Safe to call from several threads at once (cv --jobs): each call prints whole lines.
class Progress {
 public:
  explicit Progress(ProgressMode mode = ProgressMode::automatic, double plain_interval = 10.0);
  ~Progress();
  // During an epoch (rate-limited).
  void update(const ProgressState& s);
  // At an epoch's end: always printed (a line; in JSON mode an object).
  void epoch_done(const ProgressState& s, const nlohmann::json& record);
  // Free text (warnings, stage names): goes to stderr except in quiet mode,
  // where only `important` messages are shown.
  void message(const std::string& text, bool important = false);
  // An important message printed the first time only (a note several stages may raise).
  void message_once(const std::string& text);
  ProgressMode mode() const { return mode_; }

 private:
  std::string format(const ProgressState& s) const;
  void clear_line();
  ProgressMode mode_;
  double plain_interval_;
  std::chrono::steady_clock::time_point last_;
  bool line_open_ = false;
  std::set<std::string> printed_once_;
  std::mutex mutex_;
};

// "1h02m", "3m12s", "45s".
std::string format_duration(double seconds);

}  // namespace varstar::train
