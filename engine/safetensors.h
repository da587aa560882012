#pragma once
// The safetensors format (https://github.com/huggingface/safetensors): an
// 8-byte little-endian header length, a JSON header naming each tensor's
// dtype, shape and byte range, then the raw little-endian data. PyTorch users
// load varstar checkpoints with safetensors.torch.load_file.
//   save_safetensors writes atomically: a temporary file beside the target,
//   fsync, then rename, so a crash never leaves a half-written file.
//   load_safetensors validates everything and reports a corrupt or truncated
//   file as varstar::DataError naming the file and the problem.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace varstar {

struct SafetensorsContents {
  std::vector<std::pair<std::string, Tensor>> tensors;  // file order (sorted by offset)
  std::map<std::string, std::string> metadata;
  // The tensor called `name`; throws DataError naming the file when absent.
  const Tensor& get(const std::string& name) const;
  std::string path;
};

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});
SafetensorsContents load_safetensors(const std::string& path);

}  // namespace varstar
