// The profiler's reports (see profiler.h): the per-op table, the per-step
// table with memory figures, the Chrome trace-event JSON file, and the
// host memcpy bandwidth used as the bandwidth peak.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <vector>

#include "engine/profiler.h"
#include "kernels/cpu/parallel.h"

namespace varstar::profiler {

namespace {

std::string percent(double part, double whole) {
  return whole > 0 ? fmt::format("{:.1f}%", 100.0 * part / whole) : std::string("-");
}

std::string rate(double value, double precision_limit = 10.0) {
  if (value <= 0) return "-";
  return value < precision_limit ? fmt::format("{:.2f}", value) : fmt::format("{:.1f}", value);
}

}  // namespace

std::string OpEvent::shapes_str() const {
  std::string out;
  size_t i = 0;
  while (i < shapes.size()) {
    if (!out.empty()) out += ' ';
    const int64_t ndim = shapes[i++];
    if (ndim < 0) {
      out += "-";
      continue;
    }
    out += '(';
    for (int64_t d = 0; d < ndim && i < shapes.size(); ++d, ++i) {
      if (d > 0) out += ',';
      out += std::to_string(shapes[i]);
    }
    out += ')';
  }
  return out;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) {
    bytes /= 1024.0;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

Summary summarize(const Session& s) {
  Summary out;
  const bool by_step = !s.steps.empty();
  std::map<std::pair<std::string, Direction>, OpSummary> rows;
  out.steps.resize(s.steps.size());
  for (size_t i = 0; i < s.steps.size(); ++i) {
    out.steps[i].label = s.steps[i].label;
    out.steps[i].wall_ms = s.steps[i].wall_ms();
    out.steps[i].memory = s.steps[i].memory;
  }
  for (const OpEvent& e : s.events) {
    if (e.depth != 0) continue;
    if (by_step && (e.step < 0 || s.steps[e.step].end_ns < 0)) continue;
    const double ms = e.duration_ms();
    OpSummary& row = rows[{e.name, e.direction}];
    row.name = e.name;
    row.direction = e.direction;
    ++row.calls;
    row.total_ms += ms;
    row.flops += e.flops;
    row.bytes += e.bytes;
    out.op_ms += ms;
    ++out.calls;
    if (by_step) {
      StepSummary& st = out.steps[e.step];
      st.op_ms += ms;
      ++st.op_calls;
      (e.direction == Direction::forward    ? st.forward_ms
       : e.direction == Direction::backward ? st.backward_ms
                                            : st.optimizer_ms) += ms;
    }
  }
  for (auto& [key, row] : rows) out.ops.push_back(row);
  std::sort(out.ops.begin(), out.ops.end(),
            [](const OpSummary& a, const OpSummary& b) { return a.total_ms > b.total_ms; });
  if (by_step) {
    for (const StepRecord& st : s.steps) out.step_ms += st.wall_ms();
  } else {
    out.step_ms = static_cast<double>(s.wall_ns) / 1e6;
  }
  return out;
}

std::string format_table(const Summary& sum, const Peaks& peaks) {
  std::string out = fmt::format("{:<16} {:<9} {:>6} {:>10} {:>9} {:>7} {:>9} {:>8} {:>8} {:>8}\n", "op", "direction",
                                "calls", "total ms", "mean ms", "step", "GFLOP/s", "GB/s", "%FLOPpk", "%BWpk");
  for (const OpSummary& r : sum.ops) {
    const double gf = r.gflops_per_s(), gb = r.gbytes_per_s();
    out += fmt::format("{:<16} {:<9} {:>6} {:>10.3f} {:>9.4f} {:>7} {:>9} {:>8} {:>8} {:>8}\n", r.name,
                       direction_name(r.direction), r.calls, r.total_ms, r.mean_ms(), percent(r.total_ms, sum.step_ms),
                       rate(gf), rate(gb), peaks.gflops > 0 && gf > 0 ? percent(gf, peaks.gflops) : "-",
                       peaks.gbps > 0 && gb > 0 ? percent(gb, peaks.gbps) : "-");
  }
  const size_t steps = sum.steps.size();
  out += fmt::format("top-level ops: {} calls, {:.3f} ms = {} of {:.3f} ms {}", sum.calls, sum.op_ms,
                     percent(sum.op_ms, sum.step_ms), sum.step_ms,
                     steps ? fmt::format("in {} step(s)", steps) : std::string("of the session"));
  out += " (the rest: autograd bookkeeping and code between ops)\n";
  out += fmt::format("peaks: {} GFLOP/s, {} GB/s (0 = not measured); CUDA ops are timed by events on their stream\n",
                     rate(peaks.gflops), rate(peaks.gbps));
  out += "convolution FLOPs are a direct convolution's; the CPU's Winograd path does fewer, so its rate can pass the "
         "peak\n";
  return out;
}

std::string format_steps(const Summary& sum) {
  if (sum.steps.empty()) return "no steps were marked\n";
  const bool cuda = std::any_of(sum.steps.begin(), sum.steps.end(), [](const StepSummary& s) { return s.memory.has_cuda; });
  std::string out = fmt::format("{:<18} {:>9} {:>9} {:>6} {:>9} {:>9} {:>8} {:>11} {:>11} {:>7} {:>7}", "step",
                                "wall ms", "ops ms", "ops", "fwd ms", "bwd ms", "opt ms", "host used", "host peak",
                                "allocs", "tensors");
  if (cuda) out += fmt::format(" {:>11} {:>11} {:>11}", "cuda used", "cuda peak*", "cuda resvd");
  out += '\n';
  for (const StepSummary& s : sum.steps) {
    out += fmt::format("{:<18} {:>9.3f} {:>9.3f} {:>6} {:>9.3f} {:>9.3f} {:>8.3f} {:>11} {:>11} {:>7} {:>7}",
                       s.label.substr(0, 18), s.wall_ms, s.op_ms, percent(s.op_ms, s.wall_ms), s.forward_ms,
                       s.backward_ms, s.optimizer_ms, format_bytes(static_cast<double>(s.memory.host_bytes_in_use)),
                       format_bytes(static_cast<double>(s.memory.host_peak_bytes)), s.memory.host_allocations,
                       s.memory.live_tensors);
    if (cuda)
      out += fmt::format(" {:>11} {:>11} {:>11}", format_bytes(static_cast<double>(s.memory.cuda_bytes_in_use)),
                         format_bytes(static_cast<double>(s.memory.cuda_peak_bytes)),
                         format_bytes(static_cast<double>(s.memory.cuda_bytes_reserved)));
    out += '\n';
  }
  out += "host used/peak: the host allocator's bytes in use at the step's end and its highest value during the step;\n"
         "allocs: host allocations during the step; tensors: TensorImpl objects alive at the step's end";
  out += cuda ? ";\ncuda peak*: the caching allocator's peak since the process started\n" : "\n";
  return out;
}

std::string report(const Peaks& peaks) {
  const Summary summary = summarize();
  return format_table(summary, peaks) + "\n" + format_steps(summary);
}

void write_trace(const std::string& path, const Session& s) {
  using nlohmann::json;
  json events = json::array();
  const auto meta = [&](const char* what, int pid, int tid, const std::string& name) {
    events.push_back({{"name", what}, {"ph", "M"}, {"ts", 0}, {"dur", 0}, {"pid", pid}, {"tid", tid},
                      {"args", {{"name", name}}}});
  };
  meta("process_name", 0, 0, "host");
  std::set<int> threads;
  for (const OpEvent& e : s.events) threads.insert(e.thread);
  for (const StepRecord& st : s.steps) threads.insert(st.thread);
  for (int t : threads) meta("thread_name", 0, t, fmt::format("thread {}", t));

  // CUDA streams: one track each, under a process per device.
  std::map<std::pair<int, uintptr_t>, int> stream_tracks;
  for (const OpEvent& e : s.events) {
    if (e.gpu_us < 0) continue;
    const auto key = std::make_pair(e.device.index, e.stream);
    if (stream_tracks.count(key)) continue;
    int n = 0;
    for (const auto& [k, v] : stream_tracks) n += k.first == e.device.index;
    stream_tracks[key] = n;
    if (n == 0) meta("process_name", 1 + e.device.index, 0, e.device.str());
    meta("thread_name", 1 + e.device.index, n,
         e.stream == 0 ? std::string("default stream") : fmt::format("stream {:#x}", e.stream));
  }

  for (const OpEvent& e : s.events) {
    json args = {{"inputs", e.shapes_str()}, {"device", e.device.str()}, {"depth", e.depth}, {"step", e.step}};
    if (e.flops > 0) args["flops"] = e.flops;
    if (e.bytes > 0) args["bytes"] = e.bytes;
    events.push_back({{"name", e.name}, {"cat", direction_name(e.direction)}, {"ph", "X"},
                      {"ts", static_cast<double>(e.start_ns) / 1e3}, {"dur", static_cast<double>(e.host_ns) / 1e3},
                      {"pid", 0}, {"tid", e.thread}, {"args", args}});
    if (e.gpu_us >= 0) {
      args["host_us"] = static_cast<double>(e.host_ns) / 1e3;
      events.push_back({{"name", e.name}, {"cat", direction_name(e.direction)}, {"ph", "X"}, {"ts", e.gpu_start_us},
                        {"dur", e.gpu_us}, {"pid", 1 + e.device.index},
                        {"tid", stream_tracks.at({e.device.index, e.stream})}, {"args", args}});
    }
  }
  for (const StepRecord& st : s.steps) {
    if (st.end_ns < 0) continue;
    const MemorySnapshot& m = st.memory;
    events.push_back({{"name", st.label}, {"cat", "step"}, {"ph", "X"}, {"ts", static_cast<double>(st.start_ns) / 1e3},
                      {"dur", st.wall_ms() * 1e3}, {"pid", 0}, {"tid", st.thread},
                      {"args", {{"host_bytes_in_use", m.host_bytes_in_use}, {"host_peak_bytes", m.host_peak_bytes},
                                {"host_allocations", m.host_allocations}, {"live_tensors", m.live_tensors}}}});
    json counters = {{"host_in_use_MiB", static_cast<double>(m.host_bytes_in_use) / (1 << 20)},
                     {"host_peak_MiB", static_cast<double>(m.host_peak_bytes) / (1 << 20)}};
    if (m.has_cuda) counters["cuda_in_use_MiB"] = static_cast<double>(m.cuda_bytes_in_use) / (1 << 20);
    events.push_back({{"name", "memory"}, {"ph", "C"}, {"ts", static_cast<double>(st.end_ns) / 1e3}, {"dur", 0},
                      {"pid", 0}, {"tid", st.thread}, {"args", counters}});
  }
  const json doc = {{"traceEvents", events},
                    {"displayTimeUnit", "ms"},
                    {"otherData", {{"generator", "varstar profiler"}, {"steps", s.steps.size()}}}};
  std::ofstream file(path);
  VARSTAR_CHECK(file.good(), "profiler: cannot write the trace to '{}'", path);
  file << doc.dump() << '\n';
  VARSTAR_CHECK(file.good(), "profiler: error while writing the trace to '{}'", path);
}

double measure_host_memcpy_gbps(size_t bytes, int repeats) {
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  const auto copy = [&] {
    cpu::parallel_for(static_cast<int64_t>(bytes), int64_t{1} << 20, [&](int64_t begin, int64_t end) {
      std::memcpy(dst.data() + begin, src.data() + begin, static_cast<size_t>(end - begin));
    });
  };
  copy();  // warm-up: fault the pages in
  std::vector<double> seconds;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    copy();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return 2.0 * static_cast<double>(bytes) / seconds[seconds.size() / 2] / 1e9;  // read + write
}

}  // namespace varstar::profiler
